//! The boot banner: the first thing Ferrite says, and a summary of the machine it found.
//!
//! The banner is also a check that the bootloader's hand-over worked: it reads the memory map
//! and the framebuffer mode out of `BootInfo`. The memory map is the firmware's list of
//! physical address ranges and what each is (usable RAM, reserved, ACPI tables, ...), passed on
//! by the bootloader with its own allocations marked. Under BIOS the firmware's kinds come
//! from the E820 call, under UEFI from `GetMemoryMap`, so the kinds the bootloader could not
//! translate tell which firmware booted the machine.

use crate::println;
use bootloader_api::info::{FrameBufferInfo, MemoryRegion, MemoryRegionKind};
use bootloader_api::BootInfo;

/// Bytes in a mebibyte.
pub const MIB: u64 = 1024 * 1024;

/// Which firmware started the machine, as far as the memory map tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmware {
    /// Legacy BIOS: the map has E820 kinds.
    Bios,
    /// UEFI: the map has UEFI memory types.
    Uefi,
    /// The map has neither kind of firmware entry.
    Unknown,
}

/// Totals over the memory map.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemorySummary {
    /// Number of regions in the map.
    pub regions: usize,
    /// Bytes of RAM the kernel may use.
    pub usable: u64,
    /// Bytes the bootloader used for the kernel, page tables, boot info and stack.
    pub bootloader: u64,
    /// Bytes the firmware reserved or described with a kind of its own (ACPI tables, device
    /// memory, holes). This can exceed the RAM: QEMU reserves a 12 GiB window just below 1 TiB.
    pub reserved: u64,
}

impl MemorySummary {
    /// Adds up the map.
    pub fn of(regions: &[MemoryRegion]) -> Self {
        let mut summary = Self {
            regions: regions.len(),
            ..Self::default()
        };
        for region in regions {
            let size = region.end.saturating_sub(region.start);
            match region.kind {
                MemoryRegionKind::Usable => summary.usable += size,
                MemoryRegionKind::Bootloader => summary.bootloader += size,
                _ => summary.reserved += size,
            }
        }
        summary
    }
}

/// The kernel's version, as Cargo knows it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Tells which firmware produced the memory map.
pub fn firmware(regions: &[MemoryRegion]) -> Firmware {
    for region in regions {
        match region.kind {
            MemoryRegionKind::UnknownUefi(_) => return Firmware::Uefi,
            MemoryRegionKind::UnknownBios(_) => return Firmware::Bios,
            _ => {}
        }
    }
    Firmware::Unknown
}

/// Prints the banner: name and version, framebuffer mode, memory summary.
pub fn print(boot_info: &BootInfo) {
    // First, so it measures the boot and not the printing: how long the firmware, the
    // bootloader and the kernel's first steps took, for `./x.py bench`. The kernel's entry was
    // recorded before the serial port could say so.
    crate::time::report_kernel_entry();
    crate::time::reached(crate::time::Milestone::Banner);
    let regions: &[MemoryRegion] = &boot_info.memory_regions;
    let summary = MemorySummary::of(regions);
    let version = boot_info.api_version;
    println!(
        "Ferrite {} (x86_64), booted by bootloader {}.{}.{} via {:?}",
        VERSION,
        version.version_major(),
        version.version_minor(),
        version.version_patch(),
        firmware(regions),
    );
    match crate::console::with_grid(|grid| (grid.cols(), grid.rows())) {
        Some((cols, rows)) => {
            // The console took the framebuffer; describe the mode it found.
            print_framebuffer(crate::console::mode(), cols, rows);
        }
        None => println!("framebuffer: none (serial console only)"),
    }
    println!(
        "memory: {} MiB usable, {} MiB used by the bootloader, {} MiB reserved, in {} regions",
        summary.usable / MIB,
        summary.bootloader / MIB,
        summary.reserved / MIB,
        summary.regions,
    );
}

fn print_framebuffer(mode: Option<FrameBufferInfo>, cols: usize, rows: usize) {
    if let Some(info) = mode {
        println!(
            "framebuffer: {}x{}, {:?}, {} bytes/pixel, stride {} pixels; console {}x{} cells",
            info.width,
            info.height,
            info.pixel_format,
            info.bytes_per_pixel,
            info.stride,
            cols,
            rows,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(start: u64, end: u64, kind: MemoryRegionKind) -> MemoryRegion {
        MemoryRegion { start, end, kind }
    }

    #[test_case]
    fn summary_adds_each_kind() {
        let map = [
            region(0, MIB, MemoryRegionKind::UnknownBios(2)),
            region(MIB, 5 * MIB, MemoryRegionKind::Usable),
            region(5 * MIB, 6 * MIB, MemoryRegionKind::Bootloader),
            region(6 * MIB, 10 * MIB, MemoryRegionKind::Usable),
        ];
        let summary = MemorySummary::of(&map);
        assert_eq!(summary.regions, 4);
        assert_eq!(summary.usable, 8 * MIB);
        assert_eq!(summary.bootloader, MIB);
        assert_eq!(summary.reserved, MIB);
        assert_eq!(firmware(&map), Firmware::Bios);
    }

    #[test_case]
    fn firmware_is_unknown_without_firmware_kinds() {
        let map = [region(0, MIB, MemoryRegionKind::Usable)];
        assert_eq!(firmware(&map), Firmware::Unknown);
        assert_eq!(
            firmware(&[region(0, 1, MemoryRegionKind::UnknownUefi(7))]),
            Firmware::Uefi
        );
    }
}
