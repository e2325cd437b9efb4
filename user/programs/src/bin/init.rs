//! `init`: process 1. The kernel starts it first at boot. It does two jobs:
//!
//! * It starts the shell, `/bin/sh`, on the console, in a session of its own, and starts a new
//!   one whenever the shell ends (`exit`, a crash, a `kill`). If the shell fails again and again
//!   right after starting, init gives up and ends, and the kernel's own console takes over, so a
//!   broken shell never leaves the machine without a prompt.
//! * It adopts every process whose parent ends before it does, and collects them when they
//!   end, so that no ended process stays a zombie for ever.
//!
//! `init --no-shell` (what the kernel runs when the host asked for the kernel console, or there
//! is no `/bin/sh`) does only the second.

#![no_std]
#![no_main]

use runtime::abi::{self, time::NSEC_PER_SEC, wait, Errno, Timespec};
use runtime::{eprintln, println, sys};

runtime::entry!(main);

/// How long `init` sleeps when it has no child: orphans are adopted while it sleeps and
/// collected when it wakes.
const IDLE_NAP_NS: i64 = NSEC_PER_SEC / 10;
/// A shell that ends sooner than this after starting has failed, not been exited from.
const QUICK_FAILURE_NS: i64 = 2 * NSEC_PER_SEC;
/// Quick failures in a row after which init stops restarting the shell.
const MAX_QUICK_FAILURES: u32 = 3;
/// The shell's environment: where programs are, where home is, what the terminal is.
const SHELL_ENV: [&[u8]; 3] = [b"PATH=/bin\0", b"HOME=/tmp\0", b"TERM=linux\0"];
/// The status a child exits with when the shell could not be started (a shell's "not found").
const EXEC_FAILED: i32 = 127;

fn main() -> i32 {
    let shell = !runtime::args().any(|arg| arg == "--no-shell");
    if shell {
        // Only when it owns the console: under the kernel console, a line from init would land
        // on top of the kernel's `ferrite>` prompt (the kernel logs init's start itself).
        println!(
            "init: pid {} running; it adopts orphans and collects them",
            sys::getpid()
        );
        run_shells();
        eprintln!("init: the shell keeps failing; the kernel console takes over");
        return 1;
    }
    loop {
        collect();
    }
}

/// Collects ended children, or naps if there are none.
fn collect() {
    let nap = Timespec {
        tv_sec: 0,
        tv_nsec: IDLE_NAP_NS,
    };
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

/// Nanoseconds since boot.
fn now_ns() -> i64 {
    sys::clock_gettime(abi::time::CLOCK_MONOTONIC)
        .map_or(0, |t| t.tv_sec * NSEC_PER_SEC + t.tv_nsec)
}

/// Starts shells one after another; returns once they keep failing.
fn run_shells() {
    let mut quick_failures = 0;
    while quick_failures < MAX_QUICK_FAILURES {
        let started = now_ns();
        let Ok(shell) = start_shell() else {
            quick_failures += 1;
            continue;
        };
        // Collect orphans as they come, until the shell itself ends.
        let status = loop {
            match sys::wait4(-1, 0) {
                Ok(Some((pid, status))) if pid == shell => break status,
                Ok(_) => {}
                Err(_) => {
                    let _ = sys::sched_yield();
                }
            }
        };
        let quick = now_ns() - started < QUICK_FAILURE_NS;
        let failed = !(wait::exited(status) && wait::exit_code(status) == 0);
        quick_failures = if quick && failed {
            quick_failures + 1
        } else {
            0
        };
        describe_end(status);
    }
}

/// Says how the shell ended, and that a new one comes.
fn describe_end(status: i32) {
    if wait::exited(status) {
        println!(
            "init: the shell exited with status {}; starting a new one",
            wait::exit_code(status)
        );
    } else {
        let signal = wait::term_signal(status);
        let name = abi::signal::signal_name(signal).unwrap_or("?");
        println!("init: the shell was killed by {name}; starting a new one");
    }
}

/// Forks a child that becomes `/bin/sh` in a new session whose group owns the terminal.
fn start_shell() -> Result<u32, Errno> {
    match sys::fork()? {
        0 => {
            let _ = sys::setsid();
            let group = sys::getpid() as i32;
            let _ = sys::ioctl_set(0, abi::tty::TIOCSPGRP, &group);
            let argv: [&[u8]; 1] = [b"sh\0"];
            let error = sys::execve(b"/bin/sh\0", &argv, &SHELL_ENV);
            eprintln!("init: cannot run /bin/sh: {}", error.description());
            sys::exit_group(EXEC_FAILED)
        }
        pid => Ok(pid),
    }
}
