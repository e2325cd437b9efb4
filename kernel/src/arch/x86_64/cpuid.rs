//! Asking the processor about itself with `cpuid`; the `cpuinfo` crate decodes the answers.

use cpuinfo::Regs;

/// Runs `cpuid` for `leaf` (sub-leaf 0).
pub fn cpuid(leaf: u32) -> Regs {
    // SAFETY: `cpuid` exists on every x86_64 CPU; it only writes the four result registers. A
    // leaf beyond the CPU's maximum returns the highest basic leaf's data, not a fault, and the
    // callers check the maximum first.
    let r = unsafe { core::arch::x86_64::__cpuid_count(leaf, 0) };
    Regs {
        eax: r.eax,
        ebx: r.ebx,
        ecx: r.ecx,
        edx: r.edx,
    }
}

/// The highest basic and extended leaves the CPU answers.
pub fn max_leaves() -> (u32, u32) {
    (cpuid(0).eax, cpuid(0x8000_0000).eax)
}

/// The answer for `leaf`, or all zeros if the CPU does not have that leaf.
pub fn leaf(leaf: u32) -> Regs {
    let (basic, extended) = max_leaves();
    let supported = if leaf >= 0x8000_0000 {
        leaf <= extended
    } else {
        leaf <= basic
    };
    if supported {
        cpuid(leaf)
    } else {
        Regs::default()
    }
}
