//! Memory management: physical frames, page tables, the W^X audit, and the kernel heap.
//!
//! The order matters and [`init`] keeps it: the frame allocator first (everything else needs
//! frames), then the page tables (which take frames for new tables), then the protections are
//! checked, then the heap (which maps frames into its region as it grows).

pub mod audit;
pub mod frames;
pub mod heap;
pub mod layout;
pub mod object;
pub mod paging;
pub mod physmap;
pub mod space;
pub mod uaccess;

use crate::sync::IrqMutex as Mutex;
use core::sync::atomic::{AtomicU64, Ordering};
use paging::PageTables;
use x86_64::structures::paging::PageTableFlags as Flags;

/// The kernel's page tables, once [`init`] has run. The lock makes every change one at a time.
pub static PAGE_TABLES: Mutex<Option<PageTables>> = Mutex::new(None);

/// Why memory management could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryError {
    /// Physical memory could not be mapped, and everything here relies on it.
    PhysicalMap(physmap::PhysmapError),
    /// The frame allocator could not be built.
    Frames(frames::FramesError),
    /// The heap could not be set up.
    Heap(heap::KernelHeapError),
    /// No frame was left for the kernel half's top-level tables or the thread stacks' tables.
    KernelHalf,
}

/// What memory management found at boot.
#[derive(Debug, Clone, Copy)]
pub struct MemoryInfo {
    /// Frames usable and free after boot.
    pub frames_at_boot: ::frames::Counts,
    /// The W^X audit's result at boot.
    pub audit: audit::Report,
    /// Where physical memory is mapped, how far, with which pages.
    pub physical_map: physmap::PhysicalMap,
}

/// Maps physical memory, then sets up the frame allocator, the page table API and the heap, and
/// audits the protections.
///
/// # Safety
///
/// `map` must be the firmware's memory map as the bootloader passed it, and `recursive_index`
/// the bootloader's recursive entry in the active top-level table (see [`physmap`]). Call once.
pub unsafe fn init(
    map: &[bootloader_api::info::MemoryRegion],
    recursive_index: Option<u16>,
) -> Result<MemoryInfo, MemoryError> {
    let recursive_index = recursive_index.ok_or(MemoryError::PhysicalMap(
        physmap::PhysmapError::NoRecursiveEntry,
    ))?;
    let physical_map =
        // SAFETY: the caller's contract.
        unsafe { physmap::map_all(recursive_index, map) }.map_err(MemoryError::PhysicalMap)?;
    let offset = physical_map.offset;
    let frames_at_boot =
        frames::init(map, offset, physical_map.end).map_err(MemoryError::Frames)?;
    // SAFETY: all physical memory is mapped at `offset` (this function's contract), and this is
    // the one `PageTables` the kernel makes (it is called once).
    let mut tables = unsafe { PageTables::active(offset) };
    // Every top-level table the kernel half will ever need, now, before any process copies the
    // kernel half (see `space`).
    for &slot in layout::KERNEL_TOP_LEVEL_SLOTS {
        if !tables.reserve_top_level(x86_64::VirtAddr::new(slot)) {
            return Err(MemoryError::KernelHalf);
        }
    }
    prepare_thread_stack_tables(&mut tables)?;
    KERNEL_ROOT.store(tables.root().as_u64(), Ordering::Relaxed);
    PHYSICAL_OFFSET.store(offset, Ordering::Relaxed);
    *PAGE_TABLES.lock() = Some(tables);
    heap::init().map_err(MemoryError::Heap)?;
    let audit = audit::run();
    Ok(MemoryInfo {
        frames_at_boot,
        audit,
        physical_map,
    })
}

/// Bytes one level-1 page table maps: 512 pages.
const LEVEL1_SPAN: u64 = paging::ENTRIES as u64 * paging::PAGE_SIZE;

/// Makes every page table the thread-stack region will need (16 for 128 threads, 64 KiB), by
/// mapping and unmapping one page in each table's span. Spawning a thread then never allocates a
/// page table, and the free frame count after threads (and processes) come and go is exactly
/// what it was before, which the leak tests check; made on demand, the tables stayed allocated
/// from whichever thread slot was first used, and the count depended on timing.
fn prepare_thread_stack_tables(tables: &mut PageTables) -> Result<(), MemoryError> {
    let end = layout::THREAD_STACKS_START + ::sched::MAX_THREADS as u64 * layout::THREAD_STACK_SLOT;
    let mut at = layout::thread_stack_bottom(0);
    while at < end {
        let frame = frames::allocate().ok_or(MemoryError::KernelHalf)?;
        let page = x86_64::VirtAddr::new(at);
        tables
            .map(page, frame, Flags::WRITABLE | Flags::NO_EXECUTE)
            .map_err(|_| MemoryError::KernelHalf)?;
        let _ = tables.unmap(page);
        let _ = frames::free(frame);
        at += LEVEL1_SPAN;
    }
    Ok(())
}

/// The physical address of the kernel's top-level page table (what CR3 holds for kernel
/// threads), once [`init`] has run; 0 before.
static KERNEL_ROOT: AtomicU64 = AtomicU64::new(0);

/// Where all physical memory is mapped, once [`init`] has run; 0 before.
static PHYSICAL_OFFSET: AtomicU64 = AtomicU64::new(0);

/// Where all physical memory is mapped: frame `f`'s bytes are at `f + physical_offset()`.
pub fn physical_offset() -> u64 {
    PHYSICAL_OFFSET.load(Ordering::Relaxed)
}

