//! The page tables: map, unmap, translate, change flags.
//!
//! x86_64 translates a 48-bit virtual address through four levels of tables, each a 4 KiB page
//! of 512 eight-byte entries (SDM Vol. 3A §4.5): bits 47-39 of the address index the level-4
//! table (whose physical address is in CR3), bits 38-30 the level-3 table that entry points to,
//! bits 29-21 the level-2 table, bits 20-12 the level-1 table, whose entry gives the physical
//! frame; bits 11-0 are the offset in the page. A level-3 or level-2 entry with the *huge page*
//! bit maps 1 GiB or 2 MiB directly. Each entry's flags (present, writable, user, no-execute,
//! ...) restrict the access, and the restrictions of all levels combine: a page is writable only
//! if every level allows writing, executable only if no level forbids it.
//!
//! Page tables hold physical addresses, but the kernel can only touch virtual ones. The
//! bootloader maps all physical memory at one offset (see `Boot::physical_memory_offset`), so the
//! table at physical address *p* is at virtual *p + offset*; that is the whole trick, and the
//! alternative designs (recursive mapping, temporary mappings) are discussed in the book.
//!
//! [`map`] is careful about failure: it first works out how many new tables the mapping needs
//! and allocates all of them, so if memory runs out it returns an error having changed nothing,
//! and gives back what it took. Every change to an existing mapping is followed by a TLB flush
//! of that page, in one place ([`flush`]).

use super::frames;
use x86_64::registers::control::Cr3;
use x86_64::structures::paging::page_table::{PageTableEntry, PageTableLevel};
use x86_64::structures::paging::{PageTable, PageTableFlags as Flags};
use x86_64::{PhysAddr, VirtAddr};

/// Bytes in a page: the one definition in the kernel (the host crates for frames and the heap
/// keep their own, checked equal below, since they build without the kernel).
pub const PAGE_SIZE: u64 = 4096;
const _: () = assert!(PAGE_SIZE == ::frames::FRAME_SIZE && PAGE_SIZE as usize == ::heap::PAGE_SIZE);

/// Entries in one page table.
pub const ENTRIES: usize = 512;
/// The first top-level entry of the kernel half (address bit 47 set): 256.
pub const KERNEL_HALF_FIRST_ENTRY: usize = ENTRIES / 2;

/// Why a mapping could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// The page is already mapped, to this frame.
    AlreadyMapped(PhysAddr),
    /// A huge page already covers the address.
    InsideHugePage,
    /// No frame was left for a page table.
    OutOfFrames,
    /// The address or frame is not 4 KiB aligned.
    Unaligned,
}

/// Why a page could not be unmapped or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnmapError {
    /// Nothing is mapped there.
    NotMapped,
    /// A huge page covers the address; it cannot be changed 4 KiB at a time.
    InsideHugePage,
    /// The address is not 4 KiB aligned.
    Unaligned,
}

/// The size of a mapping found by [`translate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSize {
    /// 4 KiB, from a level-1 entry.
    Size4KiB,
    /// 2 MiB, from a level-2 entry.
    Size2MiB,
    /// 1 GiB, from a level-3 entry.
    Size1GiB,
}

/// What an address translates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Translation {
    /// The physical address.
    pub phys: PhysAddr,
    /// The leaf entry's flags.
    pub flags: Flags,
    /// Whether every level allows writes.
    pub writable: bool,
    /// Whether no level forbids instruction fetches.
    pub executable: bool,
    /// The size of the page it is in.
    pub size: PageSize,
}

/// One tree of page tables, reached through the physical memory mapping: the kernel's (the one
/// CR3 held at boot) or a process's (see [`super::space`]).
pub struct PageTables {
    offset: u64,
    root: PhysAddr,
}

/// Invalidates the TLB entry for `page`: the one place that does, after every change to a
/// mapping that might be cached.
fn flush(page: VirtAddr) {
    x86_64::instructions::tlb::flush(page);
}

/// The levels from the top, with the index of `addr` at each.
fn indices(addr: VirtAddr) -> [usize; 4] {
    [
        usize::from(addr.p4_index()),
        usize::from(addr.p3_index()),
        usize::from(addr.p2_index()),
        usize::from(addr.p1_index()),
    ]
}

impl PageTables {
    /// The active page tables (CR3), reached through the mapping of physical memory at `offset`.
    ///
    /// # Safety
    ///
    /// All physical memory must be mapped at `offset`, and only one `PageTables` may exist (it
    /// hands out mutable references to the tables).
    pub unsafe fn active(offset: u64) -> PageTables {
        PageTables {
            offset,
            root: Cr3::read().0.start_address(),
        }
    }

