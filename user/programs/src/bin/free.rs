//! `free`: memory in KiB, from `/proc/meminfo`: the machine's frames (total, used, free) and
//! the kernel heap.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use runtime::{cli, println};

runtime::entry!(main);

fn main() -> i32 {
    if let Err(status) = cli::parse("", "free") {
        return status;
    }
    let text = match runtime::fs::read_file("/proc/meminfo") {
        Ok(text) => String::from_utf8_lossy(&text).into_owned(),
        Err(e) => return cli::error("/proc/meminfo", e),
    };
    let field = |name: &str| -> u64 {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    let (total, free) = (field("MemTotal"), field("MemFree"));
    println!("{:>12} {:>10} {:>10} {:>10}", "", "total", "used", "free");
    println!(
        "{:>12} {total:>10} {:>10} {free:>10}",
        "Mem (KiB):",
        total.saturating_sub(free)
    );
    let (heap, limit, used) = (field("KernelHeap"), field("HeapLimit"), field("HeapUsed"));
    println!(
        "{:>12} {limit:>10} {used:>10} {:>10}",
        "Heap (KiB):",
        limit.saturating_sub(heap)
    );
    0
}
