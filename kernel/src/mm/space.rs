//! Address spaces: one tree of page tables per process, the kernel half shared by all.
//!
//! Each process sees its own lower half (addresses below [`USER_END`]): its program, heap and
//! stack, mapped user-accessible. The upper half is the kernel's, identical in every process:
//! a new address space copies the kernel's 256 top-level entries, so it points at the very same
//! lower-level tables, and a kernel mapping made later (the heap growing, a thread stack) is
//! seen by every process at once. That only works if the kernel never adds a *top-level* entry
//! after processes exist, so [`super::init`] creates every top-level table the kernel half will
//! use at boot ([`super::layout::KERNEL_TOP_LEVEL_SLOTS`]).
//!
//! Switching processes is loading another root into CR3 (the scheduler does it when the next
//! thread belongs to another process). The kernel's code and data stay mapped across the
//! switch, at the same addresses, so the switch can happen anywhere in kernel code.
//!
//! **Copy-on-write.** `fork` must give the child a copy of every page of the parent, and most of
//! those pages will never be written by either before the child calls `exec` and throws them
//! all away. So [`AddressSpace::fork`] copies none: it maps the parent's frames into the child
//! too, counts each frame's extra user ([`frames::share`]), and makes every writable page
//! read-only in both, marked [`COPY_ON_WRITE`] (a bit the CPU ignores and leaves to the OS). The
//! first write to such a page, by either process, faults; [`resolve_user_fault`] then gives the
//! writer its own copy (or, if no one else maps the frame any more, simply makes the page
//! writable again) and the write is retried. Read-only pages (code) are shared for good.
//!
//! **Demand-zero pages.** A program's stack may grow to 128 KiB, and most programs use a page
//! or two of it. Mapping all of it at `exec`, zeroing each frame (512 stores a page), and freeing
//! it all at exit was a sixth of what starting a small program cost. So the loader maps only
//! the pages its start-up data needs, and the rest of the stack's range is *demand-zero*: the
//! first touch of such a page faults as "not present", and [`resolve_user_fault`] maps a fresh
//! zeroed page there and lets the access run again. To the program this is invisible: the
//! memory was always there, and always zero. The page below the range stays unmapped for good,
//! so an overflowing stack still faults. Anonymous memory from `mmap` works the same way: which
//! addresses may be filled, and with which flags, is the caller's to say (the process keeps a
//! list of regions, `proc::regions`); this module only fills the page.
//!
//! **Shared pages.** Memory mapped `MAP_SHARED|MAP_ANONYMOUS` must stay one memory across
//! `fork`. Its pages carry [`SHARED`], and [`AddressSpace::fork`] maps them into the child as
//! they are, instead of copy-on-write.

use super::paging::{MapError, PageTables, PAGE_SIZE};
use super::{frames, PAGE_TABLES};
use x86_64::structures::paging::PageTableFlags as Flags;
use x86_64::{PhysAddr, VirtAddr};

/// One past the highest user address: the lower half ends at 2^47, and the last page below it
/// stays unmapped, so no instruction can end exactly at the boundary (where `syscall` would
/// hand `sysret` a non-canonical return address; see `arch::x86_64::user`).
pub const USER_END: u64 = (1 << 47) - PAGE_SIZE;
/// The page-table bit Ferrite uses to mark a page that the program may write but that is
/// mapped read-only until its first write copies it (bit 9, one of three the CPU leaves to
/// the OS; SDM Vol. 3A §4.5, table 4-19).
pub const COPY_ON_WRITE: Flags = Flags::BIT_9;
/// The page-table bit Ferrite uses to mark a page of memory shared across `fork`
/// (`MAP_SHARED|MAP_ANONYMOUS`): [`AddressSpace::fork`] maps its frame into the child as it is,
/// writable if it was, instead of making it copy-on-write (bit 10, another the CPU ignores).
pub const SHARED: Flags = Flags::BIT_10;

/// The lowest address a program may map: the first 64 KiB stay unmapped, so that a null pointer,
/// or a null pointer to a structure plus a field's offset, faults. The same as Linux's default
/// `vm.mmap_min_addr`, so that a program that loads on Linux loads here.
pub const USER_START: u64 = 0x1_0000;

/// Why an address space could not be made or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpaceError {
    /// No frame was left for a page or a page table.
    OutOfMemory,
    /// The range is not page-aligned, is empty, or leaves the user half.
    BadRange,
    /// A page in the range is already mapped.
    Overlap,
    /// A page in the range is not mapped.
    NotMapped,
}

