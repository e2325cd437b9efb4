//! Host tests of the whole heap: a model test against a reference, and the page-return policy.

extern crate std;
use super::*;
use crate::chunk::{bin_floor, bin_of, same_bin, BINS, FREE, LEAD, SLIVER};
use std::collections::{BTreeMap, BTreeSet};
use std::vec::Vec;
use xorshift::Rng;

/// A page-aligned buffer standing in for the kernel's heap region.
struct Region {
    ptr: *mut u8,
    layout: Layout,
}

impl Region {
    fn new(bytes: usize) -> Region {
        let layout = Layout::from_size_align(bytes, PAGE_SIZE).unwrap();
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { std::alloc::alloc(layout) };
        assert!(!ptr.is_null());
        Region { ptr, layout }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.ptr, self.layout) }
    }
}

/// Maps within the region, refusing past `allow` bytes mapped at once, and keeps the set of
/// mapped pages so the tests can check the heap's own idea of it.
struct Budget {
    allow: usize,
    mapped: BTreeSet<usize>,
    maps: usize,
    unmaps: usize,
}

impl Pages for Budget {
    fn map(&mut self, from: usize, bytes: usize) -> bool {
        assert_eq!((from % PAGE_SIZE, bytes % PAGE_SIZE), (0, 0));
        if (self.mapped.len() * PAGE_SIZE) + bytes > self.allow {
            return false;
        }
        self.maps += 1;
        for page in (from..from + bytes).step_by(PAGE_SIZE) {
            assert!(self.mapped.insert(page), "page {page:#x} mapped twice");
        }
        true
    }

    fn unmap(&mut self, from: usize, bytes: usize) {
        self.unmaps += 1;
        for page in (from..from + bytes).step_by(PAGE_SIZE) {
            assert!(
                self.mapped.remove(&page),
                "page {page:#x} unmapped but not mapped"
            );
            // Scribble over it: a heap that still used it would find garbage.
            // SAFETY: the page is in the test's region, and the heap has let go of it.
            unsafe { core::ptr::write_bytes(page as *mut u8, 0xA5, PAGE_SIZE) };
        }
    }
}

fn budget(allow: usize) -> Budget {
    Budget {
        allow,
        mapped: BTreeSet::new(),
        maps: 0,
        unmaps: 0,
    }
}

fn heap(region: &Region, allow: usize) -> (Heap, Budget) {
    let mut budget = budget(allow);
    let (base, size) = (region.ptr as usize, region.layout.size());
    // SAFETY: the region is a live buffer of this size owned by the test.
    let heap = unsafe { Heap::new(base, size, &mut budget) }.unwrap();
    (heap, budget)
}

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).unwrap()
}

#[test]
fn the_lists_cover_every_size_in_order() {
    let mut size = 32;
    while size < 1 << 40 {
        let bin = bin_of(size);
        assert!(bin < BINS);
        assert!(bin_floor(bin) <= size, "size {size} bin {bin}");
        assert!(size < bin_floor(bin + 1), "size {size} bin {bin}");
        size += 16 + size / 7 / 16 * 16;
    }
}

#[test]
fn the_largest_chunk_of_the_largest_region_has_a_list() {
    let largest = chunk::MAX_REGION - chunk::GRANULE;
    assert!(bin_of(largest) < BINS);
    assert!(bin_floor(bin_of(largest)) <= largest);
}

#[test]
fn two_sizes_share_a_list_exactly_when_their_lists_agree() {
    let sizes = (32usize..1 << 20)
        .step_by(16)
        .filter(|s| *s < 8192 || s % 1024 == 0);
    for a in sizes.clone() {
        for b in sizes.clone().filter(|b| b.abs_diff(a) < 16384) {
            assert_eq!(same_bin(a, b), bin_of(a) == bin_of(b), "{a} and {b}");
        }
    }
}

