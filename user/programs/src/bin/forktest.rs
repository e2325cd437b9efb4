//! `forktest [N]`: forks N children (default 100), at most [`BATCH`] alive at once, that each
//! exit with their own number, waits for them all and checks every status; then shows
//! copy-on-write at work: a child writes to a variable it shares with its parent, and the
//! parent's copy must not change.

#![no_std]
#![no_main]

use runtime::abi::wait;
use runtime::{cli, println, sys};

runtime::entry!(main);

/// Children to fork when no count is given.
const DEFAULT_CHILDREN: u32 = 100;
/// Most children alive at once (the kernel has room for 128 threads in all).
const BATCH: u32 = 100;
/// The usage line.
const USAGE: &str = "forktest [N] (N children, 1 or more; default 100)";

fn main() -> i32 {
    let args = match cli::parse("", USAGE) {
        Ok(args) => args,
        Err(status) => return status,
    };
    let children = match args.operands.as_slice() {
        [] => DEFAULT_CHILDREN,
        [count] => match count.parse::<u32>() {
            Ok(count) if count > 0 => count,
            _ => return cli::show_usage(USAGE),
        },
        _ => return cli::show_usage(USAGE),
    };
    let mut seen = 0u32;
    let mut sum = 0u64;
    let mut forked = 0u32;
    while forked < children {
        let batch = BATCH.min(children - forked);
        for i in forked..forked + batch {
            match sys::fork() {
                Ok(0) => sys::exit_group((i % 256) as i32),
                Ok(_) => {}
                Err(e) => {
                    println!("forktest: fork {i} failed: {}", cli::describe_fork_error(e));
                    return 1;
                }
            }
        }
        forked += batch;
        while let Ok(Some((_, status))) = sys::wait4(-1, 0) {
            if !wait::exited(status) {
                println!("forktest: a child did not exit normally (status {status:#x})");
                return 1;
            }
            seen += 1;
            sum += u64::from(wait::exit_code(status));
        }
    }
    let expected: u64 = (0..children).map(|i| u64::from(i % 256)).sum();
    if seen != children || sum != expected {
        println!("forktest: {seen} of {children} children collected, statuses sum {sum}, expected {expected}");
        return 1;
    }
    println!("forktest: {children} children forked, exited and collected");
    let mut shared = [7u8; 4096];
    match sys::fork() {
        Ok(0) => {
            shared.fill(9);
            sys::exit_group(i32::from(core::hint::black_box(&shared)[100]))
        }
        Ok(child) => {
            let status = sys::wait4(child as i32, 0)
                .ok()
                .flatten()
                .map(|(_, s)| s)
                .unwrap_or(0);
            let parent_sees = core::hint::black_box(&shared)[100];
            println!(
                "forktest: the child wrote {}, the parent still sees {parent_sees}",
                wait::exit_code(status)
            );
            if parent_sees != 7 || wait::exit_code(status) != 9 {
                return 1;
            }
        }
        Err(e) => {
            println!("forktest: fork failed: {e:?}");
            return 1;
        }
    }
    println!("forktest: ok");
    0
}
