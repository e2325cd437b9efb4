//! Calls that change a program's existing mappings: `mremap` and `madvise`, and `msync`, which
//! writes a shared file mapping's stores back to the file.
//!
//! Both work from the process's regions (see [`super::regions`]), not from the page tables: a
//! mapping is what was asked for, and its pages may or may not be present yet. `mremap` works
//! on a range inside one region. Growing in place needs the addresses just above it to be free
//! of regions, and then only extends the region: the new pages come on first touch. Otherwise,
//! with `MREMAP_MAYMOVE`, the region moves to the highest gap below `exec::MMAP_TOP` that fits,
//! by moving the page-table entries of the pages present: the frames stay where they are and no
//! byte is copied, which is what makes `realloc` of a large block cheap.
//!
//! `madvise` is advice, and most of it may be ignored without a program noticing: Ferrite reads
//! nothing ahead, merges nothing and makes no core dumps. Two kinds change what a program sees
//! and are honoured: `MADV_DONTNEED` (and `MADV_FREE`, which may act the same) give the frames
//! back and leave zero-filled pages in their place, as Linux does for private anonymous memory.
//! Advice Ferrite could not keep (`MADV_WIPEONFORK`, `MADV_REMOVE`, ...) is `EINVAL`, Linux's
//! answer where the advice does not apply, rather than a silent success.

use super::regions::Backing;
use super::shared::Map;
use super::Task;
use crate::mm::object::MemoryObject;
use crate::mm::paging::PAGE_SIZE;
use crate::mm::space::SpaceError;
use abi::mman::*;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// Takes the pages of `object` from index `first` on out of every process's mappings of it
/// (installed as the page cache's unmapper: a file cut shorter loses its pages past the new end
/// everywhere, private copies included, as on Linux, and the next touch there is `SIGBUS`).
pub fn unmap_object_from(object: &Arc<dyn MemoryObject>, first: u64) {
    let memories = super::all_memories();
    let from = first.saturating_mul(PAGE_SIZE);
    for memory in &memories {
        let mut map = memory.lock();
        let ranges: Vec<(u64, u64)> = map
            .regions
            .iter()
            .filter(|r| {
                r.backing
                    .object()
                    .is_some_and(|(o, _)| core::ptr::addr_eq(Arc::as_ptr(o), Arc::as_ptr(object)))
            })
            .filter_map(|r| {
                // The region maps the object's bytes from `r.offset` on.
                let start = r.start.saturating_add(from.saturating_sub(r.offset));
                (start < r.end).then_some((start, r.end))
            })
            .collect();
        for (start, end) in ranges {
            map.space.unmap(start, (end - start) / PAGE_SIZE);
        }
    }
    // The address spaces are dropped here, with no lock held (the last reference frees frames).
    drop(memories);
}

/// The range `[start, start + length)` rounded out to pages, if it stays inside user space.
fn page_range(start: u64, length: u64) -> Option<(u64, u64)> {
    let end = start.checked_add(length.checked_next_multiple_of(PAGE_SIZE)?)?;
    (end <= crate::mm::space::USER_END).then_some((start, end))
}

/// Where a new mapping (`mmap`, `shmat`) goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// In the highest gap below the mappings so far that fits (the address asked for is a
    /// hint Ferrite ignores).
    Anywhere,
    /// Exactly at the address asked for; if something is mapped there, it is unmapped first
    /// when `replace` (`MAP_FIXED`), else `EEXIST` (`MAP_FIXED_NOREPLACE`).
    Fixed {
        /// Whether what is there is replaced.
        replace: bool,
    },
}

/// The address for a new mapping of `length` bytes (page-aligned), placed as `placement` says.
pub fn place(map: &mut Map, addr: u64, length: u64, placement: Placement) -> Result<u64, Errno> {
    let Placement::Fixed { replace } = placement else {
        let start = map
            .regions
            .gap_below(map.mmap_low, length, super::exec::PROGRAM_END)
            .ok_or(Errno::ENOMEM)?;
        map.mmap_low = map.mmap_low.min(start);
        return Ok(start);
    };
    let end = addr.checked_add(length).ok_or(Errno::ENOMEM)?;
    if addr < crate::mm::space::USER_START {
        return Err(Errno::EPERM);
    }
    if end > crate::mm::space::USER_END {
        return Err(Errno::ENOMEM);
    }
    // The heap and the stack are not regions (see `regions`): Ferrite will not map over them
    // (Linux would).
    let heap_end = map.brk.next_multiple_of(PAGE_SIZE);
    let stack = super::exec::STACK_GUARD..super::exec::STACK_TOP;
    if (addr < heap_end && map.brk_start < end) || (addr < stack.end && stack.start < end) {
        return Err(Errno::ENOMEM);
    }
    if map.regions.overlaps(addr, end) {
        if !replace {
            return Err(Errno::EEXIST);
        }
        // What was there goes, as `munmap` would take it.
        map.regions.remove(addr, end);
        map.space.unmap(addr, length / PAGE_SIZE);
    }
    Ok(addr)
}

