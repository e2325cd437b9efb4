//! Request counters around the heap: how many blocks are live and how many bytes their callers
//! asked for.
//!
//! The heap itself keeps only the counters its own decisions need (the bytes in free chunks,
//! which say when pages go back, and the pages mapped). What callers hold is a question for
//! the `mem` command and the leak tests, not for the allocator, so it is answered one layer
//! out: [`Counting`] wraps a [`Heap`] and adds two counters to every allocation and free. The
//! kernel's global allocator is a `Counting`; the benchmarks measure the bare [`Heap`] beside
//! `talc`, whose own counters are likewise an optional layer (its `counters` feature), left
//! out of the comparison. Split this way, each figure measures one thing: the allocator's
//! work in the benchmark, and the bookkeeping's cost (a few instructions an operation) in the
//! kernel's own pair figures, which go through this layer.

use super::{Heap, HeapError, Pages, Stats};
use core::alloc::Layout;
use core::ptr::NonNull;

/// A [`Heap`] that counts its live blocks and the bytes asked for.
pub struct Counting {
    heap: Heap,
    requested_bytes: usize,
    live_blocks: usize,
}

impl Counting {
    /// A counting heap over the `limit` bytes at `base`: see [`Heap::new`].
    ///
    /// # Safety
    ///
    /// As for [`Heap::new`].
    pub unsafe fn new(
        base: usize,
        limit: usize,
        pages: &mut impl Pages,
    ) -> Result<Counting, HeapError> {
        // SAFETY: forwarded from the caller.
        let heap = unsafe { Heap::new(base, limit, pages) }?;
        Ok(Counting {
            heap,
            requested_bytes: 0,
            live_blocks: 0,
        })
    }

    /// [`Heap::allocate`], counted.
    #[inline(always)]
    pub fn allocate(&mut self, layout: Layout, pages: &mut impl Pages) -> Option<NonNull<u8>> {
        let block = self.heap.allocate(layout, pages)?;
        self.requested_bytes += layout.size();
        self.live_blocks += 1;
        Some(block)
    }

    /// [`Heap::deallocate`], counted.
    ///
    /// # Safety
    ///
    /// As for [`Heap::deallocate`].
    #[inline(always)]
    pub unsafe fn deallocate(&mut self, ptr: NonNull<u8>, layout: Layout, pages: &mut impl Pages) {
        // SAFETY: forwarded from the caller.
        unsafe { self.heap.deallocate(ptr, layout, pages) };
        self.requested_bytes -= layout.size();
        self.live_blocks -= 1;
    }

    /// [`Heap::reallocate`], counted.
    ///
    /// # Safety
    ///
    /// As for [`Heap::reallocate`].
    pub unsafe fn reallocate(
        &mut self,
        ptr: NonNull<u8>,
        layout: Layout,
        new_size: usize,
        pages: &mut impl Pages,
    ) -> Option<NonNull<u8>> {
        // SAFETY: forwarded from the caller.
        let block = unsafe { self.heap.reallocate(ptr, layout, new_size, pages) }?;
        self.requested_bytes = self.requested_bytes - layout.size() + new_size;
        Some(block)
    }

    /// The heap's counters, with the live blocks and requested bytes filled in.
    pub fn stats(&self) -> Stats {
        Stats {
            requested_bytes: self.requested_bytes,
            live_blocks: self.live_blocks,
            ..self.heap.stats()
        }
    }

    /// [`Heap::capacity`].
    pub fn capacity(&self) -> (usize, usize) {
        self.heap.capacity()
    }

    /// [`Heap::usable_size`].
    pub fn usable_size(&self, ptr: NonNull<u8>, layout: Layout) -> usize {
        self.heap.usable_size(ptr, layout)
    }

    /// [`Heap::check`].
    pub fn check(&mut self) -> Result<(), &'static str> {
        self.heap.check()
    }
}
