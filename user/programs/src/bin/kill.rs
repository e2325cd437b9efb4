//! `kill [-SIGNAL] PID...`: sends a signal (SIGTERM unless told; by number or name, `-9` or
//! `-KILL`) to each process. A negative PID names a process group.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use runtime::abi::signal;
use runtime::{cli, sys};

runtime::entry!(main);

/// The usage line.
const USAGE: &str = "kill [-SIGNAL] PID...";

fn main() -> i32 {
    let words: Vec<&str> = runtime::args().skip(1).collect();
    // A first word starting with `-`, with more words after it, is the signal.
    let (number, pids) = match words.split_first() {
        Some((first, rest)) if first.starts_with('-') && !rest.is_empty() => {
            let name = &first[1..];
            match name.parse::<i32>().ok().or_else(|| by_name(name)) {
                Some(number) => (number, rest),
                None => {
                    runtime::eprintln!("kill: unknown signal {name}");
                    return cli::show_usage(USAGE);
                }
            }
        }
        _ => (signal::SIGTERM, &words[..]),
    };
    if pids.is_empty() {
        return cli::show_usage(USAGE);
    }
    let mut status = 0;
    for word in pids {
        let Ok(pid) = word.parse::<i32>() else {
            return cli::show_usage(USAGE);
        };
        let result = if pid < 0 {
            sys::kill_group(pid.unsigned_abs(), number)
        } else {
            sys::kill(pid as u32, number)
        };
        if let Err(e) = result {
            status = cli::error(word, e);
        }
    }
    status
}

/// A signal's number from its name, with or without `SIG`.
fn by_name(name: &str) -> Option<i32> {
    let name = name.strip_prefix("SIG").unwrap_or(name);
    (1..=signal::SIGRTMAX).find(|&n| {
        signal::signal_name(n).is_some_and(|full| full.strip_prefix("SIG").unwrap_or(full) == name)
    })
}
