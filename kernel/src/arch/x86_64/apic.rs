//! The local APIC: each CPU's own interrupt controller, and its timer.
//!
//! Every x86_64 CPU has a local APIC (SDM Vol. 3A chapter 11). It accepts interrupts from the
//! I/O APIC and from its own sources (the timer, error reports), orders them by priority,
//! delivers them to the CPU, and waits for the handler to signal *end of interrupt* (EOI) before
//! it delivers another of the same or lower priority. Its registers are memory-mapped, 16 bytes
//! apart, in a 4 KiB page whose physical address the MADT gives (normally `0xFEE0_0000`); Ferrite
//! maps that page uncached in its device region (`mm::map_mmio`), since a register read must
//! reach the device, not a cache line.
//!
//! Three registers set it up: the *spurious interrupt vector* register, whose bit 8 enables the
//! APIC and whose low byte is the vector for the spurious interrupts it may raise when an
//! interrupt vanishes before delivery (§11.9); the *task priority* register, set to 0 to accept
//! every vector; and the local vector table entries (LVT, §11.5.1), one per local source, each a
//! vector plus a mask bit.
//!
//! The timer (§11.5.4) counts down from an *initial count* at the bus clock divided by a
//! configurable divisor, raising its LVT vector at zero, once or periodically. Its frequency is
//! not architectural, which is why the kernel's time module calibrates it against the PIT.

use ::x86_64::registers::model_specific::Msr;
use spin::Once;

/// The IA32_APIC_BASE model-specific register (SDM Vol. 3A §11.4.4).
const IA32_APIC_BASE: u32 = 0x1B;
/// IA32_APIC_BASE bit 11: the APIC is globally enabled.
const APIC_BASE_ENABLE: u64 = 1 << 11;

/// Register offsets in the APIC's page (SDM Vol. 3A table 11-1).
mod reg {
    /// Local APIC ID.
    pub const ID: usize = 0x020;
    /// Version, and (bits 16-23) the number of LVT entries minus one.
    pub const VERSION: usize = 0x030;
    /// Task priority.
    pub const TPR: usize = 0x080;
    /// End of interrupt: write 0.
    pub const EOI: usize = 0x0B0;
    /// Spurious interrupt vector, and the software enable bit.
    pub const SVR: usize = 0x0F0;
    /// Error status.
    pub const ESR: usize = 0x280;
    /// LVT: timer.
    pub const LVT_TIMER: usize = 0x320;
    /// LVT: LINT0 pin (where the PICs' output is wired in "virtual wire" mode).
    pub const LVT_LINT0: usize = 0x350;
    /// LVT: LINT1 pin (normally NMI).
    pub const LVT_LINT1: usize = 0x360;
    /// LVT: error.
    pub const LVT_ERROR: usize = 0x370;
    /// Timer initial count: writing it starts the timer.
    pub const TIMER_INITIAL: usize = 0x380;
    /// Timer current count.
    pub const TIMER_CURRENT: usize = 0x390;
    /// Timer divide configuration.
    pub const TIMER_DIVIDE: usize = 0x3E0;
}

/// SVR bit 8: APIC software enable.
const SVR_ENABLE: u32 = 1 << 8;
/// LVT bit 16: masked.
const LVT_MASKED: u32 = 1 << 16;
/// LVT timer bits 17-18 = 01: periodic mode (00 is one-shot).
const LVT_TIMER_PERIODIC: u32 = 1 << 17;
/// Timer divide configuration value for "divide by 16" (SDM Vol. 3A figure 11-10).
const DIVIDE_BY_16: u32 = 0b0011;
/// The divisor that [`DIVIDE_BY_16`] selects.
pub const TIMER_DIVISOR: u32 = 16;

/// The local APIC's register page, at a virtual address.
pub struct LocalApic {
    base: u64,
}

/// The boot CPU's local APIC, once [`init`] has enabled it.
static LOCAL_APIC: Once<LocalApic> = Once::new();

