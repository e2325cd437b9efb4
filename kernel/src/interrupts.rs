//! Device interrupts: which vector is what, how they are routed, and the one place that handles
//! them and signals end of interrupt.
//!
//! A PC built since about 2000 delivers device interrupts through APICs: each device line enters
//! an I/O APIC, whose redirection entry turns it into a vector sent to a CPU's local APIC, which
//! interrupts the CPU. The legacy 8259 PICs are still there for compatibility and must be
//! silenced first (see [`crate::arch::x86_64::pic`]); where each ISA line arrives comes from the
//! ACPI MADT (see [`crate::platform::acpi`]).
//!
//! Vectors 0-31 are the CPU's exceptions. Ferrite puts device interrupts just above them and the
//! APIC's own vectors at the top, where the priority is highest (the APIC ranks vectors by their
//! upper four bits):
//!
//! | vector      | source                                                        |
//! |-------------|---------------------------------------------------------------|
//! | 0x20        | local APIC timer: the tick                                    |
//! | 0x21        | keyboard (ISA IRQ 1)                                          |
//! | 0x24        | COM1 (ISA IRQ 4)                                              |
//! | 0x30        | the virtio-blk disk (MSI-X: a message, no I/O APIC pin)       |
//! | 0xE0-0xEF   | the masked 8259 PICs (only spurious IRQ 7 / 15 can arrive)    |
//! | 0xFE        | local APIC error                                              |
//! | 0xFF        | local APIC spurious interrupt                                 |
//!
//! [`handle`] is called for every vector from 32 up, with interrupts off. It calls the device's
//! handler, then sends the EOI, in one place, except for spurious interrupts, which must not get
//! one (SDM Vol. 3A §11.9): they were never "in service".

use crate::arch::x86_64::apic::{self, LocalApic};
use crate::arch::x86_64::ioapic::IoApic;
use crate::arch::x86_64::pic;
use crate::arch::x86_64::trap::{self, TrapFrame};
use crate::drivers::{keyboard, serial};
use crate::platform::acpi::{AcpiError, Platform};
use crate::time;
use crate::tty::input;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Once;

/// The vectors Ferrite assigns (see the table above).
pub mod vector {
    /// The local APIC timer's periodic tick.
    pub const TIMER: u8 = 0x20;
    /// The PS/2 keyboard.
    pub const KEYBOARD: u8 = 0x21;
    /// The COM1 serial port.
    pub const COM1: u8 = 0x24;
    /// The virtio-blk disk's queue.
    pub const DISK: u8 = 0x30;
    /// Local APIC error interrupt.
    pub const APIC_ERROR: u8 = 0xFE;
    /// Local APIC spurious interrupt.
    pub const SPURIOUS: u8 = 0xFF;
}

/// The ISA IRQ of the PS/2 keyboard.
pub const KEYBOARD_IRQ: u8 = 1;
/// The ISA IRQ of COM1.
pub const COM1_IRQ: u8 = 4;

/// What the kernel gives the trap path in `arch`: this module's handler for vectors 32 and up,
/// the console's lock-free diagnostic output, and the address space's guard pages.
pub const TRAP_HOOKS: trap::Hooks = trap::Hooks {
    interrupt: handle,
    report: crate::console::write_diagnostic,
    guard_page: crate::mm::layout::guard_page,
    user_exception: crate::proc::user_exception,
    returning_to_user: crate::proc::returning_to_user,
    resolve_user_fault: crate::proc::resolve_user_fault,
};

