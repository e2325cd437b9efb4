//! System V shared memory: segments of memory that unrelated processes map by a key.
//!
//! The third kind of System V IPC (queues and semaphore sets are in [`super::ipc`]), and the
//! simplest to use: `shmget` names a segment of some size, `shmat` maps it into the caller, and
//! from then on plain loads and stores are the communication, with no system call at all. That
//! is also its lesson: the kernel's part ends at the mapping, and the processes must bring their
//! own synchronisation (a semaphore set, usually).
//!
//! A segment is a memory object ([`crate::mm::object`]) with nowhere to write back: its pages
//! are zero-filled frames, made when first touched by any process, and every attachment maps
//! the same ones (the page-fault handler asks the segment, as it asks a file's object). The
//! table holds one reference to each segment, and each mapping another, so `IPC_RMID` only
//! takes the key and id away: the memory stays for the processes still attached, and goes
//! with the last of them. (Linux keeps such a segment visible to `IPC_STAT` until then, marked
//! `SHM_DEST`; Ferrite forgets it at once, and `IPC_STAT` on its id is `EINVAL`.)
//!
//! The number of attachments `IPC_STAT` reports is the number of mappings holding the segment,
//! as Linux counts them (a mapping that `munmap` split in two counts twice). One difference: a
//! child made by `fork` shares its parent's list of mappings until either changes it, and is not
//! counted until then.

use super::mapping::Placement;
use super::regions::{Backing, Protection, Region};
use super::{Pid, Task};
use crate::mm::object::{MemoryObject, PageError, Pages};
use crate::mm::paging::PAGE_SIZE;
use crate::mm::uaccess;
use crate::sched::sync::Mutex;
use crate::sync::IrqMutex;
use abi::ipc::*;
use abi::Errno;
use alloc::format;
use alloc::sync::Arc;
use sysvipc::Registry;

/// The permission bits of a `shmget` flag word.
const MODE_BITS: u32 = 0o777;
/// The largest segment Ferrite makes: as large as one `mmap` (its pages cost nothing until they
/// are touched). Linux's default `shmmax` is practically unlimited.
const SHMMAX: u64 = super::syscall::MAX_MAPPING;

/// A segment's pages.
pub struct Segment {
    /// Its size, as `shmget` was asked (its mappings are this, rounded up to pages).
    bytes: u64,
    /// The pages touched so far.
    pages: Mutex<Pages>,
}

impl MemoryObject for Segment {
    fn page(&self, index: u64) -> Result<x86_64::PhysAddr, PageError> {
        if index >= self.bytes.div_ceil(PAGE_SIZE) {
            return Err(PageError::Beyond);
        }
        // A new page is zeros: filling none of it leaves `get_or_fill` to zero it all.
        self.pages.lock().get_or_fill(index, |_| Ok(0))
    }

    fn written(&self, _index: u64) {
        // Nothing to write back, so nothing to note.
    }

    fn resident(&self, first: u64, count: u64, each: &mut dyn FnMut(u64, x86_64::PhysAddr)) {
        self.pages.lock().each_resident(first, count, each);
    }

    fn segment_bytes(&self) -> Option<u64> {
        Some(self.bytes)
    }
}

/// A segment in the table, and what `IPC_STAT` reports of it.
struct Entry {
    /// The pages.
    segment: Arc<Segment>,
    /// Permission bits.
    mode: u32,
    /// Last attach, last detach, last change (seconds since 1970).
    times: (i64, i64, i64),
    /// Its creator, and the last process to attach or detach it.
    pids: (Pid, Pid),
}

/// Every segment with an id. Taken with interrupts off, briefly.
static SEGMENTS: IrqMutex<Registry<Entry>> = IrqMutex::new(Registry::new());

/// `shmget(key, size, flags)`: the id of the segment with `key`, or of a new one of `size`
/// bytes (see `sysvipc::Registry::get` for the key rules).
pub fn shmget(task: &Task, key: i32, size: u64, flags: u32) -> Result<usize, Errno> {
    let make = || {
        if size == 0 || size > SHMMAX {
            return Err(Errno::EINVAL);
        }
        Ok(Entry {
            segment: Arc::new(Segment {
                bytes: size,
                pages: Mutex::new(Pages::default()),
            }),
            mode: flags & MODE_BITS,
            times: (0, 0, super::ipc::now()),
            pids: (task.pid, 0),
        })
    };
    let check = |entry: &Entry| {
        if size > entry.segment.bytes {
            Err(Errno::EINVAL)
        } else {
            Ok(())
        }
    };
    let id = SEGMENTS.lock().get(key, flags, make, check)?;
    Ok(id as usize)
}

