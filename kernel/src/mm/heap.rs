//! The kernel heap: a region of virtual memory that grows by mapping frames, managed by the
//! `heap` crate's allocator, and registered as Rust's global allocator so that `Box`, `Vec`,
//! `String`, `BTreeMap` and `Arc` work in the kernel.
//!
//! The region starts at [`crate::mm::layout::KERNEL_HEAP_START`] and may grow to
//! [`crate::mm::layout::KERNEL_HEAP_MAX`] bytes. Only the allocator's page and slab maps are
//! mapped at boot; data pages are mapped (writable, never executable) when the allocator asks
//! for them, and a request either maps every page it asked for or, if frames run out, unmaps
//! the ones it had mapped and fails, so the allocation returns null. When frees leave whole
//! pages free beyond the allocator's reserve (see `heap::RESERVE`), it hands them back: they
//! are unmapped and their frames return to the frame allocator.
//!
//! A null from the global allocator is not a panic for fallible paths: `Vec::try_reserve`,
//! `Box::try_new` and friends return an error and the kernel goes on. An *infallible* allocation
//! that cannot be met ends in [`out_of_memory`], which stops the kernel with the request's size
//! and the heap's statistics, the two things needed to understand why.
//!
//! The allocator is wrapped in `heap::Counting`, which counts the live blocks and the bytes
//! asked for: what `mem`, `/proc/meminfo` and the leak tests read.
//!
//! The lock is never taken in an interrupt handler: handlers do not allocate.

use super::PAGE_TABLES;
use crate::mm::layout::{KERNEL_HEAP_MAX, KERNEL_HEAP_START};
use crate::sync::IrqMutex as Mutex;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{null_mut, NonNull};
use heap::{Counting, HeapError, Pages, Stats};
pub use heap::{RELEASE_MIN, RESERVE};
use x86_64::structures::paging::PageTableFlags as Flags;
use x86_64::VirtAddr;

/// Rust's global allocator: the kernel heap, once [`init`] has made it.
pub struct KernelHeap(Mutex<Option<Counting>>);

#[global_allocator]
static HEAP: KernelHeap = KernelHeap(Mutex::new(None));

/// Maps fresh frames for the heap, and gives back the ones it lets go of.
struct MapFrames;

impl Pages for MapFrames {
    fn map(&mut self, from: usize, bytes: usize) -> bool {
        // All pages or none: a failed request leaves nothing mapped.
        super::map_fresh_pages(
            from as u64,
            (bytes / heap::PAGE_SIZE) as u64,
            Flags::WRITABLE | Flags::NO_EXECUTE,
        )
    }

    fn unmap(&mut self, from: usize, bytes: usize) {
        super::unmap_and_free(from as u64, (bytes / heap::PAGE_SIZE) as u64);
    }
}

/// Why the heap could not be set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelHeapError {
    /// Something is already mapped where the heap should be.
    RegionInUse,
    /// The allocator refused the region or could not map its page table.
    Heap(HeapError),
}

/// Sets the heap up at its fixed region. Needs the frame allocator and the page tables.
pub fn init() -> Result<(), KernelHeapError> {
    let start = VirtAddr::new(KERNEL_HEAP_START);
    if PAGE_TABLES
        .lock()
        .as_ref()
        .and_then(|t| t.translate(start))
        .is_some()
    {
        return Err(KernelHeapError::RegionInUse);
    }
    // SAFETY: the region is the kernel heap's in the address space map (`layout`), nothing is
    // mapped there (checked above), and `MapFrames` maps fresh frames for every range it
    // approves, which stay mapped until the heap itself hands them back.
    let heap = unsafe {
        Counting::new(
            KERNEL_HEAP_START as usize,
            KERNEL_HEAP_MAX as usize,
            &mut MapFrames,
        )
    }
    .map_err(KernelHeapError::Heap)?;
    *HEAP.0.lock() = Some(heap);
    Ok(())
}

/// The heap's counters, and its (limit, mapped) data bytes; `None` before [`init`].
pub fn stats() -> Option<(Stats, (usize, usize))> {
    HEAP.0
        .lock()
        .as_ref()
        .map(|heap| (heap.stats(), heap.capacity()))
}

// SAFETY: `alloc` returns blocks from the heap crate, which never hands out overlapping live
// blocks and honours the layout's size and alignment (tested on the host); `dealloc` passes back
// exactly what `alloc` returned with the same layout, as GlobalAlloc's contract guarantees.
unsafe impl GlobalAlloc for KernelHeap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.0.lock().as_mut() {
            Some(heap) => heap
                .allocate(layout, &mut MapFrames)
                .map_or(null_mut(), NonNull::as_ptr),
            None => null_mut(),
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let (Some(heap), Some(ptr)) = (self.0.lock().as_mut(), NonNull::new(ptr)) {
            // SAFETY: the caller passes a block `alloc` returned, with its layout.
            unsafe { heap.deallocate(ptr, layout, &mut MapFrames) };
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let mut guard = self.0.lock();
        let (Some(heap), Some(ptr)) = (guard.as_mut(), NonNull::new(ptr)) else {
            return null_mut();
        };
        // SAFETY: the caller passes a block `alloc` returned, its layout, and a non-zero size.
        let moved = unsafe { heap.reallocate(ptr, layout, new_size, &mut MapFrames) };
        moved.map_or(null_mut(), NonNull::as_ptr)
    }
}

/// Called when an infallible allocation fails: report and stop.
pub fn out_of_memory(layout: Layout) -> ! {
    // The heap lock may be held if the failure came from inside the allocator; do not wait.
    let stats = HEAP
        .0
        .try_lock()
        .and_then(|heap| heap.as_ref().map(|h| (h.stats(), h.capacity())));
    match stats {
        Some((s, (limit, mapped))) => panic!(
            "out of memory: an allocation of {} bytes (align {}) failed; heap: {} KiB mapped of {} KiB, \
             {} blocks live holding {} bytes, {} KiB in free chunks, {} failed allocations",
            layout.size(),
            layout.align(),
            mapped / 1024,
            limit / 1024,
            s.live_blocks,
            s.requested_bytes,
            s.free_bytes / 1024,
            s.failures
        ),
        None => panic!("out of memory: an allocation of {} bytes (align {}) failed", layout.size(), layout.align()),
    }
}
