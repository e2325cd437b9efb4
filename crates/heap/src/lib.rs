//! The kernel heap: size-class slabs for small blocks, byte-granular chunks with boundary tags
//! for everything else, and pages mapped when reached and handed back when they fall free.
//!
//! # The design, and why
//!
//! A kernel allocates mostly small things (list nodes, strings, small vectors) and now and then
//! something large (a buffer, a table). Ferrite's heap uses two algorithms, one per kind:
//!
//! * **Small blocks** (up to [`MAX_SMALL`] = 128 bytes) come from 12 size classes, each cutting
//!   2 KiB *slabs* into blocks of its size ([`slab`]). Allocating or freeing is a pop or a push
//!   on the slab's free list: no search, no header on the block, and the tight classes (8-byte
//!   steps up to 64) waste less than any header would: a 24-byte object takes 24 bytes.
//! * **Everything else** is a *chunk* ([`chunk`]): 16-byte granular, with an 8-byte header and
//!   boundary tags, so a 3000-byte request costs 3008 bytes, not the whole 4 KiB page an earlier
//!   version of this heap gave it, and freed neighbours merge in constant time. Free chunks sit
//!   in segregated lists indexed by a bitmap (the idea of TLSF), so a fitting chunk is found in a
//!   few bit operations: the first chunk of the smallest list whose chunks all fit, with the
//!   block cut from its end so the rest usually keeps its place in its list. Only when no list
//!   surely fits does the heap search chunk by chunk, so it runs out only when no free chunk can
//!   hold the request. Slabs are chunks too, aligned to
//!   their size, so both kinds share all free memory: no page is set aside for either. A small
//!   request always comes from a slab, a new one if its class has none with room; only when no
//!   slab can be had does it fill a hole among the chunks (a free chunk under 1 KiB), so the
//!   hottest path stays a pop and a push.
//!
//! * **A chunk cache** sits in front of the chunk lists for chunks under [`CACHE_LIMIT`] (512
//!   bytes): freeing one pushes it, unmerged and still marked allocated, on a short list for
//!   its exact size (at most [`CACHE_DEPTH`] of them), and a request of that size pops the
//!   latest one if its payload has the alignment asked for. Chunks of these sizes are freed
//!   and asked for again all the time (in the `mixed` benchmark, blocks of 129 to 256 bytes
//!   are over a third of all requests), and a push and a pop cost a fraction of a merge and
//!   a split. The price is memory that does not merge while it waits, so the cache gives way
//!   whenever that could matter: before any allocation reports failure it is emptied into the
//!   free lists (each chunk freed properly, merged and listed) and the allocation is tried
//!   again, and it is emptied the same way whenever pages go back, so that cached chunks keep
//!   no page mapped. The limit is where the benchmarks' efficiency at first failure stayed
//!   what it was without the cache: larger limits (640 bytes to 2 KiB) ran out earlier in
//!   `mixed`, the cached chunks placed differently.
//!
//! * **The top**, the free chunk that ends at the region's end, where the heap grows, stays out
//!   of the lists: a request no list surely fits is cut from its start in a few writes, and a
//!   block freed just below it merges into it ([`chunk`] has the details).
//!
//! The heap counts only what its own decisions need: bytes in free chunks (when pages go back)
//! and pages mapped. Live blocks and requested bytes, which the kernel's `mem` command and leak
//! tests read, are counted by [`Counting`], a layer around the heap that the kernel's global
//! allocator uses; the benchmarks measure the bare heap beside `talc`, whose own counters are
//! an optional feature they leave off.
//!
//! Why two algorithms? A chunk allocator alone pays its header and rounding on every small
//! block (a 24-byte object would take 32), and slabs alone must round large requests up to
//! whole slabs or pages (the previous design lost a tenth of its memory that way). docs/heap.md
//! gives the measurements against the `talc` allocator on three workloads.
//!
//! # Pages
//!
//! The heap's region is reserved address space, not memory. From the start the whole region is
//! one free chunk, of which only the first page (the page map, one bit per page saying whether
//! it is mapped, and the slab map) and the last (the chunk's footer and the *sentinel* header
//! that ends the heap) are mapped. Taking memory from a free chunk maps, through
//! [`Pages::map`], whatever pages it reaches that are not mapped yet; if the kernel has no frame
//! left the allocation returns `None` (a null pointer to Rust's allocator API), so fallible
//! allocations (`try_reserve`, `Box::try_new`) fail cleanly. When a free leaves a free chunk of
//! at least [`RELEASE_MIN`] bytes while the free mapped memory passes the reserve ([`RESERVE`],
//! or a quarter of what is mapped if that is more) by [`RELEASE_MIN`] or more, whole pages of
//! that chunk go back through [`Pages::unmap`], its highest first, until what lies free and
//! mapped is the reserve again. The reserve keeps a heap that frees and allocates a large
//! buffer in a loop from unmapping and mapping it every time, and a busy heap from doing so at
//! every turn; giving back only the excess, from the top, keeps the low pages (the ones the
//! next allocations take) mapped; the margin of [`RELEASE_MIN`] makes a release worth its
//! cost. After everything is freed, what stays mapped is about the reserve.
//!
//! This crate knows nothing of page tables: the kernel supplies the region and the callbacks,
//! and the host tests a plain buffer.

