//! Seeded allocation workloads: streams of "allocate this layout into slot n" and "free slot n"
//! that imitate what a kernel asks of its heap.
//!
//! The same stream must reach two very different runners: `heapbench` on the host, timing with
//! the wall clock, and a test kernel under QEMU's icount, counting instructions. So the
//! generators are plain `no_std` code (they need only `alloc` for their book-keeping) driven by
//! the `xorshift` generator, and a seed gives the same stream on both sides.
//!
//! Three workloads, each a different stress:
//!
//! * [`Workload::Mixed`]: mostly small blocks (16-256 bytes), some medium (to 4 KiB), a few
//!   large (to 64 KiB), alignments 8 to 64; blocks die in random order.
//! * [`Workload::SmallFixed`]: many small objects of five fixed sizes (24, 40, 64, 96 and 192
//!   bytes, the sizes of a kernel's list nodes, handles and descriptors) that mostly live long;
//!   a slow churn of short-lived ones comes and goes at the young end.
//! * [`Workload::Torture`]: fragmentation on purpose. Each round allocates small (16-511 B) and
//!   large (4-64 KiB) blocks interleaved, frees the large ones (the small ones pin the holes
//!   apart), then asks for medium blocks (1-16 KiB) that fit those holes badly.
//!
//! Each runs in one of two [`Mode`]s: *steady*, hovering around a live-byte target (for
//! throughput: a long run that never runs out), and *fill*, where the live set keeps growing
//! (for efficiency: run until the first allocation fails and see how much was live).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::alloc::Layout;
use core::ptr::NonNull;
use xorshift::Rng;

/// One step of a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Allocate `size` bytes aligned to `align` and keep the block in slot `slot`.
    Alloc {
        /// Where the runner keeps the block until it is freed.
        slot: u32,
        /// Bytes asked for (never zero).
        size: u32,
        /// Alignment asked for (a power of two).
        align: u32,
    },
    /// Free the block in slot `slot`.
    Free {
        /// A slot an earlier `Alloc` filled.
        slot: u32,
    },
}

impl Op {
    /// The layout of an allocation.
    pub fn layout(size: u32, align: u32) -> Layout {
        Layout::from_size_align(size as usize, align as usize)
            .expect("generators make valid layouts")
    }
}

/// Which kind of program the stream imitates (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Random sizes and lifetimes, mostly small.
    Mixed,
    /// Five fixed small sizes, long lifetimes, slow churn.
    SmallFixed,
    /// Interleaved small and large blocks, the large ones freed, medium ones asked for.
    Torture,
}

impl Workload {
    /// All three, in the order reports list them.
    pub const ALL: [Workload; 3] = [Workload::Mixed, Workload::SmallFixed, Workload::Torture];

    /// A short name for reports and `BENCH` lines.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Mixed => "mixed",
            Workload::SmallFixed => "small_fixed",
            Workload::Torture => "torture",
        }
    }
}

/// How the live set behaves over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Hover around `live_bytes` bytes live: allocations and frees balance.
    Steady {
        /// The live set's target size.
        live_bytes: usize,
    },
    /// Grow for ever, with frees leaving holes behind; the runner stops at the first failure.
    Fill,
}

/// The sizes of [`Workload::SmallFixed`], and how often each is asked for (weights of 100).
const FIXED_SIZES: [(u32, u64); 5] = [(24, 30), (40, 25), (64, 20), (96, 15), (192, 10)];
/// [`Workload::SmallFixed`]: how many of the youngest blocks the churn frees among.
const YOUNG: usize = 64;
/// [`Workload::Torture`]: blocks per round, small and large alternating.
const TORTURE_ROUND: usize = 64;

/// A stream of [`Op`]s from a seed. It assumes every allocation succeeds (the runner stops at
/// the first failure), and reuses the slots of freed blocks, so slots stay below
/// [`Generator::slots`].
pub struct Generator {
    workload: Workload,
    mode: Mode,
    rng: Rng,
    /// Live blocks, (slot, size).
    live: Vec<(u32, u32)>,
    live_bytes: usize,
    free_slots: Vec<u32>,
    next_slot: u32,
    /// Ops generated ahead (a torture round is made in one go), next one last.
    pending: Vec<Op>,
}

impl Generator {
    /// The stream of `workload` in `mode` for `seed`.
    pub fn new(workload: Workload, mode: Mode, seed: u64) -> Generator {
        Generator {
            workload,
            mode,
            rng: Rng::new(seed),
            live: Vec::new(),
            live_bytes: 0,
            free_slots: Vec::new(),
            next_slot: 0,
            pending: Vec::new(),
        }
    }

