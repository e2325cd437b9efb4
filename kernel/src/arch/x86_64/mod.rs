//! x86_64 specifics: the CPU's descriptor tables, the trap entry, exceptions, and small
//! instructions such as halting and reading the time-stamp counter.
//!
//! [`init`] sets up what the CPU needs before anything can go wrong safely: the GDT and TSS
//! (with the IST stacks) and the IDT that routes every vector to [`trap`]. After it, an exception
//! is reported instead of resetting the machine.
//!
//! This module provides mechanisms (trap entry, context switch, port, MSR and MMIO access, the
//! TSC) and depends on nothing above it but `crate::sync`'s primitives: the kernel registers
//! what it wants done with traps ([`trap::Hooks`]) and calls down for the rest.

pub mod apic;
pub mod context;
pub mod cpuid;
pub mod exceptions;
pub mod fpu;
pub mod gdt;
pub mod idt;
pub mod ioapic;
pub mod pic;
pub mod probe;
pub mod rdrand;
pub mod trap;
pub mod user;
pub mod usercopy;

use ::x86_64::instructions::{hlt, interrupts};

/// Registers the kernel's trap hooks, then loads the GDT and TSS, then the IDT, then turns on
/// `syscall`, the CPU's protections against the kernel touching user memory, and SSE for user
/// programs. Interrupts stay off.
pub fn init(hooks: trap::Hooks) -> gdt::Segments {
    trap::register(hooks);
    let segments = gdt::init();
    idt::init(&segments);
    user::init(&segments);
    usercopy::enable_protections();
    fpu::enable();
    segments
}

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

/// The frame pointer (RBP) of the function this is inlined into: where a walk of the saved
/// frame pointers starts (the kernel is built with them, see `crates/framewalk`).
#[inline(always)]
pub fn frame_pointer() -> u64 {
    let rbp: u64;
    // SAFETY: copies RBP to a register; reads no memory and changes nothing else.
    unsafe {
        core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack, preserves_flags));
    }
    rbp
}

/// Reads the time-stamp counter: a 64-bit count that the CPU advances steadily from reset.
///
/// On real hardware it counts cycles of a fixed reference clock. Under QEMU with
/// `-icount shift=0` it is the virtual clock, which advances by exactly one nanosecond per guest
/// instruction (plus the idle time skipped when the CPU halts), so a reading is exact and
/// repeatable; `./x.py bench` relies on that.
pub fn read_tsc() -> u64 {
    // SAFETY: `rdtsc` only reads a counter into registers; it touches no memory and every x86_64
    // CPU has it (CR4.TSD, which could make it fault in user mode, does not apply in ring 0).
    unsafe { core::arch::x86_64::_rdtsc() }
}
