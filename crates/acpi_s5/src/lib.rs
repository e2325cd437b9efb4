//! Finding the value that powers a PC off, in the firmware's ACPI bytecode.
//!
//! ACPI powers a machine off by putting it in sleep state S5, "soft off" (ACPI spec §16.1): the
//! OS writes a *sleep type* (SLP_TYP) and the *sleep enable* bit (SLP_EN) to the PM1 control
//! register whose port the FADT gives. The sleep type for S5 is not in any table; it is the
//! first element of a package named `\_S5_` defined in the DSDT's AML bytecode (§7.4.2).
//!
//! A full AML interpreter is a large piece of work; a kernel that only wants to power off can
//! instead find the bytes `_S5_` followed by a package and read its first two elements, which
//! works on QEMU and on most PCs, whose `_S5_` is a plain constant package. That is what
//! [`find_s5`] does, checking each step and giving up (`None`) on anything it does not expect.

#![no_std]
#![forbid(unsafe_code)]

/// The AML opcode of a package definition.
const PACKAGE_OP: u8 = 0x12;
/// AML opcode: the byte that follows is a constant.
const BYTE_PREFIX: u8 = 0x0A;
/// AML opcode for the constant 0.
const ZERO_OP: u8 = 0x00;
/// AML opcode for the constant 1.
const ONE_OP: u8 = 0x01;
/// The object name that holds the S5 values.
const S5_NAME: &[u8] = b"_S5_";

/// PM1 control register: SLP_TYP occupies bits 10-12.
pub const SLP_TYP_SHIFT: u16 = 10;
/// PM1 control register: writing SLP_EN (bit 13) enters the sleep state.
pub const SLP_EN: u16 = 1 << 13;

/// The S5 sleep types for the PM1a and PM1b control registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SleepType {
    /// For PM1a_CNT.
    pub a: u8,
    /// For PM1b_CNT (if the machine has one).
    pub b: u8,
}

impl SleepType {
    /// The value to write to PM1a_CNT to enter S5.
    pub fn pm1a_value(&self) -> u16 {
        (u16::from(self.a & 0b111) << SLP_TYP_SHIFT) | SLP_EN
    }
}

/// Reads one integer element of a package: a byte constant, Zero or One.
fn integer(aml: &[u8], at: &mut usize) -> Option<u8> {
    let op = *aml.get(*at)?;
    *at += 1;
    match op {
        BYTE_PREFIX => {
            let value = *aml.get(*at)?;
            *at += 1;
            Some(value)
        }
        ZERO_OP => Some(0),
        ONE_OP => Some(1),
        _ => None,
    }
}

/// Finds `\_S5_`'s sleep types in DSDT bytecode (the table's body, after its header).
pub fn find_s5(aml: &[u8]) -> Option<SleepType> {
    let name_at = aml
        .windows(S5_NAME.len())
        .position(|window| window == S5_NAME)?;
    let mut at = name_at + S5_NAME.len();
    if *aml.get(at)? != PACKAGE_OP {
        return None;
    }
    at += 1;
    // PkgLength: bits 6-7 of the lead byte count the bytes that follow it.
    let lead = *aml.get(at)?;
    at += 1 + usize::from(lead >> 6);
    // NumElements.
    let elements = *aml.get(at)?;
    at += 1;
    if elements < 2 {
        return None;
    }
    let a = integer(aml, &mut at)?;
    let b = integer(aml, &mut at)?;
    Some(SleepType { a, b })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_qemus_s5_package() {
        // Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero }) as QEMU's i440fx DSDT has it,
        // with some unrelated bytecode around.
        let aml = [
            0x10, 0x20, 0x08, b'_', b'S', b'5', b'_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
            0x5B,
        ];
        assert_eq!(find_s5(&aml), Some(SleepType { a: 0, b: 0 }));
        assert_eq!(SleepType { a: 0, b: 0 }.pm1a_value(), 0x2000);
    }

    #[test]
    fn reads_byte_constants_and_long_package_lengths() {
        // Package with a 2-byte PkgLength (lead byte 0x40 | low nibble) and BytePrefix values.
        let aml = [
            0x08, b'_', b'S', b'5', b'_', 0x12, 0x41, 0x00, 0x02, 0x0A, 0x05, 0x0A, 0x07,
        ];
        assert_eq!(find_s5(&aml), Some(SleepType { a: 5, b: 7 }));
        assert_eq!(SleepType { a: 5, b: 7 }.pm1a_value(), (5 << 10) | (1 << 13));
    }

    #[test]
    fn gives_up_on_anything_unexpected() {
        assert_eq!(find_s5(b"no such name"), None);
        assert_eq!(
            find_s5(&[b'_', b'S', b'5', b'_', 0x14]),
            None,
            "a method, not a package"
        );
        assert_eq!(
            find_s5(&[b'_', b'S', b'5', b'_', 0x12, 0x06, 0x01, 0x00]),
            None,
            "one element"
        );
        assert_eq!(
            find_s5(&[b'_', b'S', b'5', b'_', 0x12, 0x06, 0x02, 0x0A]),
            None,
            "cut short"
        );
        assert_eq!(
            find_s5(&[b'_', b'S', b'5', b'_', 0x12, 0x06, 0x02, 0x70, 0x00]),
            None,
            "not a constant"
        );
    }
}
