//! Memory management: physical frames, page tables, the W^X audit, and the kernel heap.
//!
//! The order matters and [`init`] keeps it: the frame allocator first (everything else needs
//! frames), then the page tables (which take frames for new tables), then the protections are
//! checked, then the heap (which maps frames into its region as it grows).

pub mod audit;
pub mod frames;
pub mod heap;
pub mod paging;

use paging::PageTables;
use spin::Mutex;

/// The kernel's page tables, once [`init`] has run. The lock makes every change one at a time.
pub static PAGE_TABLES: Mutex<Option<PageTables>> = Mutex::new(None);

/// Why memory management could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryError {
    /// The bootloader did not map physical memory, which everything here relies on.
    NoPhysicalMapping,
    /// The frame allocator could not be built.
    Frames(frames::FramesError),
    /// The heap could not be set up.
    Heap(heap::KernelHeapError),
}

/// What memory management found at boot.
#[derive(Debug, Clone, Copy)]
pub struct MemoryInfo {
    /// Frames usable and free after boot.
    pub frames_at_boot: ::frames::Counts,
    /// The W^X audit's result at boot.
    pub audit: audit::Report,
}

/// Sets up the frame allocator, the page table API and the heap, then audits the protections.
pub fn init(
    map: &[bootloader_api::info::MemoryRegion],
    physical_memory_offset: Option<u64>,
) -> Result<MemoryInfo, MemoryError> {
    let offset = physical_memory_offset.ok_or(MemoryError::NoPhysicalMapping)?;
    let frames_at_boot = frames::init(map, offset).map_err(MemoryError::Frames)?;
    // SAFETY: the bootloader mapped all physical memory at `offset` (checked above), and this is
    // the one `PageTables` the kernel makes.
    *PAGE_TABLES.lock() = Some(unsafe { PageTables::active(offset) });
    heap::init().map_err(MemoryError::Heap)?;
    let audit = audit::run();
    Ok(MemoryInfo {
        frames_at_boot,
        audit,
    })
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
