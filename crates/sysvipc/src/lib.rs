//! System V IPC's decisions, without the kernel: which object a key names, which message a
//! receiver takes, and whether a set of semaphore operations can all happen at once.
//!
//! System V IPC is the 1980s way for unrelated processes to talk: message queues, semaphore
//! sets and shared memory segments, each found by a numeric *key* the processes agree on
//! (often made from a path with `ftok`), and used through an *id* the kernel hands out.
//! Many operating-systems courses teach synchronisation with its semaphores, whose `semop`
//! applies a whole list of operations atomically: all of them or, if one would have to wait,
//! none. The kernel (`proc::ipc`) keeps the objects and does the waiting; the rules are here,
//! tested on the host.

#![cfg_attr(not(test), no_std)]

extern crate alloc;

use abi::ipc::{IPC_CREAT, IPC_EXCL, IPC_PRIVATE, MSG_EXCEPT};
use abi::Errno;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

/// The objects of one kind (queues or semaphore sets), by id and by key.
#[derive(Debug)]
pub struct Registry<T> {
    /// Every object, by id.
    objects: BTreeMap<i32, (i32, T)>,
    /// The next id to hand out.
    next: i32,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Registry::new()
    }
}

impl<T> Registry<T> {
    /// No objects.
    pub const fn new() -> Registry<T> {
        Registry {
            objects: BTreeMap::new(),
            next: 0,
        }
    }

    /// `*get(key, flags)`: the id of the object with `key`, or a new one from `make` (always for
    /// `IPC_PRIVATE`; with `IPC_CREAT` when none has the key). `ENOENT` when none has it and
    /// `IPC_CREAT` is not given, `EEXIST` with `IPC_CREAT | IPC_EXCL` when one has, and what
    /// `check` says about an existing one (say, too few semaphores).
    pub fn get(
        &mut self,
        key: i32,
        flags: u32,
        make: impl FnOnce() -> Result<T, Errno>,
        check: impl FnOnce(&T) -> Result<(), Errno>,
    ) -> Result<i32, Errno> {
        if key != IPC_PRIVATE {
            if let Some((&id, (_, object))) = self.objects.iter().find(|(_, (k, _))| *k == key) {
                if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
                    return Err(Errno::EEXIST);
                }
                check(object)?;
                return Ok(id);
            }
            if flags & IPC_CREAT == 0 {
                return Err(Errno::ENOENT);
            }
        }
        let object = make()?;
        let id = self.next;
        self.next = self.next.checked_add(1).ok_or(Errno::ENOSPC)?;
        self.objects.insert(id, (key, object));
        Ok(id)
    }

    /// The object with `id` (`EINVAL` if there is none, as Linux answers).
    pub fn find(&mut self, id: i32) -> Result<&mut T, Errno> {
        self.objects
            .get_mut(&id)
            .map(|(_, object)| object)
            .ok_or(Errno::EINVAL)
    }

    /// [`find`](Registry::find) for a caller that waits and looks again: once `seen` (set
    /// here on success), an object that has gone was removed under the waiter (`EIDRM`).
    pub fn find_again(&mut self, id: i32, seen: &mut bool) -> Result<&mut T, Errno> {
        let was_seen = *seen;
        match self.objects.get_mut(&id) {
            Some((_, object)) => {
                *seen = true;
                Ok(object)
            }
            None if was_seen => Err(Errno::EIDRM),
            None => Err(Errno::EINVAL),
        }
    }

    /// The key of the object with `id`.
    pub fn key(&self, id: i32) -> Option<i32> {
        self.objects.get(&id).map(|(key, _)| *key)
    }

    /// Removes the object with `id` (`IPC_RMID`).
    pub fn remove(&mut self, id: i32) -> Result<T, Errno> {
        self.objects
            .remove(&id)
            .map(|(_, object)| object)
            .ok_or(Errno::EINVAL)
    }

    /// Whether an object has `id`.
    pub fn contains(&self, id: i32) -> bool {
        self.objects.contains_key(&id)
    }

    /// Every object, by id.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (i32, &mut T)> {
        self.objects
            .iter_mut()
            .map(|(&id, (_, object))| (id, object))
    }
}

