//! A test kernel that runs the user-space benchmark program (`user/programs/src/bin/bench.rs`)
//! from the ramdisk. The program measures system calls, process switches, `fork` and `exec` from
//! ring 3 and prints `BENCH` lines; the harness runs this kernel under
//! `-icount shift=0,align=off,sleep=off`, so they are exact instruction counts, and
//! `./x.py bench` boots a release build of it for the figures it reports.

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

ferrite::test_kernel!(timing = "exact");

#[test_case]
fn the_user_benchmark_runs_to_its_end() {
    let pid = ferrite::proc::spawn("/bin/bench", &["bench"], &[], 0, false)
        .expect("the ramdisk has /bin/bench");
    let status = ferrite::proc::wait(pid).expect("the benchmark's process exists");
    assert!(
        abi::wait::exited(status) && abi::wait::exit_code(status) == 0,
        "bench ended with status {status:#x}"
    );
}
