//! Calls that change a program's existing mappings: `mremap` and `madvise`.
//!
//! Ferrite keeps no list of mappings: the page tables are the record of what is mapped, and
//! `mmap` hands out anonymous ranges downwards from `exec::MMAP_TOP`, never reusing a hole (see
//! `syscall::mmap`). So `mremap` works only inside that region, on pages the tables say are
//! mapped. Growing in place needs the pages just above the range to be free (a hole `munmap`
//! left, or the top of the region); otherwise, with `MREMAP_MAYMOVE`, the range moves below
//! every mapping, as a new `mmap` would go, by moving page-table entries: the frames stay where
//! they are and no byte is copied, which is what makes `realloc` of a large block cheap.
//!
//! `madvise` is advice, and most of it may be ignored without a program noticing: Ferrite reads
//! nothing ahead, merges nothing and makes no core dumps. Two kinds change what a program sees
//! and are honoured: `MADV_DONTNEED` (and `MADV_FREE`, which may act the same) give the frames
//! back and leave zero-filled pages in their place, as Linux does for private anonymous memory.
//! Advice Ferrite could not keep (`MADV_WIPEONFORK`, `MADV_REMOVE`, ...) is `EINVAL`, Linux's
//! answer where the advice does not apply, rather than a silent success.

use super::shared::Map;
use super::Task;
use crate::mm::paging::PAGE_SIZE;
use crate::mm::space::SpaceError;
use abi::mman::*;
use abi::Errno;

/// The range `[start, start + length)` rounded out to pages, if it stays inside user space.
fn page_range(start: u64, length: u64) -> Option<(u64, u64)> {
    let end = start.checked_add(length.checked_next_multiple_of(PAGE_SIZE)?)?;
    (end <= crate::mm::space::USER_END).then_some((start, end))
}

/// Whether every page of `[start, end)` is mapped.
fn all_mapped(map: &Map, start: u64, end: u64) -> bool {
    (start..end)
        .step_by(PAGE_SIZE as usize)
        .all(|page| map.space.is_mapped(page))
}

/// Whether every page of `[start, end)` is free.
fn all_free(map: &Map, start: u64, end: u64) -> bool {
    (start..end)
        .step_by(PAGE_SIZE as usize)
        .all(|page| !map.space.is_mapped(page))
}

/// `mremap(old, old_size, new_size, flags, new_addr)`: grows or shrinks the anonymous mapping at
/// `old`, in place or (with `MREMAP_MAYMOVE`) at a new address; returns where it is now.
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
    if new_end > old_end && !limits.allow(&map, new_end - old_end) {
        // RLIMIT_AS or RLIMIT_DATA.
        return Err(Errno::ENOMEM);
    }
    let in_region = old >= map.mmap_low && old_end <= super::exec::MMAP_TOP;
    if !in_region || !all_mapped(&map, old, old_end) {
        return Err(Errno::EFAULT);
    }
    if new_end <= old_end {
        map.space.unmap(new_end, (old_end - new_end) / PAGE_SIZE);
        Ok(old as usize)
    } else if new_end <= super::exec::MMAP_TOP && all_free(&map, old_end, new_end) {
        grow_in_place(&mut map, old, old_end, new_end)
    } else if flags & MREMAP_MAYMOVE != 0 {
        move_and_grow(&mut map, old, old_end, new_end)
    } else {
        Err(Errno::ENOMEM)
    }
}

/// The page-table flags of the mapped page at `page` (for new pages beside it).
fn flags_at(map: &Map, page: u64) -> x86_64::structures::paging::PageTableFlags {
    use x86_64::structures::paging::PageTableFlags as Flags;
    let (writable, executable) = map.space.access(page).unwrap_or((true, false));
    let mut flags = Flags::empty();
    if writable {
        flags |= Flags::WRITABLE;
    }
    if !executable {
        flags |= Flags::NO_EXECUTE;
    }
    flags
}

/// Adds zeroed pages `[old_end, new_end)` after the mapping at `old`.
fn grow_in_place(map: &mut Map, old: u64, old_end: u64, new_end: u64) -> Result<usize, Errno> {
    let flags = flags_at(map, old_end - PAGE_SIZE);
    map.space
        .map_zeroed(old_end, (new_end - old_end) / PAGE_SIZE, flags)
        .map_err(|_| Errno::ENOMEM)?;
    Ok(old as usize)
}

/// Moves the mapping `[old, old_end)` below every other mapping and grows it there to
/// `new_end - old` bytes.
fn move_and_grow(map: &mut Map, old: u64, old_end: u64, new_end: u64) -> Result<usize, Errno> {
    let (old_bytes, new_bytes) = (old_end - old, new_end - old);
    let start = map.mmap_low.checked_sub(new_bytes).ok_or(Errno::ENOMEM)?;
    if start < super::exec::PROGRAM_END {
        return Err(Errno::ENOMEM);
    }
    let flags = flags_at(map, old_end - PAGE_SIZE);
    map.space
        .map_zeroed(
            start + old_bytes,
            (new_bytes - old_bytes) / PAGE_SIZE,
            flags,
        )
        .map_err(|_| Errno::ENOMEM)?;
    if let Err(e) = map.space.move_pages(old, start, old_bytes / PAGE_SIZE) {
        map.space
            .unmap(start + old_bytes, (new_bytes - old_bytes) / PAGE_SIZE);
        return Err(match e {
            SpaceError::NotMapped => Errno::EFAULT,
            _ => Errno::ENOMEM,
        });
    }
    map.mmap_low = start;
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
    if !all_mapped(&map, start, end) {
        // Linux's answer for a range with a hole in it.
        return Err(Errno::ENOMEM);
    }
    if discards {
        map.space
            .discard(start, (end - start) / PAGE_SIZE)
            .map_err(|_| Errno::ENOMEM)?;
    }
    Ok(0)
}
