//! Touching user memory from the kernel: one copy routine that may fault, and the CPU features
//! that keep the kernel from touching user memory any other way.
//!
//! A pointer a program passes to a system call is an *allegation*: it may point at nothing, at
//! memory the program may not write, or at the kernel. The layer above checks the range (no
//! overflow, below the user limit); this routine does the rest by letting the MMU check each
//! page as it copies. If a page is missing or has the wrong permission, the page fault arrives
//! with RIP inside [`copy`]'s `rep movsq` or `rep movsb`; the exception handler sees that
//! ([`fault_fixup`]) and resumes at the routine's fixup label, which reports a fault instead of
//! the kernel dying. This is Linux's "exception table" in its smallest form. Checking the page
//! tables first and then copying would be slower and also wrong: another thread of the process
//! could unmap the page between the check and the copy; the MMU's check happens at the very
//! access.
//!
//! Three CPU features make mistakes elsewhere loud (SDM Vol. 3A §4.6, §2.5):
//!
//! * **SMEP** (supervisor-mode execution prevention): the CPU refuses to execute user pages in
//!   ring 0, so a kernel bug that jumps to a user address faults instead of running the
//!   program's code with the kernel's privilege.
//! * **SMAP** (supervisor-mode access prevention): the kernel may not read or write user pages
//!   either, *unless* the flags' AC bit is set. [`copy`] sets it (`stac`) for the copy alone and
//!   clears it (`clac`) after, so a stray dereference of a user pointer anywhere else faults.
//! * **UMIP** (user-mode instruction prevention): `sgdt`, `sidt`, `sldt`, `smsw` and `str` fault
//!   in ring 3, so a program cannot learn where the kernel keeps its tables.
//!
//! Each is turned on only where `cpuid` reports it ([`enable_protections`]); `cpu` shows which.

use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, Ordering};
use x86_64::registers::control::{Cr4, Cr4Flags};

/// Whether SMAP is on, so the copy routine must `stac`/`clac` (the instructions fault on a CPU
/// without SMAP).
static SMAP: AtomicBool = AtomicBool::new(false);

/// Which protections [`enable_protections`] turned on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Protections {
    /// Supervisor-mode execution prevention.
    pub smep: bool,
    /// Supervisor-mode access prevention.
    pub smap: bool,
    /// User-mode instruction prevention.
    pub umip: bool,
}

/// CPUID leaf 7 (structured extended features), sub-leaf 0: EBX bit 7 is SMEP, bit 20 SMAP;
/// ECX bit 2 is UMIP.
const FEATURES_LEAF: u32 = 7;
const EBX_SMEP: u32 = 1 << 7;
const EBX_SMAP: u32 = 1 << 20;
const ECX_UMIP: u32 = 1 << 2;

/// The protections this CPU offers (without turning anything on).
pub fn available() -> Protections {
    let regs = super::cpuid::leaf(FEATURES_LEAF);
    Protections {
        smep: regs.ebx & EBX_SMEP != 0,
        smap: regs.ebx & EBX_SMAP != 0,
        umip: regs.ecx & ECX_UMIP != 0,
    }
}

/// The protections in force now (read from CR4).
pub fn enabled() -> Protections {
    let cr4 = Cr4::read();
    Protections {
        smep: cr4.contains(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION),
        smap: cr4.contains(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION),
        umip: cr4.contains(Cr4Flags::USER_MODE_INSTRUCTION_PREVENTION),
    }
}

/// Turns on every protection the CPU has. Call once, at boot, before any user program runs.
pub fn enable_protections() -> Protections {
    let have = available();
    let mut flags = Cr4Flags::empty();
    flags.set(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION, have.smep);
    flags.set(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION, have.smap);
    flags.set(Cr4Flags::USER_MODE_INSTRUCTION_PREVENTION, have.umip);
    // SAFETY: the kernel never executes user pages (SMEP), touches user memory only in `copy`,
    // which sets AC around the access (SMAP), and never runs the UMIP instructions in ring 3.
    // The features are only set where CPUID reports them, so the write cannot fault.
    unsafe { Cr4::update(|cr4| cr4.insert(flags)) };
    SMAP.store(have.smap, Ordering::Relaxed);
    have
}

global_asm!(
    ".section .text.user_copy, \"ax\"",
    // copy(dst: rdi, src: rsi, len: rdx, smap: cl) -> rax: 0 copied, 1 faulted.
    ".global ferrite_user_copy",
    "ferrite_user_copy:",
    "    test cl, cl",
    "    jz 1f",
    "    stac",
    "1:",
    "    mov r8, rcx",
    // Eight bytes a step while eight remain, then the rest a byte at a time: a 4 KiB copy is
    // 512 steps rather than 4,096 (and under `-icount` each step counts as an instruction).
    "    mov rcx, rdx",
    "    shr rcx, 3",
    ".global ferrite_user_copy_access",
    "ferrite_user_copy_access:",
    "    rep movsq",
    "    mov rcx, rdx",
    "    and rcx, 7",
    "    rep movsb",
    ".global ferrite_user_copy_access_end",
    "ferrite_user_copy_access_end:",
    "    xor eax, eax",
    "    jmp 3f",
    ".global ferrite_user_copy_fixup",
    "ferrite_user_copy_fixup:",
    "    mov eax, 1",
    "3:",
    "    test r8b, r8b",
    "    jz 4f",
    "    clac",
    "4:",
    "    ret",
    ".text",
);

extern "C" {
    fn ferrite_user_copy(dst: *mut u8, src: *const u8, len: usize, smap: bool) -> u64;
    static ferrite_user_copy_access: u8;
    static ferrite_user_copy_access_end: u8;
    static ferrite_user_copy_fixup: u8;
}

/// A copy to or from user memory hit a page it may not touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyFault;

/// Copies `len` bytes from `src` to `dst`, one of which is a user address, with SMAP lifted for
/// the copy alone; a fault on the way returns [`CopyFault`] (some bytes may have been copied).
///
/// # Safety
///
/// The kernel side of the copy must be valid for `len` bytes (readable at `src` or writable at
/// `dst`); the user side must lie entirely below the user limit (checked by the caller), so that
/// a fault is the only thing that can go wrong there.
pub unsafe fn copy(dst: *mut u8, src: *const u8, len: usize) -> Result<(), CopyFault> {
    // SAFETY: the caller's contract; a fault inside the routine's accesses is turned into a
    // return value by `fault_fixup`.
    let faulted = unsafe { ferrite_user_copy(dst, src, len, SMAP.load(Ordering::Relaxed)) };
    if faulted == 0 {
        Ok(())
    } else {
        Err(CopyFault)
    }
}

/// If `rip` is one of the copy routine's accesses, where to resume instead (the page fault
/// handler asks).
pub fn fault_fixup(rip: u64) -> Option<u64> {
    let start = core::ptr::addr_of!(ferrite_user_copy_access) as u64;
    let end = core::ptr::addr_of!(ferrite_user_copy_access_end) as u64;
    (start..end)
        .contains(&rip)
        .then_some(core::ptr::addr_of!(ferrite_user_copy_fixup) as u64)
}
