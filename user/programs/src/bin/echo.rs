//! `echo [-n] [WORD...]`: prints its arguments separated by spaces, then a newline (not with
//! `-n`). Only `-n` is an option; anything else is printed as it is, as POSIX asks.

#![no_std]
#![no_main]

extern crate alloc;

use runtime::fs::write_all;

runtime::entry!(main);

fn main() -> i32 {
    let mut words = runtime::args().skip(1).peekable();
    let newline = words.peek() != Some(&"-n");
    if !newline {
        words.next();
    }
    let mut line = alloc::vec::Vec::new();
    for (i, word) in words.enumerate() {
        if i > 0 {
            line.push(b' ');
        }
        line.extend_from_slice(word.as_bytes());
    }
    if newline {
        line.push(b'\n');
    }
    match write_all(1, &line) {
        Ok(()) => 0,
        Err(e) => runtime::cli::error("write", e),
    }
}
