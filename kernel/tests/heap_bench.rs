//! A test kernel that measures the heap in guest instructions. The harness runs it under
//! `-icount shift=0,align=off,sleep=off` (see `EXACT_TIME` in `tools/ferrite_tools/harness.py`),
//! where the TSC advances one per instruction, so the figures are exact and repeatable; it
//! reports them as `BENCH` lines, and fails only if they pass a generous bound (test kernels are
//! debug builds; `./x.py bench` boots a release build of this kernel for the real figures).

#![no_std]
#![no_main]
#![allow(
    missing_docs,
    reason = "each test function is named for what it checks"
)]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

extern crate alloc;

use core::alloc::Layout;
use ferrite::arch::x86_64::read_tsc;

ferrite::test_kernel!(test_main);

/// Pairs measured per figure.
const PAIRS: u64 = 10_000;

/// Instructions (TSC ticks under icount) per allocate-and-free pair of `layout`, after a
/// warm-up pair that maps whatever the heap needs. Interrupts are off while measuring, so the
/// timer tick's handler is not counted.
fn cost_per_pair(layout: Layout) -> u64 {
    x86_64::instructions::interrupts::without_interrupts(|| {
        // SAFETY: a non-zero layout; each block is freed right after with the same layout.
        unsafe {
            // `black_box`: without it the compiler may drop this allocation and its free as
            // unused (Rust's allocator calls can be elided), and every pair below would then
            // set up and tear down a whole slab.
            let warm = core::hint::black_box(alloc::alloc::alloc(layout));
            assert!(!warm.is_null());
            let start = read_tsc();
            for _ in 0..PAIRS {
                let p = alloc::alloc::alloc(layout);
                core::hint::black_box(p);
                alloc::alloc::dealloc(p, layout);
            }
            let cost = (read_tsc() - start) / PAIRS;
            alloc::alloc::dealloc(warm, layout);
            cost
        }
    })
}

#[test_case]
fn a_small_allocation_and_free_stay_cheap() {
    let cost = cost_per_pair(Layout::from_size_align(64, 8).unwrap());
    ferrite::bench::report("heap.small_alloc_free", cost, "instructions");
    assert!(cost < 3_000, "{cost} instructions per 64-byte alloc+free");
}

#[test_case]
fn a_page_run_allocation_and_free_stay_cheap() {
    let cost = cost_per_pair(Layout::from_size_align(16 * 1024, 8).unwrap());
    ferrite::bench::report("heap.large_alloc_free", cost, "instructions");
    assert!(cost < 5_000, "{cost} instructions per 16 KiB alloc+free");
}
