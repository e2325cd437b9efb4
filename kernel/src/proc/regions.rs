//! A process's regions: what it asked to have mapped, as opposed to what the page tables hold.
//!
//! The page tables say which pages have a frame *now*; they cannot say which pages the program
//! is allowed to touch but has not yet. Once `mmap` stops handing out frames up front (a
//! program that maps 256 MiB for a hash table and touches a few pages of it should cost a few
//! pages), the kernel needs a second record: a sorted list of regions (Linux calls them VMAs),
//! each a page-aligned range with a protection and what backs it. `mmap` adds one and maps
//! nothing; the page-fault handler looks the faulting address up here and, if a private
//! anonymous region covers it, puts a zeroed page there with the region's protection; `munmap`
//! cuts regions (splitting one in two when a hole is punched in its middle) and frees whatever
//! frames were present; `mprotect` splits at its bounds and changes the regions and the pages
//! already present, and a page touched later simply gets the new protection when it is filled.
//!
//! The list is also what `/proc/PID/maps` prints, and what `RLIMIT_AS` counts: Linux charges a
//! process for what it has mapped, touched or not, and so does Ferrite.
//!
//! The program's segments are recorded here too (their pages are all present from `exec`); the
//! heap and the stack are not, since their bounds live in [`super::shared::Map`] (`brk`) and in
//! [`super::exec::STACK`], and the users of this list add them where they are needed.

use crate::mm::object::MemoryObject;
use crate::mm::paging::PAGE_SIZE;
use alloc::sync::Arc;
use alloc::vec::Vec;
use x86_64::structures::paging::PageTableFlags as Flags;

/// What a region's pages hold.
#[derive(Clone)]
pub enum Backing {
    /// A segment of the program, loaded (and so present) at `exec`.
    Program,
    /// Private anonymous memory: each page is zero-filled on first touch.
    Anonymous,
    /// Anonymous memory shared with children across `fork` (`MAP_SHARED|MAP_ANONYMOUS`): its
    /// pages are all present from `mmap` and marked [`crate::mm::space::SHARED`].
    Shared,
    /// The pages of a memory object (a file, a System V segment; see [`crate::mm::object`]),
    /// brought in on first touch. `shared` (`MAP_SHARED`, `shmat`): stores go to the object's
    /// frames, for every mapping to see. Private (`MAP_PRIVATE` of a file): the object's frame
    /// is mapped copy-on-write, and the first store makes the process its own copy.
    Object {
        /// The object.
        object: Arc<dyn MemoryObject>,
        /// Whether stores reach the object.
        shared: bool,
        /// Whether the mapping may ever be made writable (Linux's `VM_MAYWRITE`): not for a
        /// shared mapping of a file opened read-only, nor a segment attached `SHM_RDONLY`.
        may_write: bool,
    },
}

impl Backing {
    /// The object behind it, and whether stores reach the object, if it is one.
    pub fn object(&self) -> Option<(&Arc<dyn MemoryObject>, bool)> {
        match self {
            Backing::Object { object, shared, .. } => Some((object, *shared)),
            _ => None,
        }
    }

    /// Whether `mprotect` may make it writable.
    pub fn may_write(&self) -> bool {
        !matches!(
            self,
            Backing::Object {
                may_write: false,
                ..
            }
        )
    }

    /// Whether its pages are shared with other mappings rather than private to this one.
    pub fn is_shared(&self) -> bool {
        matches!(self, Backing::Shared | Backing::Object { shared: true, .. })
    }
}

/// Who may do what with a region's pages (`PROT_READ`, `PROT_WRITE`, `PROT_EXEC`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Protection {
    /// Loads are allowed (x86 cannot forbid them on a present page, so a page of a region
    /// without it is simply never filled).
    pub read: bool,
    /// Stores are allowed.
    pub write: bool,
    /// Instruction fetches are allowed.
    pub execute: bool,
}

impl Protection {
    /// From `mmap`'s and `mprotect`'s `prot` bits.
    pub fn from_prot(prot: u32) -> Protection {
        use abi::mman::{PROT_EXEC, PROT_READ, PROT_WRITE};
        Protection {
            read: prot & (PROT_READ | PROT_WRITE | PROT_EXEC) != 0,
            write: prot & PROT_WRITE != 0,
            execute: prot & PROT_EXEC != 0,
        }
    }

    /// The page-table flags a page of this protection gets (USER is added by the mapper).
    pub fn flags(self) -> Flags {
        let mut flags = Flags::empty();
        if self.write {
            flags |= Flags::WRITABLE;
        }
        if !self.execute {
            flags |= Flags::NO_EXECUTE;
        }
        flags
    }
}

/// One region: `[start, end)`, page-aligned and never empty.
#[derive(Clone)]
pub struct Region {
    /// The first address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// What may be done with it.
    pub protection: Protection,
    /// What its pages hold.
    pub backing: Backing,
    /// The file's offset at `start` (0 for anonymous memory), for `/proc/PID/maps`.
    pub offset: u64,
    /// The file's path, for `/proc/PID/maps` (`None` for anonymous memory).
    pub path: Option<Arc<str>>,
}

impl Region {
    /// The part of this region inside `[start, end)` (which must overlap it).
    fn part(&self, start: u64, end: u64) -> Region {
        let from = start.max(self.start);
        Region {
            start: from,
            end: end.min(self.end),
            offset: self.offset + (from - self.start),
            ..self.clone()
        }
    }