/// How many spurious interrupts arrived (from the APIC or the PICs), for diagnostics.
static SPURIOUS: AtomicU64 = AtomicU64::new(0);
/// How many local APIC error interrupts arrived, and the last error status.
static APIC_ERRORS: AtomicU64 = AtomicU64::new(0);
static LAST_APIC_ERROR: AtomicU64 = AtomicU64::new(0);
/// Interrupts taken from the keyboard (0), COM1 (1) and the disk (2).
static DEVICE_INTERRUPTS: [AtomicU64; 3] =
    [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// Counts of what [`handle`] has seen, for the console's `ticks` command.
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    /// Keyboard interrupts.
    pub keyboard: u64,
    /// COM1 interrupts.
    pub com1: u64,
    /// Disk interrupts.
    pub disk: u64,
    /// Spurious interrupts (APIC and PIC).
    pub spurious: u64,
    /// Local APIC error interrupts.
    pub apic_errors: u64,
    /// The last APIC error status.
    pub last_apic_error: u64,
}

/// What [`handle`] has counted so far.
pub fn counts() -> Counts {
    Counts {
        keyboard: DEVICE_INTERRUPTS[0].load(Ordering::Relaxed),
        com1: DEVICE_INTERRUPTS[1].load(Ordering::Relaxed),
        disk: DEVICE_INTERRUPTS[2].load(Ordering::Relaxed),
        spurious: SPURIOUS.load(Ordering::Relaxed),
        apic_errors: APIC_ERRORS.load(Ordering::Relaxed),
        last_apic_error: LAST_APIC_ERROR.load(Ordering::Relaxed),
    }
}

/// Sets up the keyboard controller and routes the keyboard's and COM1's IRQs through
/// `controllers`, so typed keys reach the input queue. Serial input works even if the keyboard
/// controller does not answer.
pub fn enable_input(controllers: &'static Controllers) -> Result<(), keyboard::KeyboardError> {
    controllers.route_isa_irq(COM1_IRQ, vector::COM1);
    keyboard::init()?;
    controllers.route_isa_irq(KEYBOARD_IRQ, vector::KEYBOARD);
    Ok(())
}

/// The interrupt controllers, once [`init`] has set them up.
pub struct Controllers {
    /// What the MADT said.
    pub platform: Platform,
    /// The boot CPU's local APIC.
    pub local_apic: &'static LocalApic,
    /// The first I/O APIC (the one that serves the ISA lines on a PC).
    pub io_apic: IoApic,
}

static CONTROLLERS: Once<Controllers> = Once::new();

/// Enables the local APIC and the first I/O APIC (every pin masked) that `platform`'s MADT
/// names; returns them, for the timer and the input devices to be programmed through.
/// Interrupts stay off: the caller enables them when the handlers it wants are ready.
///
/// # Safety
///
/// `platform` must describe this machine (from [`crate::platform::acpi::discover`]), and all
/// physical memory must be mapped at `physical_memory_offset` for good (the fallback for the
/// registers if the uncached device mapping cannot be made). Call once.
pub unsafe fn init(
    platform: Platform,
    physical_memory_offset: Option<u64>,
) -> Result<&'static Controllers, AcpiError> {
    let offset = physical_memory_offset.ok_or(AcpiError::NoPhysicalMapping)?;
    let first = *platform.io_apics().next().ok_or(AcpiError::NoIoApic)?;
    // The registers are mapped uncached (see `mm::map_mmio`); without page tables (memory
    // management failed), the cacheable map of physical memory is the fallback.
    // SAFETY: both addresses come from the MADT: the local APIC's and the I/O APIC's registers.
    let (local_base, io_base) = unsafe {
        (
            crate::mm::map_mmio(platform.local_apic).unwrap_or(platform.local_apic + offset),
            crate::mm::map_mmio(first.address).unwrap_or(first.address + offset),
        )
    };
    // SAFETY: `local_base` maps the local APIC's register page for good (above), and this is
    // the only call.
    let local_apic = unsafe { apic::init(local_base, vector::SPURIOUS, vector::APIC_ERROR) };
    // SAFETY: `io_base` maps the MADT's first I/O APIC for good; this is the only `IoApic` made
    // for it.
    let io_apic = unsafe { IoApic::new(io_base, first.gsi_base) };
    let controllers = CONTROLLERS.call_once(|| Controllers {
        platform,
        local_apic,
        io_apic,
    });
    Ok(controllers)
}

