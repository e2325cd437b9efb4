//! The I/O APIC: where device interrupt lines enter and become vectors.
//!
//! An I/O APIC (Intel 82093AA datasheet) has a row of input pins, numbered from its *global
//! system interrupt* base, and for each a 64-bit *redirection entry* that says which vector to
//! send to which CPU's local APIC and how the pin signals (see the `irq` crate, which builds the
//! entries). Its registers are not mapped one by one: there is a select register (`IOREGSEL`, at
//! offset 0) and a data window (`IOWIN`, at offset 0x10); write a register's index to the first,
//! then read or write it through the second. Because that takes two accesses, the pair is
//! guarded by a lock, taken only with interrupts off.

use spin::Mutex;

/// Offset of the register select register.
const IOREGSEL: u64 = 0x00;
/// Offset of the data window.
const IOWIN: u64 = 0x10;
/// Index of the version register; bits 16-23 hold the highest redirection entry's number.
const REG_VERSION: u32 = 0x01;
/// Index of the low half of redirection entry 0; entry `n` is at `0x10 + 2n` (low) and `+1`.
const REG_REDIRECTION_BASE: u32 = 0x10;

/// One I/O APIC, at a virtual address.
pub struct IoApic {
    /// Virtual address of the register page. The lock makes select-then-access one step.
    base: Mutex<u64>,
    /// The first GSI its pins serve.
    pub gsi_base: u32,
    /// How many pins (redirection entries) it has.
    pub pins: u32,
}

fn read(base: u64, index: u32) -> u32 {
    // SAFETY: `base` is a mapped I/O APIC register page (see `IoApic::new`); selecting a register
    // and reading the window are 32-bit accesses to its two documented registers.
    unsafe {
        core::ptr::write_volatile((base + IOREGSEL) as *mut u32, index);
        core::ptr::read_volatile((base + IOWIN) as *const u32)
    }
}

fn write(base: u64, index: u32, value: u32) {
    // SAFETY: as in `read`; the callers write redirection entries they built for this chip.
    unsafe {
        core::ptr::write_volatile((base + IOREGSEL) as *mut u32, index);
        core::ptr::write_volatile((base + IOWIN) as *mut u32, value);
    }
}

impl IoApic {
    /// The I/O APIC whose registers are mapped at virtual `base`, serving GSIs from
    /// `gsi_base`. Masks every pin, so nothing arrives before it is routed.
    ///
    /// # Safety
    ///
    /// `base` must be the virtual address of an I/O APIC's register page, mapped for the kernel's
    /// lifetime, and no other `IoApic` may be made for it.
    pub unsafe fn new(base: u64, gsi_base: u32) -> IoApic {
        let pins = ((read(base, REG_VERSION) >> 16) & 0xFF) + 1;
        let apic = IoApic {
            base: Mutex::new(base),
            gsi_base,
            pins,
        };
        for pin in 0..pins {
            apic.set_entry(
                pin,
                irq::Redirection {
                    vector: 0,
                    polarity: irq::Polarity::ActiveHigh,
                    trigger: irq::Trigger::Edge,
                    masked: true,
                    destination: 0,
                },
            );
        }
        apic
    }

    /// Whether `gsi` is one of this chip's pins.
    pub fn serves(&self, gsi: u32) -> bool {
        (self.gsi_base..self.gsi_base + self.pins).contains(&gsi)
    }

    /// Writes the redirection entry of `pin`. The high half (destination) goes first, while the
    /// low half's mask bit still holds the old state, so the pin never fires half-configured.
    pub fn set_entry(&self, pin: u32, entry: irq::Redirection) {
        let bits = entry.to_bits();
        let base = self.base.lock();
        let index = REG_REDIRECTION_BASE + 2 * pin;
        write(*base, index + 1, (bits >> 32) as u32);
        write(*base, index, bits as u32);
    }

    /// Reads back the redirection entry of `pin`, as raw bits.
    pub fn entry_bits(&self, pin: u32) -> u64 {
        let base = self.base.lock();
        let index = REG_REDIRECTION_BASE + 2 * pin;
        u64::from(read(*base, index)) | (u64::from(read(*base, index + 1)) << 32)
    }
}