#[test]
fn the_region_must_be_aligned_and_big_enough() {
    let mut pages = budget(usize::MAX);
    // SAFETY: Heap::new refuses these before touching memory.
    unsafe {
        assert_eq!(
            Heap::new(4096 + 8, 1 << 20, &mut pages).err(),
            Some(HeapError::BadRegion)
        );
        assert_eq!(
            Heap::new(4096, 0, &mut pages).err(),
            Some(HeapError::BadRegion)
        );
    }
}

#[test]
fn small_blocks_share_a_slab_and_an_emptied_extra_slab_goes_back() {
    let region = Region::new(1 << 20);
    let (mut heap, mut pages) = heap(&region, usize::MAX);
    let small = layout(24, 8);
    let a = heap.allocate(small, &mut pages).unwrap();
    let b = heap.allocate(small, &mut pages).unwrap();
    assert_eq!(
        b.as_ptr() as usize - a.as_ptr() as usize,
        24,
        "neighbours in one slab"
    );
    assert_eq!(heap.stats().slabs, 1);
    // Fill a second slab, then empty it: it goes back; the first, the only one left, stays.
    let capacity = (slab::SLAB_SIZE - 8 - 24) / 24;
    let more: Vec<_> = (0..capacity)
        .map(|_| heap.allocate(small, &mut pages).unwrap())
        .collect();
    assert_eq!(heap.stats().slabs, 2);
    for p in more {
        // SAFETY: from this heap with this layout, freed once.
        unsafe { heap.deallocate(p, small, &mut pages) };
    }
    assert_eq!(heap.stats().slabs, 1);
    // SAFETY: as above.
    unsafe {
        heap.deallocate(a, small, &mut pages);
        heap.deallocate(b, small, &mut pages);
    }
    assert_eq!(heap.stats().slabs, 1, "the class keeps one empty slab");
    heap.check().unwrap();
}

#[test]
fn chunks_are_byte_granular_and_merge_when_freed() {
    let region = Region::new(4 << 20);
    let (mut heap, mut pages) = heap(&region, usize::MAX);
    let free_before = heap.stats().free_bytes;
    let layouts = [3000, 300, 9000, 5000].map(|n| layout(n, 8));
    let blocks: Vec<_> = layouts
        .iter()
        .map(|&l| heap.allocate(l, &mut pages).unwrap())
        .collect();
    // 3000 bytes and the 8-byte header make a chunk of 3008: the next block starts right after.
    assert_eq!(
        blocks[1].as_ptr() as usize - blocks[0].as_ptr() as usize,
        3008
    );
    heap.check().unwrap();
    for i in [1, 0, 3, 2] {
        // SAFETY: from this heap with this layout, freed once.
        unsafe { heap.deallocate(blocks[i], layouts[i], &mut pages) };
        heap.check().unwrap();
    }
    assert_eq!(
        heap.stats().free_bytes,
        free_before,
        "all of it is free again"
    );
    // The 300-byte block waits in the chunk cache, unmerged, until the cache is emptied.
    heap.flush_cache(&mut pages);
    heap.check().unwrap();
    let chunks: usize = (0..BINS)
        .map(|bin| {
            let mut n = 0;
            let mut c = heap.bins[bin];
            while c != 0 {
                n += 1;
                c = heap.load(c + 8);
            }
            n
        })
        .sum();
    // It is the top, out of the lists.
    assert_eq!(chunks, 0, "everything merged into one free chunk");
    assert_eq!(heap.top, heap.first, "everything merged into the top");
}

#[test]
fn alignment_up_to_several_pages_is_honoured() {
    let region = Region::new(8 << 20);
    let (mut heap, mut pages) = heap(&region, usize::MAX);
    for align in [1, 2, 8, 16, 32, 64, 256, 1024, 4096, 16384, 65536] {
        for size in [1, 7, 24, 100, 250, 3000, 5000] {
            let p = heap.allocate(layout(size, align), &mut pages).unwrap();
            assert_eq!(p.as_ptr() as usize % align, 0, "size {size} align {align}");
            heap.check().unwrap();
        }
    }
}

