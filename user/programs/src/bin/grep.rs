//! `grep [-vicn] PATTERN [FILE...]`: prints the lines that match PATTERN.
//!
//! The patterns are a small regular-expression language, enough for most everyday searches and
//! short enough to read in one sitting: a character matches itself, `.` any character, `c*`
//! any number of `c` (including none), `^` the start of the line and `$` its end. The matcher
//! is the classic recursive one: at each starting point, match the pattern's first item and
//! recurse on the rest, trying every length a `*` could cover.
//!
//! `-v` prints the lines that do not match, `-i` ignores case, `-c` prints only how many lines
//! matched, `-n` numbers them. The status is 0 if a line was selected, 1 if none was, 2 for an
//! error, as POSIX says.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use runtime::fs::write_all;
use runtime::{cli, println};

runtime::entry!(main);

/// The status when no line was selected.
const NO_MATCH: i32 = 1;
/// The status for an error (as grep reports even over "no match").
const TROUBLE: i32 = 2;

/// Whether `pattern` matches somewhere in `text`.
fn matches(pattern: &[u8], text: &[u8]) -> bool {
    if let Some(anchored) = pattern.strip_prefix(b"^") {
        return match_here(anchored, text);
    }
    (0..=text.len()).any(|start| match_here(pattern, &text[start..]))
}

/// Whether `pattern` matches at the start of `text`.
fn match_here(pattern: &[u8], text: &[u8]) -> bool {
    match pattern {
        [] => true,
        [b'$'] => text.is_empty(),
        [c, b'*', rest @ ..] => match_star(*c, rest, text),
        [c, rest @ ..] => match text.split_first() {
            Some((t, text)) if *c == b'.' || c == t => match_here(rest, text),
            _ => false,
        },
    }
}

/// Whether `c*` followed by `rest` matches at the start of `text`.
fn match_star(c: u8, rest: &[u8], text: &[u8]) -> bool {
    let mut i = 0;
    loop {
        if match_here(rest, &text[i..]) {
            return true;
        }
        match text.get(i) {
            Some(&t) if c == b'.' || c == t => i += 1,
            _ => return false,
        }
    }
}

fn main() -> i32 {
    let args = match cli::parse("vicn", "grep [-vicn] PATTERN [FILE...]") {
        Ok(args) => args,
        Err(_) => return TROUBLE,
    };
    let Some((pattern, files)) = args.operands.split_first() else {
        cli::show_usage("grep [-vicn] PATTERN [FILE...]");
        return TROUBLE;
    };
    let fold = |bytes: &[u8]| -> Vec<u8> {
        if args.has('i') {
            bytes.to_ascii_lowercase()
        } else {
            bytes.to_vec()
        }
    };
    let pattern = fold(pattern.as_bytes());
    let inputs = if files.is_empty() {
        alloc::vec![alloc::string::String::from("-")]
    } else {
        files.to_vec()
    };
    let named = inputs.len() > 1;
    let (mut selected, mut trouble) = (0u64, false);
    for path in &inputs {
        let fd = match cli::open_input(path) {
            Ok(fd) => fd,
            Err(e) => {
                cli::error(path, e);
                trouble = true;
                continue;
            }
        };
        let (mut count, mut number, mut partial) = (0u64, 0u64, Vec::new());
        let mut on_line = |line: &[u8]| -> Result<(), runtime::Errno> {
            number += 1;
            if matches(&pattern, &fold(line)) != args.has('v') {
                count += 1;
                if !args.has('c') {
                    let mut out = Vec::new();
                    if named {
                        out.extend_from_slice(path.as_bytes());
                        out.push(b':');
                    }
                    if args.has('n') {
                        out.extend_from_slice(alloc::format!("{number}:").as_bytes());
                    }
                    out.extend_from_slice(line);
                    out.push(b'\n');
                    write_all(1, &out)?;
                }
            }
            Ok(())
        };
        let result = cli::for_each_chunk(fd, |chunk| {
            partial.extend_from_slice(chunk);
            while let Some(end) = partial.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = partial.drain(..=end).collect();
                on_line(&line[..end])?;
            }
            Ok(())
        });
        let result = result.and_then(|()| {
            if partial.is_empty() {
                Ok(())
            } else {
                on_line(&partial)
            }
        });
        cli::close_input(fd);
        if let Err(e) = result {
            cli::error(path, e);
            trouble = true;
        }
        if args.has('c') {
            if named {
                println!("{path}:{count}");
            } else {
                println!("{count}");
            }
        }
        selected += count;
    }
    if trouble {
        TROUBLE
    } else if selected == 0 {
        NO_MATCH
    } else {
        0
    }
}
