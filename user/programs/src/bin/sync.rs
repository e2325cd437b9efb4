//! `sync`: makes every change to the disk durable now, instead of at the next commit of the log
//! (every few seconds).

#![no_std]
#![no_main]

use runtime::{cli, sys};

runtime::entry!(main);

fn main() -> i32 {
    let args = match cli::parse("", "sync") {
        Ok(args) => args,
        Err(status) => return status,
    };
    if !args.operands.is_empty() {
        return cli::show_usage("sync");
    }
    sys::sync();
    0
}
