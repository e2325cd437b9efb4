//! A test kernel whose one test passes only if a thread that overflows its stack ends in the
//! double-fault handler with "thread N stack overflow", not in a triple fault.

#![no_std]
#![no_main]

use core::hint::black_box;

/// A kilobyte of stack per call, without end.
#[expect(
    unconditional_recursion,
    reason = "the point is to recurse until the stack runs out"
)]
fn recurse(depth: u64) -> u64 {
    let buffer = black_box([depth as u8; 1024]);
    recurse(black_box(depth + 1)) + u64::from(buffer[(depth % 1024) as usize])
}

ferrite::should_panic_kernel!(
    "thread_overflow::a_thread_overflowing_its_stack_is_reported",
    "stack overflow: its stack reached its guard page",
    || {
        let handle = ferrite::sched::spawn("overflow", || black_box(recurse(0))).unwrap();
        handle.join();
    }
);
