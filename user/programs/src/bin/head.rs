//! `head [-n N] [FILE...]`: prints the first N lines (10 unless told) of each file.

#![no_std]
#![no_main]

use runtime::fs::write_all;
use runtime::{cli, println};

runtime::entry!(main);

/// Lines printed unless `-n` says otherwise.
const DEFAULT_LINES: u64 = 10;
/// The usage line.
const USAGE: &str = "head [-n N] [FILE...]";

fn main() -> i32 {
    let args = match cli::parse("n:", USAGE) {
        Ok(args) => args,
        Err(status) => return status,
    };
    let Ok(wanted) = args.value('n').map_or(Ok(DEFAULT_LINES), str::parse::<u64>) else {
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
        if inputs.len() > 1 {
            println!("{}==> {path} <==", if i > 0 { "\n" } else { "" });
        }
        let mut left = wanted;
        let result = cli::for_each_chunk(fd, |chunk| {
            if left == 0 {
                return Ok(());
            }
            let mut end = chunk.len();
            for (at, _) in chunk.iter().enumerate().filter(|(_, &b)| b == b'\n') {
                left -= 1;
                if left == 0 {
                    end = at + 1;
                    break;
                }
            }
            write_all(1, &chunk[..end])
        });
        cli::close_input(fd);
        if let Err(e) = result {
            status = cli::error(path, e);
        }
    }
    status
}
