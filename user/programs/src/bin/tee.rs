//! `tee [-a] [FILE...]`: copies standard input to standard output and to each file (`-a`
//! appends instead of replacing).

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use runtime::abi::fcntl::{O_APPEND, O_CREAT, O_TRUNC, O_WRONLY};
use runtime::cli;
use runtime::fs::{write_all, File};

runtime::entry!(main);

/// Permissions asked for a new file (the umask takes some away).
const MODE: u32 = 0o666;

fn main() -> i32 {
    let args = match cli::parse("a", "tee [-a] [FILE...]") {
        Ok(args) => args,
        Err(status) => return status,
    };
    let mode = if args.has('a') { O_APPEND } else { O_TRUNC };
    let mut status = 0;
    let mut files: Vec<File> = Vec::new();
    for path in &args.operands {
        match File::open(path, O_WRONLY | O_CREAT | mode, MODE) {
            Ok(file) => files.push(file),
            Err(e) => status = cli::error(path, e),
        }
    }
    let result = cli::for_each_chunk(0, |chunk| {
        write_all(1, chunk)?;
        for file in &files {
            file.write_all(chunk)?;
        }
        Ok(())
    });
    match result {
        Ok(()) => status,
        Err(e) => cli::error("write", e),
    }
}
