//! `head [-n N | -c N] [FILE...]`: prints the first N lines (10 unless told), or with `-c` the
//! first N bytes, of each file.
//!
//! `head` stops reading as soon as it has what it wants: `yes | head -n 2` prints two lines and
//! exits, and `yes`, writing into a pipe nobody reads any more, gets `SIGPIPE` and ends.

#![no_std]
#![no_main]

use runtime::cli::More;
use runtime::fs::write_all;
use runtime::{cli, println};

runtime::entry!(main);

/// Lines printed unless `-n` says otherwise.
const DEFAULT_LINES: u64 = 10;
/// The usage line.
const USAGE: &str = "head [-n N | -c N] [FILE...]";

/// How much of each file to print.
#[derive(Clone, Copy)]
enum Count {
    Lines(u64),
    Bytes(u64),
}

fn main() -> i32 {
    let args = match cli::parse("n:c:", USAGE) {
        Ok(args) => args,
        Err(status) => return status,
    };
    let count = match (args.value('n'), args.value('c')) {
        (Some(_), Some(_)) => return cli::show_usage(USAGE),
        (None, Some(bytes)) => bytes.parse().map(Count::Bytes),
        (lines, None) => lines
            .map_or(Ok(DEFAULT_LINES), str::parse)
            .map(Count::Lines),
    };
    let Ok(count) = count else {
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
        let result = print_start(fd, count);
        cli::close_input(fd);
        if let Err(e) = result {
            status = cli::error(path, e);
        }
    }
    status
}

/// Copies the first `count` lines or bytes of `fd` to standard output, reading no further.
fn print_start(fd: i32, count: Count) -> Result<(), runtime::Errno> {
    let (mut left, lines) = match count {
        Count::Lines(n) => (n, true),
        Count::Bytes(n) => (n, false),
    };
    if left == 0 {
        return Ok(());
    }
    cli::read_chunks(fd, |chunk| {
        let end = if lines {
            let mut end = chunk.len();
            for (at, _) in chunk.iter().enumerate().filter(|(_, &b)| b == b'\n') {
                left -= 1;
                if left == 0 {
                    end = at + 1;
                    break;
                }
            }
            end
        } else {
            let end = usize::try_from(left).map_or(chunk.len(), |left| left.min(chunk.len()));
            left -= end as u64;
            end
        };
        write_all(1, &chunk[..end])?;
        Ok(if left == 0 { More::No } else { More::Yes })
    })
}
