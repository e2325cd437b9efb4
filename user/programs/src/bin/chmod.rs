//! `chmod MODE FILE...`: sets each file's permission bits.
//!
//! MODE is octal (`755`, `0644`) or symbolic, as POSIX's `chmod` reads it: clauses separated by
//! commas, each who (`u`, `g`, `o`, `a`, or none for all), an operator (`+` adds, `-` removes,
//! `=` sets exactly) and permissions (`r`, `w`, `x`, `s`, `t`): `u+x`, `go-w`, `a=r,u+w`.

#![no_std]
#![no_main]

use runtime::{cli, eprintln, sys};

runtime::entry!(main);

/// The usage line.
const USAGE: &str = "chmod MODE FILE... (MODE: octal such as 755, or symbolic such as u+x,go-w)";
/// The bits `chmod` may set.
const PERMISSION_BITS: u32 = 0o7777;

fn main() -> i32 {
    let args = match cli::parse("", USAGE) {
        Ok(args) if args.operands.len() >= 2 => args,
        Ok(_) => return cli::show_usage(USAGE),
        Err(status) => return status,
    };
    let (mode, files) = args
        .operands
        .split_first()
        .unwrap_or((&args.operands[0], &[]));
    if apply(mode, 0).is_none() {
        eprintln!("chmod: invalid mode: '{mode}'");
        return cli::show_usage(USAGE);
    }
    let mut status = 0;
    for path in files {
        let result = sys::stat(path).and_then(|stat| {
            let new = apply(mode, stat.st_mode & PERMISSION_BITS).unwrap_or(0);
            sys::chmod(path, new)
        });
        if let Err(e) = result {
            status = cli::error(path, e);
        }
    }
    status
}

/// The permission bits `mode` makes of `current`, or `None` if `mode` is not a mode.
fn apply(mode: &str, current: u32) -> Option<u32> {
    if !mode.is_empty() && mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return u32::from_str_radix(mode, 8)
            .ok()
            .filter(|m| *m <= PERMISSION_BITS);
    }
    let mut bits = current;
    for clause in mode.split(',') {
        let who_len = clause
            .find(|c| !matches!(c, 'u' | 'g' | 'o' | 'a'))
            .unwrap_or(clause.len());
        let (who, mut rest) = clause.split_at(who_len);
        // Which permission bits a clause's letters reach: user, group, other.
        let mut mask = 0;
        for c in who.chars() {
            mask |= match c {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o1007,
                _ => 0o7777,
            };
        }
        if who.is_empty() {
            mask = 0o7777;
        }
        if rest.is_empty() {
            return None;
        }
        while let Some(op) = rest.chars().next().filter(|c| matches!(c, '+' | '-' | '=')) {
            rest = &rest[1..];
            let perm_len = rest
                .find(|c| !matches!(c, 'r' | 'w' | 'x' | 's' | 't'))
                .unwrap_or(rest.len());
            let mut perm = 0;
            for c in rest[..perm_len].chars() {
                perm |= match c {
                    'r' => 0o444,
                    'w' => 0o222,
                    'x' => 0o111,
                    's' => 0o6000,
                    _ => 0o1000,
                };
            }
            rest = &rest[perm_len..];
            let perm = perm & mask;
            bits = match op {
                '+' => bits | perm,
                '-' => bits & !perm,
                _ => (bits & !mask) | perm,
            };
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(bits & PERMISSION_BITS)
}
