//! Thread stacks: mapped on demand in their own region, each above an unmapped guard page.
//!
//! Thread *n*'s stack lives in slot *n* of a region reserved for them
//! ([`crate::mm::layout::THREAD_STACKS_START`]): a guard page that is never mapped, then
//! [`crate::mm::layout::THREAD_STACK_SIZE`] bytes of stack mapped to fresh frames, writable and
//! never executable. A thread that overflows its stack touches the guard page; the page fault
//! cannot be delivered on the broken stack, the CPU raises a double fault on its own IST stack,
//! and the handler recognises the address as a thread's guard page (see
//! [`crate::mm::layout::thread_stack_guard_of`]).
//!
//! # Kept stacks
//!
//! Mapping a stack is sixteen frame allocations and sixteen page-table updates, and unmapping
//! it the same again with a TLB flush per page: about a tenth of what a `fork` that exits at
//! once costs. Yet a slot's stack always lives at the same address, and a slot that has just
//! been freed is the one the next thread most likely gets (the scheduler hands out the lowest
//! free slot). So a stack that is dropped stays mapped, up to [`MAX_KEPT`] of them, and a new
//! thread in that slot starts on it as it is. The old contents do no harm: a stack is kernel
//! memory, and a new thread writes before it reads. The price is at most
//! `MAX_KEPT * THREAD_STACK_SIZE` bytes that look used to the frame allocator; the leak tests
//! count them apart with [`kept_pages`].

use crate::mm::layout::{thread_stack_bottom, THREAD_STACK_SIZE};
use crate::mm::{self, paging::PAGE_SIZE};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use sched::MAX_THREADS;
use x86_64::structures::paging::PageTableFlags as Flags;

/// Stacks kept mapped after their thread ended, at most (see the module documentation): enough
/// for a shell pipeline's worth of short-lived processes.
pub const MAX_KEPT: usize = 4;

/// Per slot: its stack is still mapped though no thread owns it.
static KEPT: [AtomicBool; MAX_THREADS] = [const { AtomicBool::new(false) }; MAX_THREADS];
/// How many slots are marked in [`KEPT`].
static KEPT_COUNT: AtomicUsize = AtomicUsize::new(0);

/// Takes the kept stack that `kept` marks, if there is one: true if the caller now owns it.
fn claim(kept: &AtomicBool) -> bool {
    let claimed = kept.swap(false, Ordering::Acquire);
    if claimed {
        KEPT_COUNT.fetch_sub(1, Ordering::Relaxed);
    }
    claimed
}

/// Unmaps every kept stack and gives its frames back; returns how many there were.
fn release_kept() -> usize {
    let mut released = 0;
    for (slot, kept) in KEPT.iter().enumerate() {
        // Whoever clears the mark owns the stack: this, or a `map` for a new thread in the slot.
        if claim(kept) {
            mm::unmap_and_free(thread_stack_bottom(slot), THREAD_STACK_SIZE / PAGE_SIZE);
            released += 1;
        }
    }
    released
}

/// Pages held by kept stacks: frames that are mapped but belong to no thread.
pub fn kept_pages() -> u64 {
    KEPT_COUNT.load(Ordering::Relaxed) as u64 * (THREAD_STACK_SIZE / PAGE_SIZE)
}

/// A mapped thread stack.
#[derive(Debug)]
pub struct Stack {
    bottom: u64,
    /// The thread slot it belongs to.
    slot: usize,
}

/// Why a stack could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackError {
    /// Frames or page tables ran out (nothing stays mapped).
    OutOfMemory,
}

impl Stack {
    /// Maps the stack of thread slot `slot`. On failure nothing stays mapped.
    pub fn map(slot: usize) -> Result<Stack, StackError> {
        let bottom = thread_stack_bottom(slot);
        // The slot is reserved by the caller, so no other thread claims its kept stack meanwhile.
        if claim(&KEPT[slot]) {
            return Ok(Stack { bottom, slot });
        }
        let map = || {
            mm::map_fresh_pages(
                bottom,
                THREAD_STACK_SIZE / PAGE_SIZE,
                Flags::WRITABLE | Flags::NO_EXECUTE,
            )
        };
        // Short of frames, the kept stacks go back first: they are only a shortcut.
        if map() || (release_kept() > 0 && map()) {
            Ok(Stack { bottom, slot })
        } else {
            Err(StackError::OutOfMemory)
        }
    }

    /// One past the highest byte: where the stack starts.
    pub fn top(&self) -> u64 {
        self.bottom + THREAD_STACK_SIZE
    }
}

impl Drop for Stack {
    /// Keeps the stack mapped for the slot's next thread if fewer than [`MAX_KEPT`] are kept,
    /// else unmaps it and gives its frames back. Only for a thread that will never run again,
    /// while its slot is still taken.
    fn drop(&mut self) {
        let kept = KEPT_COUNT
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < MAX_KEPT).then_some(n + 1)
            })
            .is_ok();
        if kept {
            KEPT[self.slot].store(true, Ordering::Release);
        } else {
            mm::unmap_and_free(self.bottom, THREAD_STACK_SIZE / PAGE_SIZE);
        }
    }
}
