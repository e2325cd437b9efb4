//! A test kernel that passes only if a failed assertion really panics and the panic handler
//! reports it. If assertions were silently ignored, or the handler hung, this test would fail.

#![no_std]
#![no_main]

ferrite::should_panic_kernel!(
    "should_panic::failed_assertion_panics",
    "arithmetic is broken",
    || assert_eq!(1 + 1, 3, "arithmetic is broken on purpose")
);
