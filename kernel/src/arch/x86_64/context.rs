//! The context switch: the one place where the CPU stops running one thread and starts running
//! another.
//!
//! A thread that is not running is just a stack. When it was switched away from, it was inside
//! `switch`, an ordinary function call, so everything the System V calling convention lets a
//! callee destroy (RAX, RCX, RDX, RSI, RDI, R8-R11, the flags) was already considered lost by its
//! caller. `switch` therefore saves exactly the *callee-saved* registers (RBX, RBP, R12-R15) by
//! pushing them, stores the stack pointer in the old thread's record, loads the new thread's
//! stack pointer, pops the new thread's callee-saved registers and returns, into the new thread,
//! at the point where it once called `switch`. Six pushes, six pops, two moves.
//!
//! A thread interrupted by the timer is no exception: the trap entry saved all its registers in
//! a trap frame on its stack, and the timer handler called `switch` from there. When the thread
//! is switched back, `switch` returns into the handler, the handler returns into the trap entry,
//! and the trap entry restores the rest and `iretq`s to where the thread was interrupted.
//!
//! A new thread's stack is prepared to look as if it had called `switch`: zero registers but for
//! RBX, which holds the thread's entry function, and a return address, the trampoline, which
//! calls it. Passing the entry in a register keeps this file free of any knowledge of the
//! scheduler above it: `arch` provides the mechanism, `sched` decides what runs.

use core::arch::global_asm;

/// The assembly that pushes the callee-saved registers (what a function call must preserve),
/// in the order [`SAVED_REGISTERS`] and [`RBX_SLOT`] describe. Shared with `user::enter`.
macro_rules! save_callee_saved {
    () => {
        "push rbp\n push rbx\n push r12\n push r13\n push r14\n push r15"
    };
}
/// The assembly that pops what [`save_callee_saved`] pushed.
macro_rules! restore_callee_saved {
    () => {
        "pop r15\n pop r14\n pop r13\n pop r12\n pop rbx\n pop rbp"
    };
}
pub(super) use {restore_callee_saved, save_callee_saved};

global_asm!(
    ".section .text.ferrite_switch, \"ax\"",
    ".global ferrite_switch",
    // rdi: where to store the old stack pointer; rsi: the new stack pointer.
    "ferrite_switch:",
    save_callee_saved!(),
    "    mov [rdi], rsp",
    "    mov rsp, rsi",
    restore_callee_saved!(),
    "    ret",
    "",
    // A new thread's first `ret` lands here, with its stack aligned as at a function's entry
    // plus the return address that was popped, and its entry function in RBX (see
    // `prepare_stack`): align the stack for a call, then enter Rust. The entry never returns.
    ".global ferrite_thread_trampoline",
    "ferrite_thread_trampoline:",
    "    and rsp, -16",
    "    call rbx",
    "    ud2",
    ".text",
);

extern "C" {
    fn ferrite_switch(old_rsp: *mut u64, new_rsp: u64);
    fn ferrite_thread_trampoline();
}

/// The callee-saved registers `switch` pushes.
const SAVED_REGISTERS: usize = 6;
/// Where RBX sits among them, counted from the stack pointer: `switch` pops R15, R14, R13,
/// R12, RBX, RBP, in that order.
const RBX_SLOT: usize = 4;

/// Switches stacks: saves the running thread's stack pointer to `*old_rsp` and continues the
/// thread whose stack pointer is `new_rsp`. Returns when something switches back.
///
/// # Safety
///
/// Interrupts must be off. `old_rsp` must be the running thread's record; `new_rsp` must be a
/// stack pointer that `switch` saved, or one [`prepare_stack`] made, for a thread that is not
/// running.
pub unsafe fn switch(old_rsp: *mut u64, new_rsp: u64) {
    // SAFETY: the caller's contract; the assembly saves and restores every callee-saved register
    // and the stack pointer, which is all a function call must preserve.
    unsafe { ferrite_switch(old_rsp, new_rsp) }
}

/// Writes a first frame for `switch` at the top of a fresh stack ending at `top` (16-byte
/// aligned), so that the first switch to it calls `entry` on that stack with interrupts as the
/// switch left them (off); returns the stack pointer to switch to.
///
/// # Safety
///
/// `top - 8 * 8 .. top` must be writable memory of a stack no one uses.
pub unsafe fn prepare_stack(top: u64, entry: extern "C" fn() -> !) -> u64 {
    let frame = top - 8 * (SAVED_REGISTERS as u64 + 2);
    let words = frame as *mut u64;
    // SAFETY: the caller guarantees these words are writable and unused.
    unsafe {
        for i in 0..SAVED_REGISTERS {
            words.add(i).write(0);
        }
        words.add(RBX_SLOT).write(entry as usize as u64);
        words
            .add(SAVED_REGISTERS)
            .write(ferrite_thread_trampoline as usize as u64);
        words.add(SAVED_REGISTERS + 1).write(0);
    }
    frame
}
