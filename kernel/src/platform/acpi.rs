//! ACPI tables: what the firmware tells the kernel about the machine's interrupt controllers
//! and power management.
//!
//! A PC's firmware describes the hardware it cannot be discovered by probing in a set of ACPI
//! tables in memory (ACPI specification, chapter 5). The bootloader hands over the physical
//! address of the root pointer (RSDP); from it the `acpi` crate finds the root table and each
//! table by its four-letter signature, checking checksums on the way. Ferrite reads two:
//!
//! * the **MADT** ("APIC"), the Multiple APIC Description Table (ACPI §5.2.12): where the local
//!   APIC's registers are, one entry per CPU, one per I/O APIC with the first global system
//!   interrupt it serves, and the *interrupt source overrides* that say where ISA IRQs really
//!   arrive;
//! * the **FADT** ("FACP"), the Fixed ACPI Description Table (ACPI §5.2.9): the I/O ports for
//!   power management (sleep and power-off) and the reset register.
//!
//! Nothing here allocates: the kernel has no heap yet, so the crate is used without its `alloc`
//! feature and the MADT's entries are walked one by one into fixed-size arrays. The tables are
//! read through the bootloader's mapping of all physical memory, so "mapping" a region is adding
//! an offset.

use acpi::madt::{Madt, MadtEntry};
use acpi::{AcpiHandler, AcpiTables, PhysicalMapping};
use core::ptr::NonNull;

/// Most I/O APICs Ferrite records (a PC has one or two).
pub const MAX_IO_APICS: usize = 4;
/// Most interrupt source overrides Ferrite records (one per ISA IRQ at most).
pub const MAX_OVERRIDES: usize = 16;

/// Why the ACPI tables could not be used.
#[derive(Debug)]
pub enum AcpiError {
    /// The bootloader found no RSDP (a machine without ACPI, or firmware that did not say).
    NoRsdp,
    /// The bootloader did not map physical memory, so the tables cannot be read.
    NoPhysicalMapping,
    /// The tables are there but malformed, or the one needed is missing.
    Tables(acpi::AcpiError),
    /// The MADT lists no I/O APIC, so devices cannot be routed.
    NoIoApic,
}

impl core::fmt::Display for AcpiError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AcpiError::NoRsdp => f.write_str("the firmware reported no ACPI tables (no RSDP)"),
            AcpiError::NoPhysicalMapping => f.write_str("physical memory is not mapped"),
            AcpiError::Tables(e) => write!(f, "the ACPI tables could not be read: {e:?}"),
            AcpiError::NoIoApic => f.write_str("the MADT lists no I/O APIC"),
        }
    }
}

/// An I/O APIC as the MADT describes it.
#[derive(Debug, Clone, Copy)]
pub struct IoApicInfo {
    /// Its APIC ID.
    pub id: u8,
    /// Physical address of its registers.
    pub address: u64,
    /// The first global system interrupt its inputs serve.
    pub gsi_base: u32,
}

/// What the kernel learned from the MADT and FADT.
#[derive(Debug, Clone, Copy)]
pub struct Platform {
    /// Physical address of the local APIC's registers (after any 64-bit override entry).
    pub local_apic: u64,
    /// Whether the machine also has the legacy 8259 PICs (MADT flag PCAT_COMPAT).
    pub has_legacy_pics: bool,
    /// CPUs the MADT lists as enabled (or online-capable).
    pub cpus: usize,
    io_apics: [Option<IoApicInfo>; MAX_IO_APICS],
    overrides: [Option<irq::Override>; MAX_OVERRIDES],
    /// The PM1a control register's I/O port, for power-off (FADT).
    pub pm1a_control: Option<u16>,
    /// The DSDT's bytecode (AML), which holds the sleep-state values; firmware memory, mapped
    /// for good.
    pub dsdt: Option<&'static [u8]>,
}

impl Platform {
    /// The I/O APICs.
    pub fn io_apics(&self) -> impl Iterator<Item = &IoApicInfo> {
        self.io_apics.iter().flatten()
    }

    /// The interrupt source overrides.
    pub fn overrides(&self) -> impl Iterator<Item = &irq::Override> {
        self.overrides.iter().flatten()
    }

    /// Where ISA IRQ `isa_irq` arrives, with the overrides applied.
    pub fn route_isa_irq(&self, isa_irq: u8) -> irq::Route {
        let mut overrides = [irq::Override {
            irq: u8::MAX,
            gsi: 0,
            flags: 0,
        }; MAX_OVERRIDES];
        for (slot, o) in overrides.iter_mut().zip(self.overrides()) {
            *slot = *o;
        }
        irq::route_isa_irq(isa_irq, &overrides)
    }
}

/// Maps physical memory for the `acpi` crate by adding the offset at which the bootloader mapped
/// all of it.
#[derive(Clone, Copy)]
struct OffsetMapper {
    offset: u64,
}

