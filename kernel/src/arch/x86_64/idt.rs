//! The interrupt descriptor table: for each of the 256 vectors, where the CPU goes.
//!
//! The IDT is an array of 16-byte *gate descriptors* (SDM Vol. 3A §6.14.1, figure 6-8). Each
//! holds the 64-bit address of the handler, the code segment to run it in, which IST stack to
//! switch to (0 for none), the gate's type and the lowest privilege level allowed to raise it
//! with an `int n` instruction. Ferrite writes the gates itself rather than through a typed
//! library table: every vector gets the same kind of gate, pointing at its entry stub in
//! [`super::trap`], and the layout of a gate is worth seeing once.
//!
//! Every gate is an *interrupt gate*, which clears the interrupt flag on entry, so a handler is
//! never interrupted by a device before it has decided what to do. (A *trap gate* would leave
//! interrupts on; Ferrite does not use them.) The double fault, NMI and machine check gates name
//! their IST stacks (see [`super::gdt`]).

use super::gdt::{self, Segments};
use super::trap;
use crate::sync::TakeOnce;
use ::x86_64::instructions::tables::lidt;
use ::x86_64::structures::gdt::SegmentSelector;
use ::x86_64::structures::DescriptorTablePointer;
use ::x86_64::VirtAddr;
use traps::vector;

/// Gate type 0xE: a 64-bit interrupt gate (SDM Vol. 3A table 3-2).
const INTERRUPT_GATE: u8 = 0xE;
/// Attribute bit 7: the gate is present. A vector whose gate is not present raises #NP.
const PRESENT: u8 = 1 << 7;
/// Attribute bits 5-6 hold the gate's privilege level.
const DPL_SHIFT: u8 = 5;

/// One gate descriptor, in the CPU's layout.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Gate {
    /// Handler address, bits 0-15.
    offset_low: u16,
    /// Code segment selector the handler runs in.
    selector: u16,
    /// Bits 0-2: IST slot plus one (0 = keep the current stack).
    ist: u8,
    /// Bits 0-3: gate type; bits 5-6: privilege level; bit 7: present.
    attributes: u8,
    /// Handler address, bits 16-31.
    offset_mid: u16,
    /// Handler address, bits 32-63.
    offset_high: u32,
    /// Must be zero.
    reserved: u32,
}

const _: () = assert!(core::mem::size_of::<Gate>() == 16);

impl Gate {
    /// A gate that is not present. All zero bytes, so the table starts in `.bss`.
    const MISSING: Gate = Gate {
        offset_low: 0,
        selector: 0,
        ist: 0,
        attributes: 0,
        offset_mid: 0,
        offset_high: 0,
        reserved: 0,
    };

    /// An interrupt gate to `handler` in `code`, on IST slot `ist` (0-based, as the TSS counts)
    /// if given, that `int n` may raise from privilege level `dpl` and more privileged ones.
    fn interrupt(handler: u64, code: SegmentSelector, ist: Option<u16>, dpl: u8) -> Gate {
        Gate {
            offset_low: handler as u16,
            selector: code.0,
            // The gate counts IST slots from 1; 0 means "no IST".
            ist: ist.map_or(0, |slot| slot as u8 + 1),
            attributes: PRESENT | (dpl << DPL_SHIFT) | INTERRUPT_GATE,
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        }
    }

    /// The handler address this gate points to.
    pub fn handler(&self) -> u64 {
        u64::from(self.offset_low)
            | (u64::from(self.offset_mid) << 16)
            | (u64::from(self.offset_high) << 32)
    }

    /// The IST slot (0-based) this gate switches to, if any.
    pub fn ist(&self) -> Option<u16> {
        (self.ist & 0b111).checked_sub(1).map(u16::from)
    }
}

/// The table, in `.bss` until [`init`] fills it; then only the CPU reads it.
static IDT: TakeOnce<[Gate; trap::VECTORS]> = TakeOnce::new([Gate::MISSING; trap::VECTORS]);
/// The filled table, for inspection by tests.
static LOADED: spin::Once<&'static [Gate; trap::VECTORS]> = spin::Once::new();

/// The IST slot each vector uses, if any.
fn ist_for(vector: u8) -> Option<u16> {
    match vector {
        vector::DOUBLE_FAULT => Some(gdt::DOUBLE_FAULT_IST),
        vector::NMI => Some(gdt::NMI_IST),
        vector::MACHINE_CHECK => Some(gdt::MACHINE_CHECK_IST),
        _ => None,
    }
}

/// Fills every gate and loads the table. Needs the segments from [`gdt::init`].
pub fn init(segments: &Segments) {
    let table = IDT.take().expect("idt::init runs once");
    for (vector, gate) in (0..=u8::MAX).zip(table.iter_mut()) {
        *gate = Gate::interrupt(
            trap::stub_address(vector),
            segments.kernel_code,
            ist_for(vector),
            0,
        );
    }
    let table: &'static [Gate; trap::VECTORS] = table;
    LOADED.call_once(|| table);
    let pointer = DescriptorTablePointer {
        limit: (core::mem::size_of_val(table) - 1) as u16,
        base: VirtAddr::from_ptr(table.as_ptr()),
    };
    // SAFETY: the pointer describes a static table of 256 valid, present gates, each pointing at
    // an entry stub that saves the interrupted state and returns with iretq; the table is never
    // written again.
    unsafe { lidt(&pointer) };
}

/// The gate of `vector` as loaded, if [`init`] has run.
pub fn gate(vector: u8) -> Option<Gate> {
    LOADED.get().map(|table| table[usize::from(vector)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test_case]
    fn every_gate_points_at_its_stub() {
        for vector in 0..=u8::MAX {
            let gate = gate(vector).expect("the IDT is loaded at boot");
            assert_eq!(gate.handler(), trap::stub_address(vector));
        }
    }

    #[test_case]
    fn only_the_worst_exceptions_switch_stacks() {
        assert_eq!(
            gate(vector::DOUBLE_FAULT).unwrap().ist(),
            Some(gdt::DOUBLE_FAULT_IST)
        );
        assert_eq!(gate(vector::NMI).unwrap().ist(), Some(gdt::NMI_IST));
        assert_eq!(
            gate(vector::MACHINE_CHECK).unwrap().ist(),
            Some(gdt::MACHINE_CHECK_IST)
        );
        assert_eq!(gate(vector::PAGE_FAULT).unwrap().ist(), None);
    }
}
