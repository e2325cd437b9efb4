//! `ln [-f] TARGET LINK` and `ln [-f] TARGET... DIR`: gives files more names (hard links).
//!
//! A hard link is a second directory entry for the same inode: both names are the same file,
//! equally, and it lives until the last name goes (`ls -l` counts them). It cannot cross file
//! systems (`EXDEV`) nor name a directory (`EPERM`). `-f` removes an existing LINK first.
//! Symbolic links (`-s`) do not exist in Ferrite yet, and are refused by name.

#![no_std]
#![no_main]

use runtime::{cli, eprintln, sys, Errno};

runtime::entry!(main);

/// The usage line.
const USAGE: &str = "ln [-f] TARGET LINK | ln [-f] TARGET... DIR";

fn main() -> i32 {
    let args = match cli::parse("fs", USAGE) {
        Ok(args) => args,
        Err(status) => return status,
    };
    if args.has('s') {
        eprintln!("ln: symbolic links (-s) are not supported: Ferrite has hard links only");
        return cli::USAGE;
    }
    if args.operands.len() < 2 {
        return cli::show_usage(USAGE);
    }
    let pairs = match cli::copy_targets(&args.operands) {
        Ok(pairs) => pairs,
        Err((target, e)) => return cli::error(&target, e),
    };
    let mut status = 0;
    for (target, name) in &pairs {
        if args.has('f') {
            match sys::unlink(name) {
                Ok(()) | Err(Errno::ENOENT) => {}
                Err(e) => {
                    status = cli::error(name, e);
                    continue;
                }
            }
        }
        if let Err(e) = sys::link(target, name) {
            let what = if e == Errno::EEXIST { name } else { target };
            status = cli::error(what, e);
        }
    }
    status
}