#![no_std]

mod chunk;
mod counting;
mod pagemap;
pub mod slab;
#[cfg(test)]
mod tests;

use core::alloc::Layout;
use core::ptr::NonNull;
pub use counting::Counting;
pub use slab::{class_of, class_size};

/// Bytes in a page: the unit the heap maps and unmaps.
pub const PAGE_SIZE: usize = 4096;
/// The largest request served from a slab; larger ones are chunks.
pub const MAX_SMALL: usize = 128;
/// Mapped bytes the heap keeps in free chunks when it gives pages back (at least: see the
/// module documentation). A workload whose live set swings by more than this maps and unmaps
/// the difference at every swing: with 256 KiB, the `torture` benchmark's rounds (about 1 MiB
/// of large blocks allocated and freed each) mapped and unmapped 55 MiB in 20,000 operations;
/// with 1 MiB, under 2 MiB.
pub const RESERVE: usize = 1024 * 1024;
/// The smallest free chunk whose pages are given back: small holes stay mapped, since the next
/// allocation would probably map them again.
pub const RELEASE_MIN: usize = 64 * 1024;
/// Freed chunks smaller than this (512 bytes) may wait unmerged in the chunk cache for a request
/// of their exact size (see the module documentation).
pub const CACHE_LIMIT: usize = 512;
/// Entries of the chunk cache: one per chunk size below [`CACHE_LIMIT`], by size in granules.
const CACHE_SIZES: usize = CACHE_LIMIT / chunk::GRANULE;
/// The most chunks of one size the cache holds: enough to serve a size that comes and goes,
/// few enough that the cache keeps little memory from merging.
pub const CACHE_DEPTH: u8 = 8;

/// The block at `addr` as a pointer.
#[inline(always)]
fn block(addr: usize) -> NonNull<u8> {
    debug_assert!(addr != 0);
    // SAFETY: blocks lie in the region, which does not start at 0.
    unsafe { NonNull::new_unchecked(addr as *mut u8) }
}

/// The kernel's side of the heap: mapping memory in and out of the region.
pub trait Pages {
    /// Makes `from..from + bytes` (page aligned) usable; false if it cannot (no memory left),
    /// in which case nothing was mapped.
    fn map(&mut self, from: usize, bytes: usize) -> bool;
    /// Takes `from..from + bytes` (page aligned, mapped before) away again; the heap does not
    /// touch it until it maps it again.
    fn unmap(&mut self, from: usize, bytes: usize);
}

/// Counters for the `mem` command, the tests and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes the callers asked for and have not freed ([`Counting`] counts them; a bare
    /// [`Heap`] reports 0).
    pub requested_bytes: usize,
    /// Blocks handed out and not freed ([`Counting`] counts them; a bare [`Heap`] reports 0).
    pub live_blocks: usize,
    /// Pages of the region mapped now (the page map included).
    pub mapped_pages: usize,
    /// Bytes in free chunks, mapped or not.
    pub free_bytes: usize,
    /// Slabs in use.
    pub slabs: usize,
    /// Slabs set up since the heap began.
    pub slabs_created: usize,
    /// Pages given back since the heap began.
    pub released_pages: usize,
    /// Allocations that failed.
    pub failures: usize,
}

