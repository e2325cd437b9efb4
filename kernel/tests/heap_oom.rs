//! A test kernel whose one test passes only if an infallible allocation that cannot be met
//! stops the kernel with a message naming the request and the heap's state.

#![no_std]
#![no_main]

extern crate alloc;

ferrite::should_panic_kernel!(
    "heap_oom::an_impossible_allocation_names_its_size",
    "out of memory: an allocation of 134217728 bytes (align 1) failed; heap:",
    || {
        let big: alloc::vec::Vec<u8> = alloc::vec::Vec::with_capacity(128 * 1024 * 1024);
        core::hint::black_box(big);
    }
);
