//! `args`: prints its arguments and environment, one per line, as the kernel laid them out on
//! the start-up stack; the tests compare them with what they passed.

#![no_std]
#![no_main]

use runtime::println;

runtime::entry!(main);

fn main() -> i32 {
    let args = runtime::args();
    println!("argc={}", args.remaining());
    for (i, arg) in args.enumerate() {
        println!("argv[{i}]={arg}");
    }
    for var in runtime::env() {
        println!("env {var}");
    }
    0
}