/// A process's page tables.
pub struct AddressSpace {
    tables: PageTables,
    /// User pages mapped (resident: Ferrite never swaps). Pages filled on demand by
    /// [`resolve_user_fault`] are added later, through [`AddressSpace::count_faulted_in`].
    pages: usize,
}

impl AddressSpace {
    /// A new address space with an empty user half and the kernel half shared.
    pub fn new() -> Result<AddressSpace, SpaceError> {
        let guard = PAGE_TABLES.lock();
        let kernel = guard.as_ref().ok_or(SpaceError::OutOfMemory)?;
        let root = frames::allocate().ok_or(SpaceError::OutOfMemory)?;
        let offset = kernel.offset();
        zero_frame(offset, root);
        // SAFETY: all physical memory is mapped at `offset` (the kernel tables are reached the
        // same way); `root` is a fresh, zeroed frame that only this tree reaches, and this tree
        // only ever changes its user half (`map_user` refuses other addresses).
        let mut tables = unsafe { PageTables::with_root(offset, root) };
        tables.share_kernel_half(kernel);
        Ok(AddressSpace { tables, pages: 0 })
    }

    /// The root table's physical address, for CR3.
    pub fn root(&self) -> u64 {
        self.tables.root().as_u64()
    }

    /// User pages mapped (those filled on demand once counted in).
    pub fn resident_pages(&self) -> usize {
        self.pages
    }

    /// Counts in `pages` pages that [`resolve_user_fault`] filled on demand in this space: it
    /// works on the tables CR3 holds, from a fault, and cannot reach this structure.
    pub fn count_faulted_in(&mut self, pages: usize) {
        self.pages += pages;
    }

    /// Maps `pages` pages from `start` to fresh zeroed frames with `flags` (USER added): all of
    /// them, or none.
    pub fn map_zeroed(&mut self, start: u64, pages: u64, flags: Flags) -> Result<(), SpaceError> {
        let end = pages
            .checked_mul(PAGE_SIZE)
            .and_then(|bytes| start.checked_add(bytes))
            .ok_or(SpaceError::BadRange)?;
        if start % PAGE_SIZE != 0 || start < USER_START || end > USER_END || pages == 0 {
            return Err(SpaceError::BadRange);
        }
        let offset = self.tables.offset();
        for n in 0..pages {
            let page = VirtAddr::new(start + n * PAGE_SIZE);
            let result = match frames::allocate() {
                None => Err(SpaceError::OutOfMemory),
                Some(frame) => {
                    zero_frame(offset, frame);
                    self.tables
                        .map(page, frame, flags | Flags::USER_ACCESSIBLE)
                        .map_err(|e| {
                            let _ = frames::free(frame);
                            match e {
                                MapError::AlreadyMapped(_) => SpaceError::Overlap,
                                _ => SpaceError::OutOfMemory,
                            }
                        })
                }
            };
            if let Err(e) = result {
                self.unmap(start, n);
                return Err(e);
            }
            self.pages += 1;
        }
        Ok(())
    }

    /// Maps the page at `page` (not mapped yet) to `frame`, a frame a memory object holds, with
    /// `flags` (USER added), counting one more user of the frame (see [`super::object`]).
    pub fn map_frame(
        &mut self,
        page: u64,
        frame: PhysAddr,
        flags: Flags,
    ) -> Result<(), SpaceError> {
        if page % PAGE_SIZE != 0 || !(USER_START..USER_END).contains(&page) {
            return Err(SpaceError::BadRange);
        }
        frames::share(frame).map_err(|_| SpaceError::OutOfMemory)?;
        if let Err(e) = self
            .tables
            .map(VirtAddr::new(page), frame, flags | Flags::USER_ACCESSIBLE)
        {
            frames::release(frame);
            return Err(match e {
                MapError::AlreadyMapped(_) => SpaceError::Overlap,
                _ => SpaceError::OutOfMemory,
            });
        }
        self.pages += 1;
        Ok(())
    }

    /// Makes the mapped page at `page` writable (a shared page of a file, mapped read-only
    /// until its first store: see [`super::object`]).
    pub fn allow_write(&mut self, page: u64) -> Result<(), SpaceError> {
        if page >= USER_END {
            return Err(SpaceError::BadRange);
        }
        let address = VirtAddr::new(page);
        let found = self
            .tables
            .translate(address)
            .ok_or(SpaceError::NotMapped)?;
        self.tables
            .set_flags(address, found.flags | Flags::WRITABLE)
            .map_err(|_| SpaceError::NotMapped)
    }