/// Why a heap could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeapError {
    /// The region is not page aligned, too small for its maps and one chunk, or 64 TiB or
    /// larger (see `chunk::MAX_REGION`).
    BadRegion,
    /// Mapping the first and last pages failed.
    CannotGrow,
}

/// The heap.
pub struct Heap {
    /// First byte of the region (the page map: one bit per page of the region, set if mapped).
    base: usize,
    /// The region's end; the sentinel header is the word before it.
    end: usize,
    /// The slab map, after the page map: one bit per slab-sized piece of the region, set if a
    /// slab starts there (see [`slab`]).
    slab_map: usize,
    /// The header of the first chunk.
    first: usize,
    /// Per list (see [`chunk::bin_of`]): the first free chunk, or 0.
    bins: [usize; chunk::BINS],
    /// One bit per list: set if it has a chunk.
    nonempty: [u64; chunk::BIN_WORDS],
    /// The last word of `nonempty` that may have a bit set: the one of the region's largest
    /// possible chunk's list.
    last_word: usize,
    /// The *top*: the free chunk just before the sentinel, kept out of the lists (see
    /// [`chunk`]), or 0.
    top: usize,
    /// Per size class: the first slab with a free block, or 0.
    partial: [usize; slab::CLASSES],
    stats: Stats,
    /// Free chunks give their pages back only while `stats.free_bytes` is above this (see
    /// [`Heap::update_release_threshold`]).
    release_above: usize,
    /// Every page below this address is mapped: the heap fills its region from the bottom,
    /// so most blocks lie below it and need no look at the page map (see [`pagemap`]).
    mapped_below: usize,
    /// No page from here up to the region's last page is mapped: releasing pages looks only
    /// below it (see [`pagemap`]).
    mapped_top: usize,
    /// Live blocks of a size class that are chunks of their own, not slab blocks (a hole
    /// filled when no slab could be had, or a chunk shrunk in place): while there are none,
    /// freeing a small block needs no look at the slab map.
    small_chunks: usize,
    /// The chunk cache, per chunk size in granules: the payload of the last chunk of that
    /// size freed into it, or 0; each cached payload's first word is the next one's.
    cache: [usize; CACHE_SIZES],
    /// How many chunks each entry of `cache` holds.
    cache_len: [u8; CACHE_SIZES],
    /// Bytes in cached chunks (which count as allocated to the chunk layer, not as free).
    cached_bytes: usize,
}

// SAFETY: the heap owns its region; moving it to another thread moves that ownership. (The kernel
// keeps it behind a lock.)
unsafe impl Send for Heap {}

