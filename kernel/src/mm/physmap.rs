//! All physical memory, mapped by the kernel itself at [`layout::PHYSICAL_MEMORY_START`].
//!
//! The kernel reaches page tables, free frames, ACPI tables and DMA buffers through one linear
//! map of physical memory: physical address `p` is at virtual `offset + p`. The bootloader can
//! make that map (`config.mappings.physical_memory`), and Ferrite used to ask it to. But it maps
//! everything up to the highest address in the firmware's memory map, with 2 MiB pages, and that
//! address is not always the end of RAM: with QEMU's `-cpu max` the CPU says AMD, and for an AMD
//! CPU QEMU's BIOS reports a reserved region just below 1 TiB (where AMD's HyperTransport
//! devices live). The bootloader then wrote half a million entries, 4 MiB of page tables, for a
//! 256 MiB machine: about 90 million instructions, half of the whole BIOS boot, and the W^X
//! audit spent another 13 million reading them back.
//!
//! So the kernel asks the bootloader only for a *recursive* entry: one slot of the top-level
//! table that points at the table itself. Through it every page table is reachable at an address
//! computed from the address it maps (the `x86_64` crate's [`RecursivePageTable`] does the
//! arithmetic), with no physical map yet. The kernel then maps what it needs, the RAM the memory
//! map lists and at least the first 4 GiB (where the firmware's tables and device registers
//! live), with 1 GiB pages: four entries in one table for the test machine. A CPU without 1 GiB
//! pages (CPUID 0x8000_0001 EDX bit 26) gets 2 MiB pages instead, for the first 4 GiB only. The
//! tables come from the kernel's own zeroed `.bss`, so nothing has to be allocated before the
//! frame allocator exists. Last, the recursive entry is removed: from then on page tables are
//! reached through the physical map, like every other frame, and no process inherits a window
//! onto the kernel's tables.

use super::layout;
use bootloader_api::info::{MemoryRegion, MemoryRegionKind};
use core::cell::UnsafeCell;
use x86_64::structures::paging::page::PageRangeInclusive;
use x86_64::structures::paging::{
    FrameAllocator, Mapper, Page, PageSize, PageTable, PageTableFlags as Flags, PhysFrame,
    RecursivePageTable, Size1GiB, Size2MiB, Size4KiB, Translate,
};
use x86_64::{PhysAddr, VirtAddr};

/// The least that is mapped whatever the memory map says: the first 4 GiB hold the firmware's
/// tables and the devices' registers (the local APIC, the I/O APIC, PCI memory).
const LOW_4GIB: u64 = 4 << 30;
/// The most one second-level table maps: 512 entries of 1 GiB.
const ONE_TABLE_OF_1GIB: u64 = 512 << 30;
/// Page tables kept in `.bss` for the map: one third-level table, and with 2 MiB pages one
/// second-level table per GiB of the low 4 GiB.
const POOL_TABLES: usize = 1 + (LOW_4GIB / Size1GiB::SIZE) as usize;
/// CPUID leaf with the extended feature flags.
const CPUID_EXTENDED_FEATURES: u32 = 0x8000_0001;
/// EDX bit of that leaf: 1 GiB pages.
const PAGE_1GIB_BIT: u32 = 1 << 26;

/// The tables the map is built from, page aligned as the CPU requires. The cell says that the
/// memory changes behind the compiler's back: the CPU and the mapper write these tables through
/// other addresses.
#[repr(C, align(4096))]
struct Pool(UnsafeCell<[PageTable; POOL_TABLES]>);

// SAFETY: nothing reads or writes the pool through this static: only its address is taken
// ([`map_all`]), and the tables are then reached through page-table mappings, by the mapper and
// the CPU, under the page-table lock.
unsafe impl Sync for Pool {}

/// The pool itself. Written only through the recursive mapping while [`map_all`] builds the
/// map, and through the physical map after; never through this name.
static POOL: Pool = Pool(UnsafeCell::new([const { PageTable::new() }; POOL_TABLES]));

/// What [`map_all`] made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhysicalMap {
    /// Where physical address 0 is mapped.
    pub offset: u64,
    /// One past the highest physical address mapped.
    pub end: u64,
    /// The page size used, 1 GiB or 2 MiB.
    pub page_size: u64,
}

/// Why the map could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhysmapError {
    /// The bootloader gave no recursive entry.
    NoRecursiveEntry,
    /// A table of the pool has no physical address (the kernel image is not mapped as expected).
    PoolNotMapped,
    /// Mapping a page failed (the slot was already in use, or the pool ran out).
    Map,
}

/// Whether the CPU has 1 GiB pages.
fn has_1gib_pages() -> bool {
    // SAFETY: CPUID is available on every x86_64 CPU and only reads identification registers;
    // the extended leaf exists on every x86_64 CPU (long mode itself is reported there).
    let features = unsafe { core::arch::x86_64::__cpuid(CPUID_EXTENDED_FEATURES) };
    features.edx & PAGE_1GIB_BIT != 0
}

