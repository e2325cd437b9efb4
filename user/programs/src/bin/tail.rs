//! `tail [-n N] [FILE...]`: prints the last N lines (10 unless told) of each file. It reads the
//! whole input, keeping only what could still be among the last N lines.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use runtime::fs::write_all;
use runtime::{cli, println};

runtime::entry!(main);

/// Lines printed unless `-n` says otherwise.
const DEFAULT_LINES: usize = 10;
/// The usage line.
const USAGE: &str = "tail [-n N] [FILE...]";

fn main() -> i32 {
    let args = match cli::parse("n:", USAGE) {
        Ok(args) => args,
        Err(status) => return status,
    };
    let Ok(wanted) = args
        .value('n')
        .map_or(Ok(DEFAULT_LINES), str::parse::<usize>)
    else {
        return cli::show_usage(USAGE);
    };
    let inputs = cli::inputs(&args);
    let mut status = 0;
    for (i, path) in inputs.iter().enumerate() {
        let fd = match cli::open_input(path) {
            Ok(fd) => fd,
            Err(e) => {
                status = cli::error(path, e);
                continue;
            }
        };
        let mut lines: VecDeque<Vec<u8>> = VecDeque::new();
        let mut partial = Vec::new();
        let result = cli::for_each_chunk(fd, |chunk| {
            for &byte in chunk {
                partial.push(byte);
                if byte == b'\n' {
                    lines.push_back(core::mem::take(&mut partial));
                    if lines.len() > wanted {
                        lines.pop_front();
                    }
                }
            }
            Ok(())
        });
        cli::close_input(fd);
        if let Err(e) = result {
            status = cli::error(path, e);
            continue;
        }
        if !partial.is_empty() {
            lines.push_back(partial);
            if lines.len() > wanted {
                lines.pop_front();
            }
        }
        if inputs.len() > 1 {
            println!("{}==> {path} <==", if i > 0 { "\n" } else { "" });
        }
        for line in &lines {
            if let Err(e) = write_all(1, line) {
                return cli::error("write", e);
            }
        }
    }
    status
}
