//! `heapbench`: Ferrite's heap against `talc` and `linked_list_allocator`, on three workloads.
//!
//! Every allocator gets the same arena (page aligned, from the host's allocator) and replays the
//! same pre-generated sequence of allocations and frees, so the only difference is the
//! algorithm. The workloads come from the `heapload` crate, which the kernel's `heap_vs_talc`
//! test kernel shares, so the host figures and the exact in-kernel instruction counts measure the
//! same streams: `mixed` (kernel-like sizes and lifetimes), `small_fixed` (many long-lived
//! objects of five small sizes) and `torture` (interleaved small and large blocks, holes on
//! purpose).
//!
//! Two figures per allocator and workload:
//!
//! * **throughput**: operations (allocations + frees) per second over the whole sequence, the
//!   median of several runs, each on a fresh allocator;
//! * **efficiency at first failure**: in a small arena, the workload's *fill* stream (the live
//!   set keeps growing, with holes left behind) until the first allocation fails; the bytes then
//!   live, over the arena's size. It measures how much of its memory an allocator can really
//!   hand out once fragmented, metadata and rounding included. The median over several seeds.
//!
//! `./x.py bench` runs this in release mode. Host timings are noisy on a shared machine; the
//! test kernel counts instructions exactly for the same streams.

use core::alloc::Layout;
use core::ptr::NonNull;
use heapload::{Generator, Mode, Op, Workload};
use std::time::Instant;

/// The arena for the throughput runs.
const ARENA: usize = 64 << 20;
/// The arena for the efficiency runs: small, so it fills.
const SMALL_ARENA: usize = 4 << 20;
/// Operations in each throughput sequence (before the frees that drain it).
const OPS: usize = 1_000_000;
/// The live bytes the throughput sequences hover around.
const LIVE_TARGET: usize = 8 << 20;
/// Runs per figure (and seeds per efficiency figure); the median is reported.
const RUNS: usize = 5;
/// Bytes in a page.
const PAGE: usize = 4096;

/// The allocator interface the benchmark drives.
trait Allocator {
    fn name(&self) -> &'static str;
    /// A fresh allocator over `arena` of `size` bytes.
    fn make(arena: *mut u8, size: usize) -> Self
    where
        Self: Sized;
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>>;
    /// # Safety
    /// `ptr` came from `alloc(layout)` and was not freed.
    unsafe fn free(&mut self, ptr: NonNull<u8>, layout: Layout);
}

/// Ferrite's heap maps and unmaps pages inside the arena: the memory is all there already, so
/// both cost nothing here (in the kernel they are page-table updates).
struct InArena;

impl heap::Pages for InArena {
    fn map(&mut self, _from: usize, _bytes: usize) -> bool {
        true
    }

    fn unmap(&mut self, _from: usize, _bytes: usize) {}
}

struct Ferrite(heap::Heap);

impl Allocator for Ferrite {
    fn name(&self) -> &'static str {
        "ferrite"
    }

    fn make(arena: *mut u8, size: usize) -> Self {
        let base = arena as usize;
        // SAFETY: the arena is a live, page-aligned buffer of `size` bytes owned by this run.
        let heap = unsafe { heap::Heap::new(base, size, &mut InArena) };
        Ferrite(heap.expect("arena is usable"))
    }

    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        self.0.allocate(layout, &mut InArena)
    }

    unsafe fn free(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.deallocate(ptr, layout, &mut InArena) }
    }
}

struct LinkedList(linked_list_allocator::Heap);

impl Allocator for LinkedList {
    fn name(&self) -> &'static str {
        "linked_list"
    }

    fn make(arena: *mut u8, size: usize) -> Self {
        let mut heap = linked_list_allocator::Heap::empty();
        // SAFETY: the arena is a live buffer of `size` bytes owned by this run.
        unsafe { heap.init(arena, size) };
        LinkedList(heap)
    }

    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        self.0.allocate_first_fit(layout).ok()
    }

    unsafe fn free(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.deallocate(ptr, layout) }
    }
}

struct Talc(talc::base::Talc<talc::source::Manual, talc::DefaultBinning>);

impl Allocator for Talc {
    fn name(&self) -> &'static str {
        "talc"
    }

    fn make(arena: *mut u8, size: usize) -> Self {
        let mut talc = talc::base::Talc::new(talc::source::Manual);
        // SAFETY: the arena is a live buffer of `size` bytes owned by this run.
        unsafe { talc.claim(arena, size) }.expect("talc accepts the arena");
        Talc(talc)
    }

    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        // SAFETY: the workload never asks for zero bytes.
        unsafe { self.0.allocate(layout) }
    }

    unsafe fn free(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.deallocate(ptr.as_ptr(), layout) }
    }
}

/// A page-aligned buffer from the host.
struct Arena {
    ptr: *mut u8,
    layout: Layout,
}

