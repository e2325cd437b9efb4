//! `rmdir DIR...`: removes empty directories.

#![no_std]
#![no_main]

use runtime::{cli, sys};

runtime::entry!(main);

fn main() -> i32 {
    let args = match cli::parse("", "rmdir DIR...") {
        Ok(args) if !args.operands.is_empty() => args,
        Ok(_) => return cli::show_usage("rmdir DIR..."),
        Err(status) => return status,
    };
    let mut status = 0;
    for path in &args.operands {
        if let Err(e) = sys::rmdir(path) {
            status = cli::error(path, e);
        }
    }
    status
}
