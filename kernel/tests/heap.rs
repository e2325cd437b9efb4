//! A test kernel for the kernel heap: all of `alloc` works, blocks keep their contents and
//! alignment, the heap grows, running out is an error for fallible allocations, and pages that
//! fall free go back to the frame allocator.

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

extern crate alloc;

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::alloc::Layout;
use ferrite::mm::layout::KERNEL_HEAP_MAX;
use ferrite::mm::{frames, heap};

ferrite::test_kernel!();

fn mapped_bytes() -> usize {
    heap::stats().expect("the heap is up").1 .1
}

#[test_case]
fn box_vec_string_btreemap_and_arc_work() {
    let boxed = Box::new(41u64);
    assert_eq!(*boxed + 1, 42);
    let squares: Vec<u64> = (0..1000).map(|n| n * n).collect();
    assert_eq!(squares[999], 998_001);
    let mut text = String::from("fer");
    text.push_str("rite");
    assert_eq!(text, "ferrite");
    let mut map = BTreeMap::new();
    for n in 0..500u32 {
        map.insert(n.wrapping_mul(2_654_435_761), n);
    }
    assert_eq!(map.len(), 500);
    let shared = Arc::new(Vec::from([1, 2, 3]));
    let other = Arc::clone(&shared);
    assert_eq!(Arc::strong_count(&shared), 2);
    drop(other);
    assert_eq!(Arc::strong_count(&shared), 1);
}

#[test_case]
fn many_small_and_large_blocks_keep_their_contents() {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for i in 0..600usize {
        let size = if i % 10 == 0 {
            3000 + i * 37
        } else {
            1 + (i * 7) % 300
        };
        blocks.push(alloc::vec![(i % 251) as u8; size]);
    }
    // Free every other one, then allocate again into the holes.
    for i in (0..blocks.len()).step_by(2) {
        blocks[i] = Vec::new();
    }
    for i in (0..blocks.len()).step_by(2) {
        let size = 1 + (i * 13) % 500;
        blocks[i] = alloc::vec![(i % 251) as u8; size];
    }
    for (i, block) in blocks.iter().enumerate() {
        assert!(
            block.iter().all(|&b| b == (i % 251) as u8),
            "block {i} was overwritten"
        );
    }
}

#[test_case]
fn alignment_up_to_a_page_is_honoured() {
    for align in [8, 16, 64, 256, 1024, 4096] {
        for size in [1, 24, 100, 2048, 5000] {
            let layout = Layout::from_size_align(size, align).unwrap();
            // SAFETY: a non-zero size; the block is freed right after with the same layout.
            unsafe {
                let p = alloc::alloc::alloc(layout);
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0, "size {size} align {align}");
                alloc::alloc::dealloc(p, layout);
            }
        }
    }
}

#[test_case]
fn the_heap_grows_past_its_initial_size_by_mapping_frames() {
    let (_, (_, mapped)) = heap::stats().expect("the heap is up");
    let free_frames = frames::counts().unwrap().free;
    // More than all the heap has mapped, so it must map new pages.
    const GROWTH: usize = 4 * 1024 * 1024;
    let size = mapped + GROWTH;
    let big: Vec<u8> = alloc::vec![7; size];
    assert!(mapped_bytes() >= mapped + GROWTH, "the heap grew");
    assert!(
        frames::counts().unwrap().free <= free_frames - GROWTH / 4096,
        "with frames from the frame allocator"
    );
    assert_eq!(big[size - 1], 7);
}

#[test_case]
fn a_failed_try_reserve_is_an_error_and_the_heap_still_works() {
    let mut huge: Vec<u8> = Vec::new();
    let failures_before = heap::stats().unwrap().0.failures;
    assert!(
        huge.try_reserve(KERNEL_HEAP_MAX as usize * 2).is_err(),
        "more than the heap may ever hold"
    );
    assert!(heap::stats().unwrap().0.failures > failures_before);
    let small = Box::new([1u8; 64]);
    assert_eq!(small[63], 1, "a later small allocation succeeds");
}

#[test_case]
fn freeing_everything_returns_the_counters_to_where_they_were() {
    let (before, _) = heap::stats().unwrap();
    {
        let mut nested: Vec<Vec<u32>> = Vec::new();
        for i in 0..200 {
            nested.push((0..i).collect());
        }
        let _text: String = nested
            .iter()
            .map(|v| if v.len() % 2 == 0 { 'a' } else { 'b' })
            .collect();
    }
    let (after, _) = heap::stats().unwrap();
    assert_eq!(
        (after.live_blocks, after.requested_bytes),
        (before.live_blocks, before.requested_bytes)
    );
}

#[test_case]
fn growing_and_shrinking_in_place_or_by_moving_keeps_the_contents() {
    let mut numbers: Vec<u32> = Vec::new();
    for n in 0..50_000 {
        numbers.push(n); // reallocates many times, from a small class to page runs
    }
    assert!(numbers.iter().enumerate().all(|(i, &n)| n == i as u32));
    numbers.truncate(10);
    numbers.shrink_to_fit(); // back down to a small block
    assert_eq!(numbers, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

#[test_case]
fn freed_heap_pages_go_back_to_the_frame_allocator() {
    let frames_before = frames::counts().unwrap().free;
    let mapped_before = mapped_bytes();
    // Eight MiB in blocks of all sizes, then all of it freed, in an order that leaves holes
    // first (every other block) and merges them after.
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    let mut total = 0;
    let mut i = 0usize;
    while total < 8 * 1024 * 1024 {
        let size = match i % 4 {
            0 => 24 + i % 200,
            1 => 1000 + (i * 37) % 3000,
            _ => 8 * 1024 + (i * 101) % (56 * 1024),
        };
        blocks.push(alloc::vec![(i % 251) as u8; size]);
        total += size;
        i += 1;
    }
    let frames_at_peak = frames::counts().unwrap().free;
    assert!(
        frames_at_peak + 8 * 1024 * 1024 / 4096 <= frames_before,
        "the heap took frames for the blocks"
    );
    for i in (0..blocks.len()).step_by(2) {
        blocks[i] = Vec::new();
    }
    drop(blocks);
    let frames_after = frames::counts().unwrap().free;
    let mapped_after = mapped_bytes();
    // Every frame came back but the heap's reserve of free memory (and a few pages holding
    // free chunks' headers, or cached slabs).
    let kept = (heap::RESERVE + heap::RELEASE_MIN) / 4096 + 32;
    assert!(
        frames_after + kept >= frames_before,
        "{} frames kept of {} taken",
        frames_before - frames_after,
        frames_before - frames_at_peak
    );
    assert!(mapped_after <= mapped_before + kept * 4096);
    let stats = heap::stats().unwrap().0;
    assert!(stats.released_pages >= 1024, "the heap gave pages back");
}
