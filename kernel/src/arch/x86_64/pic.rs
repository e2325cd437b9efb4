//! The legacy 8259 programmable interrupt controllers: moved out of the way, then silenced.
//!
//! Every PC still has (or emulates) the two cascaded 8259A PICs of the original IBM PC/AT, and
//! after reset they deliver IRQ 0-7 on vectors 8-15, the very vectors the CPU uses for
//! exceptions: a timer tick would look like a double fault. Ferrite routes interrupts through
//! the APICs instead, so the PICs are only a hazard, but they cannot simply be ignored. They are
//! first *remapped* (reinitialised with a vector base of our choice, here [`VECTOR_BASE`]) and
//! then every line is *masked*. Even masked, an 8259 can raise a *spurious* IRQ 7 or 15 when a
//! line glitches; after the remap those arrive on vectors Ferrite recognises and ignores.
//!
//! The initialisation sequence is four "initialisation command words" (ICW1-4) per chip, written
//! in a fixed order (8259A datasheet, "Initialization Command Words"). The writes go to slow ISA
//! ports, so a dummy write to port 0x80 (the POST diagnostic port) gives the chip time between
//! them, as PCs have always done.

use ::x86_64::instructions::port::{Port, PortWriteOnly};

/// Command port of the master PIC (IRQ 0-7).
const MASTER_COMMAND: u16 = 0x20;
/// Data port of the master PIC.
const MASTER_DATA: u16 = 0x21;
/// Command port of the slave PIC (IRQ 8-15), cascaded into master IRQ 2.
const SLAVE_COMMAND: u16 = 0xA0;
/// Data port of the slave PIC.
const SLAVE_DATA: u16 = 0xA1;
/// The POST diagnostic port: writing to it does nothing but take about a microsecond.
const IO_WAIT_PORT: u16 = 0x80;

/// ICW1: start initialisation (bit 4), and an ICW4 will follow (bit 0).
const ICW1_INIT_WITH_ICW4: u8 = 0x11;
/// ICW3 for the master: a slave is attached to IRQ 2 (bit 2).
const ICW3_MASTER_HAS_SLAVE_ON_IRQ2: u8 = 1 << 2;
/// ICW3 for the slave: its cascade identity is 2.
const ICW3_SLAVE_ID: u8 = 2;
/// ICW4: 8086/8088 mode (bit 0), rather than the 8080 mode nothing uses.
const ICW4_8086: u8 = 0x01;
/// Operation command word 1 with every bit set: all eight lines masked.
const MASK_ALL: u8 = 0xFF;

/// The master's IRQ 0 arrives on this vector after the remap; the slave's IRQ 8 on `+ 8`.
pub const VECTOR_BASE: u8 = 0xE0;
/// The vectors the PICs can still raise (spurious IRQs only, since all lines are masked).
pub const VECTORS: core::ops::RangeInclusive<u8> = VECTOR_BASE..=VECTOR_BASE + 15;

/// Writes one byte to a PIC port, then waits for the chip.
fn write(port: u16, value: u8) {
    // SAFETY: `port` is one of the four 8259 ports named above, which every PC decodes; writing
    // the initialisation and mask words in the documented order only changes how the PICs
    // deliver interrupts, and every line ends up masked. The write to port 0x80 has no effect
    // beyond the delay.
    unsafe {
        PortWriteOnly::<u8>::new(port).write(value);
        PortWriteOnly::<u8>::new(IO_WAIT_PORT).write(0);
    }
}

/// Remaps both PICs to [`VECTOR_BASE`] and masks every line. Call once, with interrupts off.
pub fn remap_and_mask() {
    write(MASTER_COMMAND, ICW1_INIT_WITH_ICW4);
    write(SLAVE_COMMAND, ICW1_INIT_WITH_ICW4);
    write(MASTER_DATA, VECTOR_BASE);
    write(SLAVE_DATA, VECTOR_BASE + 8);
    write(MASTER_DATA, ICW3_MASTER_HAS_SLAVE_ON_IRQ2);
    write(SLAVE_DATA, ICW3_SLAVE_ID);
    write(MASTER_DATA, ICW4_8086);
    write(SLAVE_DATA, ICW4_8086);
    write(MASTER_DATA, MASK_ALL);
    write(SLAVE_DATA, MASK_ALL);
}

/// The masks as the PICs report them (master in the low byte), for tests.
pub fn masks() -> u16 {
    // SAFETY: reading a PIC's data port returns its interrupt mask register and has no side
    // effects.
    let (master, slave) = unsafe {
        (
            Port::<u8>::new(MASTER_DATA).read(),
            Port::<u8>::new(SLAVE_DATA).read(),
        )
    };
    u16::from(master) | (u16::from(slave) << 8)
}
