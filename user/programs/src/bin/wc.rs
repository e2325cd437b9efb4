//! `wc [-lwc] [FILE...]`: counts lines, words and bytes. Without options all three; with more
//! than one file, a total. A single count of standard input is printed alone (`wc -c` → `6`),
//! as GNU's `wc` does.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use runtime::{cli, println};

runtime::entry!(main);

/// Lines, words, bytes.
#[derive(Default, Clone, Copy)]
struct Counts {
    lines: u64,
    words: u64,
    bytes: u64,
}

/// Column width when several counts or files are shown.
const WIDTH: usize = 7;

fn main() -> i32 {
    let args = match cli::parse("lwc", "wc [-lwc] [FILE...]") {
        Ok(args) => args,
        Err(status) => return status,
    };
    let all = !(args.has('l') || args.has('w') || args.has('c'));
    let shown = [
        all || args.has('l'),
        all || args.has('w'),
        all || args.has('c'),
    ];
    let inputs = cli::inputs(&args);
    let alone = inputs.len() == 1 && inputs[0] == "-" && shown.iter().filter(|s| **s).count() == 1;
    let mut total = Counts::default();
    let mut status = 0;
    for path in &inputs {
        let fd = match cli::open_input(path) {
            Ok(fd) => fd,
            Err(e) => {
                status = cli::error(path, e);
                continue;
            }
        };
        let mut counts = Counts::default();
        let mut in_word = false;
        let result = cli::for_each_chunk(fd, |chunk| {
            counts.bytes += chunk.len() as u64;
            for &byte in chunk {
                counts.lines += u64::from(byte == b'\n');
                let space = byte.is_ascii_whitespace();
                if !space && !in_word {
                    counts.words += 1;
                }
                in_word = !space;
            }
            Ok(())
        });
        cli::close_input(fd);
        if let Err(e) = result {
            status = cli::error(path, e);
            continue;
        }
        total.lines += counts.lines;
        total.words += counts.words;
        total.bytes += counts.bytes;
        print_counts(&counts, shown, if path == "-" { "" } else { path }, alone);
    }
    if inputs.len() > 1 {
        print_counts(&total, shown, "total", false);
    }
    status
}

fn print_counts(counts: &Counts, shown: [bool; 3], name: &str, alone: bool) {
    let width = if alone { 0 } else { WIDTH };
    let values = [counts.lines, counts.words, counts.bytes];
    let mut fields: Vec<String> = values
        .iter()
        .zip(shown)
        .filter(|(_, shown)| *shown)
        .map(|(value, _)| alloc::format!("{value:>width$}"))
        .collect();
    if !name.is_empty() {
        fields.push(String::from(name));
    }
    println!("{}", fields.join(" "));
}
