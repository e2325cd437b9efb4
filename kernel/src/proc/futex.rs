//! `futex`: where a thread waits for a user-space lock, and is woken when it is released.
//!
//! C libraries build their mutexes, condition variables, `pthread_join` and semaphores from a
//! 32-bit word in user memory that threads change with atomic instructions. Nobody enters the
//! kernel while a lock is free. A thread that finds it taken calls `futex(FUTEX_WAIT, word,
//! seen)`: "put me to sleep, unless the word no longer holds `seen`". The thread that releases
//! it changes the word, and if it knows someone waits calls `futex(FUTEX_WAKE, word, n)`.
//!
//! **No lost wake-ups.** Between the waiter's look at the word and its sleep, the holder may
//! release the lock and wake nobody (nobody is asleep yet); the waiter would then sleep for
//! ever. Linux closes the gap by taking the lock of the word's hash bucket before the look.
//! Ferrite queues the waiter *first* and looks at the word after: a release that comes after
//! the look finds the waiter queued and wakes it; one that came before changed the word, which
//! the look then sees, and the wait ends at once with `EAGAIN`. The queue's lock is never held
//! across the look, which may fault (the page may be copy-on-write, or not yet touched).
//!
//! **Naming a futex.** A private futex (`FUTEX_PRIVATE_FLAG`, what `pthread` uses for a
//! process's own locks) is named by its address space and virtual address. A shared one may be
//! mapped at different addresses by different processes, so it is named by the physical address
//! its page maps to.
//!
//! All waiters are in one list, searched from end to end: a handful of threads wait at a time in
//! a teaching system. Linux hashes them into buckets.

use super::Task;
use crate::mm::uaccess;
use crate::sched;
use crate::sync::IrqMutex;
use ::sched::ThreadId;
use abi::futex::*;
use abi::{Errno, Timespec};
use alloc::vec::Vec;
use core::time::Duration;

/// What names a futex: (address space root, virtual address) for a private one, (0, physical
/// address) for a shared one.
type Key = (u64, u64);

/// A thread waiting on a futex.
struct Waiter {
    /// The futex.
    key: Key,
    /// What it waits for (`FUTEX_WAIT_BITSET`); every bit for a plain wait.
    bitset: u32,
    /// Its thread.
    thread: ThreadId,
}

/// Every waiting thread, oldest first. Taken with interrupts off (the wait checks it while it
/// blocks).
static WAITERS: IrqMutex<Vec<Waiter>> = IrqMutex::new(Vec::new());

/// `futex(uaddr, op, val, timeout or val2, uaddr2, val3)`.
pub fn futex(task: &Task, uaddr: u64, op: u32, val: u32, a: [u64; 3]) -> Result<usize, Errno> {
    let [timeout, uaddr2, val3] = a;
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    let command = op & FUTEX_CMD_MASK;
    if realtime && command != FUTEX_WAIT && command != FUTEX_WAIT_BITSET {
        return Err(Errno::ENOSYS);
    }
    let key = key_of(task, uaddr, private)?;
    match command {
        FUTEX_WAIT => {
            let limit = relative(timeout)?;
            wait(key, uaddr, val, limit, FUTEX_BITSET_MATCH_ANY)
        }
        FUTEX_WAIT_BITSET => {
            let limit = absolute(timeout, realtime)?;
            wait(key, uaddr, val, limit, val3 as u32)
        }
        FUTEX_WAKE => Ok(wake(key, val, FUTEX_BITSET_MATCH_ANY)),
        FUTEX_WAKE_BITSET => {
            if val3 as u32 == 0 {
                return Err(Errno::EINVAL);
            }
            Ok(wake(key, val, val3 as u32))
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            let moved = i32::try_from(timeout as i64).map_err(|_| Errno::EINVAL)?;
            if (val as i32) < 0 || moved < 0 {
                return Err(Errno::EINVAL);
            }
            let to = key_of(task, uaddr2, private)?;
            if command == FUTEX_CMP_REQUEUE {
                let word: u32 = uaccess::read_value(uaddr)?;
                if word != val3 as u32 {
                    return Err(Errno::EAGAIN);
                }
            }
            Ok(requeue(key, to, val, moved as u32))
        }
        // `FUTEX_WAKE_OP` (an atomic change of a second word, older glibc's condition
        // variables) and the priority-inheritance operations are not offered.
        _ => Err(Errno::ENOSYS),
    }
}

/// The key of the futex at `uaddr` (which must be 4-byte aligned and mapped).
fn key_of(task: &Task, uaddr: u64, private: bool) -> Result<Key, Errno> {
    if uaddr % 4 != 0 {
        return Err(Errno::EINVAL);
    }
    // Touching it first faults the page in (or fails with EFAULT outside the program).
    let _: u32 = uaccess::read_value(uaddr)?;
    let map = task.memory.lock();
    if private {
        return Ok((map.space.root(), uaddr));
    }
    map.space
        .physical(uaddr)
        .map(|phys| (0, phys))
        .ok_or(Errno::EFAULT)
}