    /// Unmaps `pages` pages from `start` and frees their frames (unmapped pages are skipped).
    pub fn unmap(&mut self, start: u64, pages: u64) {
        for n in 0..pages {
            let Some(page) = start.checked_add(n * PAGE_SIZE).filter(|&p| p < USER_END) else {
                return;
            };
            if let Ok(frame) = self.tables.unmap(VirtAddr::new(page)) {
                frames::release(frame);
                self.pages -= 1;
            }
        }
    }

    /// Changes the protection of `pages` pages from `start` (`mprotect`): writable or not,
    /// executable or not. A copy-on-write page asked to be writable stays read-only with its
    /// mark, so its first write still copies it; one made read-only loses the mark, so no write
    /// can make it writable again. Pages not present are skipped: the caller's regions give
    /// them their protection when they are first touched.
    pub fn protect(
        &mut self,
        start: u64,
        pages: u64,
        writable: bool,
        executable: bool,
    ) -> Result<(), SpaceError> {
        let range = (0..pages).map(|n| start + n * PAGE_SIZE);
        if start
            .checked_add(pages * PAGE_SIZE)
            .is_none_or(|end| end > USER_END)
        {
            return Err(SpaceError::BadRange);
        }
        for page in range {
            let address = VirtAddr::new(page);
            let Some(found) = self.tables.translate(address) else {
                continue;
            };
            let copy_on_write = found.flags.contains(COPY_ON_WRITE);
            let mut flags = found.flags - Flags::WRITABLE - Flags::NO_EXECUTE - COPY_ON_WRITE;
            if writable {
                flags |= if copy_on_write {
                    COPY_ON_WRITE
                } else {
                    Flags::WRITABLE
                };
            }
            if !executable {
                flags |= Flags::NO_EXECUTE;
            }
            // The page was found mapped just above.
            let _ = self.tables.set_flags(address, flags);
        }
        Ok(())
    }

    /// The physical address user address `addr` is mapped to, if it is (what names a futex
    /// that several address spaces may map).
    pub fn physical(&self, addr: u64) -> Option<u64> {
        if addr >= USER_END {
            return None;
        }
        let offset = addr % PAGE_SIZE;
        let found = self.tables.translate(VirtAddr::new(addr - offset))?;
        Some(found.phys.as_u64() + offset)
    }

    /// Moves the present pages of `pages` pages from `from` to `to` (`mremap`): each frame, with
    /// its flags, changes address; nothing is copied or freed. Every page at `to` must be free;
    /// on failure (a page table could not be had) nothing has moved.
    pub fn move_pages(&mut self, from: u64, to: u64, pages: u64) -> Result<(), SpaceError> {
        let bytes = pages.checked_mul(PAGE_SIZE).ok_or(SpaceError::BadRange)?;
        for start in [from, to] {
            if start % PAGE_SIZE != 0
                || start < USER_START
                || start.checked_add(bytes).is_none_or(|end| end > USER_END)
            {
                return Err(SpaceError::BadRange);
            }
        }
        let range = 0..pages;
        if range.clone().any(|n| self.is_mapped(to + n * PAGE_SIZE)) {
            return Err(SpaceError::Overlap);
        }
        // Map each frame at its new address first, so a failure (no frame for a page table)
        // can be undone before the old mapping is touched. Pages never touched have no frame
        // and nothing to move.
        for n in range.clone() {
            let old = VirtAddr::new(from + n * PAGE_SIZE);
            let new = VirtAddr::new(to + n * PAGE_SIZE);
            let Some(found) = self.tables.translate(old) else {
                continue;
            };
            if self.tables.map(new, found.phys, found.flags).is_err() {
                for undo in 0..n {
                    let _ = self.tables.unmap(VirtAddr::new(to + undo * PAGE_SIZE));
                }
                return Err(SpaceError::OutOfMemory);
            }
        }
        for n in range {
            // The frame now lives at its new address: only the old entry goes (an error is a
            // page that was never present).
            let _ = self.tables.unmap(VirtAddr::new(from + n * PAGE_SIZE));
        }
        Ok(())
    }

