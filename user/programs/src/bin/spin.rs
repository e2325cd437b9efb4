//! `spin [SECONDS]`: burns CPU in user mode, never making a system call, for ever or for the
//! given time; for showing that the timer preempts programs and that `kill` ends them.

#![no_std]
#![no_main]

use runtime::println;

runtime::entry!(main);

fn main() -> i32 {
    let seconds: Option<i64> = runtime::args().nth(1).and_then(|s| s.parse().ok());
    println!(
        "spin: pid {} spinning{}",
        runtime::sys::getpid(),
        if seconds.is_some() { "" } else { " for ever" }
    );
    let start = now();
    let mut count: u64 = 0;
    loop {
        count = core::hint::black_box(count.wrapping_add(1));
        // Check the clock rarely, so that the loop is almost all user-mode work.
        if count % (1 << 22) == 0 {
            if let Some(seconds) = seconds {
                if now() - start >= seconds {
                    println!("spin: done after {count} rounds");
                    return 0;
                }
            }
        }
    }
}

fn now() -> i64 {
    runtime::sys::clock_gettime(runtime::abi::time::CLOCK_MONOTONIC).map_or(0, |t| t.tv_sec)
}
