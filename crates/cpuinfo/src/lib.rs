//! What the `cpuid` instruction says about the processor, decoded into words.
//!
//! `cpuid` takes a *leaf* number in EAX and returns four registers of answers (SDM Vol. 2A,
//! "CPUID"). Leaf 0 gives the highest basic leaf and the vendor string; leaf 1 the family, model
//! and stepping (with "extended" fields that must be added in for newer CPUs) and two registers of
//! feature bits; leaf 7 more features; the extended leaves from 0x8000_0000 the brand string and
//! AMD-originated features such as NX and long mode. The kernel executes the instruction; this
//! crate, which only sees the register values, turns them into text and is tested on the host.

#![no_std]
#![forbid(unsafe_code)]

/// The four registers a CPUID leaf returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Regs {
    /// EAX.
    pub eax: u32,
    /// EBX.
    pub ebx: u32,
    /// ECX.
    pub ecx: u32,
    /// EDX.
    pub edx: u32,
}

/// Which register a feature bit is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reg {
    /// EBX.
    Ebx,
    /// ECX.
    Ecx,
    /// EDX.
    Edx,
}

/// A feature flag: the leaf, register and bit that report it, and its usual name.
#[derive(Debug, Clone, Copy)]
pub struct Feature {
    /// The leaf.
    pub leaf: u32,
    /// The register.
    pub reg: Reg,
    /// The bit.
    pub bit: u32,
    /// The name Linux's /proc/cpuinfo uses.
    pub name: &'static str,
}

const fn f(leaf: u32, reg: Reg, bit: u32, name: &'static str) -> Feature {
    Feature {
        leaf,
        reg,
        bit,
        name,
    }
}

/// The features worth knowing for an OS, in the order they are printed.
pub const FEATURES: [Feature; 26] = [
    f(1, Reg::Edx, 0, "fpu"),
    f(1, Reg::Edx, 4, "tsc"),
    f(1, Reg::Edx, 5, "msr"),
    f(1, Reg::Edx, 6, "pae"),
    f(1, Reg::Edx, 9, "apic"),
    f(1, Reg::Edx, 13, "pge"),
    f(1, Reg::Edx, 16, "pat"),
    f(1, Reg::Edx, 25, "sse"),
    f(1, Reg::Edx, 26, "sse2"),
    f(1, Reg::Ecx, 0, "sse3"),
    f(1, Reg::Ecx, 9, "ssse3"),
    f(1, Reg::Ecx, 19, "sse4_1"),
    f(1, Reg::Ecx, 20, "sse4_2"),
    f(1, Reg::Ecx, 21, "x2apic"),
    f(1, Reg::Ecx, 24, "tsc_deadline"),
    f(1, Reg::Ecx, 26, "xsave"),
    f(1, Reg::Ecx, 28, "avx"),
    f(1, Reg::Ecx, 30, "rdrand"),
    f(1, Reg::Ecx, 31, "hypervisor"),
    f(7, Reg::Ebx, 5, "avx2"),
    f(7, Reg::Ebx, 7, "smep"),
    f(7, Reg::Ebx, 20, "smap"),
    f(0x8000_0001, Reg::Edx, 20, "nx"),
    f(0x8000_0001, Reg::Edx, 26, "pdpe1gb"),
    f(0x8000_0001, Reg::Edx, 29, "lm"),
    f(0x8000_0007, Reg::Edx, 8, "invariant_tsc"),
];

impl Feature {
    /// Whether `regs`, the answer of this feature's leaf, has the bit set.
    pub fn present_in(&self, regs: Regs) -> bool {
        let value = match self.reg {
            Reg::Ebx => regs.ebx,
            Reg::Ecx => regs.ecx,
            Reg::Edx => regs.edx,
        };
        value & (1 << self.bit) != 0
    }
}

/// The 12-character vendor string of leaf 0 ("GenuineIntel", "AuthenticAMD", ...), which is
/// stored in EBX, EDX, ECX, in that order.
pub fn vendor(leaf0: Regs) -> [u8; 12] {
    let mut out = [0; 12];
    out[0..4].copy_from_slice(&leaf0.ebx.to_le_bytes());
    out[4..8].copy_from_slice(&leaf0.edx.to_le_bytes());
    out[8..12].copy_from_slice(&leaf0.ecx.to_le_bytes());
    out
}

