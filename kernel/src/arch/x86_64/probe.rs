//! Probes: run one instruction that may fault, and get the fault back as a value instead of a
//! dead kernel.
//!
//! Real kernels need this wherever they touch memory they cannot vouch for: Linux's
//! `copy_from_user` keeps a table of instructions that may fault and the address to continue at
//! if they do (its "exception table"). Ferrite's version is smaller. Before the instruction runs,
//! the probe *arms* the trap handler with the vector it expects and writes the address to resume
//! at; if that exception arrives, the handler records what the CPU reported and returns to the
//! resume address instead of the faulting instruction. If it does not arrive, the probe disarms
//! and reports that the instruction ran.
//!
//! The exception tests use probes to check the CPU's reports exactly (the faulting RIP, CR2, the
//! error code), and the console's `fault` command uses them to show a real diagnostic and then
//! carry on. A fault that was not expected still ends in the fatal path of
//! [`super::exceptions`].
//!
//! Probes are for one CPU with interrupts off around the probed instruction; nothing else can
//! arm the handler in between.

use core::arch::asm;
use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use traps::vector;

/// What the CPU reported when a probed instruction faulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// The exception vector.
    pub vector: u8,
    /// The error code (zero for exceptions that push none).
    pub error_code: u64,
    /// The address of the instruction that faulted, as the CPU pushed it.
    pub rip: u64,
    /// CR2 at the time of the exception: the faulting address, for a page fault.
    pub cr2: u64,
}

/// A probe's result: where the probed instruction was, and the fault if it raised one.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    /// Address of the probed instruction.
    pub instruction: u64,
    /// The fault, if the instruction raised the expected exception.
    pub fault: Option<Fault>,
}

/// Whether a caught fault's diagnostic is printed (see [`reporting`]).
static REPORT: AtomicBool = AtomicBool::new(false);

/// Runs `probe` with the trap handler printing the full diagnostic of the fault it catches, as it
/// would for an unexpected one (the console's `fault` command uses this).
pub fn reporting<R>(probe: impl FnOnce() -> R) -> R {
    REPORT.store(true, Ordering::Relaxed);
    let result = probe();
    REPORT.store(false, Ordering::Relaxed);
    result
}

/// Whether the handler should print the diagnostic of a caught fault.
pub(super) fn report_caught() -> bool {
    REPORT.load(Ordering::Relaxed)
}

/// No vector armed.
const DISARMED: u16 = u16::MAX;
/// The vector the handler should catch, or [`DISARMED`].
static ARMED: AtomicU16 = AtomicU16::new(DISARMED);
/// Where the handler resumes a caught fault. Written by the probe's own assembly.
static RESUME: AtomicU64 = AtomicU64::new(0);
/// What the handler saw: vector (or DISARMED for nothing), error code, RIP, CR2.
static CAUGHT_VECTOR: AtomicU16 = AtomicU16::new(DISARMED);
static CAUGHT_ERROR: AtomicU64 = AtomicU64::new(0);
static CAUGHT_RIP: AtomicU64 = AtomicU64::new(0);
static CAUGHT_CR2: AtomicU64 = AtomicU64::new(0);

/// Called by the trap handler for every exception. If `vector` is the armed one, records the
/// fault and returns where to resume; the handler then returns there.
pub(super) fn catch(vector: u8, error_code: u64, rip: u64, cr2: u64) -> Option<u64> {
    if ARMED.load(Ordering::Acquire) != u16::from(vector) {
        return None;
    }
    ARMED.store(DISARMED, Ordering::Relaxed);
    CAUGHT_ERROR.store(error_code, Ordering::Relaxed);
    CAUGHT_RIP.store(rip, Ordering::Relaxed);
    CAUGHT_CR2.store(cr2, Ordering::Relaxed);
    CAUGHT_VECTOR.store(u16::from(vector), Ordering::Release);
    Some(RESUME.load(Ordering::Relaxed))
}

/// Whether a probe is armed: the handler then reports a fault as expected, not as fatal.
pub(super) fn armed() -> bool {
    ARMED.load(Ordering::Relaxed) != DISARMED
}

fn arm(vector: u8) {
    CAUGHT_VECTOR.store(DISARMED, Ordering::Relaxed);
    ARMED.store(u16::from(vector), Ordering::Release);
}

