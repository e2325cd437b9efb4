//! `yes [STRING...]`: prints `y` (or the strings, joined by spaces) on a line, again and again,
//! until the reader goes away.
//!
//! It is the classic endless writer, and so the test of every program that stops reading early
//! (`yes | head -n 2`): when the reader exits, `yes`'s next write fails with `EPIPE` and the
//! kernel's `SIGPIPE` ends it. Lines are written many at a time, as GNU `yes` does.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use runtime::cli;
use runtime::fs::write_all;

runtime::entry!(main);

/// About how many bytes each write carries.
const BATCH: usize = 4096;

fn main() -> i32 {
    let words: Vec<String> = runtime::args().skip(1).map(String::from).collect();
    let mut line = if words.is_empty() {
        String::from("y")
    } else {
        words.join(" ")
    };
    line.push('\n');
    let copies = (BATCH / line.len()).max(1);
    let batch = line.repeat(copies);
    loop {
        if let Err(e) = write_all(1, batch.as_bytes()) {
            // Only reached if SIGPIPE did not end the program: a write error of another kind.
            return cli::error("standard output", e);
        }
    }
}
