//! `grep [-vicn] [-m NUM] PATTERN [FILE...]`: prints the lines that match PATTERN.
//!
//! The patterns are a small regular-expression language, enough for most everyday searches and
//! short enough to read in one sitting: a character matches itself, `.` any character, `c*`
//! any number of `c` (including none), `^` the start of the line and `$` its end. The matcher
//! is the classic recursive one: at each starting point, match the pattern's first item and
//! recurse on the rest, trying every length a `*` could cover.
//!
//! `-v` prints the lines that do not match, `-i` ignores case, `-c` prints only how many lines
//! matched, `-n` numbers them, `-m NUM` stops reading a file after NUM selected lines (so
//! `yes | grep -m 1 y` ends, and so does `yes`, by `SIGPIPE`). The status is 0 if a line was selected, 1 if none was, 2 for an
//! error, as POSIX says.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use runtime::cli::More;
use runtime::fs::write_all;
use runtime::{cli, println};

runtime::entry!(main);

/// The status when no line was selected.
const NO_MATCH: i32 = 1;
/// The status for an error (as grep reports even over "no match").
const TROUBLE: i32 = 2;
/// The usage line.
const USAGE: &str = "grep [-vicn] [-m NUM] PATTERN [FILE...]";

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
    let args = match cli::parse("vicnm:", USAGE) {
        Ok(args) => args,
        Err(_) => return TROUBLE,
    };
    let (Some((pattern, files)), Ok(limit)) = (
        args.operands.split_first(),
        args.value('m').map_or(Ok(u64::MAX), str::parse::<u64>),
    ) else {
        cli::show_usage(USAGE);
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
        let mut on_line = |line: &[u8]| -> Result<More, runtime::Errno> {
            if count >= limit {
                return Ok(More::No);
            }
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
            Ok(if count >= limit { More::No } else { More::Yes })
        };
        let mut more = More::Yes;
        let result = cli::read_chunks(fd, |chunk| {
            partial.extend_from_slice(chunk);
            while let Some(end) = partial.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = partial.drain(..=end).collect();
                more = on_line(&line[..end])?;
                if more == More::No {
                    break;
                }
            }
            Ok(more)
        });
        let result = result.and_then(|()| {
            if partial.is_empty() || more == More::No {
                Ok(())
            } else {
                on_line(&partial).map(|_| ())
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
