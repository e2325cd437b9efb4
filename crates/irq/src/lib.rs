//! Interrupt routing on a PC, as pure logic: which input of which I/O APIC a legacy device's IRQ
//! arrives on, and the 64-bit redirection entry that turns that input into a vector.
//!
//! A PC's devices signal interrupts on numbered lines. The ISA devices (keyboard, serial ports,
//! the PIT) use the classic IRQ numbers 0-15 that the 8259 PICs of 1981 defined. A modern PC
//! delivers them through an *I/O APIC*, whose inputs are numbered as *global system interrupts*
//! (GSIs). Usually ISA IRQ *n* is GSI *n*, with the ISA bus's electrical conventions (edge
//! triggered, active high), but the firmware may say otherwise: the ACPI MADT carries *interrupt
//! source overrides* (ACPI spec §5.2.12.5), and on QEMU, as on most PCs, the PIT's IRQ 0 is
//! wired to GSI 2. A kernel that ignores overrides programs the wrong pin.
//!
//! Each I/O APIC input has a *redirection entry* (Intel 82093AA datasheet, §3.2.4) that says
//! which vector to raise on which CPU, how the pin signals, and whether it is masked. Building
//! those bits is done here, where the host tests them; writing them is
//! `kernel/src/arch/x86_64/ioapic.rs`.

#![no_std]
#![forbid(unsafe_code)]

/// How the pin's signal means "interrupt".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    /// A high level (or rising edge) signals.
    ActiveHigh,
    /// A low level (or falling edge) signals.
    ActiveLow,
}

/// When an interrupt is raised: once per edge, or for as long as the line is at its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Once per edge.
    Edge,
    /// While the line is asserted (and until the handler's EOI).
    Level,
}

/// Where an ISA IRQ arrives, after the MADT's overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The global system interrupt.
    pub gsi: u32,
    /// The pin's polarity.
    pub polarity: Polarity,
    /// The pin's trigger mode.
    pub trigger: Trigger,
}

/// One MADT interrupt source override: ISA `irq` arrives on `gsi`, with `flags` (MPS INTI flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Override {
    /// The ISA IRQ (the "source").
    pub irq: u8,
    /// The GSI it arrives on.
    pub gsi: u32,
    /// Bits 0-1: polarity; bits 2-3: trigger mode (ACPI spec table 5.50 "MPS INTI Flags").
    pub flags: u16,
}

/// MPS INTI flags: polarity field mask.
const POLARITY_MASK: u16 = 0b11;
/// Either field 0b00: "conforms to the bus" (for ISA: active high, edge triggered).
const BUS_DEFAULT: u16 = 0b00;
/// Polarity "active high".
const POLARITY_HIGH: u16 = 0b01;
/// Polarity "active low".
const POLARITY_LOW: u16 = 0b11;
/// Trigger field shift and mask.
const TRIGGER_SHIFT: u16 = 2;
const TRIGGER_MASK: u16 = 0b11;
/// Trigger "edge".
const TRIGGER_EDGE: u16 = 0b01;
/// Trigger "level".
const TRIGGER_LEVEL: u16 = 0b11;

impl Override {
    /// The polarity the flags give; "conforms to the bus" (0) means ISA's active high.
    pub fn polarity(&self) -> Polarity {
        match self.flags & POLARITY_MASK {
            BUS_DEFAULT | POLARITY_HIGH => Polarity::ActiveHigh,
            POLARITY_LOW => Polarity::ActiveLow,
            // 0b10 is reserved; treat it as the bus default.
            _ => Polarity::ActiveHigh,
        }
    }

    /// The trigger mode the flags give; "conforms to the bus" (0) means ISA's edge.
    pub fn trigger(&self) -> Trigger {
        match (self.flags >> TRIGGER_SHIFT) & TRIGGER_MASK {
            BUS_DEFAULT | TRIGGER_EDGE => Trigger::Edge,
            TRIGGER_LEVEL => Trigger::Level,
            // 0b10 is reserved; treat it as the bus default.
            _ => Trigger::Edge,
        }
    }
}

