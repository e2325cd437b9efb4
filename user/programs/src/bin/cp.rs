//! `cp SOURCE... TARGET`: copies files, into the directory TARGET if it is one.
//!
//! A file is never copied onto itself: opening the destination truncates it, so `cp f f` (or
//! the same file by another name) would empty the file before reading a byte. That is refused
//! with Linux's words, as is a directory as a source.

#![no_std]
#![no_main]

extern crate alloc;

use runtime::abi::fcntl::{O_CREAT, O_TRUNC, O_WRONLY};
use runtime::abi::stat::{file_type, S_IFDIR};
use runtime::fs::File;
use runtime::{cli, sys, Errno};

runtime::entry!(main);

/// The usage line.
const USAGE: &str = "cp SOURCE... TARGET";

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
    for (source, destination) in &pairs {
        if let Err(refused) = cli::refuse_same_file(source, destination) {
            status = refused;
        } else if let Err((what, e)) = copy(source, destination) {
            status = cli::error(what, e);
        }
    }
    status
}

/// Copies file `source` to `destination`, keeping its permissions.
fn copy<'a>(source: &'a str, destination: &'a str) -> Result<(), (&'a str, Errno)> {
    let input = File::read_only(source).map_err(|e| (source, e))?;
    let stat = sys::fstat(input.fd()).map_err(|e| (source, e))?;
    if file_type(stat.st_mode) == S_IFDIR {
        return Err((source, Errno::EISDIR));
    }
    let output = File::open(
        destination,
        O_WRONLY | O_CREAT | O_TRUNC,
        stat.st_mode & 0o777,
    )
    .map_err(|e| (destination, e))?;
    cli::copy(input.fd(), output.fd()).map_err(|e| match e {
        cli::CopyError::Read(e) => (source, e),
        cli::CopyError::Write(e) => (destination, e),
    })
}
