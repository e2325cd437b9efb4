//! Waiting for any of several files to become ready: what `poll` and `select` sleep on.
//!
//! A thread that polls asks each of its files whether it is ready ([`super::file::OpenFile::poll`]);
//! if none is, it must sleep until one *might* be. Linux gives every file its own wait queue and
//! a poller joins all of them. Ferrite keeps one list ([`WAITERS`]) for every poller in the
//! system: whenever a pipe's or a terminal's state changes, [`notify`] wakes them all, and each
//! asks its files again. With a handful of processes that costs nothing worth measuring, and it
//! is short to read; with thousands of descriptors it would be the thundering herd Linux's design
//! avoids. A file that is always ready (a regular file) never needs to wake anyone.
//!
//! A wake-up cannot be lost: a poller joins the list *before* it looks at its files, so a change
//! made while it looks finds it on the list, and a wake that arrives before it blocks makes the
//! block return at once (the scheduler's pending-wake rule). It may look once before joining,
//! for the common case of a file that is ready already or a caller that will not wait; but only
//! a look made after joining can send it to sleep.

use crate::sched;
use crate::sync::IrqMutex;
use ::sched::ThreadId;
use abi::Errno;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;

/// Threads in [`wait`], woken by [`notify`].
static WAITERS: IrqMutex<Vec<ThreadId>> = IrqMutex::new(Vec::new());
/// How many threads are in [`wait`]: [`notify`] takes no lock while it is zero, so pipes and the
/// terminal pay one load for polling's sake when nobody polls.
static POLLING: AtomicUsize = AtomicUsize::new(0);

/// Something a poller may be waiting for happened (data or room in a pipe, an end closed, a
/// line typed): wakes every poller to look again.
#[inline]
pub fn notify() {
    if POLLING.load(Ordering::Relaxed) != 0 {
        wake_pollers();
    }
}

/// [`notify`]'s work, out of line: wakes every poller.
#[cold]
#[inline(never)]
fn wake_pollers() {
    let waiters = core::mem::take(&mut *WAITERS.lock());
    for waiter in waiters {
        sched::wake_thread(waiter);
    }
}

/// Calls `ready` until it finds something (a nonzero count), the time until `deadline`
/// (nanoseconds since boot; `None`: no limit) runs out (then 0), or a signal interrupts
/// (`EINTR`). Sleeps between calls until [`notify`].
pub fn wait(
    deadline: Option<u64>,
    mut ready: impl FnMut() -> Result<usize, Errno>,
) -> Result<usize, Errno> {
    // First without joining the list: when something is ready already, or the caller will not
    // wait (a zero timeout), no change needs to find it, and the list's lock is never taken.
    // Only a poller that will sleep must join before it asks (see the module notes).
    let found = ready();
    if found != Ok(0) || deadline.is_some_and(|d| d == 0 || crate::time::uptime_ns() >= d) {
        return found;
    }
    let me = sched::current();
    POLLING.fetch_add(1, Ordering::Relaxed);
    let outcome = loop {
        WAITERS.lock().push(me);
        let found = ready();
        if found != Ok(0) {
            break found;
        }
        let timeout = match deadline {
            None => None,
            Some(deadline) => {
                let now = crate::time::uptime_ns();
                if now >= deadline {
                    break Ok(0);
                }
                Some(Duration::from_nanos(deadline - now))
            }
        };
        if sched::should_stop() {
            break Err(Errno::EINTR);
        }
        // Still on the list (unless a notify took it off, and then this returns at once).
        sched::block_interruptible_for(timeout, |_| true);
        WAITERS.lock().retain(|&t| t != me);
        if sched::should_stop() {
            break Err(Errno::EINTR);
        }
    };
    WAITERS.lock().retain(|&t| t != me);
    POLLING.fetch_sub(1, Ordering::Relaxed);
    outcome
}
