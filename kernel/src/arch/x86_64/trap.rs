//! The way into the kernel from an exception or interrupt: one entry stub per vector, one
//! common path that saves every register, and one Rust function that decides what to do.
//!
//! When the CPU takes an exception or interrupt through a 64-bit IDT gate it switches stacks if
//! the gate asks for an IST stack, aligns the stack pointer to 16 bytes, and pushes five values:
//! the interrupted code's SS, RSP, RFLAGS, CS and RIP (SDM Vol. 3A §6.14.2). Some exceptions then
//! push an error code; the rest do not. Nothing else is saved: every general register still
//! holds the interrupted code's value, so the entry code must save them before Rust code runs.
//!
//! Ferrite's entry is built in three layers, so that the unsafe part is small and the same for
//! every vector:
//!
//! 1. **A stub per vector** (256 of them, 16 bytes apart, generated below): it pushes a zero if
//!    the CPU pushed no error code, so every frame has the same shape, then pushes its vector
//!    number, and jumps to the common path.
//! 2. **The common path** (`trap_common`): pushes the fifteen general registers, passes the
//!    stack pointer (which now points at a complete [`TrapFrame`]) to Rust, and on return pops
//!    them, drops the vector and error code, and returns with `iretq`. Any change the handler made
//!    to the frame (a new RIP, say) takes effect then.
//! 3. **[`trap_dispatch`]**, an ordinary Rust function that receives `&mut TrapFrame`.
//!
//! `arch` knows how traps arrive, not what the kernel above does with them: the layers above
//! register [`Hooks`] once at boot (device interrupts, printing a diagnostic, naming a guard
//! page), so the dependencies point one way, from the kernel down into `arch`, never back up.
//!
//! Pushing the registers ourselves, rather than using Rust's `x86-interrupt` calling convention,
//! is what lets a diagnostic show every register, and it gives the scheduler, later, a complete
//! saved state to switch between. The stack arithmetic: 5 CPU words + error code + vector + 15
//! registers = 22 words = 176 bytes, a multiple of 16, so the stack is 16-byte aligned at the
//! `call`, as the System V ABI requires.

use super::user::Next;
use core::arch::global_asm;
use core::fmt;
use spin::Once;

/// A guard page a faulting address lies in, as the layers above know the address space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardPage {
    /// Below the boot (kernel) stack.
    KernelStack,
    /// Below thread `n`'s stack.
    Thread(usize),
    /// Below the exception stack in IST slot `n` (see `gdt`).
    ExceptionStack(u16),
}

/// What the kernel above `arch` provides to the trap path, registered once with [`register`].
#[derive(Clone, Copy)]
pub struct Hooks {
    /// Handles vectors 32 and up (device and APIC interrupts), with interrupts off.
    pub interrupt: fn(&mut TrapFrame),
    /// Prints a diagnostic on every output without waiting for any lock.
    pub report: fn(fmt::Arguments<'_>),
    /// The guard page `address` lies in, if any (to call a double fault a stack overflow).
    pub guard_page: fn(u64) -> Option<GuardPage>,
    /// Handles an exception raised in ring 3 (a user program's fault: the kernel ends the
    /// program, or resolves the fault and returns to retry it). Gets the frame and CR2.
    pub user_exception: fn(&mut TrapFrame, u64) -> Next,
    /// Runs last before any return to ring 3 from an interrupt: where a program is stopped for
    /// a `kill` that arrived while it ran.
    pub returning_to_user: fn(&mut TrapFrame) -> Next,
    /// Tries to resolve a page fault at a user address (a copy-on-write page written, a
    /// demand-zero page touched) hit by the kernel's user-copy routine, given CR2 and the
    /// error code; true if the copy may retry. Called with interrupts on.
    pub resolve_user_fault: fn(u64, u64) -> bool,
}

static HOOKS: Once<Hooks> = Once::new();

/// Registers the kernel's hooks; the first registration wins. Before it, every vector is
/// handled as an unexpected exception.
pub fn register(hooks: Hooks) {
    HOOKS.call_once(|| hooks);
}

/// The registered hooks, if any.
pub(super) fn hooks() -> Option<&'static Hooks> {
    HOOKS.get()
}

/// Bytes between two entry stubs; the IDT finds stub `n` at `trap_stubs + n * STUB_SIZE`.
pub const STUB_SIZE: usize = 16;
/// How many vectors an IDT has.
pub const VECTORS: usize = 256;

/// Everything the interrupted code had in its registers, as the entry code left it on the stack.
/// Lowest address first: the last register pushed comes first.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs, reason = "each field is the register of the same name")]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    /// Pushed by the stub: which vector this is.
    pub vector: u64,
    /// Pushed by the CPU for some exceptions, by the stub (as zero) for the rest.
    pub error_code: u64,
    /// Where the interrupted code was (for a fault: the faulting instruction itself).
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    /// The interrupted code's stack pointer.
    pub rsp: u64,
    pub ss: u64,
}

/// The assembly that pushes the fifteen general registers in the order [`TrapFrame`] lays them
/// out (RAX first, so it ends up highest). Shared by the trap entry and the `syscall` entry.
macro_rules! save_registers {
    () => {
        "push rax\n push rbx\n push rcx\n push rdx\n push rsi\n push rdi\n push rbp\n push r8\n push r9\n push r10\n push r11\n push r12\n push r13\n push r14\n push r15"
    };
}
/// The assembly that pops what [`save_registers`] pushed.
macro_rules! restore_registers {
    () => {
        "pop r15\n pop r14\n pop r13\n pop r12\n pop r11\n pop r10\n pop r9\n pop r8\n pop rbp\n pop rdi\n pop rsi\n pop rdx\n pop rcx\n pop rbx\n pop rax"
    };
}
pub(super) use {restore_registers, save_registers};

