//! What the threads of a process share: its memory, its open files and its working directory.
//!
//! A process starts with one thread; `clone` with `CLONE_VM` and `CLONE_FILES` (what
//! `pthread_create` asks for) starts another that runs in the *same* address space with the
//! *same* descriptors, while `fork` gives the child copies. Linux lets a program choose each
//! sharing separately, and so does Ferrite: a thread's [`Task`](super::Task) holds a reference
//! to a [`Memory`] and to a [`Files`], and `clone` either takes another reference (shared) or
//! makes a copy (`fork`). What was once owned by one thread, and so needed no lock, now has one:
//!
//! * [`Memory`]'s lock is held while the page tables or the heap's bounds change: `brk`,
//!   `mmap`, `munmap`, `mprotect`, and the page-fault handler that fills a page on first touch.
//!   Without it, one thread preempted half-way through adding a page table, and another
//!   faulting in a page under the same entry, could each put a table there, and one of them,
//!   with the pages under it, would be lost.
//! * [`Files`]' lock is held only while a descriptor is looked up, added or removed, never while
//!   a file is read or written (a read of a pipe may block for ever; its siblings must still be
//!   able to write to it). A description that closes is dropped after the lock is released.
//!
//! [`Memory`]'s is the scheduler's blocking mutex (`sched::sync::Mutex`): mapping a megabyte
//! takes a while, and a thread preempted while it holds the lock makes its siblings wait off the
//! run queue, not spin through their time slices. [`Files`]' is held for a few dozen
//! instructions on every `read` and `write`, where the blocking mutex's bookkeeping cost more
//! than the lookup itself: it is a spin lock taken with interrupts off (`IrqMutex`), which no
//! holder can be preempted in the middle of, so no one ever spins on one CPU.

use super::regions::Regions;
use crate::fs::file::{FdTable, OpenFile};
use crate::mm::space::AddressSpace;
use crate::sched::sync::{Mutex, MutexGuard};
use crate::sync::IrqMutex;
use abi::Errno;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

/// A process's address space and the bounds of its heap and mappings, shared by its threads.
pub struct Memory {
    /// The address space and its bounds.
    map: Mutex<Map>,
    /// Pages of user memory mapped, for `ps`: the process table keeps a reference to this
    /// counter, so it can read it without the lock (or the memory) of a running process.
    resident: Arc<AtomicUsize>,
}

/// The address space of a process and where its heap and mappings are, behind [`Memory`]'s lock.
pub struct Map {
    /// The page tables and the frames they map.
    pub space: AddressSpace,
    /// Where the heap began (the page after the program's segments).
    pub brk_start: u64,
    /// The program break: the end of the heap.
    pub brk: u64,
    /// The lowest address `mmap` has handed out; the next mapping goes below it, in the
    /// highest gap that fits.
    pub mmap_low: u64,
    /// What the program has mapped, touched or not: its segments and its mappings (the heap
    /// and the stack are described by `brk` and `exec::STACK`). See [`super::regions`].
    pub regions: Regions,
}

impl Memory {
    /// Memory holding `space` with `regions` recorded, the heap starting (empty) at `brk` and
    /// mappings below `mmap_top`.
    pub fn new(space: AddressSpace, brk: u64, mmap_top: u64, regions: Regions) -> Arc<Memory> {
        let resident = Arc::new(AtomicUsize::new(space.resident_pages()));
        Arc::new(Memory {
            map: Mutex::new(Map {
                space,
                brk_start: brk,
                brk,
                mmap_low: mmap_top,
                regions,
            }),
            resident,
        })
    }

    /// Takes the lock. Never hold it across a copy to or from user memory: the copy may fault,
    /// and the fault handler takes it too.
    pub fn lock(&self) -> MapGuard<'_> {
        MapGuard {
            guard: self.map.lock(),
            resident: &self.resident,
        }
    }

    /// The counter of resident pages, for the process table.
    pub fn resident_counter(&self) -> Arc<AtomicUsize> {
        self.resident.clone()
    }

    /// `fork`'s copy: a copy-on-write copy of the address space, with the same bounds.
    pub fn fork(&self) -> Result<Arc<Memory>, Errno> {
        let mut map = self.lock();
        let space = map.space.fork().map_err(|_| Errno::ENOMEM)?;
        let copy = Memory::new(space, map.brk_start, map.mmap_low, map.regions.fork());
        copy.lock().brk = map.brk;
        Ok(copy)
    }
}

/// [`Memory`] locked; when it is released, the resident count is brought up to date.
pub struct MapGuard<'a> {
    /// The lock itself.
    guard: MutexGuard<'a, Map>,
    /// Where the count goes.
    resident: &'a AtomicUsize,
}

impl core::ops::Deref for MapGuard<'_> {
    type Target = Map;
    fn deref(&self) -> &Map {
        &self.guard
    }
}

impl core::ops::DerefMut for MapGuard<'_> {
    fn deref_mut(&mut self) -> &mut Map {
        &mut self.guard
    }
}