    /// Whether the mapped page at `page` may be written (now, or after its copy on write) and
    /// executed; `None` if it is not mapped.
    pub fn access(&self, page: u64) -> Option<(bool, bool)> {
        if page >= USER_END {
            return None;
        }
        let found = self.tables.translate(VirtAddr::new(page))?;
        let writable = found.flags.contains(Flags::WRITABLE) || found.flags.contains(COPY_ON_WRITE);
        Some((writable, !found.flags.contains(Flags::NO_EXECUTE)))
    }

    /// Replaces the mapped pages of `[start, start + pages pages)` by zeroed ones with the same
    /// access (`madvise(MADV_DONTNEED)`): each old frame is released (a frame shared copy-on-write
    /// with another process stays with it), never zeroed in place. Unmapped pages are skipped.
    pub fn discard(&mut self, start: u64, pages: u64) -> Result<(), SpaceError> {
        for n in 0..pages {
            let page = start + n * PAGE_SIZE;
            let Some((writable, executable)) = self.access(page) else {
                continue;
            };
            let mut flags = Flags::empty();
            if writable {
                flags |= Flags::WRITABLE;
            }
            if !executable {
                flags |= Flags::NO_EXECUTE;
            }
            self.unmap(page, 1);
            self.map_zeroed(page, 1, flags)?;
        }
        Ok(())
    }

    /// Whether the page at `page` is mapped.
    pub fn is_mapped(&self, page: u64) -> bool {
        page < USER_END && self.tables.translate(VirtAddr::new(page)).is_some()
    }

    /// Copies `bytes` to user address `at` through the physical mapping, whatever the pages'
    /// protection (the loader fills read-only and executable pages this way). False if a page
    /// is not mapped.
    pub fn write(&mut self, mut at: u64, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            if at >= USER_END {
                return false;
            }
            let Some(translation) = self.tables.translate(VirtAddr::new(at)) else {
                return false;
            };
            let room = (PAGE_SIZE - at % PAGE_SIZE) as usize;
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            let target = translation.phys.as_u64() + self.tables.offset();
            // SAFETY: `target` is the physical-map address of a frame this address space owns
            // (it maps it user-accessible), and `now` stays inside that page; no Rust reference
            // to user frames exists.
            unsafe { core::ptr::copy_nonoverlapping(now.as_ptr(), target as *mut u8, now.len()) };
            at += now.len() as u64;
            bytes = rest;
        }
        true
    }
}

impl AddressSpace {
    /// A child's address space for `fork`: every page of this one, shared copy-on-write (see
    /// the module notes), copied a page table at a time. This space's writable pages become
    /// read-only and marked too, and the TLB is flushed, so the parent's next write to one
    /// faults as well.
    pub fn fork(&mut self) -> Result<AddressSpace, SpaceError> {
        let mut child = AddressSpace::new()?;
        let copied = self
            .tables
            .copy_user_half(&mut child.tables, |frame, flags| {
                frames::share(frame).ok()?;
                let writable = flags.contains(Flags::WRITABLE) || flags.contains(COPY_ON_WRITE);
                Some(if flags.contains(SHARED) {
                    flags // both processes write the same frame
                } else if writable {
                    (flags - Flags::WRITABLE) | COPY_ON_WRITE
                } else {
                    flags
                })
            });
        // Pages this tree made read-only may still be writable in the TLB: one reload of CR3
        // forgets them all (the kernel half's global entries stay), cheaper than a flush each.
        if x86_64::registers::control::Cr3::read().0.start_address() == self.tables.root() {
            x86_64::instructions::tlb::flush_all();
        }
        // Dropping `child` on an error releases what it has mapped so far.
        child.pages = copied.map_err(|_| SpaceError::OutOfMemory)?;
        Ok(child)
    }
}

/// How [`resolve_user_fault`] dealt with a page fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultFix {
    /// Not a fault the kernel fixes: the access really was wrong (or memory ran out).
    Unresolved,
    /// A write to a copy-on-write page: the writer has its own copy now (or the page back
    /// writable, if no one else shared it).
    Copied,
    /// A touch of a page not yet mapped in a demand-zero range: a zeroed page is there now.
    /// One more resident page, which the caller counts (see [`AddressSpace::count_faulted_in`]).
    ZeroFilled,
}