    /// Bytes live if every allocation so far succeeded.
    pub fn live_bytes(&self) -> usize {
        self.live_bytes
    }

    /// One more than the largest slot handed out so far.
    pub fn slots(&self) -> usize {
        self.next_slot as usize
    }

    /// The next `n` ops, then frees of everything still live, as one list for a replay.
    pub fn take_and_drain(&mut self, n: usize) -> Vec<Op> {
        let mut ops: Vec<Op> = (0..n).map(|_| self.next_op()).collect();
        ops.extend(self.pending.drain(..).rev());
        for (slot, _) in core::mem::take(&mut self.live) {
            ops.push(Op::Free { slot });
        }
        self.live_bytes = 0;
        ops
    }

    /// The next op.
    pub fn next_op(&mut self) -> Op {
        loop {
            if let Some(op) = self.pending.pop() {
                return op;
            }
            match self.workload {
                Workload::Mixed => self.mixed(),
                Workload::SmallFixed => self.small_fixed(),
                Workload::Torture => self.torture_round(),
            }
        }
    }

    fn alloc(&mut self, size: u32, align: u32) -> Op {
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            self.next_slot += 1;
            self.next_slot - 1
        });
        self.live.push((slot, size));
        self.live_bytes += size as usize;
        Op::Alloc { slot, size, align }
    }

    fn free_at(&mut self, index: usize) -> Op {
        let (slot, size) = self.live.swap_remove(index);
        self.live_bytes -= size as usize;
        self.free_slots.push(slot);
        Op::Free { slot }
    }

    fn free_random(&mut self) -> Op {
        let index = self.rng.below(self.live.len() as u64) as usize;
        self.free_at(index)
    }

    /// Whether a steady stream should allocate now: always when empty, never at twice the target,
    /// and in between with a probability that falls as the live set grows.
    fn steady_allocates(&mut self, target: usize) -> bool {
        self.live.is_empty()
            || (self.live_bytes < target * 2
                && self.rng.below(target as u64 * 2) >= self.live_bytes as u64)
    }

    fn mixed(&mut self) {
        let allocate = match self.mode {
            Mode::Steady { live_bytes } => self.steady_allocates(live_bytes),
            // Two allocations for every free: the live set grows, with holes left behind.
            Mode::Fill => self.live.is_empty() || self.rng.below(3) != 0,
        };
        let op = if allocate {
            let size = match self.rng.below(100) {
                0..=74 => 16 + self.rng.below(241),
                75..=94 => 257 + self.rng.below(3840),
                _ => 4097 + self.rng.below(61_440),
            } as u32;
            let align = [8, 8, 8, 16, 16, 64][self.rng.below(6) as usize];
            self.alloc(size, align)
        } else {
            self.free_random()
        };
        self.pending.push(op);
    }

    fn small_fixed(&mut self) {
        let allocate = match self.mode {
            // Build up to the target, then churn: as many allocations as frees.
            Mode::Steady { live_bytes } => {
                self.live.is_empty()
                    || self.live_bytes < live_bytes && self.rng.below(8) != 0
                    || self.rng.below(2) == 0
            }
            Mode::Fill => self.live.is_empty() || self.rng.below(8) != 0,
        };
        let op = if allocate {
            let mut pick = self.rng.below(100);
            let mut size = FIXED_SIZES[0].0;
            for &(s, weight) in &FIXED_SIZES {
                if pick < weight {
                    size = s;
                    break;
                }
                pick -= weight;
            }
            self.alloc(size, 8)
        } else if self.rng.below(10) != 0 {
            // Nine frees in ten hit the young end: most objects live long.
            let young = self.live.len().min(YOUNG);
            let index = self.live.len() - 1 - self.rng.below(young as u64) as usize;
            self.free_at(index)
        } else {
            self.free_random()
        };
        self.pending.push(op);
    }

    /// A random size in `low..2 * low << doublings`, spread evenly over the doublings.
    fn log_size(&mut self, low: u32, doublings: u64) -> u32 {
        let base = low << self.rng.below(doublings);
        base + self.rng.below(u64::from(base)) as u32
    }

    fn torture_round(&mut self) {
        let mut ops = Vec::new();
        let mut large = Vec::new();
        for i in 0..TORTURE_ROUND {
            if i % 2 == 0 {
                let size = self.log_size(16, 5);
                let align = [8, 16][self.rng.below(2) as usize];
                ops.push(self.alloc(size, align));
            } else {
                let size = self.log_size(4096, 4);
                let align = [8, 16, 64, 4096][(self.rng.below(16) / 5) as usize];
                ops.push(self.alloc(size, align));
                large.push(self.live.len() - 1);
            }
        }
        // Free the large blocks of this round, newest first so the indices stay right under
        // `swap_remove` (each index is beyond every block moved before it).
        for &index in large.iter().rev() {
            ops.push(self.free_at(index));
        }
        for _ in 0..TORTURE_ROUND / 2 {
            let size = self.log_size(1024, 4);
            let align = [8, 16, 16, 64][self.rng.below(4) as usize];
            ops.push(self.alloc(size, align));
        }
        match self.mode {
            Mode::Steady { live_bytes } => {
                while self.live_bytes > live_bytes {
                    let op = self.free_random();
                    ops.push(op);
                }
            }
            // A quarter of a round's blocks die too, anywhere: holes everywhere.
            Mode::Fill => {
                for _ in 0..TORTURE_ROUND / 4 {
                    let op = self.free_random();
                    ops.push(op);
                }
            }
        }
        ops.reverse();
        self.pending = ops;
    }
}