impl Drop for MapGuard<'_> {
    fn drop(&mut self) {
        self.resident
            .store(self.guard.space.resident_pages(), Ordering::Relaxed);
    }
}

/// A process's descriptor table, shared by its threads (`CLONE_FILES`).
pub struct Files(Arc<IrqMutex<FdTable>>);

impl Files {
    /// A table holding `table`.
    pub fn new(table: FdTable) -> Files {
        Files(Arc::new(IrqMutex::new(table)))
    }

    /// Another reference to the same table (a thread's).
    pub fn share(&self) -> Files {
        Files(self.0.clone())
    }

    /// A copy of the table (`fork`'s): the same descriptions, in a table of its own.
    pub fn copy(&self) -> Files {
        Files::new(self.0.lock().clone())
    }

    /// The description behind `fd`.
    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.0.lock().get(fd)
    }

    /// Puts `file` in the lowest free slot at or above `lowest`; returns the descriptor.
    pub fn add(
        &self,
        file: Arc<OpenFile>,
        close_on_exec: bool,
        lowest: usize,
    ) -> Result<i32, Errno> {
        self.0.lock().add(file, close_on_exec, lowest)
    }

    /// Makes `fd` refer to `file`, as `dup2` does; what it referred to closes after the lock
    /// is released.
    pub fn set(&self, fd: i32, file: Arc<OpenFile>, close_on_exec: bool) -> Result<(), Errno> {
        let old = self.0.lock().replace(fd, file, close_on_exec)?;
        drop(old);
        Ok(())
    }

    /// Closes `fd` (the description, if this was its last descriptor, after the lock is released).
    pub fn close(&self, fd: i32) -> Result<(), Errno> {
        let old = self.0.lock().take(fd)?;
        drop(old);
        Ok(())
    }

    /// `fd`'s close-on-exec flag.
    pub fn close_on_exec(&self, fd: i32) -> Result<bool, Errno> {
        self.0.lock().close_on_exec(fd)
    }

    /// Sets `fd`'s close-on-exec flag.
    pub fn set_close_on_exec(&self, fd: i32, on: bool) -> Result<(), Errno> {
        self.0.lock().set_close_on_exec(fd, on)
    }

    /// Closes every descriptor marked close-on-exec.
    pub fn exec(&self) {
        let closed = self.0.lock().take_close_on_exec();
        drop(closed);
    }

    /// Makes `limit` one more than the highest descriptor it may hand out (`RLIMIT_NOFILE`).
    pub fn set_limit(&self, limit: usize) {
        self.0.lock().set_limit(limit);
    }

    /// How many descriptors are open.
    pub fn count(&self) -> usize {
        self.0.lock().count()
    }

    /// Whether this is the last reference to the table (its files close when it drops).
    pub fn is_last(&self) -> bool {
        Arc::strong_count(&self.0) == 1
    }

    /// The open descriptors, lowest first.
    pub fn descriptors(&self) -> Vec<i32> {
        self.0.lock().descriptors()
    }

    /// A reference that does not keep the table (and so its files) open: the process table's,
    /// for `/proc/PID/fd`.
    pub fn downgrade(&self) -> WeakFiles {
        WeakFiles(Arc::downgrade(&self.0))
    }
}

/// A [`Files`] that may have closed: the process table holds one per process, as it holds its
/// memory, so that reading `/proc/PID/fd` never keeps a process's descriptors open after it
/// ends, and dropping a table entry never closes files under the table's lock.
#[derive(Clone)]
pub struct WeakFiles(Weak<IrqMutex<FdTable>>);

impl WeakFiles {
    /// The table, if one of the process's threads still has it. The caller must drop it with
    /// no lock held: it may be the last reference, whose drop closes the files.
    pub fn upgrade(&self) -> Option<Files> {
        self.0.upgrade().map(Files)
    }
}

/// A process's working directory, shared by its threads (`CLONE_FS`): a `chdir` in one moves
/// them all. Held as a canonical absolute path; read by copying it out, so no lock is held
/// while a path is looked up.
pub struct Cwd(Arc<IrqMutex<String>>);

impl Cwd {
    /// A working directory at `path` (canonical and absolute).
    pub fn new(path: String) -> Cwd {
        Cwd(Arc::new(IrqMutex::new(path)))
    }

    /// Another reference to the same directory (a thread's).
    pub fn share(&self) -> Cwd {
        Cwd(self.0.clone())
    }

    /// A directory of its own, starting at the same path (`fork`'s).
    pub fn copy(&self) -> Cwd {
        Cwd::new(self.get())
    }

    /// The path.
    pub fn get(&self) -> String {
        self.0.lock().clone()
    }

    /// Moves it to `path` (canonical and absolute).
    pub fn set(&self, path: String) {
        let old = core::mem::replace(&mut *self.0.lock(), path);
        drop(old);
    }
}