/// The controllers, if [`init`] succeeded.
pub fn controllers() -> Option<&'static Controllers> {
    CONTROLLERS.get()
}

impl Controllers {
    /// Routes ISA IRQ `isa_irq` to `vector` on this CPU, honouring the MADT's overrides.
    pub fn route_isa_irq(&self, isa_irq: u8, vector: u8) -> irq::Route {
        let route = self.platform.route_isa_irq(isa_irq);
        assert!(
            self.io_apic.serves(route.gsi),
            "GSI {} is not on the first I/O APIC",
            route.gsi
        );
        let entry = irq::Redirection {
            vector,
            polarity: route.polarity,
            trigger: route.trigger,
            masked: false,
            destination: self.local_apic.id(),
        };
        ::x86_64::instructions::interrupts::without_interrupts(|| {
            self.io_apic
                .set_entry(route.gsi - self.io_apic.gsi_base, entry);
        });
        route
    }
}

/// How many spurious interrupts have arrived.
pub fn spurious_count() -> u64 {
    SPURIOUS.load(Ordering::Relaxed)
}

/// Handles every vector from 32 up; called by the trap entry with interrupts off.
pub fn handle(frame: &mut TrapFrame) {
    let vector = frame.vector as u8;
    let start = crate::arch::x86_64::read_tsc();
    crate::sched::interrupt_arrived(start);
    match vector {
        vector::TIMER => {
            time::on_tick();
            let now = time::uptime_ns();
            crate::task::timer::on_tick(now);
            crate::proc::signal::on_tick(now);
            serial::on_tick(input::push_from_interrupt);
            time::jitter();
        }
        vector::KEYBOARD => {
            DEVICE_INTERRUPTS[0].fetch_add(1, Ordering::Relaxed);
            keyboard::on_interrupt(input::push_from_interrupt);
        }
        vector::COM1 => {
            DEVICE_INTERRUPTS[1].fetch_add(1, Ordering::Relaxed);
            serial::on_interrupt(input::has_room, input::push_from_interrupt);
        }
        vector::DISK => {
            DEVICE_INTERRUPTS[2].fetch_add(1, Ordering::Relaxed);
            crate::drivers::virtio_blk::on_interrupt();
        }
        vector::SPURIOUS => {
            SPURIOUS.fetch_add(1, Ordering::Relaxed);
            return; // no EOI for a spurious interrupt
        }
        v if pic::VECTORS.contains(&v) => {
            // Only a spurious IRQ 7 or 15 can come from the masked PICs; the APIC did not deliver
            // it, so it gets no EOI either.
            SPURIOUS.fetch_add(1, Ordering::Relaxed);
            return;
        }
        vector::APIC_ERROR => {
            // Read (and so clear) the error; count it. Printing here could wait for the console
            // lock that the interrupted code holds.
            let status = apic::local().map_or(0, LocalApic::error_status);
            APIC_ERRORS.fetch_add(1, Ordering::Relaxed);
            LAST_APIC_ERROR.store(u64::from(status), Ordering::Relaxed);
        }
        _ => {
            crate::arch::x86_64::exceptions::report(frame, 0);
            panic!("interrupt on vector {vector:#x}, which nothing routes");
        }
    }
    end_of_interrupt();
    // After the EOI, so the next tick can arrive while another thread runs: maybe preempt.
    if vector == vector::TIMER {
        let from_user = crate::arch::x86_64::user::from_user(frame);
        crate::proc::signal::on_cpu_tick(from_user);
        crate::sched::on_tick(start, from_user);
    }
}

/// Tells the local APIC the current interrupt is handled. The only place that does.
fn end_of_interrupt() {
    if let Some(apic) = apic::local() {
        apic.end_of_interrupt();
    }
}
