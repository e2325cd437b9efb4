//! `ln [-fs] TARGET LINK` and `ln [-fs] TARGET... DIR`: gives files more names.
//!
//! A hard link is a second directory entry for the same inode: both names are the same file,
//! equally, and it lives until the last name goes (`ls -l` counts them). It cannot cross file
//! systems (`EXDEV`) nor name a directory (`EPERM`). With `-s` LINK is a symbolic link instead:
//! a small file holding TARGET's text as it was typed, which lookups follow; it may name
//! anything, anywhere, or nothing yet. `-f` removes an existing LINK first.

#![no_std]
#![no_main]

use runtime::{cli, sys, Errno};

runtime::entry!(main);

/// The usage line.
const USAGE: &str = "ln [-fs] TARGET LINK | ln [-fs] TARGET... DIR";

fn main() -> i32 {
    let args = match cli::parse("fs", USAGE) {
        Ok(args) => args,
        Err(status) => return status,
    };
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
        let made = if args.has('s') {
            sys::symlink(target, name)
        } else {
            sys::link(target, name)
        };
        if let Err(e) = made {
            let what = if e == Errno::EEXIST { name } else { target };
            status = cli::error(what, e);
        }
    }
    status
}