/// An aligned block whose alignment skips a few bytes of its free chunk takes them (the word
/// before its payload says so with `LEAD`) rather than leave a free chunk too small for any
/// chunk request; freeing it gives them back with it.
#[test]
fn aligned_blocks_keep_the_few_bytes_their_alignment_skips() {
    let region = Region::new(1 << 20);
    let (mut heap, mut pages) = heap(&region, usize::MAX);
    let mut leads = 0;
    // Blocks before it of every size in 16-byte steps put the aligned one at every offset.
    for before in (200..=264).step_by(16) {
        let free = heap.stats().free_bytes;
        let a = heap.allocate(layout(before, 16), &mut pages).unwrap();
        let b = heap.allocate(layout(1000, 64), &mut pages).unwrap();
        assert_eq!(b.as_ptr() as usize % 64, 0);
        if heap.load(b.as_ptr() as usize - chunk::HEADER) & LEAD != 0 {
            leads += 1;
        }
        heap.check().unwrap();
        let mut c = heap.first;
        while c < heap.end - chunk::HEADER {
            let header = heap.load(c);
            let size = header & !(chunk::GRANULE - 1);
            assert!(
                header & FREE == 0 || size >= SLIVER,
                "a free chunk of {size} bytes was left beside the aligned block"
            );
            c += size;
        }
        // SAFETY: both from this heap with these layouts, freed once.
        unsafe {
            heap.deallocate(b, layout(1000, 64), &mut pages);
            heap.deallocate(a, layout(before, 16), &mut pages);
        }
        heap.check().unwrap();
        assert_eq!(heap.stats().free_bytes, free, "every byte came back");
    }
    assert!(
        leads >= 3,
        "only {leads} aligned blocks took the bytes before them"
    );
}

/// The top stays out of the lists: a block cut from it leaves the rest as the top, and a path
/// that puts it in its list for a while (growing a block in place into it) takes the rest out
/// again.
#[test]
fn the_top_stays_out_of_the_lists() {
    let region = Region::new(1 << 20);
    let (mut heap, mut pages) = heap(&region, usize::MAX);
    let listed = |heap: &Heap| (0..BINS).filter(|&bin| heap.bins[bin] != 0).count();
    let l = layout(3000, 8);
    let p = heap.allocate(l, &mut pages).unwrap();
    let start = p.as_ptr() as usize - chunk::HEADER;
    assert_eq!(heap.top, start + 3008, "the rest of the top is the top");
    // SAFETY: a live block of this layout; the new size is not zero.
    let q = unsafe { heap.reallocate(p, l, 5000, &mut pages) }.unwrap();
    assert_eq!(q, p, "grown in place into the top");
    assert_eq!(
        heap.top,
        start + 5008,
        "the rest came out of the lists as the top"
    );
    assert_eq!(listed(&heap), 0, "no chunk is listed");
    heap.check().unwrap();
}

#[test]
fn running_out_fails_cleanly_and_small_allocations_still_work_after() {
    let region = Region::new(1 << 20);
    let (mut heap, mut pages) = heap(&region, 64 * PAGE_SIZE);
    assert!(heap.allocate(layout(1 << 20, 8), &mut pages).is_none());
    assert!(heap.allocate(layout(300 * 1024, 8), &mut pages).is_none());
    assert_eq!(heap.stats().failures, 2);
    heap.check().unwrap();
    assert!(heap.allocate(layout(32, 8), &mut pages).is_some());
    assert!(heap.allocate(layout(32 * 1024, 8), &mut pages).is_some());
    heap.check().unwrap();
}