impl Heap {
    /// A heap over the `limit` bytes at `base`, of which nothing is mapped yet; `pages` maps
    /// the first and last pages at once, and the others as allocations reach them.
    ///
    /// # Safety
    ///
    /// `base..base + limit` must be address space that belongs to this heap alone, and every
    /// range `pages.map` reports as made usable must be readable and writable memory until the
    /// heap unmaps it or is dropped.
    pub unsafe fn new(
        base: usize,
        limit: usize,
        pages: &mut impl Pages,
    ) -> Result<Heap, HeapError> {
        if base % PAGE_SIZE != 0
            || limit % PAGE_SIZE != 0
            || base == 0
            || limit >= chunk::MAX_REGION
        {
            return Err(HeapError::BadRegion);
        }
        let page_map_bytes = (limit / PAGE_SIZE).div_ceil(64) * 8;
        let map_bytes = page_map_bytes + (limit / slab::SLAB_SIZE).div_ceil(64) * 8;
        let first = base + map_bytes.next_multiple_of(chunk::GRANULE) + chunk::HEADER;
        let end = base.checked_add(limit).ok_or(HeapError::BadRegion)?;
        // Mapped from the start: the two maps and the first chunk's header and links, and the
        // last page, with the first chunk's footer and the sentinel.
        let low = (first + 3 * chunk::HEADER - base).next_multiple_of(PAGE_SIZE);
        if first + chunk::MIN_CHUNK + chunk::HEADER > end {
            return Err(HeapError::BadRegion);
        }
        let high = (end - PAGE_SIZE).max(base + low);
        if !pages.map(base, low) {
            return Err(HeapError::CannotGrow);
        }
        if high < end && !pages.map(high, end - high) {
            pages.unmap(base, low);
            return Err(HeapError::CannotGrow);
        }
        // SAFETY: the first `low` bytes were just mapped, and the two maps fit in them.
        unsafe { core::ptr::write_bytes(base as *mut u8, 0, map_bytes) };
        let mut heap = Heap {
            base,
            end,
            slab_map: base + page_map_bytes,
            first,
            bins: [0; chunk::BINS],
            nonempty: [0; chunk::BIN_WORDS],
            last_word: chunk::bin_of(limit) / 64,
            top: 0,
            partial: [0; slab::CLASSES],
            stats: Stats::default(),
            release_above: 0,
            mapped_below: base + low,
            mapped_top: base + low,
            small_chunks: 0,
            cache: [0; CACHE_SIZES],
            cache_len: [0; CACHE_SIZES],
            cached_bytes: 0,
        };
        for page in (0..low / PAGE_SIZE).chain((high - base) / PAGE_SIZE..limit / PAGE_SIZE) {
            // SAFETY: the page map is mapped and `page` is inside the region.
            unsafe { *(base as *mut u64).add(page / 64) |= 1 << (page % 64) };
            heap.stats.mapped_pages += 1;
        }
        // The whole region is one free chunk, most of its pages not mapped yet: allocations map
        // what they take (see `chunk`).
        let sentinel = end - chunk::HEADER;
        heap.store(sentinel, 0);
        heap.update_release_threshold();
        heap.free_initial(first, sentinel - first);
        Ok(heap)
    }

    fn free_initial(&mut self, first: usize, size: usize) {
        self.stats.free_bytes = size;
        self.make_top(first, size);
        self.store(first + size, chunk::PREV_FREE);
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        // Cached chunks are free memory to everyone but the chunk layer.
        Stats {
            free_bytes: self.stats.free_bytes + self.cached_bytes,
            ..self.stats
        }
    }

    /// Bytes the region may grow to, and bytes mapped now.
    pub fn capacity(&self) -> (usize, usize) {
        (self.end - self.base, self.stats.mapped_pages * PAGE_SIZE)
    }

    /// Allocates a block for `layout`, or `None` if the heap cannot grow enough.
    ///
    /// Only the commonest case is inline: a small request whose class has a slab with room,
    /// a pop from its free list. Chunks are a call away, so that the pop does not pay for
    /// their registers.
    #[inline]
    pub fn allocate(&mut self, layout: Layout, pages: &mut impl Pages) -> Option<NonNull<u8>> {
        if let Some(class) = class_of(layout.size(), layout.align()) {
            if let Some(addr) = self.pop_small(class) {
                return Some(block(addr));
            }
            return self.allocate_small_slow(class, layout, pages);
        }
        self.allocate_chunk(layout, pages)
    }

    /// The counters' side of a failed allocation.
    #[cold]
    fn count_failure(&mut self) -> Option<NonNull<u8>> {
        self.stats.failures += 1;
        None
    }

    /// [`Heap::allocate`] for a small request whose class has no slab with room: a new slab,
    /// or only when none can be had, a hole among the chunks (a free chunk under 1 KiB).
    /// Filling holes first would save a little memory but turns the kernel's hottest path, a
    /// small allocation and its free, into a chunk split and merge: twice the instructions.
    #[inline(never)]
    fn allocate_small_slow(
        &mut self,
        class: usize,
        layout: Layout,
        pages: &mut impl Pages,
    ) -> Option<NonNull<u8>> {
        let mut found = self.small_from_chunks(class, layout, pages);
        if found.is_none() && self.cached_bytes != 0 {
            // Cached chunks may be what stands in the way: back to the lists with them.
            self.flush_cache(pages);
            found = self.small_from_chunks(class, layout, pages);
        }
        match found {
            Some(addr) => Some(block(addr)),
            None => self.count_failure(),
        }
    }

