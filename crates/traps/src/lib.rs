//! What an x86_64 exception means: its name, whether it pushes an error code, and how to read
//! that code.
//!
//! When the CPU cannot go on with an instruction it raises an *exception*: one of the 32 vectors
//! the architecture reserves at the bottom of the interrupt descriptor table (Intel SDM Vol. 3A,
//! §6.3.1, table 6-1 "Protected-Mode Exceptions and Interrupts"). Some of them push an *error
//! code* onto the stack before the return address, which says more about what went wrong; the
//! rest push nothing, and the kernel's entry code has to know which is which to find the rest
//! of the frame. A page fault's code says why the access failed (SDM §4.7); the codes of the
//! segment-related faults name the descriptor involved (SDM §6.13).
//!
//! None of this touches hardware, so it lives here, where `cargo test` checks it on the host; the
//! kernel's trap handler (`kernel/src/arch/x86_64/exceptions.rs`) uses it to print diagnostics.

#![no_std]
#![forbid(unsafe_code)]

use core::fmt;

/// Number of vectors the architecture reserves for exceptions (0 to 31).
pub const EXCEPTION_VECTORS: u8 = 32;

/// Named exception vectors the kernel refers to in code.
pub mod vector {
    /// #DE: division by zero, or a quotient too large for its register.
    pub const DIVIDE_ERROR: u8 = 0;
    /// #DB: a debug register condition or single-step.
    pub const DEBUG: u8 = 1;
    /// NMI: the non-maskable interrupt line (hardware failure, watchdogs).
    pub const NMI: u8 = 2;
    /// #BP: the `int3` instruction, used by debuggers.
    pub const BREAKPOINT: u8 = 3;
    /// #UD: an instruction the CPU does not know (or `ud2`, which exists to raise this).
    pub const INVALID_OPCODE: u8 = 6;
    /// #DF: an exception while delivering another one.
    pub const DOUBLE_FAULT: u8 = 8;
    /// #GP: a protection check failed (a non-canonical address, a bad selector, ...).
    pub const GENERAL_PROTECTION: u8 = 13;
    /// #PF: the page tables do not allow the access.
    pub const PAGE_FAULT: u8 = 14;
    /// #MF: an unmasked x87 floating-point error.
    pub const X87_FLOATING_POINT: u8 = 16;
    /// #XM: an unmasked SSE floating-point error.
    pub const SIMD_FLOATING_POINT: u8 = 19;
    /// #AC: a misaligned access in ring 3 with alignment checking on.
    pub const ALIGNMENT_CHECK: u8 = 17;
    /// #MC: the CPU detected an internal hardware error.
    pub const MACHINE_CHECK: u8 = 18;
}

/// The architecture's name for each exception vector, as (mnemonic, name). Vectors marked
/// reserved are never raised by current CPUs; a handler still needs an entry for them.
const NAMES: [(&str, &str); EXCEPTION_VECTORS as usize] = [
    ("#DE", "divide error"),
    ("#DB", "debug"),
    ("NMI", "non-maskable interrupt"),
    ("#BP", "breakpoint"),
    ("#OF", "overflow"),
    ("#BR", "bound range exceeded"),
    ("#UD", "invalid opcode"),
    ("#NM", "device not available"),
    ("#DF", "double fault"),
    ("-", "coprocessor segment overrun (reserved)"),
    ("#TS", "invalid TSS"),
    ("#NP", "segment not present"),
    ("#SS", "stack-segment fault"),
    ("#GP", "general protection fault"),
    ("#PF", "page fault"),
    ("-", "reserved (15)"),
    ("#MF", "x87 floating-point error"),
    ("#AC", "alignment check"),
    ("#MC", "machine check"),
    ("#XM", "SIMD floating-point exception"),
    ("#VE", "virtualization exception"),
    ("#CP", "control protection exception"),
    ("-", "reserved (22)"),
    ("-", "reserved (23)"),
    ("-", "reserved (24)"),
    ("-", "reserved (25)"),
    ("-", "reserved (26)"),
    ("-", "reserved (27)"),
    ("#HV", "hypervisor injection exception"),
    ("#VC", "VMM communication exception"),
    ("#SX", "security exception"),
    ("-", "reserved (31)"),
];