impl AcpiHandler for OffsetMapper {
    unsafe fn map_physical_region<T>(
        &self,
        physical_address: usize,
        size: usize,
    ) -> PhysicalMapping<Self, T> {
        let virtual_address = (physical_address as u64 + self.offset) as *mut T;
        let virtual_start =
            NonNull::new(virtual_address).expect("the physical memory offset is not zero");
        // SAFETY: the bootloader mapped all physical memory (at least the first 4 GiB, where
        // firmware tables live) at `offset`, so `size` bytes from `virtual_start` are mapped and
        // stay mapped for the kernel's life; the crate only reads through this mapping.
        unsafe { PhysicalMapping::new(physical_address, virtual_start, size, size, *self) }
    }

    fn unmap_physical_region<T>(_region: &PhysicalMapping<Self, T>) {
        // Nothing to undo: the mapping is permanent.
    }
}

/// Reads the MADT and FADT through the RSDP the bootloader found.
///
/// # Safety
///
/// `rsdp`, if given, must be the RSDP's physical address as the firmware reported it, and all
/// physical memory must be mapped at `physical_memory_offset` for as long as the kernel runs
/// (the DSDT's bytecode is kept as a slice of that mapping).
pub unsafe fn discover(
    rsdp: Option<u64>,
    physical_memory_offset: Option<u64>,
) -> Result<Platform, AcpiError> {
    let rsdp = rsdp.ok_or(AcpiError::NoRsdp)?;
    let offset = physical_memory_offset.ok_or(AcpiError::NoPhysicalMapping)?;
    // SAFETY: the address is the RSDP the bootloader found (from the firmware's own report under
    // UEFI, by the standard search under BIOS); the crate validates its signature and checksum
    // before trusting it.
    let tables = unsafe { AcpiTables::from_rsdp(OffsetMapper { offset }, rsdp as usize) }
        .map_err(AcpiError::Tables)?;
    let madt = tables.find_table::<Madt>().map_err(AcpiError::Tables)?;
    let mut platform = Platform {
        local_apic: u64::from(madt.get().local_apic_address),
        has_legacy_pics: madt.get().supports_8259(),
        cpus: 0,
        io_apics: [None; MAX_IO_APICS],
        overrides: [None; MAX_OVERRIDES],
        pm1a_control: None,
        dsdt: None,
    };
    let (mut io_apics, mut overrides) = (0, 0);
    for entry in madt.get().entries() {
        match entry {
            MadtEntry::LocalApic(cpu) => {
                // Bit 0: enabled; bit 1: online capable (can be enabled later).
                if cpu.flags & 0b11 != 0 {
                    platform.cpus += 1;
                }
            }
            MadtEntry::IoApic(io) if io_apics < MAX_IO_APICS => {
                platform.io_apics[io_apics] = Some(IoApicInfo {
                    id: io.io_apic_id,
                    address: u64::from(io.io_apic_address),
                    gsi_base: io.global_system_interrupt_base,
                });
                io_apics += 1;
            }
            // Bus 0 is ISA, the only bus overrides are defined for.
            MadtEntry::InterruptSourceOverride(o) if o.bus == 0 && overrides < MAX_OVERRIDES => {
                platform.overrides[overrides] = Some(irq::Override {
                    irq: o.irq,
                    gsi: o.global_system_interrupt,
                    flags: o.flags,
                });
                overrides += 1;
            }
            MadtEntry::LocalApicAddressOverride(o) => platform.local_apic = o.local_apic_address,
            _ => {}
        }
    }
    if io_apics == 0 {
        return Err(AcpiError::NoIoApic);
    }
    if let Ok(fadt) = tables.find_table::<acpi::fadt::Fadt>() {
        platform.pm1a_control = fadt
            .get()
            .pm1a_control_block()
            .ok()
            .filter(|block| block.address_space == acpi::address::AddressSpace::SystemIo)
            .map(|block| block.address as u16);
    }
    if let Ok(dsdt) = tables.dsdt() {
        // SAFETY: the FADT gave the DSDT's address and length; its bytecode lies in firmware
        // memory, which the mapping at `offset` covers for good (this function's contract), and
        // the slice is only ever read.
        platform.dsdt = Some(unsafe {
            core::slice::from_raw_parts(
                (dsdt.address as u64 + offset) as *const u8,
                dsdt.length as usize,
            )
        });
    }
    Ok(*PLATFORM.call_once(|| platform))
}

/// What [`discover`] read, once it has: power-off needs the FADT's port and the DSDT long
/// after boot.
static PLATFORM: spin::Once<Platform> = spin::Once::new();

/// The machine's tables, if [`discover`] could read them.
pub fn platform() -> Option<&'static Platform> {
    PLATFORM.get()
}
