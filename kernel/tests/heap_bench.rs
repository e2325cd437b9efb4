//! A test kernel that measures the heap in guest instructions. The harness runs it under
//! `-icount shift=0,align=off,sleep=off` (`timing = "exact"` below),
//! where the TSC advances one per instruction, so the figures are exact and repeatable; it
//! reports them as `BENCH` lines, and fails only if they pass a generous bound (test kernels are
//! debug builds; `./x.py bench` boots a release build of this kernel for the real figures).
//!
//! Besides the kernel heap's own alloc/free pairs, it runs the host benchmark's three workloads
//! (the `heapload` crate: the same streams as `heapbench`) against Ferrite's heap and against
//! `talc`, each over its own arena cut from the kernel heap: instructions per operation, where
//! host timings are too noisy to settle a comparison, and the efficiency at first failure.

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

extern crate alloc;

use alloc::boxed::Box;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;
use core::alloc::Layout;
use core::ptr::NonNull;
use ferrite::arch::x86_64::read_tsc;
use heapload::{Generator, Mode, Op, Workload};

ferrite::test_kernel!(timing = "exact");

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

// ---- Ferrite's heap against talc, on the host benchmark's three workloads ------------------

/// The arena each allocator gets for the throughput runs.
const ARENA: usize = 4 << 20;
/// The arena for the efficiency runs: the host benchmark's size.
const SMALL_ARENA: usize = 4 << 20;
/// Operations per throughput run (then the frees that drain it).
const OPS: usize = 20_000;
/// The live bytes the throughput runs hover around.
const LIVE_TARGET: usize = 512 << 10;
/// Seeds per efficiency figure; the median is reported.
const SEEDS: u64 = 3;

/// What the comparison drives: an allocator over an arena of its own.
trait Arena {
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>>;
    /// # Safety
    /// `ptr` came from `alloc(layout)` and was not freed.
    unsafe fn free(&mut self, ptr: NonNull<u8>, layout: Layout);
}

/// Ferrite's heap maps nothing here: the arena is memory the kernel heap already mapped.
struct Mapped;

impl heap::Pages for Mapped {
    fn map(&mut self, _from: usize, _bytes: usize) -> bool {
        true
    }

    fn unmap(&mut self, _from: usize, _bytes: usize) {}
}

struct Ferrite(heap::Heap);

impl Arena for Ferrite {
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        self.0.allocate(layout, &mut Mapped)
    }

    unsafe fn free(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.deallocate(ptr, layout, &mut Mapped) }
    }
}

struct Talc(talc::base::Talc<talc::source::Manual, talc::DefaultBinning>);

impl Arena for Talc {
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        // SAFETY: the workloads never ask for zero bytes.
        unsafe { self.0.allocate(layout) }
    }

    unsafe fn free(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.deallocate(ptr.as_ptr(), layout) }
    }
}

/// A page-aligned buffer from the kernel heap, the arena of one run.
struct Buffer(NonNull<u8>, Layout);

impl Buffer {
    fn new(bytes: usize) -> Buffer {
        let layout = Layout::from_size_align(bytes, 4096).unwrap();
        // SAFETY: a non-zero size.
        let ptr = unsafe { alloc::alloc::alloc_zeroed(layout) };
        Buffer(
            NonNull::new(ptr).expect("the kernel heap holds the arena"),
            layout,
        )
    }

    fn make(&self, allocator: &str) -> Box<dyn Arena> {
        let (base, size) = (self.0.as_ptr(), self.1.size());
        match allocator {
            "ferrite" => {
                // SAFETY: the buffer is this run's alone, page aligned, mapped while it lives.
                let heap = unsafe { heap::Heap::new(base as usize, size, &mut Mapped) };
                Box::new(Ferrite(heap.expect("the arena suits the heap")))
            }
            _ => {
                let mut talc = talc::base::Talc::new(talc::source::Manual);
                // SAFETY: as above.
                unsafe { talc.claim(base, size) }.expect("talc accepts the arena");
                Box::new(Talc(talc))
            }
        }
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { alloc::alloc::dealloc(self.0.as_ptr(), self.1) }
    }
}

/// Replays `ops` on a fresh allocator; instructions per operation (interrupts off).
fn per_op(allocator: &str, ops: &[Op], slots: usize) -> u64 {
    let buffer = Buffer::new(ARENA);
    let mut arena = buffer.make(allocator);
    let mut table: Vec<Option<(NonNull<u8>, Layout)>> = vec![None; slots];
    let cost = x86_64::instructions::interrupts::without_interrupts(|| {
        let start = read_tsc();
        for op in ops {
            match *op {
                Op::Alloc { slot, size, align } => {
                    let layout = Op::layout(size, align);
                    let ptr = arena.alloc(layout).expect("the arena is large enough");
                    table[slot as usize] = Some((ptr, layout));
                }
                Op::Free { slot } => {
                    let (ptr, layout) = table[slot as usize].take().expect("allocated first");
                    // SAFETY: allocated above with this layout, freed once.
                    unsafe { arena.free(ptr, layout) };
                }
            }
        }
        read_tsc() - start
    });
    cost / ops.len() as u64
}

/// Runs the fill stream until the first failure; the live bytes then, per mille of the arena.
fn efficiency_permille(allocator: &str, workload: Workload, seed: u64) -> u64 {
    let buffer = Buffer::new(SMALL_ARENA);
    let arena = core::cell::RefCell::new(buffer.make(allocator));
    let live = heapload::live_at_first_failure(
        workload,
        seed,
        |layout| arena.borrow_mut().alloc(layout),
        // SAFETY: `live_at_first_failure` frees each block it allocated once, with its layout.
        |ptr, layout| unsafe { arena.borrow_mut().free(ptr, layout) },
    );
    (live * 1000 / SMALL_ARENA) as u64
}

#[test_case]
fn ferrite_and_talc_on_the_three_workloads() {
    for workload in Workload::ALL {
        let mut generator = Generator::new(
            workload,
            Mode::Steady {
                live_bytes: LIVE_TARGET,
            },
            0xFE22_17E0,
        );
        let ops = generator.take_and_drain(OPS);
        let slots = generator.slots();
        let mut line = alloc::string::String::new();
        for allocator in ["ferrite", "talc"] {
            let cost = per_op(allocator, &ops, slots);
            let mut fills: Vec<u64> = (1..=SEEDS)
                .map(|seed| efficiency_permille(allocator, workload, seed))
                .collect();
            fills.sort_unstable();
            let fill = fills[fills.len() / 2];
            let name = workload.name();
            ferrite::bench::report(
                &format!("heap.{name}.{allocator}_per_op"),
                cost,
                "instructions",
            );
            let key = format!("heap.{name}.{allocator}_efficiency_permille");
            ferrite::bench::report(&key, fill, "permille");
            line += &format!(" {allocator} {cost} instructions/op, {fill} permille;");
            // Sane figures, not a race: a debug test kernel measures too, and the comparison
            // is the regression gate's to make.
            assert!(
                (1..100_000).contains(&cost),
                "{name} {allocator}: {cost} per op"
            );
            assert!(
                (300..=1000).contains(&fill),
                "{name} {allocator}: {fill} permille"
            );
        }
        ferrite::println!("# heap {}:{line}", workload.name());
    }
}
