//! `heapbench`: Ferrite's heap against `linked_list_allocator` and `talc`, on one workload.
//!
//! Every allocator gets the same arena (page aligned, from the host's allocator) and replays the
//! same pre-generated sequence of allocations and frees, so the only difference is the
//! algorithm. The workload imitates a kernel: mostly small blocks (16-256 bytes), some medium
//! (up to 4 KiB), a few large (up to 64 KiB), alignments from 8 to 64 bytes, and a live set that
//! wanders around a target size, so frees and allocations interleave and fragmentation builds up.
//!
//! Two figures per allocator:
//!
//! * **throughput**: operations (allocations + frees) per second over the whole sequence, the
//!   median of several runs, each on a fresh allocator;
//! * **efficiency at first failure**: in a small arena, the same kind of workload with a live set
//!   that keeps growing, until the first allocation fails; the bytes then live, over the arena's
//!   size. It measures how much of its memory an allocator can really hand out once fragmented,
//!   metadata and rounding included.
//!
//! `./x.py bench` runs this in release mode. Results vary with the host; compare the columns of
//! one run, not runs on different machines.

use core::alloc::Layout;
use core::ptr::NonNull;
use std::time::Instant;
use xorshift::Rng;

/// The arena for the throughput runs.
const ARENA: usize = 64 << 20;
/// The arena for the efficiency runs: small, so it fills.
const SMALL_ARENA: usize = 4 << 20;
/// Operations in the throughput sequence.
const OPS: usize = 2_000_000;
/// The live set the throughput workload hovers around.
const LIVE_TARGET: usize = 4_000;
/// Runs per figure; the median is reported.
const RUNS: usize = 5;
/// Bytes in a page.
const PAGE: usize = 4096;

/// One step of a workload.
#[derive(Clone, Copy)]
enum Op {
    /// Allocate `layout` into slot `slot`.
    Alloc(usize, Layout),
    /// Free slot `slot`.
    Free(usize),
}

/// A size and alignment drawn from the kernel-like distribution.
fn random_layout(rng: &mut Rng) -> Layout {
    let size = match rng.below(100) {
        0..=74 => 16 + rng.below(241) as usize,
        75..=94 => 257 + rng.below(3840) as usize,
        _ => 4097 + rng.below(61_440) as usize,
    };
    let align = [8, 8, 8, 16, 16, 64][rng.below(6) as usize];
    Layout::from_size_align(size, align).expect("valid layout")
}

/// The throughput workload: allocations and frees keeping about `LIVE_TARGET` blocks live.
fn workload(seed: u64) -> (Vec<Op>, usize) {
    let mut rng = Rng::new(seed);
    let mut ops = Vec::with_capacity(OPS);
    let mut live: Vec<usize> = Vec::new();
    let mut slots = 0;
    while ops.len() < OPS {
        let allocate = live.is_empty()
            || (live.len() < LIVE_TARGET * 2
                && rng.below(LIVE_TARGET as u64 * 2) >= live.len() as u64);
        if allocate {
            ops.push(Op::Alloc(slots, random_layout(&mut rng)));
            live.push(slots);
            slots += 1;
        } else {
            let slot = live.swap_remove(rng.below(live.len() as u64) as usize);
            ops.push(Op::Free(slot));
        }
    }
    for slot in live {
        ops.push(Op::Free(slot));
    }
    (ops, slots)
}

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

/// Grows Ferrite's heap inside the arena: the memory is all there already.
struct InArena;

impl heap::Grow for InArena {
    fn grow(&mut self, _from: usize, _bytes: usize) -> bool {
        true
    }
}

struct Ferrite(heap::Heap);

impl Allocator for Ferrite {
    fn name(&self) -> &'static str {
        "ferrite (size classes + page runs)"
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
        unsafe { self.0.deallocate(ptr, layout) }
    }
}

struct LinkedList(linked_list_allocator::Heap);

impl Allocator for LinkedList {
    fn name(&self) -> &'static str {
        "linked_list_allocator 0.10"
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
        "talc 5"
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
            Op::Alloc(slot, layout) => {
                let ptr = allocator
                    .alloc(layout)
                    .expect("the throughput arena is large enough");
                // Touch the block, as a real caller would.
                // SAFETY: the block has at least one byte.
                unsafe { ptr.as_ptr().write(slot as u8) };
                table[slot] = Some((ptr, layout));
            }
            Op::Free(slot) => {
                let (ptr, layout) = table[slot].take().expect("allocated before freed");
                // SAFETY: allocated above with this layout, freed once.
                unsafe { allocator.free(ptr, layout) };
            }
        }
    }
    ops.len() as f64 / start.elapsed().as_secs_f64()
}

/// Fills a small arena with a growing live set until the first failure; returns the fraction of
/// the arena that was live (requested bytes) at that moment.
fn efficiency<A: Allocator>(seed: u64) -> f64 {
    let arena = Arena::new(SMALL_ARENA);
    let mut allocator = A::make(arena.ptr, SMALL_ARENA);
    let mut rng = Rng::new(seed);
    let mut live: Vec<(NonNull<u8>, Layout)> = Vec::new();
    let mut live_bytes = 0usize;
    loop {
        // Two allocations for every free: the live set grows, with holes left behind.
        if rng.below(3) == 0 && !live.is_empty() {
            let (ptr, layout) = live.swap_remove(rng.below(live.len() as u64) as usize);
            live_bytes -= layout.size();
            // SAFETY: allocated below with this layout, freed once.
            unsafe { allocator.free(ptr, layout) };
            continue;
        }
        let layout = random_layout(&mut rng);
        match allocator.alloc(layout) {
            Some(ptr) => {
                live_bytes += layout.size();
                live.push((ptr, layout));
            }
            None => return live_bytes as f64 / SMALL_ARENA as f64,
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs both figures for one allocator and prints its row.
fn measure<A: Allocator>(ops: &[Op], slots: usize) -> (f64, f64) {
    let rate = median((0..RUNS).map(|_| throughput::<A>(ops, slots)).collect());
    let fill = median((1..=RUNS as u64).map(efficiency::<A>).collect());
    let arena = Arena::new(PAGE * 4);
    let name = A::make(arena.ptr, PAGE * 4).name();
    println!("{name:38} {:>12.0} {:>10.1}%", rate, fill * 100.0);
    (rate, fill)
}

fn main() {
    let (ops, slots) = workload(0xFE22_17E0);
    println!(
        "{} operations, live set around {LIVE_TARGET} blocks; median of {RUNS} runs",
        ops.len()
    );
    println!("{:38} {:>12} {:>11}", "allocator", "ops/s", "efficiency");
    let ferrite = measure::<Ferrite>(&ops, slots);
    let linked = measure::<LinkedList>(&ops, slots);
    let talc = measure::<Talc>(&ops, slots);
    println!(
        "ferrite vs linked_list_allocator: {:.1}x the throughput; vs talc: {:.2}x",
        ferrite.0 / linked.0,
        ferrite.0 / talc.0
    );
}
