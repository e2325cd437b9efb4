//! Wakers that are just a task's slot and generation.
//!
//! A `Waker` is a data pointer and a table of four functions: clone, wake, wake by reference,
//! drop (`core::task::RawWakerVTable`). The usual implementation (`alloc::task::Wake`) puts an
//! `Arc` behind the pointer, so cloning and dropping touch a reference count, and dropping the
//! last clone frees memory. An interrupt handler must not free memory (the interrupted code may
//! hold the allocator's lock), and the keyboard and timer handlers do hold and drop wakers.
//!
//! So Ferrite's "pointer" is not a pointer: it is the task's slot in the executor's table, with
//! the slot's generation in the upper half. Cloning copies it, dropping does nothing, waking asks
//! the executor to queue that slot if the generation still matches (a task that finished and
//! whose slot was reused is not woken by a stale waker). Nothing allocates, nothing locks.

use super::executor;
use core::task::{RawWaker, RawWakerVTable, Waker};

/// Packs a slot and its generation into the waker's data word.
fn pack(slot: usize, generation: u32) -> *const () {
    ((u64::from(generation) << 32) | slot as u64) as usize as *const ()
}

/// Unpacks what [`pack`] made.
fn unpack(data: *const ()) -> (usize, u32) {
    let word = data as usize as u64;
    ((word & u64::from(u32::MAX)) as usize, (word >> 32) as u32)
}

fn clone(data: *const ()) -> RawWaker {
    RawWaker::new(data, &VTABLE)
}

fn wake(data: *const ()) {
    let (slot, generation) = unpack(data);
    executor::wake(slot, generation);
}

fn drop(_data: *const ()) {}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop);

/// The waker for the task in `slot` at `generation`.
pub fn for_task(slot: usize, generation: u32) -> Waker {
    // SAFETY: the vtable's functions treat the data word as plain numbers, never dereference it,
    // and are safe to call from any context, any number of times (RawWaker's contract).
    unsafe { Waker::from_raw(RawWaker::new(pack(slot, generation), &VTABLE)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test_case]
    fn slots_and_generations_survive_packing() {
        for (slot, generation) in [(0, 0), (5, 1), (255, u32::MAX)] {
            assert_eq!(unpack(pack(slot, generation)), (slot, generation));
        }
    }
}
