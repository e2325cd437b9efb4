//! Memory objects: pages that outlive any one mapping of them, and that every mapping shares.
//!
//! Anonymous memory belongs to the address space that maps it: its frames are found through
//! that space's page tables and nowhere else. Two kinds of memory cannot work that way. A file
//! mapped `MAP_SHARED` by two processes must be *one* memory: a store by either is seen by the
//! other at once, and by `read` on the file, and reaches the file in the end. A System V shared
//! memory segment is the same without a file, and it lives on after every process has detached
//! from it. So their frames belong to an *object*, which a mapping only borrows: the region
//! (`proc::regions`) holds a reference to the object, and the page-fault handler asks the object
//! for the frame behind a page the first time the page is touched.
//!
//! Each frame an object holds is counted once for the object and once more for each page table
//! entry that maps it ([`frames::share`]), so unmapping, `fork` and copy-on-write need no new
//! rules: a frame goes back to the allocator only when the object and every mapping have let go.
//!
//! Dirty pages. A file's object must write back the pages that were stored to, and only those
//! (a disk write is costly, and a page written back for nothing changes the file's time). The
//! CPU sets a dirty bit in each page table entry, but one frame may be mapped by many address
//! spaces, and the object has no list of them. So Ferrite does what Linux calls write-notify: a
//! writable shared page of a file is first mapped *read-only*; the first store faults, the
//! handler tells the object that page is dirty ([`MemoryObject::written`]) and makes the entry
//! writable, and the store runs again. One extra fault per page, on its first write. Ferrite
//! keeps a page dirty from then on (writing it back cannot make the entries read-only again
//! without finding them all), so a later `msync` writes it again: correct, and sometimes a page
//! more than needed.
//!
//! Fault-around. A page of an object that is already in memory costs nothing to map but the
//! page-table entry, while each fault costs an exception, a lock and a lookup. So a fault on an
//! object's page also maps the other pages of its aligned 64 KiB window that the object holds
//! ([`FAULT_AROUND_PAGES`]), read-only (a store still faults, for write-notify or
//! copy-on-write). Pages not yet in memory are left for their own faults: reading ahead from
//! a file is a different trade.

use super::frames;
use super::paging::PAGE_SIZE;
use abi::Errno;
use alloc::collections::BTreeMap;
use x86_64::PhysAddr;

/// Pages a fault maps at once: the faulting page and those of the same aligned 64 KiB window
/// that the object already holds (Linux's "fault-around", with its default window). A program
/// reading a mapped file from start to end then takes one fault per 16 pages, not one per page,
/// once the file's pages are in memory.
pub const FAULT_AROUND_PAGES: u64 = 16;

/// Why an object could not give a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    /// The page is past the object's end (past a file's last byte): Linux sends `SIGBUS`.
    Beyond,
    /// No frame was free, or the file could not be read.
    Failed,
}

/// Pages that mappings share (see the module notes).
pub trait MemoryObject: Send + Sync {
    /// The frame holding page `index` (counted in bytes from the object's start, a page at a
    /// time), brought in if it is not yet. The object keeps its own count of the frame: a
    /// caller that maps it takes another with [`frames::share`].
    fn page(&self, index: u64) -> Result<PhysAddr, PageError>;
    /// Page `index` is about to be written through a mapping (write-notify, see the module
    /// notes).
    fn written(&self, index: u64);
    /// Calls `each` with the index and frame of every page in memory among `count` pages from
    /// `first`, bringing none in (a fault maps its neighbours this way: see
    /// [`FAULT_AROUND_PAGES`]).
    fn resident(&self, first: u64, count: u64, each: &mut dyn FnMut(u64, PhysAddr));
    /// Writes the dirty pages among `count` pages from `first` back to where the object's
    /// bytes live (a file), durably (to the disk itself) if `durable`. Objects with nowhere to
    /// write (shared memory) have nothing to do.
    fn write_back(&self, _first: u64, _count: u64, _durable: bool) -> Result<(), Errno> {
        Ok(())
    }
    /// For a System V shared memory segment, its size in bytes (what `shmdt` unmaps); `None`
    /// for other objects.
    fn segment_bytes(&self) -> Option<u64> {
        None
    }
}

/// One page an object holds.
struct Page {
    /// Its frame (the object's count of it).
    frame: PhysAddr,
    /// Whether a mapping has written it since it was brought in.
    dirty: bool,
}