/// Where ISA `irq` arrives, given the MADT's overrides: the override for it if there is one,
/// else GSI = IRQ, edge triggered, active high.
pub fn route_isa_irq(irq: u8, overrides: &[Override]) -> Route {
    match overrides.iter().find(|o| o.irq == irq) {
        Some(o) => Route {
            gsi: o.gsi,
            polarity: o.polarity(),
            trigger: o.trigger(),
        },
        None => Route {
            gsi: u32::from(irq),
            polarity: Polarity::ActiveHigh,
            trigger: Trigger::Edge,
        },
    }
}

/// A redirection table entry of the I/O APIC (82093AA datasheet §3.2.4), built from its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redirection {
    /// The vector the CPU receives.
    pub vector: u8,
    /// How the pin signals.
    pub polarity: Polarity,
    /// When it raises the interrupt.
    pub trigger: Trigger,
    /// Whether the entry is masked (no interrupts).
    pub masked: bool,
    /// The local APIC ID of the CPU that receives it (physical destination mode).
    pub destination: u8,
}

/// Bit 13: polarity, set for active low.
const RED_ACTIVE_LOW: u64 = 1 << 13;
/// Bit 15: trigger mode, set for level.
const RED_LEVEL: u64 = 1 << 15;
/// Bit 16: masked.
const RED_MASKED: u64 = 1 << 16;
/// Bits 56-63: destination APIC ID.
const RED_DESTINATION_SHIFT: u32 = 56;

impl Redirection {
    /// The 64-bit entry. Delivery mode fixed (bits 8-10 = 0) and destination mode physical
    /// (bit 11 = 0): the simplest routing, one vector to one CPU.
    pub fn to_bits(self) -> u64 {
        let mut bits = u64::from(self.vector);
        if self.polarity == Polarity::ActiveLow {
            bits |= RED_ACTIVE_LOW;
        }
        if self.trigger == Trigger::Level {
            bits |= RED_LEVEL;
        }
        if self.masked {
            bits |= RED_MASKED;
        }
        bits | (u64::from(self.destination) << RED_DESTINATION_SHIFT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// QEMU's MADT: IRQ 0 to GSI 2, and IRQs 5, 9, 10, 11 level triggered, active high.
    const QEMU: [Override; 2] = [
        Override {
            irq: 0,
            gsi: 2,
            flags: 0,
        },
        Override {
            irq: 9,
            gsi: 9,
            flags: 0b1101,
        },
    ];

    #[test]
    fn an_irq_without_override_keeps_its_number_and_isa_conventions() {
        let route = route_isa_irq(1, &QEMU);
        assert_eq!(
            route,
            Route {
                gsi: 1,
                polarity: Polarity::ActiveHigh,
                trigger: Trigger::Edge
            }
        );
    }

    #[test]
    fn an_override_moves_the_irq_and_may_change_its_signalling() {
        assert_eq!(route_isa_irq(0, &QEMU).gsi, 2);
        let sci = route_isa_irq(9, &QEMU);
        assert_eq!(
            (sci.gsi, sci.polarity, sci.trigger),
            (9, Polarity::ActiveHigh, Trigger::Level)
        );
        let low = Override {
            irq: 4,
            gsi: 20,
            flags: 0b1111,
        };
        assert_eq!(
            route_isa_irq(4, &[low]),
            Route {
                gsi: 20,
                polarity: Polarity::ActiveLow,
                trigger: Trigger::Level
            }
        );
    }

    #[test]
    fn redirection_entries_put_each_field_in_its_bits() {
        let keyboard = Redirection {
            vector: 0x21,
            polarity: Polarity::ActiveHigh,
            trigger: Trigger::Edge,
            masked: false,
            destination: 0,
        };
        assert_eq!(keyboard.to_bits(), 0x21);
        let level_low_masked = Redirection {
            vector: 0x30,
            polarity: Polarity::ActiveLow,
            trigger: Trigger::Level,
            masked: true,
            destination: 3,
        };
        assert_eq!(level_low_masked.to_bits(), 0x0300_0000_0001_A030);
    }
}
