//! `uptime`: how long the machine has been up, from `/proc/uptime`.

#![no_std]
#![no_main]

extern crate alloc;

use runtime::{cli, println};

runtime::entry!(main);

/// Seconds in a minute and minutes in an hour.
const SIXTY: u64 = 60;

fn main() -> i32 {
    if let Err(status) = cli::parse("", "uptime") {
        return status;
    }
    let text = match runtime::fs::read_file("/proc/uptime") {
        Ok(text) => text,
        Err(e) => return cli::error("/proc/uptime", e),
    };
    let text = alloc::string::String::from_utf8_lossy(&text);
    let seconds = text.split_whitespace().next().unwrap_or("0");
    let whole: u64 = seconds
        .split('.')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    println!(
        "up {}:{:02}:{:02} ({seconds} s)",
        whole / (SIXTY * SIXTY),
        whole / SIXTY % SIXTY,
        whole % SIXTY
    );
    0
}
