//! `poll`, `ppoll`, `select` and `pselect6`: waiting until any of several descriptors is ready.
//!
//! A shell reading from a terminal while watching a pipe, an editor checking for a key without
//! waiting, a server with many clients: each needs to sleep on more than one thing at once. The
//! four calls ask the same question of each file ([`crate::fs::file::OpenFile::poll`]'s
//! `POLL*` bits) and sleep in the same place ([`crate::fs::poll::wait`]); they differ in how
//! they pass descriptors (an array of `pollfd`, or bitmaps) and time (milliseconds, a
//! `timespec`, a `timeval`). The `p` versions also take a signal mask to use while waiting, so a
//! program can unblock a signal for exactly the wait, with no gap in which it could arrive
//! unnoticed; the mask is handled as `rt_sigsuspend` handles its own ([`super::signal`]).
//!
//! An interrupted wait answers `EINTR` after a handler, whatever `SA_RESTART` says, as on Linux.

use super::shared::Files;
use super::{signal, Task};
use crate::fs::file::MAX_FDS;
use crate::mm::uaccess;
use abi::poll::{
    PollFd, FD_SET_WORDS, POLLERR, POLLEX_SET, POLLHUP, POLLIN_SET, POLLNVAL, POLLOUT_SET,
};
use abi::{Errno, Timespec, Timeval};
use alloc::vec::Vec;

/// The most `pollfd`s copied to the kernel stack rather than the heap (64 bytes).
const FEW_FDS: usize = 8;
/// Nanoseconds in a millisecond.
const NS_PER_MS: u64 = 1_000_000;
/// Nanoseconds in a microsecond.
const NS_PER_US: u64 = 1_000;
/// Nanoseconds in a second.
const NS_PER_S: u64 = 1_000_000_000;

/// The events `file` has of those `wanted`, plus the ones always reported.
fn revents(files: &Files, fd: i32, wanted: i16) -> i16 {
    match files.get(fd) {
        Ok(file) => file.poll() & (wanted | POLLERR | POLLHUP),
        Err(_) => POLLNVAL,
    }
}

/// The deadline `timeout` nanoseconds from now (`None`: no limit). A zero timeout is the
/// deadline 0, the moment of boot, passed already: the clock need not be read for a caller that
/// will not wait.
fn deadline_after(timeout: Option<u64>) -> Option<u64> {
    timeout.map(|ns| match ns {
        0 => 0,
        ns => crate::time::uptime_ns().saturating_add(ns),
    })
}

/// A user `timespec` as nanoseconds (`None` for a null pointer: no limit); `EINVAL` if invalid.
fn timespec_ns(at: u64) -> Result<Option<u64>, Errno> {
    if at == 0 {
        return Ok(None);
    }
    let time: Timespec = uaccess::read_value(at)?;
    if !time.is_valid() {
        return Err(Errno::EINVAL);
    }
    Ok(Some(
        (time.tv_sec as u64)
            .saturating_mul(NS_PER_S)
            .saturating_add(time.tv_nsec as u64),
    ))
}

/// Runs `wait` with `mask` (a user pointer to a signal set, 0 for none) as the blocked set for
/// its length, as `rt_sigsuspend` does: if a signal interrupts it, the old mask comes back when
/// the handler returns; otherwise at once.
fn with_mask(
    task: &mut Task,
    mask: u64,
    setsize: usize,
    wait: impl FnOnce(&mut Task) -> Result<usize, Errno>,
) -> Result<usize, Errno> {
    if mask == 0 {
        return wait(task);
    }
    if setsize != abi::signal::SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let set: u64 = uaccess::read_value(mask)?;
    signal::replace_mask(task, set);
    let result = wait(task);
    if result != Err(Errno::EINTR) {
        signal::restore_mask(task);
    }
    result
}

/// `poll(fds, nfds, timeout_ms)`: a negative timeout waits for ever.
pub fn poll(task: &mut Task, fds: u64, count: usize, timeout_ms: i32) -> Result<usize, Errno> {
    let timeout = u64::try_from(timeout_ms)
        .ok()
        .map(|ms| ms.saturating_mul(NS_PER_MS));
    poll_fds(task, fds, count, timeout)
}

/// `ppoll(fds, nfds, timeout, sigmask, sigsetsize)`.
pub fn ppoll(task: &mut Task, a: [u64; 6]) -> Result<usize, Errno> {
    let timeout = timespec_ns(a[2])?;
    with_mask(task, a[3], a[4] as usize, |task| {
        poll_fds(task, a[0], a[1] as usize, timeout)
    })
}

/// The common part of `poll` and `ppoll`.
fn poll_fds(task: &Task, fds: u64, count: usize, timeout: Option<u64>) -> Result<usize, Errno> {
    if count > MAX_FDS {
        return Err(Errno::EINVAL);
    }
    // A few entries (the usual case) are copied to the stack; more go to the heap.
    let mut few = [PollFd::default(); FEW_FDS];
    let mut many: Vec<PollFd> = Vec::new();
    let entries = if count <= FEW_FDS {
        &mut few[..count]
    } else {
        many.try_reserve_exact(count).map_err(|_| Errno::ENOMEM)?;
        many.resize(count, PollFd::default());
        &mut many[..]
    };
    let size = core::mem::size_of::<PollFd>() as u64;
    for (i, entry) in entries.iter_mut().enumerate() {
        *entry = uaccess::read_value(fds + i as u64 * size)?;
    }
    let deadline = deadline_after(timeout);
    let ready = crate::fs::poll::wait(deadline, || {
        let mut ready = 0;
        for entry in entries.iter_mut() {
            entry.revents = if entry.fd < 0 {
                0
            } else {
                revents(&task.files, entry.fd, entry.events)
            };
            ready += usize::from(entry.revents != 0);
        }
        Ok(ready)
    })?;
    for (i, entry) in entries.iter().enumerate() {
        uaccess::write_value(fds + i as u64 * size, entry)?;
    }
    Ok(ready)
}

