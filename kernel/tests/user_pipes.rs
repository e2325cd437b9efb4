//! A test kernel that runs user-space concurrency: the pipe cases of `filetests`
//! (user/programs/src/bin/filetests.rs: a 100,000-byte transfer, end of file, `EPIPE` and SIGPIPE,
//! a thousand ping-pong round trips that block both processes in turn, and two writers appending
//! at once), and the thread cases of `threadtests` (user/c/threadtests.c: eight threads sharing a
//! mutex, producers and consumers on condition variables, signals to threads, and a process
//! ended from one of its threads). The harness boots this kernel under icount, under real timing,
//! and under icount with each jitter seed, so the blocking and waking are tried at many
//! different interleavings. (The kernel keeps its name from when it ran pipes alone.)

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

extern crate alloc;

ferrite::test_kernel!(timing = "exact", races = true);

#[test_case]
fn the_pipe_cases_pass_under_this_timing() {
    let argv = ["filetests", "--quiet", "pipe", "writers"];
    let pid = ferrite::proc::spawn("/bin/filetests", &argv, &[], 0, false)
        .expect("the ramdisk has /bin/filetests");
    let status = ferrite::proc::wait(pid).expect("the program's process exists");
    assert!(
        abi::wait::exited(status) && abi::wait::exit_code(status) == 0,
        "filetests' pipe cases ended with status {status:#x} (their failures are above)"
    );
}

/// The `threadtests` cases that do not depend on how long anything takes.
const THREAD_CASES: [&str; 9] = [
    "many_threads",
    "detached",
    "mutex_keeps",
    "producers",
    "blocked_in_read",
    "process_signal",
    "sent_to_one_thread",
    "exit_in_a_thread",
    "fault_in_a_thread",
];

#[test_case]
fn the_thread_cases_pass_under_this_timing() {
    let mut argv = alloc::vec!["threadtests", "--quiet"];
    argv.extend(THREAD_CASES);
    let pid = ferrite::proc::spawn("/bin/threadtests", &argv, &[], 0, false)
        .expect("the ramdisk has /bin/threadtests");
    let status = ferrite::proc::wait(pid).expect("the program's process exists");
    assert!(
        abi::wait::exited(status) && abi::wait::exit_code(status) == 0,
        "threadtests ended with status {status:#x} (its failures are above)"
    );
}
