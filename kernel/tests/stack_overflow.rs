//! A test kernel that overflows the kernel stack on purpose. It passes only if the overflow ends
//! in the double-fault handler, on its own IST stack, with the words "kernel stack overflow";
//! without the guard page, the IST stack or the handler, the machine would triple-fault and
//! reset, which the harness counts as a failure.

#![no_std]
#![no_main]

use core::hint::black_box;

/// Uses a kilobyte of stack per call and cannot be turned into a loop: the result depends on the
/// recursive call, and `black_box` hides the buffer's contents from the optimiser.
#[expect(
    unconditional_recursion,
    reason = "the point is to recurse until the stack runs out"
)]
fn recurse(depth: u64) -> u64 {
    let buffer = black_box([depth as u8; 1024]);
    recurse(black_box(depth + 1)) + u64::from(buffer[(depth % 1024) as usize])
}

ferrite::should_panic_kernel!(
    "stack_overflow::overflow_is_reported_not_a_triple_fault",
    "kernel stack overflow",
    || {
        black_box(recurse(0));
    }
);