/// Resolves a page fault at user address `addr` in the address space CR3 holds, if it is one
/// the kernel fixes (see the module notes): a `write` to a copy-on-write page that is
/// `present`, or a touch of a page not `present` where the process's records say a zeroed page
/// belongs, with flags `fill` (the caller looked the address up: the stack's range, or a
/// region of anonymous memory). The access can then be retried.
///
/// Call with interrupts on, from the thread of the process that faulted (it takes the frame
/// allocator's lock).
pub fn resolve_user_fault(addr: u64, write: bool, present: bool, fill: Option<Flags>) -> FaultFix {
    let copy_on_write = write && present;
    let zero_fill = !present && fill.is_some();
    if addr >= USER_END || !(copy_on_write || zero_fill) {
        return FaultFix::Unresolved;
    }
    let root = x86_64::registers::control::Cr3::read().0.start_address();
    let Some(offset) = PAGE_TABLES.lock().as_ref().map(PageTables::offset) else {
        return FaultFix::Unresolved;
    };
    if root.as_u64() == super::kernel_root() {
        return FaultFix::Unresolved;
    }
    // SAFETY: all physical memory is mapped at `offset`; `root` is the running process's tree
    // (CR3), which only its own thread changes, and that thread is here, in a fault taken
    // outside every method of its `AddressSpace`. Only the user half is touched.
    let mut tables = unsafe { PageTables::with_root(offset, root) };
    let page = VirtAddr::new(addr & !(PAGE_SIZE - 1));
    let fixed = if let (true, Some(flags)) = (zero_fill, fill) {
        zero_fill_page(&mut tables, page, flags)
    } else {
        copy_page_on_write(&mut tables, page)
    };
    match (fixed, zero_fill) {
        (false, _) => FaultFix::Unresolved,
        (true, true) => FaultFix::ZeroFilled,
        (true, false) => FaultFix::Copied,
    }
}

/// Maps a fresh zeroed frame at `page` (not mapped yet) with `flags` (USER added). False if
/// memory ran out.
fn zero_fill_page(tables: &mut PageTables, page: VirtAddr, flags: Flags) -> bool {
    if tables.translate(page).is_some() {
        return false; // mapped after all: the fault was about something else
    }
    let Some(frame) = frames::allocate() else {
        return false;
    };
    zero_frame(tables.offset(), frame);
    if tables
        .map(page, frame, flags | Flags::USER_ACCESSIBLE)
        .is_err()
    {
        let _ = frames::free(frame);
        return false;
    }
    true
}

/// Gives the writer of the copy-on-write page at `page` its own copy, or the page back writable
/// if no one else shares its frame any more. False if the page is not copy-on-write (really
/// read-only) or memory ran out.
fn copy_page_on_write(tables: &mut PageTables, page: VirtAddr) -> bool {
    let Some(found) = tables.translate(page) else {
        return false;
    };
    if !found.flags.contains(COPY_ON_WRITE) {
        return false;
    }
    let frame = found.phys;
    let flags = (found.flags - COPY_ON_WRITE) | Flags::WRITABLE;
    if !frames::is_shared(frame) {
        // The last user of the frame: it is ours now.
        return tables.set_flags(page, flags).is_ok();
    }
    let Some(copy) = frames::allocate() else {
        return false;
    };
    let offset = tables.offset();
    // SAFETY: both frames are mapped at `offset`; `frame` is a page of this process (shared,
    // so no one writes it: every sharer maps it read-only), `copy` was just allocated.
    unsafe {
        core::ptr::copy_nonoverlapping(
            (frame.as_u64() + offset) as *const u8,
            (copy.as_u64() + offset) as *mut u8,
            PAGE_SIZE as usize,
        );
    }
    if tables.unmap(page).is_err() || tables.map(page, copy, flags).is_err() {
        let _ = frames::free(copy);
        return false;
    }
    frames::release(frame);
    true
}

impl Drop for AddressSpace {
    /// Frees every user page, every user-half page table and the root. The tree must not be in
    /// CR3 (the scheduler switches away from a process before its space is dropped).
    fn drop(&mut self) {
        debug_assert_ne!(
            x86_64::registers::control::Cr3::read().0.start_address(),
            self.tables.root(),
            "an address space dropped while in use"
        );
        self.tables.clear_user_half(frames::release);
        let _ = frames::free(self.tables.root());
    }
}

/// Fills the frame at `frame` with zeros: a process must never see another's old data.
fn zero_frame(offset: u64, frame: PhysAddr) {
    // SAFETY: all physical memory is mapped at `offset`, and the frame was just allocated, so
    // nothing else uses it.
    unsafe { core::ptr::write_bytes((frame.as_u64() + offset) as *mut u8, 0, PAGE_SIZE as usize) };
}
