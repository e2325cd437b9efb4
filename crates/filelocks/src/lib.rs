//! Advisory file locks, as a set of byte ranges per file: the decisions, without the kernel.
//!
//! POSIX record locks (`fcntl(F_SETLK)`) let a process claim a range of a file for reading
//! (shared: many may hold one) or writing (exclusive). They are *advisory*: `read` and `write`
//! never look at them; only other lockers do. Two locks conflict when their ranges overlap,
//! their owners differ, and at least one is a write lock. An owner never conflicts with itself:
//! setting a lock over its own replaces them in that range, splitting a lock that sticks out
//! on either side, and unlocking is setting "nothing" over a range. `flock` locks are the same
//! idea over the whole file, owned by an open file description rather than a process, and
//! never meet record locks (Linux keeps the two apart).
//!
//! [`Locks`] is one file's locks of one kind, kept sorted and with each owner's neighbouring
//! ranges of the same kind merged, so that what `F_GETLK` reports and what a later unlock
//! splits are what POSIX says. The kernel keeps one per locked file and does the waiting;
//! before a record-lock owner sleeps, [`would_deadlock`] tells it whether the sleep would close
//! a cycle of waiters (`EDEADLK`, see the `deadlock` module).

#![cfg_attr(not(test), no_std)]

extern crate alloc;

use alloc::vec::Vec;

mod deadlock;

pub use deadlock::{waited_for, would_deadlock, Wait, DEADLOCK_SEARCH_LIMIT};

/// Past the end of every file: a lock "to the end of the file" ends here, however the file grows.
pub const END_OF_FILE: u64 = u64::MAX;

/// Who holds a lock: a process (record locks) or an open file description (`flock`), as a
/// number the kernel chooses.
pub type Owner = u64;

/// What a lock allows others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Shared: others may read-lock the range too.
    Read,
    /// Exclusive: nobody else may lock any of the range.
    Write,
}

/// One lock: `owner` holds bytes `start..end` of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lock {
    /// Who holds it.
    pub owner: Owner,
    /// Shared or exclusive.
    pub kind: Kind,
    /// The first byte.
    pub start: u64,
    /// One past the last byte ([`END_OF_FILE`]: all the rest).
    pub end: u64,
}

impl Lock {
    /// Whether it and `other` share a byte.
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start < end && start < self.end
    }
}

/// The locks of one file (of one kind: record locks, or `flock` locks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locks {
    /// Every lock, sorted by start (and by owner for the same start).
    locks: Vec<Lock>,
}

impl Locks {
    /// No locks.
    pub const fn new() -> Locks {
        Locks { locks: Vec::new() }
    }

    /// Whether nobody holds a lock.
    pub fn is_empty(&self) -> bool {
        self.locks.is_empty()
    }

    /// Every lock, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Lock> {
        self.locks.iter()
    }

    /// The first lock of another owner that would stop `owner` from locking `start..end` as
    /// `kind` (what `F_GETLK` reports), if any.
    pub fn conflict(&self, owner: Owner, kind: Kind, start: u64, end: u64) -> Option<Lock> {
        self.locks
            .iter()
            .find(|l| {
                l.owner != owner
                    && l.overlaps(start, end)
                    && (kind == Kind::Write || l.kind == Kind::Write)
            })
            .copied()
    }

    /// Makes `owner`'s locks on `start..end` be `kind` (`None`: unlocks the range), replacing
    /// what it held there: a lock of its own that sticks out is cut to what lies outside. The
    /// caller has checked [`conflict`](Locks::conflict) first.
    pub fn set(&mut self, owner: Owner, kind: Option<Kind>, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let mut kept = Vec::with_capacity(self.locks.len() + 2);
        for lock in self.locks.drain(..) {
            if lock.owner != owner || !lock.overlaps(start, end) {
                kept.push(lock);
                continue;
            }
            if lock.start < start {
                kept.push(Lock { end: start, ..lock });
            }
            if lock.end > end {
                kept.push(Lock { start: end, ..lock });
            }
        }
        if let Some(kind) = kind {
            kept.push(Lock {
                owner,
                kind,
                start,
                end,
            });
        }
        kept.sort_by_key(|l| (l.start, l.owner));
        self.locks = merge(kept);
    }

    /// Drops every lock `owner` holds (it closed the file, or ended); whether it held any.
    pub fn release(&mut self, owner: Owner) -> bool {
        let before = self.locks.len();
        self.locks.retain(|l| l.owner != owner);
        self.locks.len() != before
    }
}

/// `locks` (sorted by start) with each owner's touching or overlapping ranges of one kind
/// joined into one.
fn merge(locks: Vec<Lock>) -> Vec<Lock> {
    let mut merged: Vec<Lock> = Vec::with_capacity(locks.len());
    for lock in locks {
        let joins = merged
            .iter_mut()
            .rev()
            .find(|m| m.owner == lock.owner && m.kind == lock.kind && m.end >= lock.start);
        match joins {
            Some(previous) => previous.end = previous.end.max(lock.end),
            None => merged.push(lock),
        }
    }
    merged
}

/// The byte range `start..end` a `struct flock` names: `l_start` relative to `base` (0, the
/// file position or the file's size, by `l_whence`), and `l_len` bytes from there (0: to the end
/// of the file; negative: the bytes before it). `None` if it would start before byte 0 or past
/// the largest offset (`EINVAL`).
pub fn range(base: u64, l_start: i64, l_len: i64) -> Option<(u64, u64)> {
    let start = i128::from(base) + i128::from(l_start);
    let (start, end) = match l_len {
        0 => (start, i128::from(END_OF_FILE)),
        len if len > 0 => (start, start + i128::from(len)),
        len => (start + i128::from(len), start),
    };
    if start < 0 || end > i128::from(i64::MAX) + 1 && end != i128::from(END_OF_FILE) {
        return None;
    }
    Some((start as u64, end as u64))
}

#[cfg(test)]
mod tests;
