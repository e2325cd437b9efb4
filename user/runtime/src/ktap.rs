//! Tests that run as programs: cases as functions, results as KTAP on standard output.
//!
//! `usertests` and `filetests` test the kernel from user space, the only way to test what a
//! program sees. Each case is a function returning an [`Outcome`]; [`run`] prints the results
//! as KTAP (`ok 3 name`), the report format the kernel's own test kernels use, so the host's
//! harness reads both with one parser. The helpers below are what most cases need: a child
//! process that runs a closure, and a wait that checks how it ended.

use crate::{println, sys};
use abi::wait;

/// A case's verdict: `Err` says what went wrong.
pub type Outcome = Result<(), alloc::string::String>;

/// A case: its name and its function.
pub type Case = (&'static str, fn() -> Outcome);

/// Fails the case with a formatted message unless `cond` holds.
#[macro_export]
macro_rules! check {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(alloc::format!($($msg)*));
        }
    };
}

/// The list of cases: each function with its name.
#[macro_export]
macro_rules! cases {
    ($($case:ident),* $(,)?) => {
        &[$((stringify!($case), $case as fn() -> $crate::ktap::Outcome)),*]
    };
}

/// Runs every case in order and prints the KTAP report; returns the exit status (1 if any
/// case failed).
pub fn run(cases: &[Case]) -> i32 {
    println!("KTAP version 1");
    println!("1..{}", cases.len());
    let mut failed = 0;
    for (number, (name, case)) in cases.iter().enumerate() {
        match case() {
            Ok(()) => println!("ok {} {name}", number + 1),
            Err(why) => {
                failed += 1;
                println!("# {why}");
                println!("not ok {} {name}", number + 1);
            }
        }
    }
    i32::from(failed > 0)
}

/// Runs the cases whose names contain one of `words` and prints only what fails, as KTAP
/// diagnostic lines (`# name: why`), for a test kernel that runs the program inside its own
/// KTAP report; returns the exit status (1 if any case failed, 2 if `words` chose none).
pub fn run_quiet(cases: &[Case], words: &[&str]) -> i32 {
    let chosen: alloc::vec::Vec<&Case> = cases
        .iter()
        .filter(|(name, _)| words.iter().any(|word| name.contains(word)))
        .collect();
    if chosen.is_empty() {
        println!("# no case matches {words:?}");
        return 2;
    }
    let mut failed = 0;
    for (name, case) in chosen {
        if let Err(why) = case() {
            failed += 1;
            println!("# {name}: {why}");
        }
    }
    i32::from(failed > 0)
}

/// Forks a child that runs `body` and exits with its result; returns the child's pid.
pub fn spawn_child(body: impl FnOnce() -> i32) -> Result<u32, alloc::string::String> {
    match sys::fork() {
        Ok(0) => sys::exit_group(body()),
        Ok(pid) => Ok(pid),
        Err(e) => Err(alloc::format!("fork failed: {e:?}")),
    }
}

/// Waits for `pid` and returns its wait status.
pub fn wait_for(pid: u32) -> Result<i32, alloc::string::String> {
    match sys::wait4(pid as i32, 0) {
        Ok(Some((got, status))) if got == pid => Ok(status),
        other => Err(alloc::format!("wait4({pid}) returned {other:?}")),
    }
}

/// Waits for `pid` and checks that it exited with `code`.
pub fn expect_exit(pid: u32, code: u8) -> Outcome {
    let status = wait_for(pid)?;
    check!(
        wait::exited(status) && wait::exit_code(status) == code,
        "child {pid}: status {status:#x}, want exit {code}"
    );
    Ok(())
}

/// Sleeps `ms` milliseconds.
pub fn nap(ms: i64) {
    let time = abi::Timespec {
        tv_sec: ms / 1000,
        tv_nsec: (ms % 1000) * 1_000_000,
    };
    let _ = sys::nanosleep(&time);
}