/// One `fd_set`, as 64-bit words (`None` for a null pointer).
type FdSet = Option<[u64; FD_SET_WORDS]>;

/// Reads the first `count` descriptors' bits of the `fd_set` at `at` (0: none).
fn read_set(at: u64, count: usize) -> Result<FdSet, Errno> {
    if at == 0 {
        return Ok(None);
    }
    let mut set = [0u64; FD_SET_WORDS];
    let words = count.div_ceil(64);
    for (i, word) in set.iter_mut().enumerate().take(words) {
        *word = uaccess::read_value(at + 8 * i as u64)?;
    }
    if count % 64 != 0 {
        set[words - 1] &= (1u64 << (count % 64)) - 1;
    }
    Ok(Some(set))
}

/// Writes back the first `count` descriptors' bits of `set` to `at`.
fn write_set(at: u64, set: &FdSet, count: usize) -> Result<(), Errno> {
    if let Some(set) = set {
        for (i, word) in set.iter().enumerate().take(count.div_ceil(64)) {
            uaccess::write_value(at + 8 * i as u64, word)?;
        }
    }
    Ok(())
}

/// Whether bit `fd` is set in `set`.
fn has(set: &FdSet, fd: usize) -> bool {
    set.is_some_and(|s| s[fd / 64] & (1 << (fd % 64)) != 0)
}

/// Sets bit `fd` of `set`.
fn mark(set: &mut FdSet, fd: usize) {
    if let Some(s) = set {
        s[fd / 64] |= 1 << (fd % 64);
    }
}

/// `select(nfds, readfds, writefds, exceptfds, timeout)`: a `timeval`, into which the time left
/// is written back, as Linux does.
pub fn select(task: &mut Task, a: [u64; 6]) -> Result<usize, Errno> {
    let timeout = if a[4] == 0 {
        None
    } else {
        let time: Timeval = uaccess::read_value(a[4])?;
        // Linux takes microseconds beyond a second as more seconds; only negatives are wrong.
        if time.tv_sec < 0 || time.tv_usec < 0 {
            return Err(Errno::EINVAL);
        }
        Some(
            (time.tv_sec as u64)
                .saturating_mul(NS_PER_S)
                .saturating_add((time.tv_usec as u64).saturating_mul(NS_PER_US)),
        )
    };
    let deadline = deadline_after(timeout);
    let result = select_sets(task, a[0] as i32, [a[1], a[2], a[3]], deadline);
    if let Some(deadline) = deadline {
        let left = deadline.saturating_sub(crate::time::uptime_ns());
        let time = Timeval {
            tv_sec: (left / NS_PER_S) as i64,
            tv_usec: ((left % NS_PER_S) / NS_PER_US) as i64,
        };
        uaccess::write_value(a[4], &time)?;
    }
    result
}

/// `pselect6(nfds, readfds, writefds, exceptfds, timeout, {sigmask, sigsetsize})`.
pub fn pselect6(task: &mut Task, a: [u64; 6]) -> Result<usize, Errno> {
    let deadline = deadline_after(timespec_ns(a[4])?);
    // The sixth argument points to a pair: the mask's address and its size.
    let (mask, setsize) = if a[5] == 0 {
        (0, 0)
    } else {
        let pair: [u64; 2] = [uaccess::read_value(a[5])?, uaccess::read_value(a[5] + 8)?];
        (pair[0], pair[1] as usize)
    };
    with_mask(task, mask, setsize, |task| {
        select_sets(task, a[0] as i32, [a[1], a[2], a[3]], deadline)
    })
}

/// The common part of `select` and `pselect6`: the three sets at `sets` over descriptors below
/// `count`.
fn select_sets(
    task: &Task,
    count: i32,
    sets: [u64; 3],
    deadline: Option<u64>,
) -> Result<usize, Errno> {
    let count = usize::try_from(count)
        .map_err(|_| Errno::EINVAL)?
        .min(MAX_FDS);
    let wanted = [
        read_set(sets[0], count)?,
        read_set(sets[1], count)?,
        read_set(sets[2], count)?,
    ];
    // A descriptor in any set must be open.
    for fd in 0..count {
        if wanted.iter().any(|set| has(set, fd)) && task.files.get(fd as i32).is_err() {
            return Err(Errno::EBADF);
        }
    }
    let masks = [POLLIN_SET, POLLOUT_SET, POLLEX_SET];
    let mut found: [FdSet; 3] = [None; 3];
    let ready = crate::fs::poll::wait(deadline, || {
        found = wanted.map(|set| set.map(|_| [0u64; FD_SET_WORDS]));
        let mut ready = 0;
        for fd in 0..count {
            if !wanted.iter().any(|set| has(set, fd)) {
                continue;
            }
            let events = task.files.get(fd as i32).map_or(POLLNVAL, |f| f.poll());
            for which in 0..3 {
                if has(&wanted[which], fd) && events & masks[which] != 0 {
                    mark(&mut found[which], fd);
                    ready += 1;
                }
            }
        }
        Ok(ready)
    })?;
    for (at, set) in sets.iter().zip(&found) {
        write_set(*at, set, count)?;
    }
    Ok(ready)
}
