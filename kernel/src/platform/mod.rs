//! The machine as its firmware describes it: who booted us and what memory there is (the
//! banner), the ACPI tables (which interrupt controllers exist, how to power off), and power
//! itself. What the firmware hands over is read here once and passed on as plain data.

pub mod acpi;
pub mod banner;
pub mod power;

use bootloader_api::info::MemoryRegion;

/// What the bootloader handed over that later steps need, kept after [`crate::init`] has taken the
/// framebuffer for the console.
#[derive(Debug, Clone, Copy)]
pub struct Boot {
    /// The physical memory map, as the bootloader left it.
    pub memory_map: &'static [MemoryRegion],
    /// Which firmware booted the machine, as the memory map tells.
    pub firmware: banner::Firmware,
    /// Physical address of the ACPI root table (RSDP), if the firmware reported one.
    pub rsdp_addr: Option<u64>,
    /// Virtual address where all physical memory is mapped.
    pub physical_memory_offset: Option<u64>,
    /// The segments the GDT holds, loaded by [`crate::arch::x86_64::init`].
    pub segments: crate::arch::x86_64::gdt::Segments,
    /// What timer calibration measured, if interrupts could be set up.
    pub calibration: Option<crate::time::Calibration>,
    /// What memory management found at boot, if it could start.
    pub memory: Option<crate::mm::MemoryInfo>,
}