impl LocalApic {
    fn read(&self, register: usize) -> u32 {
        // SAFETY: `base` is the mapped APIC page (see `init`), `register` one of the offsets in
        // `reg`, all 16-byte aligned inside it; APIC registers must be accessed as aligned
        // 32-bit words, which a volatile u32 access is.
        unsafe { core::ptr::read_volatile((self.base + register as u64) as *const u32) }
    }

    fn write(&self, register: usize, value: u32) {
        // SAFETY: as in `read`; writing is how the APIC is programmed, and each caller writes a
        // value documented for that register.
        unsafe { core::ptr::write_volatile((self.base + register as u64) as *mut u32, value) }
    }

    /// The virtual address its registers are mapped at.
    pub fn registers(&self) -> u64 {
        self.base
    }

    /// This CPU's APIC ID (bits 24-31 of the ID register).
    pub fn id(&self) -> u8 {
        (self.read(reg::ID) >> 24) as u8
    }

    /// The APIC's version number (low byte of the version register).
    pub fn version(&self) -> u8 {
        self.read(reg::VERSION) as u8
    }

    /// Signals end of interrupt: the APIC may deliver the next one.
    pub fn end_of_interrupt(&self) {
        self.write(reg::EOI, 0);
    }

    /// Reads and clears the error status (write, then read, as SDM §11.5.3 asks).
    pub fn error_status(&self) -> u32 {
        self.write(reg::ESR, 0);
        self.read(reg::ESR)
    }

    /// Starts the timer counting down from `initial` (at the bus clock / [`TIMER_DIVISOR`]),
    /// raising `vector` at zero: once, or every time if `periodic`. With `vector` `None` the
    /// timer counts with its interrupt masked, for calibration.
    pub fn start_timer(&self, initial: u32, vector: Option<u8>, periodic: bool) {
        self.write(reg::TIMER_DIVIDE, DIVIDE_BY_16);
        let mode = if periodic { LVT_TIMER_PERIODIC } else { 0 };
        let lvt = match vector {
            Some(vector) => u32::from(vector) | mode,
            None => LVT_MASKED | mode,
        };
        self.write(reg::LVT_TIMER, lvt);
        self.write(reg::TIMER_INITIAL, initial);
    }

    /// The timer's current count.
    pub fn timer_count(&self) -> u32 {
        self.read(reg::TIMER_CURRENT)
    }

    /// Stops the timer (an initial count of zero stops it).
    pub fn stop_timer(&self) {
        self.write(reg::TIMER_INITIAL, 0);
        self.write(reg::LVT_TIMER, LVT_MASKED);
    }
}

/// Enables the local APIC whose registers are mapped at virtual address `base`: spurious
/// interrupts on `spurious_vector`, errors on `error_vector`, every priority accepted, the timer
/// and the LINT pins masked until someone wants them. Returns the APIC.
///
/// # Safety
///
/// `base` must be a mapping of this CPU's local APIC register page (uncached, as device
/// registers want) that stays mapped for as long as the kernel runs. Only the first call
/// takes effect.
pub unsafe fn init(base: u64, spurious_vector: u8, error_vector: u8) -> &'static LocalApic {
    let mut msr = Msr::new(IA32_APIC_BASE);
    // SAFETY: IA32_APIC_BASE exists on every x86_64 CPU; setting its enable bit (normally
    // already set by the firmware) keeps the APIC at the address it already has.
    unsafe {
        let value = msr.read();
        msr.write(value | APIC_BASE_ENABLE);
    }
    let apic = LOCAL_APIC.call_once(|| LocalApic { base });
    apic.write(reg::TPR, 0);
    apic.write(reg::LVT_TIMER, LVT_MASKED);
    apic.write(reg::LVT_LINT0, LVT_MASKED);
    apic.write(reg::LVT_LINT1, LVT_MASKED);
    apic.write(reg::LVT_ERROR, u32::from(error_vector));
    apic.write(reg::SVR, SVR_ENABLE | u32::from(spurious_vector));
    apic.error_status();
    apic
}

/// The local APIC, if [`init`] has run.
pub fn local() -> Option<&'static LocalApic> {
    LOCAL_APIC.get()
}