#[test]
fn the_heap_grows_only_when_it_must() {
    let region = Region::new(1 << 20);
    let (mut heap, mut pages) = heap(&region, usize::MAX);
    heap.allocate(layout(48, 8), &mut pages).unwrap();
    let maps = pages.maps;
    for _ in 0..40 {
        heap.allocate(layout(48, 8), &mut pages).unwrap();
    }
    assert_eq!(
        pages.maps, maps,
        "41 blocks of 48 bytes share one 2 KiB slab"
    );
}

#[test]
fn reallocation_grows_and_shrinks_chunks_in_place() {
    let region = Region::new(4 << 20);
    let (mut heap, mut pages) = heap(&region, usize::MAX);
    let old = layout(1000, 8);
    let p = heap.allocate(old, &mut pages).unwrap();
    let after = heap.allocate(layout(40_000, 8), &mut pages).unwrap();
    // SAFETY: a live block of this layout; the sizes are not zero.
    unsafe {
        heap.deallocate(after, layout(40_000, 8), &mut pages);
        p.as_ptr().write_bytes(3, 1000);
        let q = heap.reallocate(p, old, 20_000, &mut pages).unwrap();
        assert_eq!(q, p, "grown into the free space after it");
        assert!(heap.usable_size(q, layout(20_000, 8)) >= 20_000);
        heap.check().unwrap();
        let r = heap
            .reallocate(q, layout(20_000, 8), 500, &mut pages)
            .unwrap();
        assert_eq!(r, p, "shrunk where it is");
        assert!((0..500).all(|i| *r.as_ptr().add(i) == 3));
        heap.check().unwrap();
    }
}

/// Freeing everything gives every page back but the reserve (and the few pages that hold the
/// page map, free chunks' headers and footers, and the classes' cached slabs).
#[test]
fn freed_pages_go_back_down_to_the_reserve() {
    let region = Region::new(32 << 20);
    let (mut heap, mut pages) = heap(&region, usize::MAX);
    let mut rng = Rng::new(7);
    let mut live = Vec::new();
    for _ in 0..6000 {
        let size = match rng.below(10) {
            0..=5 => 1 + rng.below(256) as usize,
            6..=8 => 257 + rng.below(8000) as usize,
            _ => 8192 + rng.below(60_000) as usize,
        };
        let l = layout(size, 8);
        live.push((heap.allocate(l, &mut pages).unwrap(), l));
    }
    let peak = heap.stats().mapped_pages;
    assert!(peak > 2000, "the heap grew to {peak} pages");
    // Free in random order, so chunks merge from all sides.
    while !live.is_empty() {
        let (p, l) = live.swap_remove(rng.below(live.len() as u64) as usize);
        // SAFETY: from this heap with this layout, freed once.
        unsafe { heap.deallocate(p, l, &mut pages) };
    }
    heap.check().unwrap();
    let mapped = heap.stats().mapped_pages;
    assert_eq!(
        mapped,
        pages.mapped.len(),
        "the heap's page map agrees with the kernel's"
    );
    assert!(
        mapped <= (RESERVE + RELEASE_MIN) / PAGE_SIZE + 32,
        "{mapped} pages still mapped of {peak}"
    );
    // The memory is still usable: a large block fits again (not the whole peak: the classes'
    // cached empty slabs may sit anywhere and split the free space).
    let big = layout(peak * PAGE_SIZE / 8, 8);
    let p = heap.allocate(big, &mut pages).unwrap();
    // SAFETY: a live block of `big.size()` bytes.
    unsafe { p.as_ptr().write_bytes(1, big.size()) };
    heap.check().unwrap();
}

/// Below the reserve, a large buffer allocated and freed in a loop is not unmapped and mapped
/// again each time.
#[test]
fn a_buffer_reused_in_a_loop_does_not_thrash() {
    let region = Region::new(8 << 20);
    let (mut heap, mut pages) = heap(&region, usize::MAX);
    let big = layout(128 * 1024, 8);
    let mut maps = 0;
    for round in 0..100 {
        let p = heap.allocate(big, &mut pages).unwrap();
        // SAFETY: from this heap with this layout, freed once.
        unsafe { heap.deallocate(p, big, &mut pages) };
        if round == 0 {
            maps = pages.maps;
        }
    }
    assert_eq!(
        (pages.maps, pages.unmaps),
        (maps, 0),
        "mapped once, never unmapped"
    );
}

