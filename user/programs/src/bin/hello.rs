//! `hello`: the first program. It prints one line from ring 3 and exits with status 0; if it
//! runs, the whole path works: the ramdisk, the ELF loader, the start-up stack, `write` and
//! `exit_group`.

#![no_std]
#![no_main]

use runtime::println;

runtime::entry!(main);

fn main() -> i32 {
    println!(
        "Hello from ring 3! I am process {}.",
        runtime::sys::getpid()
    );
    0
}