/// One message: its type (above 0) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// What `msgrcv` may select it by.
    pub kind: i64,
    /// Its text.
    pub text: Vec<u8>,
}

/// A message queue.
#[derive(Debug, Clone)]
pub struct Queue {
    /// The messages, oldest first.
    pub messages: VecDeque<Message>,
    /// The bytes of text they hold.
    pub bytes: usize,
    /// The most bytes it may hold (`msg_qbytes`).
    pub capacity: usize,
}

impl Queue {
    /// An empty queue that holds up to `capacity` bytes.
    pub fn new(capacity: usize) -> Queue {
        Queue {
            messages: VecDeque::new(),
            bytes: 0,
            capacity,
        }
    }

    /// Whether `size` more bytes fit (a message never fits a queue that is smaller than it,
    /// and that is `EINVAL` at send time, not a wait).
    pub fn fits(&self, size: usize) -> bool {
        self.bytes + size <= self.capacity
    }

    /// Adds `message` at the back.
    pub fn push(&mut self, message: Message) {
        self.bytes += message.text.len();
        self.messages.push_back(message);
    }

    /// Where the message `msgrcv(.., wanted, flags)` takes is: the first (`wanted` 0), the first
    /// of type `wanted` (above 0; with `MSG_EXCEPT`, the first of any other type), or the first
    /// of the lowest type up to `-wanted` (below 0).
    pub fn select(&self, wanted: i64, flags: u32) -> Option<usize> {
        match wanted {
            0 => (!self.messages.is_empty()).then_some(0),
            w if w > 0 => {
                let except = flags & MSG_EXCEPT != 0;
                self.messages.iter().position(|m| (m.kind == w) != except)
            }
            w => {
                let bound = w.checked_neg().unwrap_or(i64::MAX);
                let lowest = self
                    .messages
                    .iter()
                    .filter(|m| m.kind <= bound)
                    .map(|m| m.kind)
                    .min()?;
                self.messages.iter().position(|m| m.kind == lowest)
            }
        }
    }

    /// Takes the message at `index`.
    pub fn take(&mut self, index: usize) -> Option<Message> {
        let message = self.messages.remove(index)?;
        self.bytes -= message.text.len();
        Some(message)
    }
}

/// One semaphore operation of `semop`: on semaphore `number`, add `change` (above 0), wait
/// until it can take `-change` (below 0), or wait until it is zero (0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemOp {
    /// Which semaphore of the set.
    pub number: u16,
    /// The change.
    pub change: i16,
}

/// What became of a list of operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SemOutcome {
    /// All were applied.
    Done,
    /// None was applied: operation `number` would have to wait, for the semaphore to become
    /// zero (`for_zero`) or to grow.
    Wait {
        /// The semaphore it waits on.
        number: u16,
        /// Whether it waits for zero (else for the value to grow).
        for_zero: bool,
    },
}

/// Applies `ops` to `values`, all of them or none: a decrease below zero or a wait for zero
/// that is not zero yet leaves `values` as they were and says what would wait. `EFBIG` for a
/// semaphore number outside the set, `ERANGE` for a value above `max`.
pub fn semop(values: &mut [u16], ops: &[SemOp], max: u16) -> Result<SemOutcome, Errno> {
    let mut next = values.to_vec();
    for op in ops {
        let value = next.get_mut(usize::from(op.number)).ok_or(Errno::EFBIG)?;
        match op.change {
            0 if *value != 0 => {
                return Ok(SemOutcome::Wait {
                    number: op.number,
                    for_zero: true,
                })
            }
            0 => {}
            change => {
                let new = i32::from(*value) + i32::from(change);
                if new < 0 {
                    return Ok(SemOutcome::Wait {
                        number: op.number,
                        for_zero: false,
                    });
                }
                if new > i32::from(max) {
                    return Err(Errno::ERANGE);
                }
                *value = new as u16;
            }
        }
    }
    values.copy_from_slice(&next);
    Ok(SemOutcome::Done)
}

#[cfg(test)]
mod tests;
