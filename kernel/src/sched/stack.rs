//! Thread stacks: mapped on demand in their own region, each above an unmapped guard page.
//!
//! Thread *n*'s stack lives in slot *n* of a region reserved for them
//! ([`crate::mm::layout::THREAD_STACKS_START`]): a guard page that is never mapped, then
//! [`crate::mm::layout::THREAD_STACK_SIZE`] bytes of stack mapped to fresh frames, writable and
//! never executable. A thread that overflows its stack touches the guard page; the page fault
//! cannot be delivered on the broken stack, the CPU raises a double fault on its own IST stack,
//! and the handler recognises the address as a thread's guard page (see
//! [`crate::mm::layout::thread_stack_guard_of`]).

use crate::mm::layout::{thread_stack_bottom, THREAD_STACK_SIZE};
use crate::mm::{self, paging::PAGE_SIZE};
use x86_64::structures::paging::PageTableFlags as Flags;

/// A mapped thread stack.
#[derive(Debug)]
pub struct Stack {
    bottom: u64,
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
        if mm::map_fresh_pages(
            bottom,
            THREAD_STACK_SIZE / PAGE_SIZE,
            Flags::WRITABLE | Flags::NO_EXECUTE,
        ) {
            Ok(Stack { bottom })
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
    /// Unmaps the stack and gives its frames back. Only for a thread that will never run again.
    fn drop(&mut self) {
        mm::unmap_and_free(self.bottom, THREAD_STACK_SIZE / PAGE_SIZE);
    }
}