/// The frames of an object, by page index: what both kinds of object keep, behind their lock.
#[derive(Default)]
pub struct Pages {
    pages: BTreeMap<u64, Page>,
}

impl Pages {
    /// The frame of page `index`, if it is in memory.
    pub fn get(&self, index: u64) -> Option<PhysAddr> {
        self.pages.get(&index).map(|p| p.frame)
    }

    /// The frame of page `index`, a fresh one filled by `fill` if it was not in memory. `fill`
    /// gets the page's bytes (old contents of a free frame) and says how many it filled from
    /// the start; the rest are zeroed. (Zeroing only the rest saves a page of stores for every
    /// page read from a file.)
    pub fn get_or_fill(
        &mut self,
        index: u64,
        fill: impl FnOnce(&mut [u8]) -> Result<usize, PageError>,
    ) -> Result<PhysAddr, PageError> {
        if let Some(frame) = self.get(index) {
            return Ok(frame);
        }
        let frame = frames::allocate().ok_or(PageError::Failed)?;
        let bytes = frame_bytes(frame);
        match fill(bytes) {
            Ok(filled) => {
                let from = filled.min(bytes.len());
                bytes[from..].fill(0);
            }
            Err(e) => {
                let _ = frames::free(frame);
                return Err(e);
            }
        }
        self.pages.insert(
            index,
            Page {
                frame,
                dirty: false,
            },
        );
        Ok(frame)
    }

    /// Calls `each` with the index and frame of every page in memory among `count` pages from
    /// `first`.
    pub fn each_resident(&self, first: u64, count: u64, each: &mut dyn FnMut(u64, PhysAddr)) {
        let end = first.saturating_add(count);
        for (&index, page) in self.pages.range(first..end) {
            each(index, page.frame);
        }
    }

    /// Marks page `index` dirty, if it is in memory.
    pub fn mark_dirty(&mut self, index: u64) {
        if let Some(page) = self.pages.get_mut(&index) {
            page.dirty = true;
        }
    }

    /// Whether any page is dirty.
    pub fn any_dirty(&self) -> bool {
        self.pages.values().any(|p| p.dirty)
    }

    /// The dirty pages from `first` on, fewer than `count` of them, with their bytes.
    pub fn dirty(&self, first: u64, count: u64) -> impl Iterator<Item = (u64, &[u8])> {
        let end = first.saturating_add(count);
        self.pages
            .range(first..end)
            .filter(|(_, p)| p.dirty)
            .map(|(&index, p)| (index, &*frame_bytes(p.frame)))
    }

    /// Every page in memory from `first` on, fewer than `count` of them, with its bytes to
    /// change.
    pub fn pages_mut(&mut self, first: u64, count: u64) -> impl Iterator<Item = (u64, &mut [u8])> {
        let end = first.saturating_add(count);
        self.pages
            .range_mut(first..end)
            .map(|(&index, p)| (index, frame_bytes(p.frame)))
    }

    /// Lets go of every page from `first` on (the object's count: a frame still mapped stays
    /// with its mappings until they go).
    pub fn forget_from(&mut self, first: u64) {
        for page in self.pages.split_off(&first).into_values() {
            frames::release(page.frame);
        }
    }

    /// Pages in memory.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// Whether no page is in memory.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }
}

impl Drop for Pages {
    /// Lets go of the object's count of each frame: freed unless a page table still maps it.
    fn drop(&mut self) {
        for page in self.pages.values() {
            frames::release(page.frame);
        }
    }
}

/// The bytes of `frame`, through the map of all physical memory.
///
/// The slice aliases what user mappings of the frame see: callers change it only under their
/// object's lock, and a program storing to the page at the same moment sees its store or
/// the kernel's, as with any shared memory.
fn frame_bytes<'a>(frame: PhysAddr) -> &'a mut [u8] {
    let offset = super::physical_offset();
    // SAFETY: all physical memory is mapped at `offset` for as long as the kernel runs, and the
    // frame is one the object holds (allocated, counted, and so never reused while it does);
    // the page is plain RAM, and the bytes are only copied in or out, never referenced as a
    // typed value.
    unsafe {
        core::slice::from_raw_parts_mut((frame.as_u64() + offset) as *mut u8, PAGE_SIZE as usize)
    }
}