/// `FUTEX_WAIT`'s timeout: a span, or none (0).
fn relative(timeout: u64) -> Result<Option<u64>, Errno> {
    if timeout == 0 {
        return Ok(None);
    }
    let span = read_timespec(timeout)?;
    Ok(Some(crate::time::uptime_ns().saturating_add(span)))
}

/// `FUTEX_WAIT_BITSET`'s timeout: a time on the monotonic clock (or the real-time clock with
/// `FUTEX_CLOCK_REALTIME`), or none (0); returned as a deadline on the monotonic clock.
fn absolute(timeout: u64, realtime: bool) -> Result<Option<u64>, Errno> {
    if timeout == 0 {
        return Ok(None);
    }
    let at = read_timespec(timeout)?;
    if !realtime {
        return Ok(Some(at));
    }
    let now = crate::time::uptime_ns();
    let left = at.saturating_sub(crate::time::realtime_ns());
    Ok(Some(now.saturating_add(left)))
}

/// The `Timespec` at `at`, in nanoseconds; `EINVAL` if it is malformed.
fn read_timespec(at: u64) -> Result<u64, Errno> {
    let time: Timespec = uaccess::read_value(at)?;
    if !time.is_valid() {
        return Err(Errno::EINVAL);
    }
    Ok((time.tv_sec as u64)
        .saturating_mul(abi::time::NSEC_PER_SEC as u64)
        .saturating_add(time.tv_nsec as u64))
}

/// Whether the running thread is still queued (not woken).
fn queued(me: ThreadId) -> bool {
    WAITERS.lock().iter().any(|w| w.thread == me)
}

/// Takes the running thread off the queue, if it is still on it. The list keeps its storage
/// once it has grown: threads that hand a futex back and forth would otherwise allocate it on
/// every wait (340 instructions a round trip).
fn dequeue(me: ThreadId) {
    WAITERS.lock().retain(|w| w.thread != me);
}

/// Sleeps on `key` while the word at `uaddr` holds `expected`, until woken, `deadline`
/// (nanoseconds since boot), or a signal.
fn wait(
    key: Key,
    uaddr: u64,
    expected: u32,
    deadline: Option<u64>,
    bitset: u32,
) -> Result<usize, Errno> {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let me = sched::current();
    // Queued before the look at the word (see the module notes).
    WAITERS.lock().push(Waiter {
        key,
        bitset,
        thread: me,
    });
    let seen = uaccess::read_value::<u32>(uaddr);
    if seen != Ok(expected) {
        dequeue(me);
        return seen.and(Err(Errno::EAGAIN));
    }
    loop {
        let left = match deadline {
            None => None,
            Some(deadline) => {
                let now = crate::time::uptime_ns();
                if now >= deadline {
                    dequeue(me);
                    return Err(Errno::ETIMEDOUT);
                }
                Some(Duration::from_nanos(deadline - now))
            }
        };
        sched::block_interruptible_for(left, queued);
        if !queued(me) {
            return Ok(0);
        }
        if sched::should_stop() {
            dequeue(me);
            return Err(Errno::EINTR);
        }
    }
}

/// Wakes up to `count` threads waiting on `key` whose bit set meets `bitset`; how many it woke.
fn wake(key: Key, count: u32, bitset: u32) -> usize {
    let mut woken = Vec::new();
    {
        let mut waiters = WAITERS.lock();
        let mut i = 0;
        while i < waiters.len() && woken.len() < count as usize {
            if waiters[i].key == key && waiters[i].bitset & bitset != 0 {
                woken.push(waiters.remove(i).thread);
            } else {
                i += 1;
            }
        }
    }
    for &thread in &woken {
        sched::wake_thread(thread);
    }
    woken.len()
}

/// Wakes up to `count` waiters on `from` and moves up to `moved` more to wait on `to`; how many
/// it woke and moved.
fn requeue(from: Key, to: Key, count: u32, moved: u32) -> usize {
    let woken = wake(from, count, FUTEX_BITSET_MATCH_ANY);
    let mut requeued = 0;
    for waiter in WAITERS.lock().iter_mut() {
        if requeued == moved as usize {
            break;
        }
        if waiter.key == from {
            waiter.key = to;
            requeued += 1;
        }
    }
    woken + requeued
}

/// Wakes one waiter on the futex at `uaddr` of `task`'s process, as a shared futex (as Linux
/// does when a thread ends and clears its id there, for `pthread_join`).
pub(super) fn wake_one(task: &Task, uaddr: u64) {
    let phys = task.memory.lock().space.physical(uaddr);
    if let Some(phys) = phys {
        wake((0, phys), 1, FUTEX_BITSET_MATCH_ANY);
    }
}
