//! `true`: does nothing, successfully (status 0); shells use it in conditions and loops.

#![no_std]
#![no_main]

runtime::entry!(main);

fn main() -> i32 {
    0
}
