//! `init`: process 1. The kernel starts it first at boot; it adopts every process whose parent
//! ends before it does, and collects them when they end, so that no ended process stays a
//! zombie for ever. (With files and a terminal, issue 11, it will also start the shell.)

#![no_std]
#![no_main]

use runtime::abi::{time::NSEC_PER_SEC, Errno, Timespec};
use runtime::{println, sys};

runtime::entry!(main);

/// How long `init` sleeps when it has no child: orphans are adopted while it sleeps and
/// collected when it wakes.
const IDLE_NAP_NS: i64 = NSEC_PER_SEC / 10;

fn main() -> i32 {
    println!(
        "init: pid {} running; it adopts orphans and collects them",
        sys::getpid()
    );
    let nap = Timespec {
        tv_sec: 0,
        tv_nsec: IDLE_NAP_NS,
    };
    loop {
        match sys::wait4(-1, 0) {
            Ok(_) => {}
            Err(Errno::ECHILD) => {
                let _ = sys::nanosleep(&nap);
            }
            Err(_) => {
                let _ = sys::sched_yield();
            }
        }
    }
}
