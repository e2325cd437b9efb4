//! `rm [-rf] FILE...`: removes files; `-r` removes directories with everything in them, `-f`
//! is quiet about files that do not exist.

#![no_std]
#![no_main]

extern crate alloc;

use runtime::abi::stat::{file_type, S_IFDIR};
use runtime::{cli, sys, Errno};

runtime::entry!(main);

/// The usage line.
const USAGE: &str = "rm [-rf] FILE...";

fn main() -> i32 {
    let args = match cli::parse("rf", USAGE) {
        Ok(args) if !args.operands.is_empty() => args,
        Ok(_) => return cli::show_usage(USAGE),
        Err(status) => return status,
    };
    let mut status = 0;
    for path in &args.operands {
        match remove(path, args.has('r')) {
            Ok(()) => {}
            Err(Errno::ENOENT) if args.has('f') => {}
            Err(e) => status = cli::error(path, e),
        }
    }
    status
}

/// Removes `path`; a directory only with `recursive`, after its contents.
fn remove(path: &str, recursive: bool) -> Result<(), Errno> {
    let stat = sys::stat(path)?;
    if file_type(stat.st_mode) != S_IFDIR {
        return sys::unlink(path);
    }
    if !recursive {
        return Err(Errno::EISDIR);
    }
    for entry in runtime::fs::read_dir(path)? {
        if entry.name != "." && entry.name != ".." {
            remove(&alloc::format!("{path}/{}", entry.name), true)?;
        }
    }
    sys::rmdir(path)
}