    /// The tree whose top-level table is at `root`.
    ///
    /// # Safety
    ///
    /// As for [`PageTables::active`]; `root` must be a top-level table, and while this value
    /// lives nothing else may change the tables only it reaches. Tables shared with another tree
    /// (the kernel half) must not be changed through it.
    pub unsafe fn with_root(offset: u64, root: PhysAddr) -> PageTables {
        PageTables { offset, root }
    }

    /// The physical address of the top-level table: what CR3 holds while this tree is in use.
    pub fn root(&self) -> PhysAddr {
        self.root
    }

    /// The physical memory mapping's offset these tables are reached through.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Copies the kernel-half entries (256-511) of `other`'s top-level table into this tree's,
    /// so both share the kernel's lower-level tables.
    pub fn share_kernel_half(&mut self, other: &PageTables) {
        let theirs = other.table(other.root).clone();
        let ours = self.table_mut(self.root);
        for index in KERNEL_HALF_FIRST_ENTRY..ENTRIES {
            ours[index] = theirs[index].clone();
        }
    }

    /// Makes sure the top-level entry covering `addr` points at a table (a new, empty one if
    /// need be), so that everything later mapped under it is shared by every tree that copied
    /// the entry. Returns false if no frame was left.
    pub fn reserve_top_level(&mut self, addr: VirtAddr) -> bool {
        let index = usize::from(addr.p4_index());
        if self.table(self.root)[index]
            .flags()
            .contains(Flags::PRESENT)
        {
            return true;
        }
        let Some(new) = frames::allocate() else {
            return false;
        };
        self.table_mut(new).zero();
        let root = self.root;
        self.table_mut(root)[index].set_addr(new, Flags::PRESENT | Flags::WRITABLE);
        true
    }

    /// The table at physical address `phys`, to read. The reference borrows `self`, so no
    /// table can be changed while it is held.
    fn table(&self, phys: PhysAddr) -> &PageTable {
        // SAFETY: page tables live in physical memory, which is mapped at `offset` (the contract
        // of `active`); `phys` comes from CR3 or a present, non-huge entry, so it is a page
        // table. The one `PageTables` is the only code that changes tables, and only through
        // `table_mut`, which needs `&mut self`: while this shared borrow lives, none can.
        unsafe { &*((phys.as_u64() + self.offset) as *const PageTable) }
    }

    /// The table at physical address `phys`, to change. The reference borrows `self` mutably,
    /// so it is the only reference to any table while it is held.
    fn table_mut(&mut self, phys: PhysAddr) -> &mut PageTable {
        // SAFETY: as in `table`; `&mut self` makes this the only live reference to a table.
        unsafe { &mut *((phys.as_u64() + self.offset) as *mut PageTable) }
    }

    fn level4(&self) -> &PageTable {
        self.table(self.root)
    }

    /// The physical address and flags `addr` translates to, or `None` if it is not mapped.
    pub fn translate(&self, addr: VirtAddr) -> Option<Translation> {
        let mut table = self.level4();
        let (mut writable, mut executable) = (true, true);
        for (depth, index) in indices(addr).into_iter().enumerate() {
            let entry = &table[index];
            let flags = entry.flags();
            if !flags.contains(Flags::PRESENT) {
                return None;
            }
            writable &= flags.contains(Flags::WRITABLE);
            executable &= !flags.contains(Flags::NO_EXECUTE);
            let size = match depth {
                1 if flags.contains(Flags::HUGE_PAGE) => Some((PageSize::Size1GiB, 1u64 << 30)),
                2 if flags.contains(Flags::HUGE_PAGE) => Some((PageSize::Size2MiB, 1u64 << 21)),
                3 => Some((PageSize::Size4KiB, PAGE_SIZE)),
                _ => None,
            };
            if let Some((size, bytes)) = size {
                let phys = entry.addr() + (addr.as_u64() & (bytes - 1));
                return Some(Translation {
                    phys,
                    flags,
                    writable,
                    executable,
                    size,
                });
            }
            table = self.table(entry.addr());
        }
        None
    }

