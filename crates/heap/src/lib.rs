//! The kernel heap: size-class slabs for small blocks, runs of pages for large ones.
//!
//! # The design, and why
//!
//! A kernel allocates mostly small things (list nodes, strings, small vectors) and now and then
//! something large (a buffer, a table). One algorithm serves both badly: a first-fit free list
//! (what the `linked_list_allocator` crate does) searches a list that grows with fragmentation,
//! so small allocations get slower the longer the kernel runs. Ferrite's heap uses two:
//!
//! * **Small blocks** (up to [`MAX_SMALL`] bytes) come from 24 *size classes*: 16, 32, 48,
//!   then four steps per doubling from 64 up to 2048. A request is rounded up to its class (from
//!   64 bytes up that wastes less than a fifth of a block; below, the steps are 16 bytes). Each
//!   class owns whole 4 KiB pages ("slabs") cut into blocks of its size, so a block's size is
//!   known from its page; every class is a multiple of 16 and the power-of-two classes serve
//!   larger alignments. Allocating or freeing is popping or pushing a per-page free list:
//!   constant time, no search. A slab whose blocks are all free again goes back to the page pool.
//! * **Large blocks** are runs of whole pages. Free runs record their length at both ends
//!   (*boundary tags*, Knuth's idea), so a freed run merges with free neighbours in constant time,
//!   and they are kept in 17 lists by length (1 to 16 pages, and longer), so a short request is
//!   served without looking at unsuitable runs; only the last list is searched first-fit.
//!
//! Book-keeping lives in a table with one 20-byte entry per page of the heap region, at the
//! region's start, rather than in headers next to the blocks: a small block carries no header at
//! all, and a stray write past the end of a block cannot corrupt the allocator's own data.
//!
//! The heap *grows*: it starts with the page table and nothing else mapped, and when no free run
//! fits it asks the [`Grow`] callback to map more pages at its end, up to the region's limit.
//! When that fails the allocation returns `None` (a null pointer to Rust's allocator API), so
//! fallible allocations (`try_reserve`, `Box::try_new`) fail cleanly and the kernel goes on.
//!
//! This crate knows nothing of page tables: the kernel supplies the region and the callback, and
//! the host tests supply a plain buffer.

#![no_std]

use core::alloc::Layout;
use core::ptr::NonNull;

/// Bytes in a page: the unit the heap grows by and large blocks are made of.
pub const PAGE_SIZE: usize = 4096;
/// The smallest block (a free block holds a 2-byte link; 16 keeps everything 16-aligned).
pub const MIN_BLOCK: usize = 16;
/// The largest small block; anything larger is a run of pages.
pub const MAX_SMALL: usize = 2048;
/// The block sizes: four steps per doubling from 64 bytes up (so rounding wastes at most a
/// fifth of a block), every one a multiple of 16 (so every block is 16-aligned), and every power
/// of two among them (so a block of a power-of-two class is aligned to its size).
const CLASS_SIZES: [u16; 24] = [
    16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024,
    1280, 1536, 1792, 2048,
];
/// Blocks per slab page, per class.
const CLASS_CAPACITY: [u16; CLASSES] = {
    let mut table = [0u16; CLASSES];
    let mut class = 0;
    while class < CLASSES {
        table[class] = (PAGE_SIZE / CLASS_SIZES[class] as usize) as u16;
        class += 1;
    }
    table
};
/// Per class, ceil(2^32 / size): `offset * this >> 32` is `offset / size` for every offset in a
/// page (the error stays below 1/size while offset < 2^32 / 2048), without a division.
const CLASS_RECIPROCAL: [u64; CLASSES] = {
    let mut table = [0u64; CLASSES];
    let mut class = 0;
    while class < CLASSES {
        table[class] = (1u64 << 32).div_ceil(CLASS_SIZES[class] as u64);
        class += 1;
    }
    table
};
/// How many size classes there are.
const CLASSES: usize = CLASS_SIZES.len();
/// For each size in 16-byte steps (index `(size + 15) / 16`), the smallest class that holds it.
const CLASS_FOR_STEP: [u8; MAX_SMALL / 16 + 1] = {
    let mut table = [0u8; MAX_SMALL / 16 + 1];
    let mut step = 0;
    let mut class = 0;
    while step < table.len() {
        while (CLASS_SIZES[class] as usize) < step * 16 {
            class += 1;
        }
        table[step] = class as u8;
        step += 1;
    }
    table
};
/// Free runs are kept in lists by length: list `n` holds runs of `n + 1` pages, the last list
/// every longer run.
const RUN_LISTS: usize = 17;
/// "No page" / "no block" in the page table's 32- and 16-bit links.
const NONE32: u32 = u32::MAX;
const NONE16: u16 = u16::MAX;