/// The 22 words the entry path leaves on the stack; checked against the assembly's arithmetic.
const _: () = assert!(core::mem::size_of::<TrapFrame>() == 22 * 8);

// The stubs. `.rept` repeats the block 256 times with `ferrite_trap_vector` counting up; `.balign` puts each
// stub at a multiple of STUB_SIZE from `trap_stubs` (the longest stub is 12 bytes). The vectors
// with an error code are those listed in `traps::pushes_error_code`, which a test compares.
global_asm!(
    ".section .text.trap_entry, \"ax\"",
    ".balign 16",
    ".global trap_stubs",
    "trap_stubs:",
    ".set ferrite_trap_vector, 0",
    ".rept 256",
    "    .balign 16",
    "    .if (ferrite_trap_vector == 8) || ((ferrite_trap_vector >= 10) && (ferrite_trap_vector <= 14)) || (ferrite_trap_vector == 17) || (ferrite_trap_vector == 21) || (ferrite_trap_vector == 29) || (ferrite_trap_vector == 30)",
    "    .else",
    "        push 0",
    "    .endif",
    "    push ferrite_trap_vector",
    "    jmp trap_common",
    "    .set ferrite_trap_vector, ferrite_trap_vector + 1",
    ".endr",
    ".balign 16",
    ".global trap_stubs_end",
    "trap_stubs_end:",
    "",
    "trap_common:",
    save_registers!(),
    // The ABI wants the direction flag clear on entry to a function; the interrupted code may
    // have set it.
    "    cld",
    // And the alignment-check flag clear, which is SMAP's "allow user access" switch: the CPU
    // does not clear it on an interrupt, so one that arrives during a user copy (AC set by
    // `stac`), or from a program that set AC itself, would run its handler, and any thread it
    // switches to, with SMAP off. `iretq` restores the interrupted flags, AC included.
    // (`clac` would do, but it is an invalid instruction on a CPU without SMAP.)
    "    pushfq",
    "    and qword ptr [rsp], {no_ac}",
    "    popfq",
    "    mov rdi, rsp",
    "    call {dispatch}",
    // The way out, shared with a system call that must restore every register
    // (`user::Next::Restore`).
    ".global ferrite_trap_exit",
    "ferrite_trap_exit:",
    restore_registers!(),
    // Drop the vector and the error code; iretq expects RIP on top.
    "    add rsp, 16",
    "    iretq",
    ".text",
    dispatch = sym trap_dispatch,
    no_ac = const !ALIGNMENT_CHECK_FLAG,
);

/// RFLAGS.AC, bit 18 (SDM Vol. 1 §3.4.3.3).
const ALIGNMENT_CHECK_FLAG: i64 = 1 << 18;

extern "C" {
    /// The first entry stub; stub `n` is `n * STUB_SIZE` bytes further.
    static trap_stubs: u8;
    /// Just past the last stub.
    static trap_stubs_end: u8;
}

/// The address of the entry stub for `vector`.
pub fn stub_address(vector: u8) -> u64 {
    // Only the symbol's address is taken (no unsafe needed); nothing is read through it.
    let base = core::ptr::addr_of!(trap_stubs) as u64;
    base + u64::from(vector) * STUB_SIZE as u64
}

/// Total size of the stubs, for a check that the assembler laid them out as expected.
pub fn stubs_len() -> usize {
    let (start, end) = (
        core::ptr::addr_of!(trap_stubs),
        core::ptr::addr_of!(trap_stubs_end),
    );
    end as usize - start as usize
}

/// Where every exception and interrupt arrives, on whatever stack the IDT gate chose, with
/// interrupts off (every gate is an interrupt gate).
extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    let from_user = super::user::from_user(frame);
    let next = match hooks() {
        Some(hooks) if frame.vector >= u64::from(traps::EXCEPTION_VECTORS) => {
            (hooks.interrupt)(frame);
            if from_user {
                (hooks.returning_to_user)(frame)
            } else {
                Next::Resume
            }
        }
        Some(hooks) if from_user => {
            let cr2 = ::x86_64::registers::control::Cr2::read_raw();
            match (hooks.user_exception)(frame, cr2) {
                Next::Resume | Next::Restore => (hooks.returning_to_user)(frame),
                Next::Leave => Next::Leave,
            }
        }
        _ => {
            super::exceptions::handle(frame);
            Next::Resume
        }
    };
    super::user::follow(next);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test_case]
    fn stubs_are_evenly_spaced() {
        assert_eq!(stubs_len(), VECTORS * STUB_SIZE);
    }

    #[test_case]
    fn stubs_push_an_error_code_placeholder_exactly_where_the_cpu_does_not() {
        // A stub that pushes a placeholder starts with `push 0` (6A 00); one that does not
        // starts with `push vector` (6A vector, or 68 imm32 above 127).
        for vector in 0..=u8::MAX {
            // SAFETY: a stub's first four bytes are code in the kernel image, mapped readable.
            let bytes = unsafe { core::ptr::read(stub_address(vector) as *const [u8; 4]) };
            let placeholder = if vector == 0 {
                // Vector 0's own number is also `push 0`.
                bytes == [0x6A, 0x00, 0x6A, 0x00]
            } else {
                bytes[..2] == [0x6A, 0x00]
            };
            let expected = vector >= traps::EXCEPTION_VECTORS || !traps::pushes_error_code(vector);
            assert_eq!(placeholder, expected, "vector {vector}");
        }
    }
}
