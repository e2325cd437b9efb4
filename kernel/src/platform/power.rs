//! Turning the machine off and restarting it.
//!
//! **Power-off** is ACPI sleep state S5 (ACPI spec §16.1.7): write the S5 *sleep type* and the
//! *sleep enable* bit to the PM1a control register. The register's I/O port comes from the FADT;
//! the sleep type from the `\_S5_` object in the DSDT's bytecode (see the `acpi_s5` crate). QEMU
//! powers the virtual machine off, and QEMU exits.
//!
//! **Reboot** asks the keyboard controller to pulse the CPU's reset line (command 0xFE to port
//! 0x64), the way PCs have restarted since the IBM PC/AT, which every PC chipset and QEMU still
//! honour. If the machine is still running after that, a triple fault (an exception with no IDT
//! to deliver it) resets any x86 CPU. The tests run QEMU with `-no-reboot`, so a reset ends QEMU
//! where they can see it; `./x.py run` lets it restart the machine, as a PC would.

use super::acpi;
use crate::drivers::i8042::I8042;
use ::x86_64::instructions::port::PortWriteOnly;

/// Why the machine could not be powered off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerError {
    /// No ACPI tables were read.
    NoAcpi,
    /// The FADT gives no PM1a control port in I/O space.
    NoPm1aControl,
    /// The DSDT is missing, or has no `\_S5_` package this kernel can read.
    NoS5,
}

impl core::fmt::Display for PowerError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            PowerError::NoAcpi => "no ACPI tables",
            PowerError::NoPm1aControl => "the FADT names no PM1a control port",
            PowerError::NoS5 => "the DSDT has no readable \\_S5_ package",
        })
    }
}

/// Powers the machine off through ACPI S5. Returns only if that was impossible; if the write
/// happens and the machine still runs, halts.
pub fn shutdown() -> PowerError {
    let Some(platform) = acpi::platform() else {
        return PowerError::NoAcpi;
    };
    let Some(port) = platform.pm1a_control else {
        return PowerError::NoPm1aControl;
    };
    let Some(aml) = platform.dsdt else {
        return PowerError::NoS5;
    };
    let Some(sleep) = acpi_s5::find_s5(aml) else {
        return PowerError::NoS5;
    };
    crate::println!(
        "powering off (ACPI S5: SLP_TYPa {} to PM1a_CNT port {port:#x})",
        sleep.a
    );
    ::x86_64::instructions::interrupts::disable();
    // SAFETY: the FADT names this port as PM1a_CNT; writing SLP_TYP with SLP_EN is the
    // documented way to enter S5, which is what the user asked for.
    unsafe { PortWriteOnly::<u16>::new(port).write(sleep.pm1a_value()) };
    crate::println!("the machine is still on; halting");
    crate::arch::x86_64::halt_forever()
}

/// Restarts the machine. Never returns.
pub fn reboot() -> ! {
    crate::println!("rebooting");
    ::x86_64::instructions::interrupts::disable();
    // SAFETY: a PC's 8042, with interrupts off; resetting the machine is what was asked for.
    unsafe { I8042::new() }.pulse_reset();
    // If the pulse did not come, give the CPU an exception it cannot deliver.
    let empty = ::x86_64::structures::DescriptorTablePointer {
        limit: 0,
        base: ::x86_64::VirtAddr::new(0),
    };
    // SAFETY: loading an empty IDT is the point: the next exception triple-faults, which resets
    // the CPU. Interrupts are off, so nothing else runs in between.
    unsafe {
        ::x86_64::instructions::tables::lidt(&empty);
        core::arch::asm!("int3", options(nomem, nostack));
    }
    crate::arch::x86_64::halt_forever()
}