    /// Maps the 4 KiB page at `page` to `frame` with `flags` (PRESENT is added). Intermediate
    /// tables are created as needed, writable and (if `flags` has USER) user-accessible, so for
    /// new tables the leaf's flags decide; an existing parent entry is only widened to USER, never
    /// made writable or executable, so a read-only or no-execute parent still restricts the page.
    /// On error nothing has changed and no frame is kept.
    pub fn map(&mut self, page: VirtAddr, frame: PhysAddr, flags: Flags) -> Result<(), MapError> {
        if !page.is_aligned(PAGE_SIZE) || !frame.is_aligned(PAGE_SIZE) {
            return Err(MapError::Unaligned);
        }
        let index = indices(page);
        // First pass: how many tables are missing (every level below the first absent entry)?
        let mut missing = 0;
        let mut table = self.level4();
        for (depth, &i) in index[..3].iter().enumerate() {
            let entry = &table[i];
            if !entry.flags().contains(Flags::PRESENT) {
                missing = 3 - depth;
                break;
            }
            if entry.flags().contains(Flags::HUGE_PAGE) {
                return Err(MapError::InsideHugePage);
            }
            table = self.table(entry.addr());
        }
        if missing == 0 {
            let leaf = &table[index[3]];
            if leaf.flags().contains(Flags::PRESENT) {
                return Err(MapError::AlreadyMapped(leaf.addr()));
            }
        }
        // Allocate every missing table before changing anything.
        let mut fresh = [PhysAddr::zero(); 3];
        for slot in 0..missing {
            match frames::allocate() {
                Some(frame) => fresh[slot] = frame,
                None => {
                    for &taken in &fresh[..slot] {
                        let _ = frames::free(taken);
                    }
                    return Err(MapError::OutOfFrames);
                }
            }
        }
        // Second pass: link the new tables and write the leaf, walking by physical address so
        // that each change borrows only the one table it touches.
        let parent_flags = Flags::PRESENT | Flags::WRITABLE | (flags & Flags::USER_ACCESSIBLE);
        let mut fresh = fresh[..missing].iter();
        let mut at = self.root;
        for &i in &index[..3] {
            let present = self.table(at)[i].flags();
            if !present.contains(Flags::PRESENT) {
                let new = *fresh.next().expect("one fresh table per missing level");
                self.table_mut(new).zero();
                self.table_mut(at)[i].set_addr(new, parent_flags);
            } else if flags.contains(Flags::USER_ACCESSIBLE)
                && !present.contains(Flags::USER_ACCESSIBLE)
            {
                self.table_mut(at)[i].set_flags(present | Flags::USER_ACCESSIBLE);
            }
            at = self.table(at)[i].addr();
        }
        self.table_mut(at)[index[3]].set_addr(frame, flags | Flags::PRESENT);
        flush(page);
        Ok(())
    }

    /// The leaf entry for `page` at level 1, or why there is none.
    fn leaf(&mut self, page: VirtAddr) -> Result<&mut PageTableEntry, UnmapError> {
        if !page.is_aligned(PAGE_SIZE) {
            return Err(UnmapError::Unaligned);
        }
        let index = indices(page);
        let mut at = self.root;
        for &i in &index[..3] {
            let entry = &self.table(at)[i];
            if !entry.flags().contains(Flags::PRESENT) {
                return Err(UnmapError::NotMapped);
            }
            if entry.flags().contains(Flags::HUGE_PAGE) {
                return Err(UnmapError::InsideHugePage);
            }
            at = entry.addr();
        }
        if !self.table(at)[index[3]].flags().contains(Flags::PRESENT) {
            return Err(UnmapError::NotMapped);
        }
        Ok(&mut self.table_mut(at)[index[3]])
    }

    /// Removes the mapping of `page` and returns the frame it pointed to (which the caller may
    /// free). Empty page tables are kept for the next mapping.
    pub fn unmap(&mut self, page: VirtAddr) -> Result<PhysAddr, UnmapError> {
        let leaf = self.leaf(page)?;
        let frame = leaf.addr();
        leaf.set_unused();
        flush(page);
        Ok(frame)
    }

    /// Replaces the flags of the 4 KiB page at `page` (PRESENT is kept).
    pub fn set_flags(&mut self, page: VirtAddr, flags: Flags) -> Result<(), UnmapError> {
        let leaf = self.leaf(page)?;
        leaf.set_flags(flags | Flags::PRESENT);
        flush(page);
        Ok(())
    }

    /// Copies the user half of this tree (top-level entries 0-255) into `child`, whose user half
    /// must be empty, a table at a time: every table below the top level gets a new copy in
    /// `child`, and every mapped 4 KiB page is handed to `share` with its frame and flags.
    /// `share` returns the flags both trees give the page from now on (or `None` to stop: out
    /// of memory); where they differ from this tree's, this tree's entry changes too. Returns
    /// how many pages were copied.
    ///
    /// No TLB entry is flushed: if this tree is live, the caller reloads CR3 afterwards, once,
    /// rather than a flush per page. On an error `child` keeps what was copied so far (every
    /// page in it went through `share`), for the caller to tear down.
    pub fn copy_user_half(
        &mut self,
        child: &mut PageTables,
        mut share: impl FnMut(PhysAddr, Flags) -> Option<Flags>,
    ) -> Result<usize, MapError> {
        let (ours, theirs) = (self.root, child.root);
        self.copy_table(child, ours, theirs, PageTableLevel::Four, &mut share)
    }