/// The mnemonic (`#PF`) and name (`page fault`) of an exception vector; `None` above 31.
pub fn name(vector: u8) -> Option<(&'static str, &'static str)> {
    NAMES.get(usize::from(vector)).copied()
}

/// Whether the CPU pushes an error code for this exception vector (SDM Vol. 3A table 6-1).
///
/// The entry code pushes a zero in its place for the others, so every trap frame has the same
/// layout.
pub fn pushes_error_code(vector: u8) -> bool {
    matches!(vector, 8 | 10..=14 | 17 | 21 | 29 | 30)
}

/// How a page fault's error code explains the fault (SDM Vol. 3A §4.7, figure 4-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageFaultCode(pub u64);

impl PageFaultCode {
    /// Bit 0: the page was present, so a protection check failed (clear: not present).
    pub const PRESENT: u64 = 1 << 0;
    /// Bit 1: the access was a write (clear: a read).
    pub const WRITE: u64 = 1 << 1;
    /// Bit 2: the access came from user mode, ring 3 (clear: the kernel).
    pub const USER: u64 = 1 << 2;
    /// Bit 3: a reserved bit was set in a paging structure entry.
    pub const RESERVED_BIT: u64 = 1 << 3;
    /// Bit 4: the access was an instruction fetch (only reported with NX or SMEP on).
    pub const INSTRUCTION_FETCH: u64 = 1 << 4;
    /// Bit 5: a protection key forbade the access.
    pub const PROTECTION_KEY: u64 = 1 << 5;
    /// Bit 6: a shadow-stack access.
    pub const SHADOW_STACK: u64 = 1 << 6;

    fn has(self, bit: u64) -> bool {
        self.0 & bit != 0
    }

    /// A protection violation on a present page (as opposed to a page that is not mapped).
    pub fn present(self) -> bool {
        self.has(Self::PRESENT)
    }

    /// The access was a write.
    pub fn write(self) -> bool {
        self.has(Self::WRITE)
    }

    /// The access came from user mode.
    pub fn user(self) -> bool {
        self.has(Self::USER)
    }

    /// The access was an instruction fetch.
    pub fn instruction_fetch(self) -> bool {
        self.has(Self::INSTRUCTION_FETCH)
    }
}

impl fmt::Display for PageFaultCode {
    /// For example `not present, write, kernel mode, data access`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.present() {
            "protection violation"
        } else {
            "not present"
        })?;
        f.write_str(if self.write() { ", write" } else { ", read" })?;
        f.write_str(if self.user() {
            ", user mode"
        } else {
            ", kernel mode"
        })?;
        f.write_str(if self.instruction_fetch() {
            ", instruction fetch"
        } else {
            ", data access"
        })?;
        if self.has(Self::RESERVED_BIT) {
            f.write_str(", reserved bit set in a page table entry")?;
        }
        if self.has(Self::PROTECTION_KEY) {
            f.write_str(", protection key")?;
        }
        if self.has(Self::SHADOW_STACK) {
            f.write_str(", shadow stack")?;
        }
        Ok(())
    }
}

/// Which table a selector error code points into (bits 1 and 2; SDM Vol. 3A §6.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescriptorTable {
    /// The global descriptor table.
    Gdt,
    /// The interrupt descriptor table.
    Idt,
    /// The local descriptor table.
    Ldt,
}

/// The error code of #TS, #NP, #SS and #GP: the segment selector (or IDT vector) involved, or
/// zero when the fault had nothing to do with one (a non-canonical address, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectorErrorCode(pub u64);

impl SelectorErrorCode {
    /// Bit 0: the event came from outside the program (an interrupt or an earlier exception).
    pub const EXTERNAL: u64 = 1 << 0;
    /// Bit 1: the index refers to the IDT.
    pub const IDT: u64 = 1 << 1;
    /// Bit 2: with bit 1 clear, the index refers to the LDT rather than the GDT.
    pub const TABLE_INDICATOR: u64 = 1 << 2;
    /// The index starts at bit 3.
    pub const INDEX_SHIFT: u32 = 3;
    /// The index has 13 bits.
    pub const INDEX_MASK: u64 = 0x1FFF;

    /// The event was external to the program.
    pub fn external(self) -> bool {
        self.0 & Self::EXTERNAL != 0
    }