/// `mremap(old, old_size, new_size, flags, new_addr)`: grows or shrinks the mapping at `old`, in
/// place or (with `MREMAP_MAYMOVE`) at a new address; returns where it is now.
/// `MREMAP_FIXED` and `MREMAP_DONTUNMAP` are not offered (`EINVAL`).
#[inline(never)]
pub fn mremap(task: &mut Task, a: [u64; 6]) -> Result<usize, Errno> {
    let (old, old_size, new_size, flags) = (a[0], a[1], a[2], a[3] as u32);
    // Linux's checks, in Linux's order: the flags, the alignment, the sizes.
    if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
        || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
    {
        return Err(Errno::EINVAL);
    }
    if flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 {
        return Err(Errno::EINVAL);
    }
    if old % PAGE_SIZE != 0 || new_size == 0 || old_size == 0 {
        // A zero old size asks for a second mapping of shared memory, which Ferrite has not.
        return Err(Errno::EINVAL);
    }
    let (_, old_end) = page_range(old, old_size).ok_or(Errno::EINVAL)?;
    let (_, new_end) = page_range(old, new_size).ok_or(Errno::ENOMEM)?;
    let limits = super::info::memory_limits(task);
    let mut map = task.memory.lock();
    let Some(region) = map.regions.find(old).filter(|r| old_end <= r.end) else {
        return Err(Errno::EFAULT);
    };
    let (region_end, data) = (region.end, region.protection.write);
    // Shared anonymous memory is mapped whole when it grows; other memory on first touch.
    let shared = matches!(region.backing, Backing::Shared);
    let private = !region.backing.is_shared();
    if new_end > old_end && !limits.allow(&map, new_end - old_end, data && private) {
        // RLIMIT_AS or RLIMIT_DATA.
        return Err(Errno::ENOMEM);
    }
    if new_end <= old_end {
        map.regions.remove(new_end, old_end);
        map.space.unmap(new_end, (old_end - new_end) / PAGE_SIZE);
        Ok(old as usize)
    } else if old_end == region_end && grows_in_place(&map, old_end, new_end) {
        extend(&mut map, old_end, new_end, shared)?;
        Ok(old as usize)
    } else if flags & MREMAP_MAYMOVE != 0 {
        move_and_grow(&mut map, old, old_end, new_end, shared)
    } else {
        Err(Errno::ENOMEM)
    }
}

/// Whether `[old_end, new_end)` is free for a mapping ending at `old_end` to grow into.
fn grows_in_place(map: &Map, old_end: u64, new_end: u64) -> bool {
    let heap_end = map.brk.next_multiple_of(PAGE_SIZE);
    let into_heap = old_end < heap_end && map.brk_start < new_end;
    !map.regions.overlaps(old_end, new_end) && !into_heap && new_end <= super::exec::STACK_GUARD
}

/// Adds `[old_end, new_end)` to the region ending at `old_end`: nothing is mapped for private
/// memory (first touch fills it); shared memory is mapped at once, as `mmap` does.
fn extend(map: &mut Map, old_end: u64, new_end: u64, shared: bool) -> Result<(), Errno> {
    if shared {
        let flags = map
            .regions
            .find(old_end - PAGE_SIZE)
            .map(|r| r.protection.flags())
            .unwrap_or(x86_64::structures::paging::PageTableFlags::NO_EXECUTE);
        map.space
            .map_zeroed(
                old_end,
                (new_end - old_end) / PAGE_SIZE,
                flags | crate::mm::space::SHARED,
            )
            .map_err(|_| Errno::ENOMEM)?;
    }
    map.regions.extend(old_end, new_end);
    Ok(())
}

/// Moves the mapping `[old, old_end)` to the highest gap that fits `new_end - old` bytes and
/// grows it there.
fn move_and_grow(
    map: &mut Map,
    old: u64,
    old_end: u64,
    new_end: u64,
    shared: bool,
) -> Result<usize, Errno> {
    let (old_bytes, new_bytes) = (old_end - old, new_end - old);
    let start = map
        .regions
        .gap_below(map.mmap_low, new_bytes, super::exec::PROGRAM_END)
        .ok_or(Errno::ENOMEM)?;
    if let Err(e) = map.space.move_pages(old, start, old_bytes / PAGE_SIZE) {
        return Err(match e {
            SpaceError::NotMapped => Errno::EFAULT,
            _ => Errno::ENOMEM,
        });
    }
    map.regions.relocate(old, old_end, start);
    if let Err(e) = extend(map, start + old_bytes, start + new_bytes, shared) {
        // Put it back as it was.
        let _ = map.space.move_pages(start, old, old_bytes / PAGE_SIZE);
        map.regions.relocate(start, start + old_bytes, old);
        return Err(e);
    }
    map.mmap_low = map.mmap_low.min(start);
    Ok(start as usize)
}