    /// Copies the table at `ours` (at `level`) into the empty table at `theirs` in `child`, and
    /// everything below it (see [`PageTables::copy_user_half`]).
    fn copy_table(
        &mut self,
        child: &mut PageTables,
        ours: PhysAddr,
        theirs: PhysAddr,
        level: PageTableLevel,
        share: &mut impl FnMut(PhysAddr, Flags) -> Option<Flags>,
    ) -> Result<usize, MapError> {
        let entries = match level {
            PageTableLevel::Four => KERNEL_HALF_FIRST_ENTRY,
            _ => ENTRIES,
        };
        let mut pages = 0;
        for index in 0..entries {
            let entry = self.table(ours)[index].clone();
            let flags = entry.flags();
            if !flags.contains(Flags::PRESENT) {
                continue;
            }
            let Some(lower) = level.next_lower_level() else {
                let shared = share(entry.addr(), flags).ok_or(MapError::OutOfFrames)?;
                child.table_mut(theirs)[index].set_addr(entry.addr(), shared);
                if shared != flags {
                    self.table_mut(ours)[index].set_flags(shared);
                }
                pages += 1;
                continue;
            };
            if flags.contains(Flags::HUGE_PAGE) {
                // The user half holds only 4 KiB pages; a huge page here is not ours to copy.
                return Err(MapError::InsideHugePage);
            }
            let table = frames::allocate().ok_or(MapError::OutOfFrames)?;
            child.table_mut(table).zero();
            child.table_mut(theirs)[index].set_addr(table, flags);
            pages += self.copy_table(child, entry.addr(), table, lower, share)?;
        }
        Ok(pages)
    }

    /// Unmaps everything in the user half (top-level entries 0-255): each mapped 4 KiB page's
    /// frame goes to `release`, each page table below the top level back to the frame
    /// allocator, and the top-level entries are cleared. For tearing down a process's tree.
    pub fn clear_user_half(&mut self, mut release: impl FnMut(PhysAddr)) {
        let root = self.root;
        for index in 0..KERNEL_HALF_FIRST_ENTRY {
            let entry = self.table(root)[index].clone();
            if entry.flags().contains(Flags::PRESENT) {
                self.free_subtree(entry.addr(), PageTableLevel::Three, &mut release);
                self.table_mut(root)[index].set_unused();
            }
        }
        // The whole user half changed; reloading CR3 (if this tree is live) is the caller's.
    }

    /// Frees the table at `table` (at `level`) and everything below it.
    fn free_subtree(
        &mut self,
        table: PhysAddr,
        level: PageTableLevel,
        release: &mut impl FnMut(PhysAddr),
    ) {
        for index in 0..ENTRIES {
            let entry = self.table(table)[index].clone();
            if !entry.flags().contains(Flags::PRESENT) {
                continue;
            }
            match level.next_lower_level() {
                Some(lower) if !entry.flags().contains(Flags::HUGE_PAGE) => {
                    self.free_subtree(entry.addr(), lower, release)
                }
                _ => release(entry.addr()),
            }
        }
        let _ = frames::free(table);
    }

    /// Calls `visit` with every present leaf mapping: its first virtual address, its size in
    /// bytes, whether every level allows writes and whether no level forbids execution.
    pub fn walk(&self, mut visit: impl FnMut(VirtAddr, u64, bool, bool)) {
        self.walk_table(
            self.level4(),
            PageTableLevel::Four,
            0,
            true,
            true,
            &mut visit,
        );
    }

    fn walk_table(
        &self,
        table: &PageTable,
        level: PageTableLevel,
        base: u64,
        writable: bool,
        executable: bool,
        visit: &mut impl FnMut(VirtAddr, u64, bool, bool),
    ) {
        let span = level.entry_address_space_alignment();
        for (i, entry) in table.iter().enumerate() {
            let flags = entry.flags();
            if !flags.contains(Flags::PRESENT) {
                continue;
            }
            let start = base + i as u64 * span;
            // Sign-extend bit 47 into a canonical address.
            let addr = VirtAddr::new_truncate(start);
            let writable = writable && flags.contains(Flags::WRITABLE);
            let executable = executable && !flags.contains(Flags::NO_EXECUTE);
            match level.next_lower_level() {
                Some(lower) if !flags.contains(Flags::HUGE_PAGE) => self.walk_table(
                    self.table(entry.addr()),
                    lower,
                    start,
                    writable,
                    executable,
                    visit,
                ),
                _ => visit(addr, span, writable, executable),
            }
        }
    }
}
