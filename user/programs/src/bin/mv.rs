//! `mv SOURCE... TARGET`: renames, or moves into the directory TARGET. Across file systems a
//! rename is impossible (`EXDEV`), so a file is copied and the original removed, as every
//! `mv` does. Moving a file onto itself is refused with Linux's words: the copy would empty it.

#![no_std]
#![no_main]

extern crate alloc;

use runtime::abi::stat::{file_type, S_IFDIR};
use runtime::{cli, fs, sys, Errno};

runtime::entry!(main);

/// The usage line.
const USAGE: &str = "mv SOURCE... TARGET";

fn main() -> i32 {
    let args = match cli::parse("", USAGE) {
        Ok(args) if args.operands.len() >= 2 => args,
        Ok(_) => return cli::show_usage(USAGE),
        Err(status) => return status,
    };
    let pairs = match cli::copy_targets(&args.operands) {
        Ok(pairs) => pairs,
        Err((target, e)) => return cli::error(&target, e),
    };
    let mut status = 0;
    for (source, destination) in pairs {
        if let Err(refused) = cli::refuse_same_file(&source, &destination) {
            status = refused;
            continue;
        }
        let result = match sys::rename(&source, &destination) {
            Err(Errno::EXDEV) => copy_then_remove(&source, &destination),
            other => other,
        };
        if let Err(e) = result {
            status = cli::error(&source, e);
        }
    }
    status
}

/// A move across file systems: copy a file, then remove it.
fn copy_then_remove(source: &str, destination: &str) -> Result<(), Errno> {
    let stat = sys::stat(source)?;
    if file_type(stat.st_mode) == S_IFDIR {
        return Err(Errno::EXDEV); // moving a whole tree across file systems: not here
    }
    fs::write_file(destination, &fs::read_file(source)?)?;
    sys::unlink(source)
}