fn finish(instruction: u64) -> Probe {
    ARMED.store(DISARMED, Ordering::Relaxed);
    let vector = CAUGHT_VECTOR.swap(DISARMED, Ordering::Acquire);
    let fault = (vector != DISARMED).then(|| Fault {
        vector: vector as u8,
        error_code: CAUGHT_ERROR.load(Ordering::Relaxed),
        rip: CAUGHT_RIP.load(Ordering::Relaxed),
        cr2: CAUGHT_CR2.load(Ordering::Relaxed),
    });
    Probe { instruction, fault }
}

/// Runs one instruction (`$insn`, with its operands) as a probe for exception `$vector`.
///
/// The assembly stores the address of label `3` (just after the instruction) in [`RESUME`] and
/// returns the address of label `2` (the instruction) for comparison with the CPU's RIP.
macro_rules! probe {
    ($vector:expr, $insn:literal $(, $($operands:tt)*)?) => {{
        arm($vector);
        let instruction: u64;
        // SAFETY: see each caller; the common part stores to a static through its symbol and
        // computes two addresses, touching nothing else.
        unsafe {
            asm!(
                "lea {tmp}, [rip + 3f]",
                "mov qword ptr [rip + {resume}], {tmp}",
                "lea {instruction}, [rip + 2f]",
                "2:",
                $insn,
                "3:",
                tmp = out(reg) _,
                instruction = out(reg) instruction,
                resume = sym RESUME,
                $($($operands)*)?
            );
        }
        finish(instruction)
    }};
}

/// Divides by zero (`div` with a zero divisor): raises #DE.
pub fn divide_by_zero() -> Probe {
    // The dividend (edx:eax) and divisor are registers the asm owns; a zero divisor faults before
    // anything is written, and if it did not the quotient lands in eax/edx, declared clobbered.
    probe!(
        vector::DIVIDE_ERROR,
        "div {divisor:e}",
        divisor = in(reg) 0u32,
        inout("eax") 1u32 => _,
        inout("edx") 0u32 => _,
    )
}

/// Executes `ud2`, the instruction defined to be invalid: raises #UD.
pub fn invalid_opcode() -> Probe {
    probe!(vector::INVALID_OPCODE, "ud2")
}

/// Executes `int3`, which raises #BP. The handler counts it and resumes after it by itself,
/// as a debugger's breakpoint would, so this needs no arming.
pub fn breakpoint() {
    ::x86_64::instructions::interrupts::int3();
}

/// Reads the 8 bytes at `address`: a page fault if it is not mapped, a general protection fault
/// if it is not canonical. Returns the value if the read worked.
///
/// # Safety
///
/// A read that does not fault really happens: `address` must not be a device register whose
/// read has an effect (a receive buffer, an interrupt acknowledge). Unmapped, non-canonical and
/// ordinary memory addresses are all fine.
pub unsafe fn read(address: u64) -> (Probe, Option<u64>) {
    let value: u64;
    let vector = if is_canonical(address) {
        vector::PAGE_FAULT
    } else {
        vector::GENERAL_PROTECTION
    };
    let probe = probe!(
        vector,
        "mov {value}, qword ptr [{address}]",
        address = in(reg) address,
        value = inout(reg) 0u64 => value,
    );
    let worked = probe.fault.is_none();
    (probe, worked.then_some(value))
}

/// Writes `value` to the 8 bytes at `address`, faulting as [`read`] does, and also on a page
/// that is mapped read-only.
///
/// # Safety
///
/// If the write does not fault it really happens: `address` must be memory that may be
/// overwritten with `value`, or memory the caller knows will fault.
pub unsafe fn write(address: u64, value: u64) -> Probe {
    let vector = if is_canonical(address) {
        vector::PAGE_FAULT
    } else {
        vector::GENERAL_PROTECTION
    };
    probe!(
        vector,
        "mov qword ptr [{address}], {value}",
        address = in(reg) address,
        value = in(reg) value,
    )
}

/// Whether `address` is canonical: bits 48-63 copy bit 47.
pub fn is_canonical(address: u64) -> bool {
    let top = address >> 47;
    top == 0 || top == 0x1_FFFF
}
