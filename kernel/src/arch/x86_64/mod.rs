//! x86_64 specifics: for now, how to stop the CPU.
//!
//! Later chapters add the GDT, TSS, IDT and APIC here (see the book's roadmap).

use ::x86_64::instructions::{hlt, interrupts};

/// Stops this CPU for good: interrupts off, then `hlt` in a loop.
///
/// `hlt` alone is not enough, because an interrupt (or a non-maskable one, which `cli` does not
/// block) wakes the CPU and execution continues after the `hlt`; the loop puts it back to sleep.
/// Sleeping in `hlt` rather than spinning keeps the host's CPU idle under QEMU.
pub fn halt_forever() -> ! {
    interrupts::disable();
    loop {
        hlt();
    }
}