    /// Whether it overlaps `[start, end)`.
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start < end && start < self.end
    }
}

/// A process's regions, sorted by address, never overlapping.
///
/// Shared behind an `Arc` until one side changes them: `fork` copies the list by taking another
/// reference, and the first `mmap` or `munmap` in either process copies it then (most children
/// call `exec` first, and never pay for the copy).
#[derive(Clone, Default)]
pub struct Regions(Arc<Vec<Region>>);

impl Regions {
    /// The regions in address order.
    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.0.iter()
    }

    /// `fork`'s copy. Shared with this list until either side changes it, except when a
    /// System V segment is attached: `IPC_STAT` counts a segment's attachments by its
    /// references, and the child's copies of them must count from the start, as on Linux.
    pub fn fork(&self) -> Regions {
        let attached = |r: &Region| {
            r.backing
                .object()
                .is_some_and(|(object, _)| object.segment_bytes().is_some())
        };
        if self.0.iter().any(attached) {
            Regions(Arc::new(self.0.to_vec()))
        } else {
            self.clone()
        }
    }

    /// The region holding `addr`.
    pub fn find(&self, addr: u64) -> Option<&Region> {
        let index = self.0.partition_point(|r| r.end <= addr);
        self.0.get(index).filter(|r| r.start <= addr)
    }

    /// Whether any region overlaps `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        let index = self.0.partition_point(|r| r.end <= start);
        self.0.get(index).is_some_and(|r| r.overlaps(start, end))
    }

    /// Whether regions cover every page of `[start, end)`, without a hole.
    pub fn covers(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        let index = self.0.partition_point(|r| r.end <= start);
        for region in &self.0[index..] {
            if at >= end {
                break;
            }
            if region.start > at {
                return false;
            }
            at = region.end;
        }
        at >= end
    }

    /// Adds `region`, which must overlap none.
    pub fn insert(&mut self, region: Region) {
        debug_assert!(!self.overlaps(region.start, region.end));
        let index = self.0.partition_point(|r| r.end <= region.start);
        Arc::make_mut(&mut self.0).insert(index, region);
    }

    /// Removes `[start, end)` from every region, cutting or splitting those it overlaps.
    pub fn remove(&mut self, start: u64, end: u64) {
        if !self.overlaps(start, end) {
            return;
        }
        let mut kept = Vec::with_capacity(self.0.len() + 1);
        for region in self.0.iter() {
            if !region.overlaps(start, end) {
                kept.push(region.clone());
                continue;
            }
            if region.start < start {
                kept.push(region.part(region.start, start));
            }
            if region.end > end {
                kept.push(region.part(end, region.end));
            }
        }
        self.0 = Arc::new(kept);
    }

    /// Gives every region inside `[start, end)` protection `protection`, splitting those that
    /// straddle a bound.
    pub fn protect(&mut self, start: u64, end: u64, protection: Protection) {
        let mut changed = Vec::with_capacity(self.0.len() + 2);
        for region in self.0.iter() {
            if !region.overlaps(start, end) {
                changed.push(region.clone());
                continue;
            }
            if region.start < start {
                changed.push(region.part(region.start, start));
            }
            let mut middle = region.part(start, end);
            middle.protection = protection;
            changed.push(middle);
            if region.end > end {
                changed.push(region.part(end, region.end));
            }
        }
        self.0 = Arc::new(changed);
    }

    /// Moves the region `[start, end)` (exactly one whole region or a part of one) to `to`.
    pub fn relocate(&mut self, start: u64, end: u64, to: u64) {
        let Some(region) = self.find(start) else {
            return;
        };
        let mut moved = region.part(start, end);
        self.remove(start, end);
        moved.end = to + (moved.end - moved.start);
        moved.start = to;
        self.insert(moved);
    }

    /// Extends the region ending at `end` to `new_end` (the space above must be free).
    pub fn extend(&mut self, end: u64, new_end: u64) {
        if let Some(region) = Arc::make_mut(&mut self.0).iter_mut().find(|r| r.end == end) {
            region.end = new_end;
        }
    }

    /// Bytes in every region.
    pub fn bytes(&self) -> u64 {
        self.0.iter().map(|r| r.end - r.start).sum()
    }

    /// Bytes of private writable memory (Linux's `RLIMIT_DATA` counts these, with the heap).
    pub fn data_bytes(&self) -> u64 {
        self.0
            .iter()
            .filter(|r| r.protection.write && !r.backing.is_shared())
            .map(|r| r.end - r.start)
            .sum()
    }

    /// The highest free `length` bytes ending at or below `top` and starting at or above
    /// `floor`, page-aligned.
    pub fn gap_below(&self, top: u64, length: u64, floor: u64) -> Option<u64> {
        let mut top = top;
        loop {
            let start = top.checked_sub(length).filter(|&s| s >= floor)?;
            // The highest region overlapping the candidate: the next try goes below it.
            match self.0.iter().rev().find(|r| r.overlaps(start, top)) {
                None => return Some(start),
                Some(region) => top = region.start,
            }
        }
    }
}

/// The pages of `[start, end)`, as a count.
pub fn pages(start: u64, end: u64) -> u64 {
    (end - start) / PAGE_SIZE
}
