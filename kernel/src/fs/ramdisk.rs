//! The boot ramdisk: the archive of user programs the bootloader loaded next to the kernel.
//!
//! `./x.py image` packs the programs into a cpio archive in the "new ASCII" format (the one
//! Linux's initramfs uses) and hands it to the bootloader, which loads it into memory and maps
//! it in the kernel half (`BootInfo::ramdisk_addr`). The kernel validates the whole archive
//! once, here, with the host-tested `initrd` crate, and then finds programs in it by path. The
//! bytes are never changed or freed: the VFS's root borrows every file's bytes from here
//! (`crate::fs::memory`).

use initrd::{Archive, Entry};
use spin::Once;

/// The validated archive, once [`init`] has found one.
static RAMDISK: Once<Archive<'static>> = Once::new();

/// Why the ramdisk could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RamdiskError {
    /// The bootloader loaded none (the image was made without one).
    Missing,
    /// The archive is malformed; the reason says where.
    Invalid(initrd::Error),
}

/// Validates the ramdisk the bootloader mapped at `addr` (`len` bytes); returns how many
/// entries it holds.
///
/// # Safety
///
/// `addr..addr + len` must be the bootloader's ramdisk mapping: readable, and left alone for
/// as long as the kernel runs.
pub unsafe fn init(addr: Option<u64>, len: u64) -> Result<usize, RamdiskError> {
    let addr = addr.ok_or(RamdiskError::Missing)?;
    // SAFETY: the caller's contract: the range is the ramdisk, mapped read-only for ever.
    let bytes: &'static [u8] =
        unsafe { core::slice::from_raw_parts(addr as *const u8, len as usize) };
    let archive = Archive::new(bytes).map_err(RamdiskError::Invalid)?;
    let count = archive.len();
    RAMDISK.call_once(|| archive);
    Ok(count)
}

/// Every entry, in archive order.
pub fn entries() -> impl Iterator<Item = Entry<'static>> {
    RAMDISK
        .get()
        .into_iter()
        .flat_map(|archive| archive.entries())
}