    /// A block of size class `class` from a new slab, or failing that from a hole.
    #[inline(always)]
    fn small_from_chunks(
        &mut self,
        class: usize,
        layout: Layout,
        pages: &mut impl Pages,
    ) -> Option<usize> {
        if self.new_slab(class, pages).is_some() {
            self.pop_small(class)
        } else {
            self.alloc_from_hole(layout)
                .inspect(|_| self.small_chunks += 1)
        }
    }

    /// [`Heap::allocate`] for a chunk: a cached chunk of the exact size if the latest one is
    /// aligned as asked (always, for the granule's alignment or less; for 64 bytes, often), else
    /// one from the free lists. Before it reports failure, the cache goes back to the free
    /// lists and the lists are searched again, so cached chunks never make the heap run out.
    #[inline(never)]
    fn allocate_chunk(&mut self, layout: Layout, pages: &mut impl Pages) -> Option<NonNull<u8>> {
        let size = chunk::chunk_size(layout.size());
        if size < CACHE_LIMIT {
            let slot = size / chunk::GRANULE;
            let payload = self.cache[slot];
            // (Every payload is aligned to the granule, so only a larger alignment can fail.)
            if payload != 0 && payload & (layout.align() - 1) == 0 {
                self.cache[slot] = self.load(payload);
                self.cache_len[slot] -= 1;
                self.cached_bytes -= size;
                return Some(block(payload));
            }
        }
        match self.alloc_chunk(size, layout.align(), pages) {
            Some(addr) => Some(block(addr)),
            None => self.allocate_chunk_flushed(layout, pages),
        }
    }

    /// [`Heap::allocate_chunk`] when the free lists had no room: again, with the cache emptied
    /// into them first.
    #[cold]
    #[inline(never)]
    fn allocate_chunk_flushed(
        &mut self,
        layout: Layout,
        pages: &mut impl Pages,
    ) -> Option<NonNull<u8>> {
        if self.cached_bytes != 0 {
            self.flush_cache(pages);
            let size = chunk::chunk_size(layout.size());
            if let Some(addr) = self.alloc_chunk(size, layout.align(), pages) {
                return Some(block(addr));
            }
        }
        self.count_failure()
    }

    /// Frees every cached chunk into the free lists (merging it with its free neighbours).
    /// The cache is emptied before the first one is freed, so a page release that a free
    /// sets off finds it empty, and this never runs inside itself more than one level deep.
    #[cold]
    #[inline(never)]
    pub(crate) fn flush_cache(&mut self, pages: &mut impl Pages) {
        // One chain of all cached payloads, through their first words.
        let mut chain = 0;
        for slot in 0..CACHE_SIZES {
            let mut payload = core::mem::take(&mut self.cache[slot]);
            self.cache_len[slot] = 0;
            while payload != 0 {
                let next = self.load(payload);
                self.store(payload, chain);
                chain = payload;
                payload = next;
            }
        }
        self.cached_bytes = 0;
        while chain != 0 {
            let next = self.load(chain);
            self.free_chunk(chain, pages);
            chain = next;
        }
    }

    /// Frees a block [`Heap::allocate`] returned for the same `layout`.
    ///
    /// # Safety
    ///
    /// `ptr` must come from this heap's `allocate` (or `reallocate`) with `layout`, and not
    /// have been freed.
    #[inline(always)]
    pub unsafe fn deallocate(&mut self, ptr: NonNull<u8>, layout: Layout, pages: &mut impl Pages) {
        let addr = ptr.as_ptr() as usize;
        debug_assert!(
            (self.first..self.end).contains(&addr),
            "freeing {addr:#x}, which is not in the heap"
        );
        if let Some(class) = class_of(layout.size(), layout.align()) {
            if self.small_chunks == 0 || self.in_slab(addr) {
                self.free_small(addr, class, pages);
                return;
            }
            return self.deallocate_small_chunk(addr, pages);
        }
        self.deallocate_chunk(addr, pages);
    }

    /// [`Heap::deallocate`] for a small block in a chunk of its own: straight back to the
    /// lists, since small requests never look in the cache.
    #[cold]
    #[inline(never)]
    fn deallocate_small_chunk(&mut self, addr: usize, pages: &mut impl Pages) {
        self.small_chunks -= 1;
        self.free_chunk(addr, pages);
    }

