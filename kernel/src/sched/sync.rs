//! Blocking synchronisation for threads: a mutex and a counting semaphore built on wait queues.
//!
//! A spinlock is the wrong tool between threads that can be preempted: if the holder is switched
//! away, every other thread that wants the lock burns its whole time slice spinning, and with
//! priorities it could spin forever. These locks *block* instead: a thread that cannot go on
//! puts itself on the lock's wait queue and leaves the run queue; releasing the lock wakes the
//! longest waiter. The short critical sections inside (the lock's own bookkeeping) are guarded by
//! a spinlock taken with interrupts off, so they are never preempted.
//!
//! The lost wake-up problem: if a thread decided to wait, and the holder released the lock
//! before the thread had actually blocked, the release's wake would find nobody and the thread
//! would then sleep forever. Here, deciding to wait, joining the queue and blocking happen with
//! interrupts off on one CPU, so no release can come in between (see
//! [`super::block_on_queue`]).

use super::{block_on_queue, wake};
use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use sched::WaitQueue;
use x86_64::instructions::interrupts;

/// The lock's bookkeeping: whether it is held, and who waits.
struct State {
    locked: bool,
    waiters: WaitQueue,
}

/// A mutual-exclusion lock that blocks waiting threads.
pub struct Mutex<T> {
    state: spin::Mutex<State>,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reached through a `MutexGuard`, and at most one guard exists at a
// time (the `locked` flag, changed under the inner spinlock), so sharing the mutex between
// threads shares the value one thread at a time, which needs `T: Send`.
unsafe impl<T: Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    pub const fn new(value: T) -> Self {
        Mutex {
            state: spin::Mutex::new(State {
                locked: false,
                waiters: WaitQueue::new(),
            }),
            value: UnsafeCell::new(value),
        }
    }

    /// Waits until the lock is free, then holds it until the guard is dropped.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        loop {
            let mut acquired = false;
            block_on_queue(|me| {
                let mut state = self.state.lock();
                if !state.locked {
                    state.locked = true;
                    acquired = true;
                    return false;
                }
                state.waiters.enqueue(me);
                true
            });
            if acquired {
                return MutexGuard { mutex: self };
            }
            // Woken by an unlock: try again (another thread may have been quicker).
        }
    }

    fn unlock(&self) {
        interrupts::without_interrupts(|| {
            let mut state = self.state.lock();
            state.locked = false;
            if let Some(waiter) = state.waiters.wake_one() {
                wake(waiter);
            }
        });
    }
}

/// Holds a [`Mutex`]; dropping it unlocks.
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard is the only one (see the `Sync` impl), so no `&mut` exists.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard is the only one, and `&mut self` makes this the only reference.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}

/// A counting semaphore: `down` waits while the count is zero, `up` adds one and wakes a waiter.
pub struct Semaphore {
    state: spin::Mutex<(usize, WaitQueue)>,
}

impl Semaphore {
    /// A semaphore with `count` permits.
    pub const fn new(count: usize) -> Self {
        Semaphore {
            state: spin::Mutex::new((count, WaitQueue::new())),
        }
    }

    /// Takes a permit, waiting for one if there is none.
    pub fn down(&self) {
        loop {
            let mut taken = false;
            block_on_queue(|me| {
                let mut state = self.state.lock();
                if state.0 > 0 {
                    state.0 -= 1;
                    taken = true;
                    return false;
                }
                state.1.enqueue(me);
                true
            });
            if taken {
                return;
            }
        }
    }

    /// Returns a permit, waking the longest waiter.
    pub fn up(&self) {
        interrupts::without_interrupts(|| {
            let mut state = self.state.lock();
            state.0 += 1;
            if let Some(waiter) = state.1.wake_one() {
                wake(waiter);
            }
        });
    }
}
