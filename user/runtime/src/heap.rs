//! The global allocator: size classes carved from the program break, large blocks from `mmap`.
//!
//! Two system calls give a process memory, and this allocator uses each for what it is good at.
//! `brk` moves the end of the data segment: cheap to grow in small steps, but it can only give
//! back what is at its very end. `mmap` maps fresh pages anywhere and `munmap` returns them
//! whole, which suits big blocks that come and go.
//!
//! * **Small blocks** (up to [`LARGEST_CLASS`] bytes) are rounded up to a power of two, 16 bytes
//!   at least, and carved from memory below the break. A freed block goes on its class's free
//!   list (the list's links live in the free blocks themselves) and is reused by the next
//!   allocation of that class. Memory below the break is never returned: simple, and what a
//!   short-lived program wants.
//! * **Large blocks** are mapped, rounded up to whole pages, and unmapped when freed, so the
//!   memory goes back to the kernel at once (`usertests` checks that it does).
//!
//! Programs are single-threaded, so the state needs no lock; a flag catches re-entry.

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicBool, Ordering};

/// The smallest block: two pointers' worth, enough for a free-list link and aligned for any
/// scalar.
const SMALLEST_CLASS: usize = 16;
/// The largest block served from the break; larger ones are mapped.
pub const LARGEST_CLASS: usize = 32 * 1024;
/// How many classes: 16, 32, ..., 32 KiB.
const CLASSES: usize = (LARGEST_CLASS / SMALLEST_CLASS).trailing_zeros() as usize + 1;
/// Bytes in a page.
const PAGE_SIZE: usize = 4096;
/// How far the break grows at a time, so that a run of small allocations is not a run of
/// system calls.
const BREAK_STEP: usize = 64 * 1024;

/// The allocator's state.
struct State {
    /// Heads of the free lists, one per class (0: empty).
    free: [usize; CLASSES],
    /// The next unused byte below the break.
    next: usize,
    /// The break: the end of the memory the kernel gave us.
    end: usize,
}

/// Ferrite's user heap; the runtime installs it as the global allocator.
pub struct Heap {
    busy: AtomicBool,
    state: core::cell::UnsafeCell<State>,
}

// SAFETY: programs have one thread; `busy` makes a re-entrant call fail instead of sharing.
unsafe impl Sync for Heap {}

#[global_allocator]
static HEAP: Heap = Heap {
    busy: AtomicBool::new(false),
    state: core::cell::UnsafeCell::new(State {
        free: [0; CLASSES],
        next: 0,
        end: 0,
    }),
};

/// The class index of a small layout, or `None` for a large one.
fn class_of(layout: &Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(SMALLEST_CLASS);
    (size <= LARGEST_CLASS)
        .then(|| (size.next_power_of_two() / SMALLEST_CLASS).trailing_zeros() as usize)
}

/// Bytes in class `class`.
fn class_size(class: usize) -> usize {
    SMALLEST_CLASS << class
}

impl State {
    /// A block of class `class`: from its free list, else from the break.
    fn small(&mut self, class: usize) -> *mut u8 {
        let head = self.free[class];
        if head != 0 {
            // SAFETY: a free-list entry is a freed block of this class that we own; its first
            // word holds the next entry.
            self.free[class] = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        let size = class_size(class);
        if self.end == 0 {
            let start = crate::sys::brk(0);
            self.next = start;
            self.end = start;
        }
        // Blocks are aligned to their size (a power of two), which covers their alignment.
        let start = self.next.next_multiple_of(size);
        let Some(block_end) = start.checked_add(size) else {
            return core::ptr::null_mut();
        };
        if block_end > self.end {
            let wanted = block_end
                .next_multiple_of(BREAK_STEP)
                .max(self.end + BREAK_STEP);
            let got = crate::sys::brk(wanted);
            if got < block_end {
                return core::ptr::null_mut();
            }
            self.end = got;
        }
        self.next = block_end;
        start as *mut u8
    }
}

// SAFETY: small blocks are disjoint pieces of memory below the break, each handed out once
// until freed; large blocks are fresh mappings. Sizes and alignments are honoured as described
// in the module notes.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(&layout) {
            Some(class) => {
                if self.busy.swap(true, Ordering::Acquire) {
                    return core::ptr::null_mut();
                }
                // SAFETY: `busy` was clear and is now set: this is the only reference.
                let block = unsafe { &mut *self.state.get() }.small(class);
                self.busy.store(false, Ordering::Release);
                block
            }
            None if layout.align() <= PAGE_SIZE => {
                let length = layout.size().next_multiple_of(PAGE_SIZE);
                crate::sys::mmap_anonymous(length, abi::mman::PROT_READ | abi::mman::PROT_WRITE)
                    .map_or(core::ptr::null_mut(), |address| address as *mut u8)
            }
            None => core::ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match class_of(&layout) {
            Some(class) => {
                while self.busy.swap(true, Ordering::Acquire) {
                    core::hint::spin_loop();
                }
                // SAFETY: as in `alloc`.
                let state = unsafe { &mut *self.state.get() };
                // SAFETY: `block` is a block of this class that the caller gives back; its
                // first word becomes the free-list link.
                unsafe { *(block as *mut usize) = state.free[class] };
                state.free[class] = block as usize;
                self.busy.store(false, Ordering::Release);
            }
            None => {
                let length = layout.size().next_multiple_of(PAGE_SIZE);
                // SAFETY: the block was mapped by `alloc` with this length and is given back.
                let _ = unsafe { crate::sys::munmap(block as usize, length) };
            }
        }
    }
}