    /// [`Heap::deallocate`] for a chunk of a request larger than a size class.
    #[inline(never)]
    fn deallocate_chunk(&mut self, addr: usize, pages: &mut impl Pages) {
        let len = self.chunk_len(addr);
        if len < CACHE_LIMIT {
            let slot = len / chunk::GRANULE;
            if self.cache_len[slot] < CACHE_DEPTH {
                self.cache_len[slot] += 1;
                self.cached_bytes += len;
                let next = self.cache[slot];
                self.store(addr, next);
                self.cache[slot] = addr;
                return;
            }
        }
        self.free_chunk(addr, pages);
    }

    /// Resizes a block to `new_size` bytes (same alignment): in place when it stays in its
    /// size class, or when a chunk can shrink or grow into a free neighbour; else by
    /// allocating, copying and freeing. Returns the block's address, or `None` (the old block
    /// untouched) if a new block could not be had.
    ///
    /// # Safety
    ///
    /// `ptr` must come from this heap's `allocate` with `layout`, and not have been freed;
    /// `new_size` must be non-zero.
    pub unsafe fn reallocate(
        &mut self,
        ptr: NonNull<u8>,
        layout: Layout,
        new_size: usize,
        pages: &mut impl Pages,
    ) -> Option<NonNull<u8>> {
        let new_layout = Layout::from_size_align(new_size, layout.align()).ok()?;
        let addr = ptr.as_ptr() as usize;
        let (old_class, new_class) = (
            class_of(layout.size(), layout.align()),
            class_of(new_size, layout.align()),
        );
        let in_place = if self.in_slab(addr) {
            old_class == new_class
        } else if self.resize_chunk(addr, chunk::chunk_size(new_size), pages) {
            // The chunk may now hold a block of a size class, or no longer.
            self.small_chunks = self.small_chunks - usize::from(old_class.is_some())
                + usize::from(new_class.is_some());
            true
        } else {
            false
        };
        if in_place {
            return Some(ptr);
        }
        let new = self.allocate(new_layout, pages)?;
        // SAFETY: both blocks are live, distinct (the old one is not freed yet) and at least
        // the smaller size long; then the old block goes back, as the caller's contract allows.
        unsafe {
            core::ptr::copy_nonoverlapping(ptr.as_ptr(), new.as_ptr(), layout.size().min(new_size));
            self.deallocate(ptr, layout, pages);
        }
        Some(new)
    }

    /// The bytes a block allocated for `layout` at `ptr` really occupies (its class, or its
    /// chunk less the header).
    pub fn usable_size(&self, ptr: NonNull<u8>, layout: Layout) -> usize {
        match class_of(layout.size(), layout.align()) {
            Some(class) if self.in_slab(ptr.as_ptr() as usize) => class_size(class),
            _ => self.chunk_len(ptr.as_ptr() as usize) - chunk::HEADER,
        }
    }

    /// Checks the heap's invariants (tests call this after every step): chunks tile the grown
    /// region, tags agree, no two free chunks touch, every free chunk is in the right list,
    /// every block's pages are mapped, the counters agree, and the slab lists are sane.
    /// Returns a description of the first problem.
    pub fn check(&mut self) -> Result<(), &'static str> {
        self.check_chunks()?;
        self.check_cache()?;
        self.check_slabs()
    }

    /// Checks the chunk cache: every cached chunk is allocated to the chunk layer and of its
    /// entry's size, and the counts agree.
    fn check_cache(&self) -> Result<(), &'static str> {
        let mut bytes = 0;
        for slot in 0..CACHE_SIZES {
            let (mut payload, mut len) = (self.cache[slot], 0);
            while payload != 0 {
                if !(self.first..self.end).contains(&payload) {
                    return Err("a cached chunk outside the heap");
                }
                if self.load(payload - chunk::HEADER) & chunk::FREE != 0
                    || self.chunk_len(payload) != slot * chunk::GRANULE
                {
                    return Err("a cached chunk is free or of the wrong size");
                }
                bytes += slot * chunk::GRANULE;
                len += 1;
                payload = self.load(payload);
            }
            if len != self.cache_len[slot] || len > CACHE_DEPTH {
                return Err("a cache entry's count disagrees");
            }
        }
        if bytes != self.cached_bytes {
            return Err("cached byte count disagrees");
        }
        Ok(())
    }
}
