//! A test kernel that panics three calls deep, so that the panic's backtrace can be checked: the
//! kernel side passes on the panic message, and tests/system/test_backtrace.py reads the log and
//! checks that the host's tools name `inner`, `middle` and `outer`, in that order, at their lines
//! in this file.

#![no_std]
#![no_main]

ferrite::should_panic_kernel!(
    "backtrace::a_panic_prints_its_calls",
    "three calls deep",
    outer
);

#[inline(never)]
fn outer() {
    middle();
    core::hint::black_box(());
}

#[inline(never)]
fn middle() {
    inner();
    core::hint::black_box(());
}

#[inline(never)]
fn inner() {
    panic!("on purpose, three calls deep");
}