/// What a page of the heap is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Beyond the mapped end, or the page table itself.
    Unmapped,
    /// The first or last page of a free run, holding the run's length. (Pages inside a run or a
    /// large allocation keep whatever they held before: nothing reads them.)
    Free,
    /// A slab of size class `class`.
    Slab,
    /// The first page of a large allocation of `len` pages.
    Large,
    /// The last page of a large allocation of more than one page.
    LargeTail,
}

/// One entry of the page table.
#[derive(Debug, Clone, Copy)]
struct PageInfo {
    kind: Kind,
    /// Slab: its size class.
    class: u8,
    /// Slab: blocks in use.
    used: u16,
    /// Slab: first free block (index), or NONE16.
    free_head: u16,
    /// Slab: blocks never handed out start at this index.
    bump: u16,
    /// Free run (first and last page) or large allocation (first page): length in pages.
    len: u32,
    /// Slab: neighbours in its class's list of slabs with free blocks. Free run (first page):
    /// neighbours in the list of free runs.
    prev: u32,
    next: u32,
}

impl PageInfo {
    const UNMAPPED: PageInfo = PageInfo {
        kind: Kind::Unmapped,
        class: 0,
        used: 0,
        free_head: NONE16,
        bump: 0,
        len: 0,
        prev: NONE32,
        next: NONE32,
    };
}

/// Maps more memory at the heap's end: `grow(from, bytes)` must make `from..from + bytes`
/// usable (both page aligned) and say whether it did.
pub trait Grow {
    /// Makes the bytes usable; false if it cannot (no memory left).
    fn grow(&mut self, from: usize, bytes: usize) -> bool;
}

/// Counters for the `mem` command, the tests and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes the callers asked for and have not freed.
    pub requested_bytes: usize,
    /// Blocks handed out and not freed.
    pub live_blocks: usize,
    /// Pages mapped for data (not counting the page table).
    pub mapped_pages: usize,
    /// Pages in free runs.
    pub free_pages: usize,
    /// Pages in slabs.
    pub slab_pages: usize,
    /// Pages in large allocations.
    pub large_pages: usize,
    /// Allocations that failed.
    pub failures: usize,
    /// Slabs set up since the heap began (a slab is set up when its class has no free block).
    pub slabs_created: usize,
}

/// Why a heap could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeapError {
    /// The region is not page aligned or too small for its own page table and one page.
    BadRegion,
    /// The first growth (for the page table) failed.
    CannotGrow,
}

/// The heap.
pub struct Heap {
    /// First byte of the region (the page table).
    base: usize,
    /// Pages in the whole region, page table included.
    pages: usize,
    /// Pages the page table itself takes.
    table_pages: usize,
    /// Pages mapped so far (page table included).
    mapped: usize,
    /// Per class: first slab with a free block, or NONE32.
    partial: [u32; CLASSES],
    /// Per length (see [`RUN_LISTS`]): first free run, or NONE32.
    free_runs: [u32; RUN_LISTS],
    stats: Stats,
}

// SAFETY: the heap owns its region; moving it to another thread moves that ownership. (The kernel
// keeps it behind a lock.)
unsafe impl Send for Heap {}

/// The size class for a small request of `size` bytes aligned to `align`, or `None` if large.
pub fn class_of(size: usize, align: usize) -> Option<usize> {
    // Alignment beyond 16 needs a power-of-two class at least that large.
    let size = if align > MIN_BLOCK {
        size.max(align).next_power_of_two()
    } else {
        size
    };
    CLASS_FOR_STEP
        .get(size.div_ceil(MIN_BLOCK))
        .map(|&class| usize::from(class))
}

/// The block size of class `class`.
pub const fn class_size(class: usize) -> usize {
    CLASS_SIZES[class] as usize
}

/// The list a free run of `len` pages belongs in.
fn run_list(len: usize) -> usize {
    len.min(RUN_LISTS) - 1
}