/// The kernel's top-level page table, for CR3 when a kernel thread runs.
pub fn kernel_root() -> u64 {
    KERNEL_ROOT.load(Ordering::Relaxed)
}

/// Unmaps the page at `page` for good, to make it a guard page; its frame stays where it was
/// (part of the kernel image, say) and is not freed. Whether it was mapped and is no more.
pub fn unmap_guard_page(page: u64) -> bool {
    PAGE_TABLES
        .lock()
        .as_mut()
        .is_some_and(|tables| tables.unmap(x86_64::VirtAddr::new(page)).is_ok())
}

/// Maps `pages` pages from `start` to fresh frames with `flags`: all of them, or (if frames or
/// page tables run out) none, with every frame taken along the way given back. For the heap's
/// growth and thread stacks.
pub fn map_fresh_pages(
    start: u64,
    pages: u64,
    flags: x86_64::structures::paging::PageTableFlags,
) -> bool {
    let mut tables = PAGE_TABLES.lock();
    let Some(tables) = tables.as_mut() else {
        return false;
    };
    for n in 0..pages {
        let page = x86_64::VirtAddr::new(start + n * paging::PAGE_SIZE);
        let mapped = frames::allocate().is_some_and(|frame| {
            let ok = tables.map(page, frame, flags).is_ok();
            if !ok {
                let _ = frames::free(frame);
            }
            ok
        });
        if !mapped {
            unmap_and_free_locked(tables, start, n);
            return false;
        }
    }
    true
}

/// The next free address in the device-register region.
static NEXT_MMIO: AtomicU64 = AtomicU64::new(crate::mm::layout::MMIO_START);

/// Maps the page of device registers holding physical address `phys` into the device region,
/// *uncached* (PCD and PWT set); returns the virtual address of `phys`, or `None` if the page
/// tables are not up or the region is full.
///
/// Why not use the map of all physical memory? The bootloader maps it write-back cacheable, the
/// right type for RAM and the wrong one for registers: a cached read can return a stale value,
/// and a write can sit in the cache instead of reaching the device. On a real PC the firmware's
/// MTRRs usually mark the APIC range uncacheable anyway, and QEMU ignores caching; the page's own
/// flags make it right regardless (SDM Vol. 3A §12.12, "Memory type").
///
/// # Safety
///
/// `phys` must be the address of device registers, not RAM the kernel uses: a second, uncached
/// mapping of cached memory has undefined results.
pub unsafe fn map_mmio(phys: u64) -> Option<u64> {
    // SAFETY: the same contract, passed on.
    unsafe { map_mmio_range(phys, 1) }
}

/// Maps `len` bytes of device registers from physical address `phys` into the device region,
/// uncached, as [`map_mmio`] does for one page; returns the virtual address of `phys`.
///
/// # Safety
///
/// As for [`map_mmio`]: the range must be device registers, not RAM.
pub unsafe fn map_mmio_range(phys: u64, len: u64) -> Option<u64> {
    let page_offset = phys % paging::PAGE_SIZE;
    let pages = (page_offset + len.max(1)).div_ceil(paging::PAGE_SIZE);
    let mut tables = PAGE_TABLES.lock();
    let tables = tables.as_mut()?;
    let virt = NEXT_MMIO.fetch_add(pages * paging::PAGE_SIZE, Ordering::Relaxed);
    let end = crate::mm::layout::MMIO_START + crate::mm::layout::MMIO_MAX;
    if virt + pages * paging::PAGE_SIZE > end {
        return None;
    }
    let flags = Flags::WRITABLE | Flags::NO_EXECUTE | Flags::NO_CACHE | Flags::WRITE_THROUGH;
    for n in 0..pages {
        let frame = x86_64::PhysAddr::new(phys - page_offset + n * paging::PAGE_SIZE);
        let page = x86_64::VirtAddr::new(virt + n * paging::PAGE_SIZE);
        tables.map(page, frame, flags).ok()?;
    }
    Some(virt + page_offset)
}

/// A zeroed page of RAM a device reads and writes directly (DMA): its physical address for the
/// device, its virtual one for the kernel (in the map of all physical memory). x86 keeps caches
/// coherent with device accesses, so ordinary cached memory is right here.
#[derive(Debug)]
pub struct DmaPage {
    /// The address the device uses.
    pub phys: u64,
    /// The address the kernel uses.
    pub virt: u64,
}

/// A fresh, zeroed page for DMA; `None` if memory is not up or no frame is free. Kept for good:
/// drivers take theirs at boot.
pub fn dma_page() -> Option<DmaPage> {
    let offset = PAGE_TABLES.lock().as_ref()?.offset();
    let frame = frames::allocate()?;
    let page = DmaPage {
        phys: frame.as_u64(),
        virt: frame.as_u64() + offset,
    };
    // SAFETY: the frame was just allocated, so nothing else uses it, and all physical memory
    // is mapped at `offset`, so `virt` maps exactly this page.
    unsafe { core::ptr::write_bytes(page.virt as *mut u8, 0, paging::PAGE_SIZE as usize) };
    Some(page)
}

/// Unmaps `pages` pages from `start` and frees their frames (pages not mapped are skipped).
pub fn unmap_and_free(start: u64, pages: u64) {
    if let Some(tables) = PAGE_TABLES.lock().as_mut() {
        unmap_and_free_locked(tables, start, pages);
    }
}

fn unmap_and_free_locked(tables: &mut PageTables, start: u64, pages: u64) {
    for n in 0..pages {
        if let Ok(frame) = tables.unmap(x86_64::VirtAddr::new(start + n * paging::PAGE_SIZE)) {
            let _ = frames::free(frame);
        }
    }
}
