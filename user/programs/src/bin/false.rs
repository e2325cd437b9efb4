//! `false`: does nothing, unsuccessfully (status 1).

#![no_std]
#![no_main]

runtime::entry!(main);

fn main() -> i32 {
    1
}