impl Heap {
    /// A heap over the `limit` bytes at `base`, of which nothing is mapped yet; `grow` maps the
    /// page table at once and data pages as needed.
    ///
    /// # Safety
    ///
    /// `base..base + limit` must be address space that belongs to this heap alone, and every
    /// range `grow` reports as made usable must be readable and writable memory until the heap is
    /// dropped.
    pub unsafe fn new(base: usize, limit: usize, grow: &mut impl Grow) -> Result<Heap, HeapError> {
        if base % PAGE_SIZE != 0 || limit % PAGE_SIZE != 0 {
            return Err(HeapError::BadRegion);
        }
        let pages = limit / PAGE_SIZE;
        let table_pages = (pages * core::mem::size_of::<PageInfo>()).div_ceil(PAGE_SIZE);
        if table_pages >= pages {
            return Err(HeapError::BadRegion);
        }
        if !grow.grow(base, table_pages * PAGE_SIZE) {
            return Err(HeapError::CannotGrow);
        }
        let heap = Heap {
            base,
            pages,
            table_pages,
            mapped: table_pages,
            partial: [NONE32; CLASSES],
            free_runs: [NONE32; RUN_LISTS],
            stats: Stats::default(),
        };
        for page in 0..pages {
            // SAFETY: the table's pages were just made usable; `page` is inside it.
            unsafe { heap.info_ptr(page).write(PageInfo::UNMAPPED) };
        }
        Ok(heap)
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Bytes the heap may grow to (its data pages), and bytes mapped now.
    pub fn capacity(&self) -> (usize, usize) {
        (
            (self.pages - self.table_pages) * PAGE_SIZE,
            (self.mapped - self.table_pages) * PAGE_SIZE,
        )
    }

    fn info_ptr(&self, page: usize) -> *mut PageInfo {
        (self.base as *mut PageInfo).wrapping_add(page)
    }

    fn info(&mut self, page: usize) -> &mut PageInfo {
        debug_assert!(page < self.pages);
        // SAFETY: the table is mapped for the heap's life, `page` indexes inside it, and `&mut
        // self` makes this the only reference.
        unsafe { &mut *self.info_ptr(page) }
    }

    fn page_addr(&self, page: usize) -> usize {
        self.base + page * PAGE_SIZE
    }

    fn page_of(&self, addr: usize) -> Option<usize> {
        let page = addr.checked_sub(self.base)? / PAGE_SIZE;
        (self.table_pages..self.mapped)
            .contains(&page)
            .then_some(page)
    }

    // ---- free runs -------------------------------------------------------------------------

    /// Records pages `first..first + len` as one free run (no merging here).
    fn push_run(&mut self, first: usize, len: usize) {
        let list = run_list(len);
        let head = self.free_runs[list];
        // Only the run's first and last pages are tagged: merging looks at nothing else, and
        // touching every page would make splitting a long run cost as much as its length.
        for page in [first, first + len - 1] {
            let info = self.info(page);
            info.kind = Kind::Free;
            info.len = len as u32;
        }
        let info = self.info(first);
        info.prev = NONE32;
        info.next = head;
        if head != NONE32 {
            self.info(head as usize).prev = first as u32;
        }
        self.free_runs[list] = first as u32;
        self.stats.free_pages += len;
    }

    /// Takes the free run starting at `first` out of the list.
    fn unlink_run(&mut self, first: usize) {
        let PageInfo {
            prev, next, len, ..
        } = *self.info(first);
        match prev {
            NONE32 => self.free_runs[run_list(len as usize)] = next,
            prev => self.info(prev as usize).next = next,
        }
        if next != NONE32 {
            self.info(next as usize).prev = prev;
        }
        self.stats.free_pages -= len as usize;
    }

    /// Frees pages `first..first + len`, merging with free neighbours.
    fn free_pages(&mut self, mut first: usize, mut len: usize) {
        let end = first + len;
        if end < self.mapped && self.info(end).kind == Kind::Free {
            let next_len = self.info(end).len as usize;
            self.unlink_run(end);
            len += next_len;
        }
        if first > self.table_pages && self.info(first - 1).kind == Kind::Free {
            let prev_len = self.info(first - 1).len as usize;
            let prev_first = first - prev_len;
            self.unlink_run(prev_first);
            first = prev_first;
            len += prev_len;
        }
        self.push_run(first, len);
    }

    /// Finds `len` free pages whose first page's address is a multiple of `align` (a power of two,
    /// at least a page), growing the heap if no run fits. Returns the first page.
    fn take_pages(&mut self, len: usize, align: usize, grow: &mut impl Grow) -> Option<usize> {
        // The lists of runs at least `len` long, shortest first: best fit for short runs, then
        // first fit among the long ones.
        for list in run_list(len)..RUN_LISTS {
            if let Some(first) = self.take_from_list(list, len, align) {
                return Some(first);
            }
        }
        self.grow_for(len, align, grow)
    }

    /// Takes `len` pages aligned to `align` from the first run in `list` that has them.
    fn take_from_list(&mut self, list: usize, len: usize, align: usize) -> Option<usize> {
        let mut run = self.free_runs[list];
        while run != NONE32 {
            let (first, run_len, next) = {
                let info = *self.info(run as usize);
                (run as usize, info.len as usize, info.next)
            };
            let start = self.page_addr(first).next_multiple_of(align);
            let skip = (start - self.page_addr(first)) / PAGE_SIZE;
            if skip + len <= run_len {
                self.unlink_run(first);
                if skip > 0 {
                    self.push_run(first, skip);
                }
                if run_len > skip + len {
                    self.push_run(first + skip + len, run_len - skip - len);
                }
                return Some(first + skip);
            }
            run = next;
        }
        None
    }

    /// Grows the heap so that `len` pages aligned to `align` fit at its end, reusing a free run
    /// at the end if there is one, and takes them.
    fn grow_for(&mut self, len: usize, align: usize, grow: &mut impl Grow) -> Option<usize> {
        let tail_free =
            if self.mapped > self.table_pages && self.info(self.mapped - 1).kind == Kind::Free {
                self.info(self.mapped - 1).len as usize
            } else {
                0
            };
        let start_page = self.mapped - tail_free;
        let start = self.page_addr(start_page).next_multiple_of(align);
        let needed_end = (start - self.base) / PAGE_SIZE + len;
        if needed_end > self.pages {
            return None;
        }
        // A tail run long enough would have been found above, so the heap really must grow.
        let new_pages = needed_end.checked_sub(self.mapped).filter(|&n| n > 0)?;
        if !grow.grow(self.page_addr(self.mapped), new_pages * PAGE_SIZE) {
            return None;
        }
        self.mapped = needed_end;
        self.stats.mapped_pages += new_pages;
        if tail_free > 0 {
            self.unlink_run(start_page);
        }
        // The new pages (and the old free tail) form one run; take the aligned part.
        let run_first = start_page;
        let run_len = tail_free + new_pages;
        let skip = (start - self.page_addr(run_first)) / PAGE_SIZE;
        if skip > 0 {
            self.push_run(run_first, skip);
        }
        debug_assert_eq!(skip + len, run_len);
        Some(run_first + skip)
    }

    // ---- slabs -----------------------------------------------------------------------------

    fn unlink_slab(&mut self, page: usize, class: usize) {
        let PageInfo { prev, next, .. } = *self.info(page);
        match prev {
            NONE32 => self.partial[class] = next,
            prev => self.info(prev as usize).next = next,
        }
        if next != NONE32 {
            self.info(next as usize).prev = prev;
        }
    }

    fn push_slab(&mut self, page: usize, class: usize) {
        let head = self.partial[class];
        let info = self.info(page);
        info.prev = NONE32;
        info.next = head;
        if head != NONE32 {
            self.info(head as usize).prev = page as u32;
        }
        self.partial[class] = page as u32;
    }

    fn alloc_small(&mut self, class: usize, grow: &mut impl Grow) -> Option<NonNull<u8>> {
        let size = class_size(class);
        let capacity = CLASS_CAPACITY[class];
        if self.partial[class] == NONE32 {
            let page = self.take_pages(1, PAGE_SIZE, grow)?;
            *self.info(page) = PageInfo {
                kind: Kind::Slab,
                class: class as u8,
                used: 0,
                free_head: NONE16,
                bump: 0,
                len: 1,
                prev: NONE32,
                next: NONE32,
            };
            self.stats.slab_pages += 1;
            self.stats.slabs_created += 1;
            self.push_slab(page, class);
        }
        let page = self.partial[class] as usize;
        let page_addr = self.page_addr(page);
        let info = self.info(page);
        let index = if info.free_head != NONE16 {
            let index = info.free_head;
            let block = (page_addr + usize::from(index) * size) as *const u16;
            // SAFETY: a free block's first two bytes hold the index of the next free block; the
            // block is inside this mapped slab page.
            info.free_head = unsafe { block.read() };
            index
        } else {
            info.bump += 1;
            info.bump - 1
        };
        info.used += 1;
        if info.used == capacity {
            self.unlink_slab(page, class);
        }
        NonNull::new((page_addr + usize::from(index) * size) as *mut u8)
    }

    fn free_small(&mut self, page: usize, addr: usize) {
        let class = usize::from(self.info(page).class);
        let capacity = CLASS_CAPACITY[class];
        let page_addr = self.page_addr(page);
        let index = (((addr - page_addr) as u64 * CLASS_RECIPROCAL[class]) >> 32) as u16;
        let info = self.info(page);
        let was_full = info.used == capacity;
        // SAFETY: the block is inside this mapped slab page and no longer in use; its first two
        // bytes become the free-list link.
        unsafe { (addr as *mut u16).write(info.free_head) };
        info.free_head = index;
        info.used -= 1;
        let now_empty = info.used == 0;
        if was_full {
            self.push_slab(page, class);
        }
        if now_empty {
            // The whole slab is free: give the page back to the pool.
            self.unlink_slab(page, class);
            self.stats.slab_pages -= 1;
            self.free_pages(page, 1);
        }
    }

    // ---- the allocator interface -----------------------------------------------------------

    /// Allocates a block for `layout`, or `None` if the heap cannot grow enough.
    pub fn allocate(&mut self, layout: Layout, grow: &mut impl Grow) -> Option<NonNull<u8>> {
        let result = match class_of(layout.size(), layout.align()) {
            Some(class) => self.alloc_small(class, grow),
            None => {
                let len = layout.size().div_ceil(PAGE_SIZE).max(1);
                let align = layout.align().max(PAGE_SIZE);
                self.take_pages(len, align, grow).map(|first| {
                    let info = self.info(first);
                    info.kind = Kind::Large;
                    info.len = len as u32;
                    // The last page is tagged too, so a free run's tag left there earlier is not
                    // mistaken for a free neighbour when the block after this one is freed.
                    if len > 1 {
                        self.info(first + len - 1).kind = Kind::LargeTail;
                    }
                    self.stats.large_pages += len;
                    // SAFETY: a mapped page's address is not null.
                    unsafe { NonNull::new_unchecked(self.page_addr(first) as *mut u8) }
                })
            }
        };
        match result {
            Some(_) => {
                self.stats.requested_bytes += layout.size();
                self.stats.live_blocks += 1;
            }
            None => self.stats.failures += 1,
        }
        result
    }

    /// Frees a block [`Heap::allocate`] returned for the same `layout`.
    ///
    /// # Safety
    ///
    /// `ptr` must come from this heap's `allocate` with `layout`, and not have been freed.
    pub unsafe fn deallocate(&mut self, ptr: NonNull<u8>, layout: Layout) {
        let addr = ptr.as_ptr() as usize;
        let Some(page) = self.page_of(addr) else {
            debug_assert!(false, "freeing {addr:#x}, which is not in the heap");
            return;
        };
        match self.info(page).kind {
            Kind::Slab => self.free_small(page, addr),
            Kind::Large => {
                let len = self.info(page).len as usize;
                self.stats.large_pages -= len;
                self.free_pages(page, len);
            }
            kind => {
                debug_assert!(false, "freeing {addr:#x} in a {kind:?} page");
                return;
            }
        }
        self.stats.requested_bytes -= layout.size();
        self.stats.live_blocks -= 1;
    }

    /// Resizes a block to `new_size` bytes (same alignment): in place when the block's size
    /// class or page count does not change, else by allocating, copying and freeing. Returns the
    /// block's address, or `None` (the old block untouched) if a new block could not be had.
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
        grow: &mut impl Grow,
    ) -> Option<NonNull<u8>> {
        let new_layout = Layout::from_size_align(new_size, layout.align()).ok()?;
        if Heap::usable_size(new_layout) == Heap::usable_size(layout) {
            self.stats.requested_bytes = self.stats.requested_bytes - layout.size() + new_size;
            return Some(ptr);
        }
        let new = self.allocate(new_layout, grow)?;
        // SAFETY: both blocks are live, distinct (the old one is not freed yet) and at least
        // the smaller size long; then the old block goes back, as the caller's contract allows.
        unsafe {
            core::ptr::copy_nonoverlapping(ptr.as_ptr(), new.as_ptr(), layout.size().min(new_size));
            self.deallocate(ptr, layout);
        }
        Some(new)
    }

