//! A test kernel that runs the pipe cases of `filetests` (user/programs/src/bin/filetests.rs):
//! a 100,000-byte transfer, end of file, `EPIPE` and SIGPIPE, a thousand ping-pong round trips
//! that block both processes in turn, and two writers appending at once. Pipes are concurrency
//! code: the harness boots this kernel under icount, under real timing, and under icount with
//! each jitter seed, so the blocking and waking are tried at many different interleavings.

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

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