/// The model test: random allocations, frees and reallocations of random sizes and alignments
/// against a reference map; after every step no two live blocks overlap, every block is
/// aligned and on mapped pages, every block still holds the pattern written into it, and the
/// heap's invariants hold. Freeing everything leaves no block and no slab but the cached ones.
#[test]
fn random_workloads_keep_every_invariant() {
    for seed in 1..=40u64 {
        let mut rng = Rng::new(seed);
        let region = Region::new(16 << 20);
        let mut pages = budget(8 << 20);
        let (base, size) = (region.ptr as usize, region.layout.size());
        // SAFETY: the region is a live buffer of this size owned by the test.
        let mut heap = unsafe { Counting::new(base, size, &mut pages) }.unwrap();
        let mut live: BTreeMap<usize, (Layout, u8)> = BTreeMap::new();
        let on_mapped_pages = |pages: &Budget, addr: usize, size: usize| {
            (addr / PAGE_SIZE..=(addr + size - 1) / PAGE_SIZE)
                .all(|p| pages.mapped.contains(&(p * PAGE_SIZE)))
        };
        for step in 0..1500 {
            let choice = rng.below(10);
            if choice < 6 || live.is_empty() {
                let size = match rng.below(10) {
                    0..=6 => 1 + rng.below(256) as usize,
                    7 | 8 => 1 + rng.below(4096) as usize,
                    _ => 1 + rng.below(128 * 1024) as usize,
                };
                let align = 1 << rng.below(13);
                let l = layout(size, align);
                let Some(p) = heap.allocate(l, &mut pages) else {
                    continue;
                };
                let addr = p.as_ptr() as usize;
                assert_eq!(addr % align, 0, "seed {seed} step {step}");
                assert!(
                    on_mapped_pages(&pages, addr, size),
                    "seed {seed}: unmapped block"
                );
                if let Some((&before, &(bl, _))) = live.range(..addr).next_back() {
                    assert!(before + bl.size() <= addr, "seed {seed}: overlap");
                }
                if let Some((&after, _)) = live.range(addr..).next() {
                    assert!(addr + size <= after, "seed {seed}: overlap");
                }
                let tag = (step % 251) as u8;
                // SAFETY: the block is `size` bytes the heap just handed out.
                unsafe { core::ptr::write_bytes(p.as_ptr(), tag, size) };
                live.insert(addr, (l, tag));
            } else if choice == 9 {
                let index = rng.below(live.len() as u64) as usize;
                let (&addr, &(old, tag)) = live.iter().nth(index).unwrap();
                let limit = if rng.below(4) == 0 { 100_000 } else { 600 };
                let new_size = 1 + rng.below(limit) as usize;
                let ptr = NonNull::new(addr as *mut u8).unwrap();
                // SAFETY: a live block of this layout; the new size is not zero.
                let Some(moved) = (unsafe { heap.reallocate(ptr, old, new_size, &mut pages) })
                else {
                    continue;
                };
                live.remove(&addr);
                let new_addr = moved.as_ptr() as usize;
                assert_eq!(
                    new_addr % old.align(),
                    0,
                    "seed {seed}: realloc lost the alignment"
                );
                assert!(
                    on_mapped_pages(&pages, new_addr, new_size),
                    "seed {seed}: unmapped"
                );
                // SAFETY: the block now holds `new_size` bytes.
                let bytes = unsafe { core::slice::from_raw_parts(new_addr as *const u8, new_size) };
                let kept = old.size().min(new_size);
                assert!(
                    bytes[..kept].iter().all(|&b| b == tag),
                    "seed {seed}: realloc lost the contents"
                );
                // SAFETY: as above; fill the rest so later checks cover all of it.
                unsafe { core::ptr::write_bytes(moved.as_ptr(), tag, new_size) };
                if let Some((&before, &(bl, _))) = live.range(..new_addr).next_back() {
                    assert!(before + bl.size() <= new_addr, "seed {seed}: overlap");
                }
                if let Some((&after, _)) = live.range(new_addr..).next() {
                    assert!(new_addr + new_size <= after, "seed {seed}: overlap");
                }
                live.insert(new_addr, (layout(new_size, old.align()), tag));
            } else {
                let index = rng.below(live.len() as u64) as usize;
                let (&addr, &(l, tag)) = live.iter().nth(index).unwrap();
                // SAFETY: a live block of this layout.
                let bytes = unsafe { core::slice::from_raw_parts(addr as *const u8, l.size()) };
                assert!(
                    bytes.iter().all(|&b| b == tag),
                    "seed {seed}: block at {addr:#x} was overwritten"
                );
                live.remove(&addr);
                // SAFETY: from this heap with this layout, freed once.
                unsafe { heap.deallocate(NonNull::new(addr as *mut u8).unwrap(), l, &mut pages) };
            }
            if step % 16 == 0 {
                heap.check()
                    .unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
                assert_eq!(heap.stats().mapped_pages, pages.mapped.len());
            }
            let requested: usize = live.values().map(|(l, _)| l.size()).sum();
            assert_eq!(heap.stats().requested_bytes, requested);
        }
        for (addr, (l, _)) in core::mem::take(&mut live) {
            // SAFETY: as above.
            unsafe { heap.deallocate(NonNull::new(addr as *mut u8).unwrap(), l, &mut pages) };
        }
        heap.check().unwrap();
        let stats = heap.stats();
        assert_eq!((stats.live_blocks, stats.requested_bytes), (0, 0));
        assert!(
            stats.slabs <= slab::CLASSES,
            "seed {seed}: only cached slabs are left"
        );
    }
}

