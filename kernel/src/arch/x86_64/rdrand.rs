//! The CPU's random-number instructions, `RDRAND` and `RDSEED`, where the CPU has them.
//!
//! Both set the carry flag when they deliver a value and clear it (with a zero result) when the
//! generator is momentarily exhausted; Intel's DRNG guide (§5.2.1) says to retry `RDRAND` up to
//! ten times, after which failure means a broken generator, and that `RDSEED`, which hands out
//! the conditioned entropy itself rather than a generator's output, may fail more often. CPUID
//! says whether each exists: leaf 1 ECX bit 30 (`RDRAND`), leaf 7 EBX bit 18 (`RDSEED`) (SDM
//! Vol. 2B, "RDRAND" and "RDSEED"). QEMU's `-cpu max` emulates `RDRAND` but (measured under
//! TCG) does not list `RDSEED`; its older default models have neither, and then the kernel's
//! generator is seeded from timing alone.

use super::cpuid;

/// Leaf 1, ECX: `RDRAND` exists.
const CPUID_1_ECX_RDRAND: u32 = 1 << 30;
/// Leaf 7, EBX: `RDSEED` exists.
const CPUID_7_EBX_RDSEED: u32 = 1 << 18;
/// Tries before a failing instruction is given up on (Intel's advice for `RDRAND`).
const RETRIES: usize = 10;

/// Whether the CPU has `RDRAND`.
pub fn has_rdrand() -> bool {
    cpuid::leaf(1).ecx & CPUID_1_ECX_RDRAND != 0
}

/// Whether the CPU has `RDSEED`.
pub fn has_rdseed() -> bool {
    cpuid::leaf(7).ebx & CPUID_7_EBX_RDSEED != 0
}

/// Runs `once` until it delivers, at most [`RETRIES`] times; `None` at once if `present` is
/// false (the CPU lacks the instruction).
fn retried(present: bool, once: fn() -> Option<u64>) -> Option<u64> {
    if !present {
        return None;
    }
    (0..RETRIES).find_map(|_| once())
}

/// One try of the random-number instruction `$instruction`: its value if it set the carry flag.
macro_rules! one_try {
    ($instruction:literal) => {
        || {
            let (value, ok): (u64, u8);
            // SAFETY: `retried` runs this only where CPUID lists the instruction; it writes
            // only the two named registers and the flags, and touches no memory.
            unsafe {
                core::arch::asm!(concat!($instruction, " {v}"), "setc {ok}", v = out(reg) value,
                    ok = out(reg_byte) ok, options(nomem, nostack));
            }
            (ok != 0).then_some(value)
        }
    };
}

/// 64 random bits from `RDRAND`, or `None` if the CPU lacks it or it kept failing.
pub fn rdrand() -> Option<u64> {
    retried(has_rdrand(), one_try!("rdrand"))
}

/// 64 bits of entropy from `RDSEED`, or `None` if the CPU lacks it or it kept failing.
pub fn rdseed() -> Option<u64> {
    retried(has_rdseed(), one_try!("rdseed"))
}