    /// The table the index refers to.
    pub fn table(self) -> DescriptorTable {
        if self.0 & Self::IDT != 0 {
            DescriptorTable::Idt
        } else if self.0 & Self::TABLE_INDICATOR != 0 {
            DescriptorTable::Ldt
        } else {
            DescriptorTable::Gdt
        }
    }

    /// The descriptor's index in that table.
    pub fn index(self) -> u64 {
        (self.0 >> Self::INDEX_SHIFT) & Self::INDEX_MASK
    }
}

impl fmt::Display for SelectorErrorCode {
    /// For example `GDT index 5` or `no selector involved`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("no selector involved");
        }
        let table = match self.table() {
            DescriptorTable::Gdt => "GDT",
            DescriptorTable::Idt => "IDT",
            DescriptorTable::Ldt => "LDT",
        };
        write!(f, "{table} index {}", self.index())?;
        if self.external() {
            f.write_str(", external event")?;
        }
        Ok(())
    }
}

/// Whether `vector`'s error code is a [`SelectorErrorCode`].
pub fn has_selector_error_code(vector: u8) -> bool {
    matches!(vector, 10..=13)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn every_exception_vector_has_a_name_and_no_more() {
        for v in 0..EXCEPTION_VECTORS {
            let (mnemonic, name) = name(v).unwrap();
            assert!(!mnemonic.is_empty() && !name.is_empty());
        }
        assert_eq!(name(14), Some(("#PF", "page fault")));
        assert_eq!(name(8), Some(("#DF", "double fault")));
        assert_eq!(name(32), None);
    }

    #[test]
    fn error_codes_are_pushed_by_exactly_the_documented_vectors() {
        let with: std::vec::Vec<u8> = (0..EXCEPTION_VECTORS)
            .filter(|&v| pushes_error_code(v))
            .collect();
        assert_eq!(with, [8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);
        assert!(!pushes_error_code(vector::BREAKPOINT));
        assert!(!pushes_error_code(vector::INVALID_OPCODE));
    }

    #[test]
    fn page_fault_codes_decode() {
        let read_unmapped = PageFaultCode(0);
        assert!(!read_unmapped.present() && !read_unmapped.write() && !read_unmapped.user());
        assert_eq!(
            read_unmapped.to_string(),
            "not present, read, kernel mode, data access"
        );
        let write_readonly = PageFaultCode(PageFaultCode::PRESENT | PageFaultCode::WRITE);
        assert_eq!(
            write_readonly.to_string(),
            "protection violation, write, kernel mode, data access"
        );
        let user_fetch = PageFaultCode(
            PageFaultCode::USER | PageFaultCode::INSTRUCTION_FETCH | PageFaultCode::PRESENT,
        );
        assert!(user_fetch.user() && user_fetch.instruction_fetch());
        assert_eq!(
            user_fetch.to_string(),
            "protection violation, read, user mode, instruction fetch"
        );
        assert!(PageFaultCode(PageFaultCode::RESERVED_BIT)
            .to_string()
            .ends_with("reserved bit set in a page table entry"));
    }

    #[test]
    fn selector_error_codes_decode() {
        assert_eq!(SelectorErrorCode(0).to_string(), "no selector involved");
        // GDT index 5: 5 << 3.
        let gdt = SelectorErrorCode(5 << 3);
        assert_eq!((gdt.table(), gdt.index()), (DescriptorTable::Gdt, 5));
        assert_eq!(gdt.to_string(), "GDT index 5");
        // IDT vector 0x21, raised by an external interrupt.
        let idt =
            SelectorErrorCode((0x21 << 3) | SelectorErrorCode::IDT | SelectorErrorCode::EXTERNAL);
        assert_eq!(idt.to_string(), "IDT index 33, external event");
        // Bit 1 wins over bit 2: IDT, not LDT.
        let both = SelectorErrorCode(SelectorErrorCode::IDT | SelectorErrorCode::TABLE_INDICATOR);
        assert_eq!(both.table(), DescriptorTable::Idt);
        assert_eq!(
            SelectorErrorCode(SelectorErrorCode::TABLE_INDICATOR | (1 << 3)).to_string(),
            "LDT index 1"
        );
        assert!(has_selector_error_code(13) && !has_selector_error_code(14));
    }
}
