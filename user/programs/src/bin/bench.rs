//! `bench`: what user space costs, measured from user space with the time-stamp counter, and
//! printed as `BENCH` lines. Under QEMU's `-icount shift=0` the counter advances once per guest
//! instruction, so the figures are exact instruction counts (`./x.py bench` runs it that way,
//! through the `user_bench` test kernel); elsewhere they are cycles.
//!
//! * `syscall.null_round_trip`: `getpid`, from user mode into the kernel and back;
//! * `process.switch_round_trip`: two processes taking turns with `sched_yield` (each turn
//!   switches threads and page tables);
//! * `process.fork_exit_wait`: `fork`, the child's `exit`, the parent's `wait4`;
//! * `process.spawn_hello`: the same with an `execve` of `hello` in the child.

#![no_std]
#![no_main]

use runtime::{println, sys};

runtime::entry!(main);

/// Calls per figure for the cheap operations.
const ROUNDS: u64 = 2_000;
/// Rounds for the expensive ones.
const PROCESS_ROUNDS: u64 = 20;
/// Programs started for the spawn figure (each prints a line).
const SPAWN_ROUNDS: u64 = 5;

/// The time-stamp counter (allowed in ring 3 unless the kernel sets CR4.TSD, which Ferrite
/// does not).
fn tsc() -> u64 {
    // SAFETY: `rdtsc` only reads the counter into registers.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Prints one figure in the format the host's bench tool reads.
fn report(name: &str, value: u64) {
    println!("BENCH {name}={value} unit=instructions");
}

fn main() -> i32 {
    // A warm-up call: the first touches pages the later ones find mapped.
    let _ = sys::getpid();
    let start = tsc();
    for _ in 0..ROUNDS {
        core::hint::black_box(sys::getpid());
    }
    report("syscall.null_round_trip", (tsc() - start) / ROUNDS);

    let Ok(child) = sys::fork() else {
        println!("bench: fork failed");
        return 1;
    };
    if child == 0 {
        for _ in 0..ROUNDS {
            let _ = sys::sched_yield();
        }
        sys::exit_group(0);
    }
    let start = tsc();
    for _ in 0..ROUNDS {
        let _ = sys::sched_yield();
    }
    let elapsed = tsc() - start;
    let _ = sys::wait4(child as i32, 0);
    report("process.switch_round_trip", elapsed / ROUNDS);

    let start = tsc();
    for _ in 0..PROCESS_ROUNDS {
        match sys::fork() {
            Ok(0) => sys::exit_group(0),
            Ok(pid) => {
                let _ = sys::wait4(pid as i32, 0);
            }
            Err(_) => return 1,
        }
    }
    report("process.fork_exit_wait", (tsc() - start) / PROCESS_ROUNDS);

    let start = tsc();
    for _ in 0..SPAWN_ROUNDS {
        match sys::fork() {
            Ok(0) => {
                sys::execve(b"/bin/hello\0", &[b"hello\0"], &[]);
                sys::exit_group(127)
            }
            Ok(pid) => {
                let _ = sys::wait4(pid as i32, 0);
            }
            Err(_) => return 1,
        }
    }
    report("process.spawn_hello", (tsc() - start) / SPAWN_ROUNDS);
    0
}
