//! `cat [FILE...]`: copies each file (or standard input, `-` or none given) to standard output.
//!
//! Two errors are told apart: a file that cannot be read is named, and a failed write names
//! standard output (on a full disk the output is at fault, not the input) and ends the
//! program, since nothing after it could be written either. As GNU cat does, a regular file
//! that is also the standard output and still has bytes to read (`cat f >> f`) is refused:
//! copying it would append to it forever. (`cat f > f` is different: the shell empties `f`
//! before `cat` starts, by design, and `cat` then finds nothing to copy.)

#![no_std]
#![no_main]

use runtime::abi::fcntl::SEEK_CUR;
use runtime::abi::stat::{file_type, S_IFREG};
use runtime::{cli, eprintln, sys};

runtime::entry!(main);

/// What `cat` calls its output in messages.
const OUTPUT: &str = "standard output";

fn main() -> i32 {
    let args = match cli::parse("", "cat [FILE...]") {
        Ok(args) => args,
        Err(status) => return status,
    };
    let output = sys::fstat(1).ok();
    let mut status = 0;
    for path in cli::inputs(&args) {
        let fd = match cli::open_input(&path) {
            Ok(fd) => fd,
            Err(e) => {
                status = cli::error(&path, e);
                continue;
            }
        };
        let result = if output.is_some_and(|out| is_own_output(fd, &out)) {
            eprintln!("cat: {path}: input file is output file");
            status = cli::FAILURE;
            Ok(())
        } else {
            cli::copy(fd, 1)
        };
        cli::close_input(fd);
        match result {
            Ok(()) => {}
            Err(cli::CopyError::Read(e)) => status = cli::error(&path, e),
            Err(cli::CopyError::Write(e)) => return cli::error(OUTPUT, e),
        }
    }
    status
}

/// Whether input `fd` is the regular file `output` with bytes left to read.
fn is_own_output(fd: i32, output: &runtime::abi::Stat) -> bool {
    let Ok(input) = sys::fstat(fd) else {
        return false;
    };
    let position = sys::lseek(fd, 0, SEEK_CUR).unwrap_or(0);
    file_type(output.st_mode) == S_IFREG
        && cli::same_file(&input, output)
        && position < u64::try_from(input.st_size).unwrap_or(0)
}