/// How far the map must reach: the end of RAM (what the memory map calls usable, or the
/// bootloader's own), at least 4 GiB, and at most what `page_size` pages from the pool can map.
pub fn extent(map: &[MemoryRegion], page_size: u64) -> u64 {
    let ram = map
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                MemoryRegionKind::Usable | MemoryRegionKind::Bootloader
            )
        })
        .map(|r| r.end)
        .max()
        .unwrap_or(0);
    let limit = if page_size == Size1GiB::SIZE {
        ONE_TABLE_OF_1GIB
    } else {
        LOW_4GIB
    };
    ram.max(LOW_4GIB).next_multiple_of(page_size).min(limit)
}

/// Hands out the pool's tables as frames, for the mapper's new tables.
struct PoolFrames {
    frames: [Option<PhysFrame>; POOL_TABLES],
    next: usize,
}

// SAFETY: each frame is a distinct, page-aligned, zeroed table of the pool, handed out once and
// used for nothing else.
unsafe impl FrameAllocator<Size4KiB> for PoolFrames {
    fn allocate_frame(&mut self) -> Option<PhysFrame> {
        let frame = self.frames.get(self.next).copied().flatten()?;
        self.next += 1;
        Some(frame)
    }
}

/// Maps every page of `pages` to the physical memory at the same distance from `offset`.
fn map_range<S: PageSize>(
    tables: &mut RecursivePageTable,
    pages: PageRangeInclusive<S>,
    offset: u64,
    pool: &mut PoolFrames,
) -> Result<(), PhysmapError>
where
    for<'a> RecursivePageTable<'a>: Mapper<S>,
{
    let flags = Flags::PRESENT | Flags::WRITABLE | Flags::NO_EXECUTE;
    for page in pages {
        let frame = PhysFrame::<S>::from_start_address(PhysAddr::new(
            page.start_address().as_u64() - offset,
        ))
        .map_err(|_| PhysmapError::Map)?;
        // SAFETY: the page is in the physical map's own top-level slot, which nothing else
        // uses; mapping physical memory there creates no alias the kernel relies on not having.
        unsafe { tables.map_to(page, frame, flags, pool) }
            .map_err(|_| PhysmapError::Map)?
            .ignore(); // the whole TLB is flushed at the end
    }
    Ok(())
}

/// Maps physical memory at [`layout::PHYSICAL_MEMORY_START`] through the recursive entry at
/// top-level index `recursive_index`, then removes that entry.
///
/// # Safety
///
/// `recursive_index` must be the bootloader's recursive entry in the active top-level table,
/// and `map` its memory map. Call once, before anything uses physical memory through the map.
pub unsafe fn map_all(
    recursive_index: u16,
    map: &[MemoryRegion],
) -> Result<PhysicalMap, PhysmapError> {
    let r = u64::from(recursive_index);
    // The top-level table, reached through its own entry four times over.
    let level4 = VirtAddr::new_truncate((r << 39) | (r << 30) | (r << 21) | (r << 12));
    // SAFETY: the caller guarantees the recursive entry, so `level4` is the active top-level
    // table; nothing else holds a reference to it during this function.
    let level4 = unsafe { &mut *level4.as_mut_ptr::<PageTable>() };
    let mut tables = RecursivePageTable::new(level4).map_err(|_| PhysmapError::NoRecursiveEntry)?;
    let mut pool = PoolFrames {
        frames: [None; POOL_TABLES],
        next: 0,
    };
    for (i, slot) in pool.frames.iter_mut().enumerate() {
        // Only the address is taken: the pool is never accessed through the static.
        let table = POOL.0.get().cast::<PageTable>().wrapping_add(i);
        let phys = tables
            .translate_addr(VirtAddr::from_ptr(table))
            .ok_or(PhysmapError::PoolNotMapped)?;
        *slot = Some(PhysFrame::from_start_address(phys).map_err(|_| PhysmapError::PoolNotMapped)?);
    }
    let offset = layout::PHYSICAL_MEMORY_START;
    let page_size = if has_1gib_pages() {
        Size1GiB::SIZE
    } else {
        Size2MiB::SIZE
    };
    let end = extent(map, page_size);
    let first = VirtAddr::new(offset);
    let last = VirtAddr::new(offset + end - 1);
    if page_size == Size1GiB::SIZE {
        let pages = Page::<Size1GiB>::range_inclusive(
            Page::containing_address(first),
            Page::containing_address(last),
        );
        map_range(&mut tables, pages, offset, &mut pool)?;
    } else {
        let pages = Page::<Size2MiB>::range_inclusive(
            Page::containing_address(first),
            Page::containing_address(last),
        );
        map_range(&mut tables, pages, offset, &mut pool)?;
    }
    // The recursive entry goes: page tables are ordinary frames in the map from now on.
    tables.level_4_table_mut()[usize::from(recursive_index)].set_unused();
    x86_64::instructions::tlb::flush_all();
    Ok(PhysicalMap {
        offset,
        end,
        page_size,
    })
}