/// Runs `workload`'s fill stream (seeded by `seed`) through an allocator until its first
/// allocation fails; returns the bytes then live (as requested, not as rounded). The host
/// benchmark and the test kernel both measure efficiency this way, each over its own arena:
/// `alloc` allocates, `free` frees a block `alloc` returned, with its layout, exactly once.
pub fn live_at_first_failure(
    workload: Workload,
    seed: u64,
    mut alloc: impl FnMut(Layout) -> Option<NonNull<u8>>,
    mut free: impl FnMut(NonNull<u8>, Layout),
) -> usize {
    let mut generator = Generator::new(workload, Mode::Fill, seed);
    let mut table: Vec<Option<(NonNull<u8>, Layout)>> = Vec::new();
    let mut live = 0;
    loop {
        match generator.next_op() {
            Op::Alloc { slot, size, align } => {
                let layout = Op::layout(size, align);
                let Some(ptr) = alloc(layout) else {
                    return live;
                };
                live += layout.size();
                if table.len() <= slot as usize {
                    table.resize(slot as usize + 1, None);
                }
                table[slot as usize] = Some((ptr, layout));
            }
            Op::Free { slot } => {
                let (ptr, layout) = table[slot as usize].take().expect("allocated before freed");
                live -= layout.size();
                free(ptr, layout);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::BTreeMap;

    /// Replays a stream, checking that it only frees live slots and that slots are reused.
    fn replay(ops: &[Op]) -> usize {
        let mut live = BTreeMap::new();
        let mut peak = 0;
        for op in ops {
            match *op {
                Op::Alloc { slot, size, align } => {
                    assert!(size > 0 && align.is_power_of_two());
                    assert!(
                        live.insert(slot, size).is_none(),
                        "slot {slot} reused while live"
                    );
                }
                Op::Free { slot } => {
                    assert!(
                        live.remove(&slot).is_some(),
                        "slot {slot} freed while not live"
                    );
                }
            }
            peak = peak.max(live.values().map(|&s| s as usize).sum::<usize>());
        }
        assert!(live.is_empty(), "a drained stream frees everything");
        peak
    }

    #[test]
    fn every_workload_is_a_valid_stream_that_stays_near_its_target() {
        for workload in Workload::ALL {
            let target = 1 << 20;
            let mut generator = Generator::new(workload, Mode::Steady { live_bytes: target }, 3);
            let ops = generator.take_and_drain(50_000);
            let peak = replay(&ops);
            assert!(peak > target / 2, "{workload:?} reaches its target: {peak}");
            assert!(
                peak < target * 3,
                "{workload:?} stays near its target: {peak}"
            );
            assert!(generator.slots() < 50_000, "{workload:?} reuses slots");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_stream() {
        for workload in Workload::ALL {
            let a = Generator::new(workload, Mode::Fill, 9).take_and_drain(5_000);
            let b = Generator::new(workload, Mode::Fill, 9).take_and_drain(5_000);
            let c = Generator::new(workload, Mode::Fill, 10).take_and_drain(5_000);
            assert_eq!(a, b);
            assert_ne!(a, c);
        }
    }

    #[test]
    fn fill_mode_grows_and_small_fixed_uses_only_its_sizes() {
        for workload in Workload::ALL {
            let mut generator = Generator::new(workload, Mode::Fill, 5);
            for _ in 0..20_000 {
                if let Op::Alloc { size, .. } = generator.next_op() {
                    if workload == Workload::SmallFixed {
                        assert!(FIXED_SIZES.iter().any(|&(s, _)| s == size));
                    }
                }
            }
            assert!(generator.live_bytes() > 100_000, "{workload:?} grows");
        }
    }
}
