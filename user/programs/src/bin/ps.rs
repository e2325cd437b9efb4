//! `ps`: the processes, read from `/proc`: one directory per process, whose `status` file says
//! its name, state, parent and memory. No kernel call of its own: everything is a file.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use runtime::{cli, println};

runtime::entry!(main);

fn main() -> i32 {
    if let Err(status) = cli::parse("", "ps") {
        return status;
    }
    let entries = match runtime::fs::read_dir("/proc") {
        Ok(entries) => entries,
        Err(e) => return cli::error("/proc", e),
    };
    let mut pids: Vec<u32> = entries.iter().filter_map(|e| e.name.parse().ok()).collect();
    pids.sort_unstable();
    println!("  PID  PPID STATE  RSS(KiB) NAME");
    for pid in pids {
        // A process may end between the listing and the read: skip it then.
        let Ok(text) = runtime::fs::read_file(&alloc::format!("/proc/{pid}/status")) else {
            continue;
        };
        let text = String::from_utf8_lossy(&text);
        let field = |name: &str| -> String {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .map(|v| String::from(v.trim()))
                .unwrap_or_default()
        };
        let state = field("State");
        let rss = field("VmRSS");
        println!(
            "{pid:>5} {:>5} {:<6} {:>8} {}",
            field("PPid"),
            state.split_whitespace().next().unwrap_or("?"),
            rss.split_whitespace().next().unwrap_or("?"),
            field("Name")
        );
    }
    0
}
