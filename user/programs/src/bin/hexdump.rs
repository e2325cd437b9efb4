//! `hexdump [-C] [FILE...]`: shows bytes as hexadecimal, sixteen a line, with their offset and,
//! on the right, as characters (`.` for those that do not print), as `hexdump -C` does (the
//! `-C` is accepted and is the only format).

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use core::fmt::Write;
use runtime::fs::write_all;
use runtime::{cli, println};

runtime::entry!(main);

/// Bytes a line shows.
const PER_LINE: usize = 16;

fn main() -> i32 {
    let args = match cli::parse("C", "hexdump [-C] [FILE...]") {
        Ok(args) => args,
        Err(status) => return status,
    };
    let mut line = [0u8; PER_LINE];
    let (mut filled, mut offset, mut status) = (0usize, 0u64, 0);
    for path in cli::inputs(&args) {
        let fd = match cli::open_input(&path) {
            Ok(fd) => fd,
            Err(e) => {
                status = cli::error(&path, e);
                continue;
            }
        };
        let result = cli::for_each_chunk(fd, |chunk| {
            for &byte in chunk {
                line[filled] = byte;
                filled += 1;
                if filled == PER_LINE {
                    write_all(1, render(offset, &line).as_bytes())?;
                    offset += PER_LINE as u64;
                    filled = 0;
                }
            }
            Ok(())
        });
        cli::close_input(fd);
        if let Err(e) = result {
            status = cli::error(&path, e);
        }
    }
    if filled > 0 {
        let _ = write_all(1, render(offset, &line[..filled]).as_bytes());
    }
    // The closing offset is the length of what was shown; with nothing shown (an empty input,
    // or only inputs that failed, like a directory) there is none, as in util-linux's hexdump.
    let total = offset + filled as u64;
    if total > 0 {
        println!("{total:08x}");
    }
    status
}

/// One line: offset, the bytes in two groups of eight, the characters.
fn render(offset: u64, bytes: &[u8]) -> String {
    let mut text = String::new();
    let _ = write!(text, "{offset:08x} ");
    for i in 0..PER_LINE {
        if i % (PER_LINE / 2) == 0 {
            text.push(' ');
        }
        match bytes.get(i) {
            Some(byte) => {
                let _ = write!(text, "{byte:02x} ");
            }
            None => text.push_str("   "),
        }
    }
    text.push_str(" |");
    text.extend(bytes.iter().map(|&b| {
        if b.is_ascii_graphic() || b == b' ' {
            b as char
        } else {
            '.'
        }
    }));
    text.push_str("|\n");
    text
}