/// `madvise(addr, length, advice)`: see the module notes for what is honoured.
#[inline(never)]
pub fn madvise(task: &mut Task, addr: u64, length: u64, advice: i32) -> Result<usize, Errno> {
    if addr % PAGE_SIZE != 0 {
        return Err(Errno::EINVAL);
    }
    let discards = match advice {
        MADV_NORMAL | MADV_RANDOM | MADV_SEQUENTIAL | MADV_WILLNEED | MADV_DONTFORK
        | MADV_DOFORK | MADV_DONTDUMP | MADV_DODUMP | MADV_KEEPONFORK | MADV_COLD
        | MADV_PAGEOUT | MADV_POPULATE_READ | MADV_POPULATE_WRITE | MADV_NOHUGEPAGE
        | MADV_UNMERGEABLE => false,
        MADV_DONTNEED | MADV_FREE => true,
        _ => return Err(Errno::EINVAL),
    };
    let (start, end) = page_range(addr, length).ok_or(Errno::EINVAL)?;
    if start == end {
        return Ok(0);
    }
    let mut map = task.memory.lock();
    let heap = map.brk_start..map.brk.next_multiple_of(PAGE_SIZE);
    let in_stack = start >= super::exec::STACK_BOTTOM && end <= super::exec::STACK_TOP;
    let in_heap = start >= heap.start && end <= heap.end;
    if !(in_stack || in_heap || map.regions.covers(start, end)) {
        // Linux's answer for a range with a hole in it.
        return Err(Errno::ENOMEM);
    }
    if !discards {
        return Ok(0);
    }
    // Page by page, by what backs it: private anonymous memory (and the stack) just loses its
    // frames, and the next touch fills a zeroed page; the heap and the program's pages are
    // never filled on demand, so they get zeroed pages now; shared anonymous memory keeps its
    // pages (Linux would read them back from the shared object, which is these very frames).
    for page in (start..end).step_by(PAGE_SIZE as usize) {
        let backing = map.regions.find(page).map(|r| r.backing.clone());
        match backing {
            // A file's or segment's page comes back from its object at the next touch (a
            // private copy is lost, as on Linux).
            Some(Backing::Anonymous | Backing::Object { .. }) => map.space.unmap(page, 1),
            Some(Backing::Shared) => {}
            None if in_stack => map.space.unmap(page, 1),
            Some(Backing::Program) | None => {
                map.space.discard(page, 1).map_err(|_| Errno::ENOMEM)?
            }
        }
    }
    Ok(0)
}

/// `msync(addr, length, flags)`: writes the dirty pages of the shared file mappings in the range
/// back to their files (see `fs::pagecache`), and with `MS_SYNC` makes them durable. Ferrite
/// writes back at once for `MS_ASYNC` too: it has no background writer to hand the work to.
#[inline(never)]
pub fn msync(task: &mut Task, addr: u64, length: u64, flags: u32) -> Result<usize, Errno> {
    let known = MS_ASYNC | MS_INVALIDATE | MS_SYNC;
    let both = MS_ASYNC | MS_SYNC;
    if flags & !known != 0 || addr % PAGE_SIZE != 0 || flags & both == both {
        return Err(Errno::EINVAL);
    }
    let (start, end) = page_range(addr, length).ok_or(Errno::ENOMEM)?;
    // The objects and their page ranges, gathered under the lock and written back after it:
    // a write to the disk may take a while, and the page-fault handler needs the lock.
    let objects: alloc::vec::Vec<_> = {
        let map = task.memory.lock();
        let heap = map.brk_start..map.brk.next_multiple_of(PAGE_SIZE);
        let in_stack = start >= super::exec::STACK_BOTTOM && end <= super::exec::STACK_TOP;
        let in_heap = start >= heap.start && end <= heap.end;
        if !(in_stack || in_heap || map.regions.covers(start, end)) {
            return Err(Errno::ENOMEM);
        }
        map.regions
            .iter()
            .filter(|r| r.start < end && start < r.end)
            .filter_map(|r| {
                let (object, shared) = r.backing.object()?;
                let (from, to) = (r.start.max(start), r.end.min(end));
                let first = (r.offset + (from - r.start)) / PAGE_SIZE;
                shared.then(|| (object.clone(), first, (to - from) / PAGE_SIZE))
            })
            .collect()
    };
    for (object, first, count) in objects {
        object.write_back(first, count, flags & MS_SYNC != 0)?;
    }
    Ok(0)
}
