//! The kernel's physical frame allocator: the `frames` crate's bitmap, built from the
//! bootloader's memory map and kept in a global.
//!
//! What is free: the regions the memory map calls `Usable`, except the frames the bitmap itself
//! occupies and everything below 1 MiB. The bootloader marks what it used (the kernel image, the
//! page tables, the boot information, the stack) as `Bootloader`, and the firmware its own areas,
//! so none of that is ever handed out. Low memory is kept back on purpose: it holds the BIOS data
//! areas on a BIOS machine, and starting other CPUs later needs a page below 1 MiB for their
//! real-mode start-up code.
//!
//! Beside the bitmap, each frame has a *share count* (16 bits, in an array placed next to the
//! bitmap): how many address spaces map it besides the first. `fork` shares a parent's pages
//! with the child instead of copying them (copy-on-write, see [`super::space`]), so a frame may
//! be mapped in several address spaces, and must be freed only when the last of them lets go:
//! [`share`] counts one more, [`release`] one less or, at zero, frees it.
//!
//! The locks are never taken in an interrupt handler (they do not allocate); the page-fault
//! handler that resolves copy-on-write runs with interrupts on, as thread code.

use crate::sync::IrqMutex as Mutex;
use bootloader_api::info::{MemoryRegion, MemoryRegionKind};
use frames::{Counts, FrameBitmap, FreeError, FRAME_SIZE};
use x86_64::PhysAddr;

/// Frames below this physical address are never handed out (see the module documentation).
pub const LOW_MEMORY_END: u64 = 0x10_0000;

/// The allocator, once [`init`] has built it.
static FRAMES: Mutex<Option<FrameBitmap<'static>>> = Mutex::new(None);

/// Per frame: how many address spaces map it besides the first (see the module notes).
static SHARES: Mutex<Option<&'static mut [u16]>> = Mutex::new(None);

/// Why the frame allocator could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramesError {
    /// No usable region is large enough to hold the bitmap.
    NoRoomForBitmap,
}

/// Builds the allocator from the memory map, with the usable RAM below `mapped_end` (what the
/// physical map reaches, see [`super::physmap`]). Returns the counts at boot.
pub fn init(
    map: &[MemoryRegion],
    physical_memory_offset: u64,
    mapped_end: u64,
) -> Result<Counts, FramesError> {
    let usable = || {
        map.iter()
            .filter(|r| r.kind == MemoryRegionKind::Usable && r.start < mapped_end)
            .map(|r| MemoryRegion {
                end: r.end.min(mapped_end),
                ..*r
            })
    };
    let top = usable().map(|r| r.end).max().unwrap_or(0);
    let frames = (top / FRAME_SIZE) as usize;
    let words = frames::words_for(frames);
    let bitmap_bytes = (words * 8) as u64;
    // The share counts follow the bitmap, 8-byte aligned like it.
    let share_bytes = (frames * core::mem::size_of::<u16>()) as u64;
    let bytes = bitmap_bytes + share_bytes.next_multiple_of(8);
    // The bitmap goes at the start of the first usable region above low memory that holds it.
    let home = usable()
        .map(|r| {
            (
                r.start.max(LOW_MEMORY_END).next_multiple_of(FRAME_SIZE),
                r.end,
            )
        })
        .find(|&(start, end)| start + bytes <= end)
        .map(|(start, _)| start)
        .ok_or(FramesError::NoRoomForBitmap)?;
    // SAFETY: `home..home + bytes` is usable RAM that nothing else uses (the bitmap reserves its
    // own frames below before anything is allocated), mapped at the offset for the kernel's
    // life, 8-byte aligned (page aligned); the bitmap and the share counts are two disjoint
    // parts of it, and these are the only references made to them.
    let (storage, shares) = unsafe {
        let base = home + physical_memory_offset;
        let storage = core::slice::from_raw_parts_mut(base as *mut u64, words);
        let shares = core::slice::from_raw_parts_mut((base + bitmap_bytes) as *mut u16, frames);
        (storage, shares)
    };
    shares.fill(0);
    let mut bitmap = FrameBitmap::new(storage, frames).ok_or(FramesError::NoRoomForBitmap)?;
    for region in usable() {
        let start = region.start.next_multiple_of(FRAME_SIZE) / FRAME_SIZE;
        let end = region.end / FRAME_SIZE;
        bitmap.add_usable(start as usize, end as usize);
    }
    bitmap.reserve(0, (LOW_MEMORY_END / FRAME_SIZE) as usize);
    let bitmap_frames = bytes.div_ceil(FRAME_SIZE);
    bitmap.reserve(
        (home / FRAME_SIZE) as usize,
        (home / FRAME_SIZE + bitmap_frames) as usize,
    );
    let counts = bitmap.counts();
    *FRAMES.lock() = Some(bitmap);
    *SHARES.lock() = Some(shares);
    Ok(counts)
}

/// One free frame, or `None` when physical memory is exhausted (or [`init`] has not run).
pub fn allocate() -> Option<PhysAddr> {
    FRAMES
        .lock()
        .as_mut()?
        .allocate()
        .map(|frame| PhysAddr::new(frame as u64 * FRAME_SIZE))
}

/// Gives a frame back.
pub fn free(frame: PhysAddr) -> Result<(), FreeError> {
    match FRAMES.lock().as_mut() {
        Some(bitmap) => bitmap.free((frame.as_u64() / FRAME_SIZE) as usize),
        None => Err(FreeError::OutOfRange),
    }
}

/// Usable and free frames, if the allocator exists.
pub fn counts() -> Option<Counts> {
    FRAMES.lock().as_ref().map(FrameBitmap::counts)
}

/// Whether `frame` is in use: handed out, or reserved at boot (low memory, the bitmap).
pub fn is_allocated(frame: PhysAddr) -> bool {
    FRAMES
        .lock()
        .as_ref()
        .is_some_and(|b| b.is_allocated((frame.as_u64() / FRAME_SIZE) as usize))
}

/// Why a frame could not be shared once more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareError {
    /// The frame is not one the allocator manages.
    OutOfRange,
    /// Its count is at its 16-bit limit (65,535 address spaces share it already).
    TooManySharers,
}

/// Counts one more address space mapping `frame`.
pub fn share(frame: PhysAddr) -> Result<(), ShareError> {
    let mut shares = SHARES.lock();
    let count = shares
        .as_mut()
        .and_then(|s| s.get_mut((frame.as_u64() / FRAME_SIZE) as usize))
        .ok_or(ShareError::OutOfRange)?;
    *count = count.checked_add(1).ok_or(ShareError::TooManySharers)?;
    Ok(())
}

/// One address space lets go of `frame`: counted off if others still map it, freed if not.
pub fn release(frame: PhysAddr) {
    {
        let mut shares = SHARES.lock();
        if let Some(count) = shares
            .as_mut()
            .and_then(|s| s.get_mut((frame.as_u64() / FRAME_SIZE) as usize))
        {
            if *count > 0 {
                *count -= 1;
                return;
            }
        }
    }
    let _ = free(frame);
}

/// Whether another address space maps `frame` too.
pub fn is_shared(frame: PhysAddr) -> bool {
    SHARES
        .lock()
        .as_ref()
        .and_then(|s| s.get((frame.as_u64() / FRAME_SIZE) as usize).copied())
        .is_some_and(|count| count > 0)
}