#[test]
fn the_chunk_cache_reuses_exact_sizes_and_gives_way_before_failure() {
    let region = Region::new(1 << 20);
    let (mut heap, mut pages) = heap(&region, usize::MAX);
    let small = layout(300, 8);
    let a = heap.allocate(small, &mut pages).unwrap();
    // SAFETY: from this heap with this layout, freed once.
    unsafe { heap.deallocate(a, small, &mut pages) };
    heap.check().unwrap();
    let b = heap.allocate(small, &mut pages).unwrap();
    assert_eq!(a, b, "a chunk of the same size comes back from the cache");
    heap.check().unwrap();
    // Fill the heap with blocks of the cached size, free every other one of the first few
    // into the cache (as many as it holds), then all the others, and ask for one block
    // nearly as large as the heap: only a flush of the cache merges the room for it.
    let mut blocks = Vec::from([b]);
    while let Some(block) = heap.allocate(small, &mut pages) {
        blocks.push(block);
    }
    let failures = heap.stats().failures;
    let cached = usize::from(CACHE_DEPTH);
    for (i, &block) in blocks.iter().enumerate() {
        if i % 2 == 1 && i < 2 * cached {
            // SAFETY: from this heap with this layout, freed once.
            unsafe { heap.deallocate(block, small, &mut pages) };
        }
    }
    assert_eq!(heap.cached_bytes, cached * chunk::chunk_size(300));
    for (i, &block) in blocks.iter().enumerate() {
        if i % 2 == 0 || i >= 2 * cached {
            // SAFETY: from this heap with this layout, freed once.
            unsafe { heap.deallocate(block, small, &mut pages) };
        }
    }
    heap.check().unwrap();
    let large = layout(heap.stats().free_bytes - PAGE_SIZE, 8);
    assert!(heap.allocate(large, &mut pages).is_some());
    assert_eq!(heap.stats().failures, failures);
    heap.check().unwrap();
}