    /// The usable size of a block allocated for `layout` (what `realloc` can grow into in place).
    pub fn usable_size(layout: Layout) -> usize {
        match class_of(layout.size(), layout.align()) {
            Some(class) => class_size(class),
            None => layout.size().div_ceil(PAGE_SIZE).max(1) * PAGE_SIZE,
        }
    }

    /// Checks the page table's invariants (tests call this after every step): every mapped page
    /// is accounted for, free runs have matching boundary tags and are never adjacent, slab
    /// counts agree. Returns a description of the first problem.
    pub fn check(&mut self) -> Result<(), &'static str> {
        let (mut free, mut slab, mut large) = (0, 0, 0);
        let mut page = self.table_pages;
        let mut previous_free = false;
        while page < self.mapped {
            let info = *self.info(page);
            match info.kind {
                Kind::Free => {
                    let len = info.len as usize;
                    if len == 0 || page + len > self.mapped {
                        return Err("free run with a bad length");
                    }
                    if self.info(page + len - 1).len as usize != len {
                        return Err("free run whose tags disagree");
                    }
                    if previous_free {
                        return Err("two free runs side by side");
                    }
                    free += len;
                    page += len;
                    previous_free = true;
                    continue;
                }
                Kind::Slab => {
                    let capacity = PAGE_SIZE / class_size(usize::from(info.class));
                    if info.used == 0 || usize::from(info.used) > capacity || info.bump < info.used
                    {
                        return Err("slab with impossible counts");
                    }
                    slab += 1;
                    page += 1;
                }
                Kind::Large => {
                    let len = info.len as usize;
                    if len > 1 && self.info(page + len - 1).kind != Kind::LargeTail {
                        return Err("large allocation whose last page is not tagged");
                    }
                    large += len;
                    page += len;
                }
                Kind::LargeTail => return Err("large allocation page without its head"),
                Kind::Unmapped => return Err("unmapped page below the mapped end"),
            }
            previous_free = false;
        }
        let mut listed = 0;
        for list in 0..RUN_LISTS {
            let mut run = self.free_runs[list];
            while run != NONE32 {
                let len = self.info(run as usize).len as usize;
                if run_list(len) != list {
                    return Err("free run in the wrong list");
                }
                listed += len;
                run = self.info(run as usize).next;
            }
        }
        if listed != free || free != self.stats.free_pages {
            return Err("free run list disagrees with the pages");
        }
        if slab != self.stats.slab_pages || large != self.stats.large_pages {
            return Err("page counts disagree");
        }
        if free + slab + large != self.mapped - self.table_pages {
            return Err("pages unaccounted for");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::BTreeMap;
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

    /// Grows within the region, refusing past `allow` bytes in all.
    struct Budget {
        allow: usize,
        granted: usize,
        calls: usize,
    }

    impl Grow for Budget {
        fn grow(&mut self, _from: usize, bytes: usize) -> bool {
            self.calls += 1;
            if self.granted + bytes > self.allow {
                return false;
            }
            self.granted += bytes;
            true
        }
    }

    fn heap(region: &Region, allow: usize) -> (Heap, Budget) {
        let mut budget = Budget {
            allow,
            granted: 0,
            calls: 0,
        };
        let (base, size) = (region.ptr as usize, region.layout.size());
        // SAFETY: the region is a live buffer of this size owned by the test.
        let heap = unsafe { Heap::new(base, size, &mut budget) }.unwrap();
        (heap, budget)
    }

    #[test]
    fn requests_get_the_smallest_class_that_holds_them() {
        assert_eq!(class_of(1, 1), Some(0));
        assert_eq!(class_of(16, 8), Some(0));
        assert_eq!(class_of(17, 1).map(class_size), Some(32));
        assert_eq!(class_of(33, 8).map(class_size), Some(48));
        assert_eq!(
            class_of(24, 64).map(class_size),
            Some(64),
            "alignment raises the class"
        );
        assert_eq!(class_of(100, 128).map(class_size), Some(128));
        assert_eq!(class_of(1025, 1).map(class_size), Some(1280));
        assert_eq!(class_of(2048, 1).map(class_size), Some(2048));
        assert_eq!(class_of(2049, 1), None);
        assert_eq!(class_of(8, 4096), None, "page alignment is a large block");
        // Every size up to the largest class gets the smallest class that holds it.
        for size in 1..=MAX_SMALL {
            let class = class_of(size, 1).unwrap();
            assert!(class_size(class) >= size);
            assert!(class == 0 || class_size(class - 1) < size, "size {size}");
        }
    }

    #[test]
    fn the_region_must_be_aligned_and_big_enough() {
        let mut budget = Budget {
            allow: usize::MAX,
            granted: 0,
            calls: 0,
        };
        // SAFETY: Heap::new refuses these before touching memory.
        unsafe {
            assert_eq!(
                Heap::new(4096 + 8, 1 << 20, &mut budget).err(),
                Some(HeapError::BadRegion)
            );
            assert_eq!(
                Heap::new(4096, 4096, &mut budget).err(),
                Some(HeapError::BadRegion)
            );
        }
    }

    #[test]
    fn small_blocks_share_a_slab_and_the_slab_goes_back() {
        let region = Region::new(1 << 20);
        let (mut heap, mut budget) = heap(&region, usize::MAX);
        let layout = Layout::from_size_align(24, 8).unwrap();
        let a = heap.allocate(layout, &mut budget).unwrap();
        let b = heap.allocate(layout, &mut budget).unwrap();
        assert_eq!(
            b.as_ptr() as usize - a.as_ptr() as usize,
            32,
            "neighbours in one 32-byte slab"
        );
        assert_eq!(heap.stats().slab_pages, 1);
        // SAFETY: both came from this heap with this layout.
        unsafe {
            heap.deallocate(a, layout);
            heap.deallocate(b, layout);
        }
        assert_eq!(heap.stats().slab_pages, 0);
        assert_eq!(heap.stats().free_pages, heap.stats().mapped_pages);
        heap.check().unwrap();
    }

    #[test]
    fn the_reciprocals_divide_exactly() {
        for (class, &reciprocal) in CLASS_RECIPROCAL.iter().enumerate() {
            let size = class_size(class) as u64;
            for offset in 0..PAGE_SIZE as u64 {
                assert_eq!(
                    (offset * reciprocal) >> 32,
                    offset / size,
                    "size {size} offset {offset}"
                );
            }
        }
    }

    #[test]
    fn large_blocks_are_page_runs_and_merge_when_freed() {
        let region = Region::new(4 << 20);
        let (mut heap, mut budget) = heap(&region, usize::MAX);
        let layouts = [5000, 9000, 3000 * 4].map(|n| Layout::from_size_align(n, 8).unwrap());
        let blocks: Vec<_> = layouts
            .iter()
            .map(|&l| heap.allocate(l, &mut budget).unwrap())
            .collect();
        assert_eq!(heap.stats().large_pages, 2 + 3 + 3);
        heap.check().unwrap();
        // Free the middle, then the others: the runs merge into one.
        for i in [1, 0, 2] {
            // SAFETY: from this heap with this layout, freed once.
            unsafe { heap.deallocate(blocks[i], layouts[i]) };
            heap.check().unwrap();
        }
        assert_eq!(heap.stats().free_pages, heap.stats().mapped_pages);
        let mut runs = 0;
        for list in 0..RUN_LISTS {
            let mut run = heap.free_runs[list];
            while run != NONE32 {
                runs += 1;
                run = heap.info(run as usize).next;
            }
        }
        assert_eq!(runs, 1, "everything merged");
    }

    #[test]
    fn alignment_up_to_several_pages_is_honoured() {
        let region = Region::new(8 << 20);
        let (mut heap, mut budget) = heap(&region, usize::MAX);
        for align in [1, 2, 8, 16, 64, 256, 1024, 4096, 16384, 65536] {
            for size in [1, 7, 100, 3000, 5000] {
                let layout = Layout::from_size_align(size, align).unwrap();
                let p = heap.allocate(layout, &mut budget).unwrap();
                assert_eq!(p.as_ptr() as usize % align, 0, "size {size} align {align}");
            }
        }
        heap.check().unwrap();
    }

    #[test]
    fn running_out_fails_cleanly_and_small_allocations_still_work_after() {
        let region = Region::new(1 << 20);
        let (mut heap, mut budget) = heap(&region, 64 * PAGE_SIZE);
        let big = Layout::from_size_align(1 << 20, 8).unwrap();
        assert!(heap.allocate(big, &mut budget).is_none());
        assert_eq!(heap.stats().failures, 1);
        heap.check().unwrap();
        let small = Layout::from_size_align(32, 8).unwrap();
        assert!(heap.allocate(small, &mut budget).is_some());
        heap.check().unwrap();
    }

    #[test]
    fn the_heap_grows_only_when_it_must() {
        let region = Region::new(1 << 20);
        let (mut heap, mut budget) = heap(&region, usize::MAX);
        let calls = budget.calls;
        let layout = Layout::from_size_align(64, 8).unwrap();
        for _ in 0..64 {
            heap.allocate(layout, &mut budget).unwrap();
        }
        assert_eq!(
            budget.calls,
            calls + 1,
            "64 blocks of 64 bytes fit one page"
        );
        assert_eq!(heap.capacity().1, PAGE_SIZE);
    }

    /// The property test: random allocations, frees and reallocations of random sizes and
    /// alignments; after every step no two live blocks overlap, every block is aligned, every
    /// block still holds the pattern written into it, and the page table's invariants hold.
    /// Freeing everything leaves only free pages, merged into one run.
    #[test]
    fn random_workloads_keep_every_invariant() {
        for seed in 1..=60u64 {
            let mut rng = Rng::new(seed);
            let region = Region::new(16 << 20);
            let (mut heap, mut budget) = heap(&region, 8 << 20);
            let mut live: BTreeMap<usize, (Layout, u8)> = BTreeMap::new();
            for step in 0..1500 {
                let choice = rng.below(10);
                if choice < 6 || live.is_empty() {
                    let size = match rng.below(10) {
                        0..=6 => 1 + rng.below(256) as usize,
                        7 | 8 => 1 + rng.below(4096) as usize,
                        _ => 1 + rng.below(64 * 1024) as usize,
                    };
                    let align = 1 << rng.below(13);
                    let layout = Layout::from_size_align(size, align).unwrap();
                    let Some(p) = heap.allocate(layout, &mut budget) else {
                        continue;
                    };
                    let addr = p.as_ptr() as usize;
                    assert_eq!(addr % align, 0, "seed {seed} step {step}");
                    if let Some((&before, &(l, _))) = live.range(..addr).next_back() {
                        assert!(before + l.size() <= addr, "seed {seed}: overlap");
                    }
                    if let Some((&after, _)) = live.range(addr..).next() {
                        assert!(addr + size <= after, "seed {seed}: overlap");
                    }
                    let tag = (step % 251) as u8;
                    // SAFETY: the block is `size` bytes the heap just handed out.
                    unsafe { core::ptr::write_bytes(p.as_ptr(), tag, size) };
                    live.insert(addr, (layout, tag));
                } else if choice == 9 {
                    // Reallocate a random block to a random size; its contents must move with it.
                    let index = rng.below(live.len() as u64) as usize;
                    let (&addr, &(layout, tag)) = live.iter().nth(index).unwrap();
                    let limit = if rng.below(4) == 0 { 20_000 } else { 600 };
                    let new_size = 1 + rng.below(limit) as usize;
                    let ptr = NonNull::new(addr as *mut u8).unwrap();
                    // SAFETY: a live block of this layout; the new size is not zero.
                    let Some(moved) =
                        (unsafe { heap.reallocate(ptr, layout, new_size, &mut budget) })
                    else {
                        continue;
                    };
                    live.remove(&addr);
                    let new_addr = moved.as_ptr() as usize;
                    assert_eq!(
                        new_addr % layout.align(),
                        0,
                        "seed {seed}: realloc lost the alignment"
                    );
                    // SAFETY: the block now holds `new_size` bytes.
                    let bytes =
                        unsafe { core::slice::from_raw_parts(new_addr as *const u8, new_size) };
                    let kept = layout.size().min(new_size);
                    assert!(
                        bytes[..kept].iter().all(|&b| b == tag),
                        "seed {seed}: realloc lost the contents"
                    );
                    // SAFETY: as above; fill the rest with the tag so later checks cover all of it.
                    unsafe { core::ptr::write_bytes(moved.as_ptr(), tag, new_size) };
                    let new_layout = Layout::from_size_align(new_size, layout.align()).unwrap();
                    if let Some((&before, &(l, _))) = live.range(..new_addr).next_back() {
                        assert!(
                            before + l.size() <= new_addr,
                            "seed {seed}: overlap after realloc"
                        );
                    }
                    if let Some((&after, _)) = live.range(new_addr..).next() {
                        assert!(
                            new_addr + new_size <= after,
                            "seed {seed}: overlap after realloc"
                        );
                    }
                    live.insert(new_addr, (new_layout, tag));
                } else {
                    let index = rng.below(live.len() as u64) as usize;
                    let (&addr, &(layout, tag)) = live.iter().nth(index).unwrap();
                    // SAFETY: a live block of this layout.
                    let bytes =
                        unsafe { core::slice::from_raw_parts(addr as *const u8, layout.size()) };
                    assert!(
                        bytes.iter().all(|&b| b == tag),
                        "seed {seed}: block at {addr:#x} was overwritten"
                    );
                    live.remove(&addr);
                    // SAFETY: from this heap with this layout, freed once.
                    unsafe { heap.deallocate(NonNull::new(addr as *mut u8).unwrap(), layout) };
                }
                if step % 16 == 0 {
                    heap.check()
                        .unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
                }
                let requested: usize = live.values().map(|(l, _)| l.size()).sum();
                assert_eq!(heap.stats().requested_bytes, requested);
            }
            for (addr, (layout, _)) in core::mem::take(&mut live) {
                // SAFETY: as above.
                unsafe { heap.deallocate(NonNull::new(addr as *mut u8).unwrap(), layout) };
            }
            heap.check().unwrap();
            let stats = heap.stats();
            assert_eq!(
                (
                    stats.live_blocks,
                    stats.requested_bytes,
                    stats.slab_pages,
                    stats.large_pages
                ),
                (0, 0, 0, 0)
            );
            assert_eq!(
                stats.free_pages, stats.mapped_pages,
                "seed {seed}: all pages free again"
            );
        }
    }
}