/// The 48-byte brand string of leaves 0x8000_0002-4 (EAX, EBX, ECX, EDX of each).
pub fn brand(leaves: [Regs; 3]) -> [u8; 48] {
    let mut out = [0; 48];
    for (i, regs) in leaves.iter().enumerate() {
        for (j, value) in [regs.eax, regs.ebx, regs.ecx, regs.edx].iter().enumerate() {
            let at = i * 16 + j * 4;
            out[at..at + 4].copy_from_slice(&value.to_le_bytes());
        }
    }
    out
}

/// Text from a CPUID string: up to the first NUL, surrounding spaces trimmed (brand strings are
/// often padded), and "?" if it is not ASCII.
pub fn text(bytes: &[u8]) -> &str {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    core::str::from_utf8(&bytes[..end]).map_or("?", str::trim)
}

/// Family, model and stepping from leaf 1's EAX, with the extended fields added in as the SDM
/// describes: the extended family only when the base family is 15, the extended model when the
/// family is 6 or 15.
pub fn signature(leaf1_eax: u32) -> (u32, u32, u32) {
    let stepping = leaf1_eax & 0xF;
    let base_model = (leaf1_eax >> 4) & 0xF;
    let base_family = (leaf1_eax >> 8) & 0xF;
    let extended_model = (leaf1_eax >> 16) & 0xF;
    let extended_family = (leaf1_eax >> 20) & 0xFF;
    let family = if base_family == 0xF {
        base_family + extended_family
    } else {
        base_family
    };
    let model = if base_family == 0x6 || base_family == 0xF {
        (extended_model << 4) | base_model
    } else {
        base_model
    };
    (family, model, stepping)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_string_is_ebx_edx_ecx() {
        // "GenuineIntel" as CPUID returns it.
        let leaf0 = Regs {
            eax: 0xD,
            ebx: 0x756E_6547,
            edx: 0x4965_6E69,
            ecx: 0x6C65_746E,
        };
        assert_eq!(&vendor(leaf0), b"GenuineIntel");
        assert_eq!(text(&vendor(leaf0)), "GenuineIntel");
    }

    #[test]
    fn brand_string_is_trimmed_at_nul_and_spaces() {
        let mut raw = [0u8; 48];
        raw[..24].copy_from_slice(b"  QEMU Virtual CPU 2.5+ ");
        let regs = |chunk: &[u8]| Regs {
            eax: u32::from_le_bytes(chunk[0..4].try_into().unwrap()),
            ebx: u32::from_le_bytes(chunk[4..8].try_into().unwrap()),
            ecx: u32::from_le_bytes(chunk[8..12].try_into().unwrap()),
            edx: u32::from_le_bytes(chunk[12..16].try_into().unwrap()),
        };
        let leaves = [regs(&raw[0..16]), regs(&raw[16..32]), regs(&raw[32..48])];
        assert_eq!(brand(leaves), raw);
        assert_eq!(text(&brand(leaves)), "QEMU Virtual CPU 2.5+");
        assert_eq!(text(&[0xFF, 0xFE]), "?");
    }

    #[test]
    fn signature_adds_extended_fields_only_where_the_sdm_says() {
        // An Intel Core (family 6, extended model 9, model 0xE, stepping 0xA): 0x000906EA.
        assert_eq!(signature(0x0009_06EA), (6, 0x9E, 0xA));
        // An AMD Zen 2 (family 0xF + 8 = 0x17, extended model 7, model 1): 0x00870F10.
        assert_eq!(signature(0x0087_0F10), (0x17, 0x71, 0));
        // Family 5 ignores both extended fields.
        assert_eq!(signature(0x00F1_0543), (5, 4, 3));
    }

    #[test]
    fn features_read_their_own_register_and_bit() {
        let nx = FEATURES.iter().find(|f| f.name == "nx").unwrap();
        assert!(nx.present_in(Regs {
            edx: 1 << 20,
            ..Regs::default()
        }));
        assert!(!nx.present_in(Regs {
            ecx: 1 << 20,
            ..Regs::default()
        }));
        let names: std::vec::Vec<_> = FEATURES.iter().map(|f| f.name).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "no feature listed twice");
    }

    extern crate std;
}