impl Arena {
    fn new(size: usize) -> Arena {
        let layout = Layout::from_size_align(size, PAGE).expect("valid layout");
        // SAFETY: non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        assert!(!ptr.is_null(), "the host could not provide the arena");
        Arena { ptr, layout }
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.ptr, self.layout) }
    }
}

/// Replays `ops` once on a fresh allocator; returns operations per second.
fn throughput<A: Allocator>(ops: &[Op], slots: usize) -> f64 {
    let arena = Arena::new(ARENA);
    let mut allocator = A::make(arena.ptr, ARENA);
    let mut table: Vec<Option<(NonNull<u8>, Layout)>> = vec![None; slots];
    let start = Instant::now();
    for op in ops {
        match *op {
            Op::Alloc { slot, size, align } => {
                let layout = Op::layout(size, align);
                let ptr = allocator
                    .alloc(layout)
                    .expect("the throughput arena is large enough");
                // Touch the block, as a real caller would.
                // SAFETY: the block has at least one byte.
                unsafe { ptr.as_ptr().write(slot as u8) };
                table[slot as usize] = Some((ptr, layout));
            }
            Op::Free { slot } => {
                let (ptr, layout) = table[slot as usize].take().expect("allocated before freed");
                // SAFETY: allocated above with this layout, freed once.
                unsafe { allocator.free(ptr, layout) };
            }
        }
    }
    ops.len() as f64 / start.elapsed().as_secs_f64()
}

/// Runs `workload`'s fill stream in a small arena until the first allocation fails; returns the
/// fraction of the arena that was live (requested bytes) at that moment.
fn efficiency<A: Allocator>(workload: Workload, seed: u64) -> f64 {
    let arena = Arena::new(SMALL_ARENA);
    let allocator = core::cell::RefCell::new(A::make(arena.ptr, SMALL_ARENA));
    let live = heapload::live_at_first_failure(
        workload,
        seed,
        |layout| allocator.borrow_mut().alloc(layout),
        // SAFETY: `live_at_first_failure` frees each block it allocated once, with its layout.
        |ptr, layout| unsafe { allocator.borrow_mut().free(ptr, layout) },
    );
    live as f64 / SMALL_ARENA as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Both figures for one allocator on one workload: (name, ops/s, efficiency).
fn measure<A: Allocator>(workload: Workload, ops: &[Op], slots: usize) -> (&'static str, f64, f64) {
    let rate = median((0..RUNS).map(|_| throughput::<A>(ops, slots)).collect());
    let fill = median(
        (1..=RUNS as u64)
            .map(|seed| efficiency::<A>(workload, seed))
            .collect(),
    );
    let arena = Arena::new(PAGE * 4);
    let name = A::make(arena.ptr, PAGE * 4).name();
    (name, rate, fill)
}

fn main() {
    // `heapbench WORKLOAD` runs one workload, `heapbench WORKLOAD ferrite` (or `talc`) only that
    // allocator on it (for a profiler: `valgrind --tool=callgrind`).
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only = args.get(1).map(String::as_str);
    println!(
        "{OPS} operations per workload, live set around {} MiB; efficiency in a {} MiB arena; \
         median of {RUNS} runs (linked_list: a run of {} operations)",
        LIVE_TARGET >> 20,
        SMALL_ARENA >> 20,
        OPS / 20
    );
    println!(
        "{:12} {:12} {:>12} {:>11} {:>14} {:>13}",
        "workload", "allocator", "ops/s", "efficiency", "ops/s vs talc", "eff. vs talc"
    );
    for workload in Workload::ALL {
        if args.first().is_some_and(|a| a != workload.name()) {
            continue;
        }
        let stream = |ops| {
            let mut generator = Generator::new(
                workload,
                Mode::Steady {
                    live_bytes: LIVE_TARGET,
                },
                0xFE22_17E0,
            );
            let ops = generator.take_and_drain(ops);
            (ops, generator.slots())
        };
        let (ops, slots) = stream(OPS);
        if let Some(only) = only {
            let (name, rate, fill) = match only {
                "talc" => measure::<Talc>(workload, &ops, slots),
                _ => measure::<Ferrite>(workload, &ops, slots),
            };
            println!(
                "{:12} {name:12} {rate:>12.0} {:>10.2}%",
                workload.name(),
                fill * 100.0
            );
            continue;
        }
        // The linked list searches every free block; a twentieth of the run says enough.
        let (short, short_slots) = stream(OPS / 20);
        let rows = [
            measure::<Ferrite>(workload, &ops, slots),
            measure::<Talc>(workload, &ops, slots),
            measure::<LinkedList>(workload, &short, short_slots),
        ];
        let (_, talc_rate, talc_fill) = rows[1];
        for (name, rate, fill) in rows {
            println!(
                "{:12} {:12} {:>12.0} {:>10.2}% {:>13.2}x {:>12.4}x",
                workload.name(),
                name,
                rate,
                fill * 100.0,
                rate / talc_rate,
                fill / talc_fill
            );
        }
    }
}
