//! `cat [FILE...]`: copies each file (or standard input, `-` or none given) to standard output.

#![no_std]
#![no_main]

use runtime::cli;
use runtime::fs::write_all;

runtime::entry!(main);

fn main() -> i32 {
    let args = match cli::parse("", "cat [FILE...]") {
        Ok(args) => args,
        Err(status) => return status,
    };
    let mut status = 0;
    for path in cli::inputs(&args) {
        let fd = match cli::open_input(&path) {
            Ok(fd) => fd,
            Err(e) => {
                status = cli::error(&path, e);
                continue;
            }
        };
        if let Err(e) = cli::for_each_chunk(fd, |chunk| write_all(1, chunk)) {
            status = cli::error(&path, e);
        }
        cli::close_input(fd);
    }
    status
}