/// `shmat(id, addr, flags)`: maps segment `id` at `addr` (anywhere if 0), writable unless
/// `SHM_RDONLY`; returns where.
pub fn shmat(task: &mut Task, id: i32, addr: u64, flags: u32) -> Result<usize, Errno> {
    let (segment, key) = {
        let mut segments = SEGMENTS.lock();
        let key = segments.key(id).ok_or(Errno::EINVAL)?;
        (segments.find(id)?.segment.clone(), key)
    };
    let placement = match addr {
        0 if flags & SHM_REMAP != 0 => return Err(Errno::EINVAL),
        0 => Placement::Anywhere,
        _ => Placement::Fixed {
            replace: flags & SHM_REMAP != 0,
        },
    };
    let addr = if flags & SHM_RND != 0 {
        addr & !(SHMLBA - 1)
    } else if addr % SHMLBA != 0 {
        return Err(Errno::EINVAL);
    } else {
        addr
    };
    let protection = Protection {
        read: true,
        write: flags & SHM_RDONLY == 0,
        execute: flags & SHM_EXEC != 0,
    };
    if protection.write && protection.execute {
        // Ferrite keeps every page writable or executable, never both (W^X), as `mmap` does.
        return Err(Errno::EACCES);
    }
    let length = segment.bytes.next_multiple_of(PAGE_SIZE);
    let limits = super::info::memory_limits(task);
    let start = {
        let mut map = task.memory.lock();
        if !limits.allow(&map, length, false) {
            return Err(Errno::ENOMEM);
        }
        let start = match super::mapping::place(&mut map, addr, length, placement) {
            Err(Errno::EEXIST) => return Err(Errno::EINVAL), // Linux's answer for an overlap
            other => other?,
        };
        map.regions.insert(Region {
            start,
            end: start + length,
            protection,
            backing: Backing::Object {
                object: segment.clone(),
                shared: true,
                may_write: protection.write,
            },
            offset: 0,
            // What Linux's /proc/PID/maps shows: the segment's key, in the name of a file
            // that is not in any directory.
            path: Some(Arc::from(format!("/SYSV{:08x} (deleted)", key as u32))),
        });
        start
    };
    note_use(Arc::as_ptr(&segment) as *const (), task.pid, true);
    Ok(start as usize)
}

/// `shmdt(addr)`: unmaps the segment attached at `addr` (every part of that attachment still
/// mapped, within the segment's size).
pub fn shmdt(task: &mut Task, addr: u64) -> Result<usize, Errno> {
    if addr % PAGE_SIZE != 0 {
        return Err(Errno::EINVAL);
    }
    let segment = {
        let mut map = task.memory.lock();
        let (object, bytes) = map
            .regions
            .find(addr)
            .filter(|r| r.start == addr && r.offset == 0)
            .and_then(|r| r.backing.object())
            .and_then(|(object, _)| Some((object.clone(), object.segment_bytes()?)))
            .ok_or(Errno::EINVAL)?;
        let end = addr.saturating_add(bytes.next_multiple_of(PAGE_SIZE));
        let parts: alloc::vec::Vec<(u64, u64)> = map
            .regions
            .iter()
            .filter(|r| r.start < end && addr <= r.start)
            .filter(|r| {
                r.backing
                    .object()
                    .is_some_and(|(o, _)| Arc::ptr_eq(o, &object))
            })
            .map(|r| (r.start, r.end.min(end)))
            .collect();
        for (from, to) in parts {
            map.regions.remove(from, to);
            map.space.unmap(from, (to - from) / PAGE_SIZE);
        }
        object
    };
    note_use(Arc::as_ptr(&segment) as *const (), task.pid, false);
    Ok(0)
}

/// Records that `pid` attached the segment at `segment` (or detached it, if not `attached`),
/// if it still has an id.
fn note_use(segment: *const (), pid: Pid, attached: bool) {
    let mut segments = SEGMENTS.lock();
    if let Some((_, entry)) = segments
        .iter_mut()
        .find(|(_, e)| Arc::as_ptr(&e.segment) as *const () == segment)
    {
        if attached {
            entry.times.0 = super::ipc::now();
        } else {
            entry.times.1 = super::ipc::now();
        }
        entry.pids.1 = pid;
    };
}

/// `shmctl(id, command, buf)`: `IPC_STAT`, `IPC_SET`, `IPC_RMID`; `SHM_LOCK` and `SHM_UNLOCK`
/// succeed with nothing to do (Ferrite never swaps).
pub fn shmctl(id: i32, command: u32, buf: u64) -> Result<usize, Errno> {
    match command & !IPC_64 {
        IPC_STAT => {
            let status = {
                let mut segments = SEGMENTS.lock();
                let key = segments.key(id).ok_or(Errno::EINVAL)?;
                let entry = segments.find(id)?;
                ShmidDs {
                    shm_perm: IpcPerm {
                        key,
                        mode: entry.mode,
                        ..IpcPerm::default()
                    },
                    shm_segsz: entry.segment.bytes,
                    shm_atime: entry.times.0,
                    shm_dtime: entry.times.1,
                    shm_ctime: entry.times.2,
                    shm_cpid: entry.pids.0 as i32,
                    shm_lpid: entry.pids.1 as i32,
                    // The table's own reference is not an attachment.
                    shm_nattch: (Arc::strong_count(&entry.segment) - 1) as u64,
                    ..ShmidDs::default()
                }
            };
            uaccess::write_value(buf, &status)?;
            Ok(0)
        }
        IPC_SET => {
            let wanted: ShmidDs = uaccess::read_value(buf)?;
            let mut segments = SEGMENTS.lock();
            let entry = segments.find(id)?;
            entry.mode = wanted.shm_perm.mode & MODE_BITS;
            entry.times.2 = super::ipc::now();
            Ok(0)
        }
        IPC_RMID => {
            // The pages go with the last mapping (see the module notes).
            let entry = SEGMENTS.lock().remove(id)?;
            drop(entry);
            Ok(0)
        }
        SHM_LOCK | SHM_UNLOCK => SEGMENTS.lock().find(id).map(|_| 0),
        _ => Err(Errno::EINVAL),
    }
}
