//! Crossing between ring 0 and ring 3: the first entry into a user program, the `syscall` entry
//! and its `sysret` return, and the way back to the kernel when a program ends.
//!
//! **Into user mode.** Nothing "calls" a user program. The kernel builds the frame an interrupt
//! from user mode would have pushed (the program's RIP and RSP, user code and data selectors,
//! flags with interrupts on) and executes `iretq`, which pops it and drops to ring 3
//! ([`enter`]). Before that, `enter` saves the kernel's callee-saved registers and stack
//! pointer, so that the kernel can later return from `enter` as if the program had been a long
//! function call: that is how a process's kernel thread continues after `exit`, or after the
//! kernel ends the program for a fault or a `kill`.
//!
//! **Out for good.** The handlers above `arch` (the system-call handler and the trap hooks)
//! never jump out themselves: each returns a [`Next`], and only when it has returned, its locals
//! dropped, does the dispatcher here follow a [`Next::Leave`] ([`follow`]). So the one jump that
//! abandons kernel frames abandons only the entry stub's and the dispatcher's, which own
//! nothing: that is checked by reading one function, not every path that can end a program.
//!
//! **Back in, by `syscall`.** `syscall` is the fast way in (SDM Vol. 2B, SYSCALL): it loads RIP
//! from the LSTAR register, saves the return address in RCX and the flags in R11, masks the
//! flags with SFMASK, and switches CS and SS to the kernel's, all without touching memory. It
//! does *not* switch stacks: RSP is still the user's, a value the kernel must not trust or even
//! push to. The entry needs a place to find its own stack, reachable with no free register:
//! that is the *per-CPU area*, addressed through the GS segment base. `swapgs` exchanges the GS
//! base with the KernelGSBase register, which holds this CPU's [`PerCpu`]; the entry stashes
//! the user RSP there, loads the kernel RSP, and `swapgs`es back at once. Ferrite's kernel never
//! uses GS otherwise, so interrupts need no `swapgs` of their own, the source of a whole class
//! of bugs elsewhere. With one `PerCpu` per CPU, the same code serves a multiprocessor.
//!
//! The entry then pushes the same [`TrapFrame`] the interrupt path builds (with vector
//! [`SYSCALL_VECTOR`]), so the dispatcher, `ps`, diagnostics and `fork` see one shape.
//!
//! **Out, by `sysret`.** `sysret` restores RIP from RCX and the flags from R11 and returns to
//! ring 3. It has a trap (the "sysret bug", CVE-2012-0217): if RCX holds a non-canonical
//! address, Intel CPUs raise the general-protection fault *after* switching to ring 0 state but
//! *on the user's stack pointer*, which the program chose; with several CPUs that is a way to
//! take over the kernel. So the exit checks RCX first and returns through `iretq` when it is not
//! canonical: `iretq` checks the address while still on the kernel stack. (The kernel also keeps
//! the last page below the canonical boundary unmapped, so no `syscall` instruction can sit
//! where the next address is non-canonical.)

use super::context::{restore_callee_saved, save_callee_saved};
use super::trap::{restore_registers, save_registers, TrapFrame};
use core::arch::global_asm;
use core::cell::UnsafeCell;
use x86_64::registers::model_specific::{
    Efer, EferFlags, GsBase, KernelGsBase, LStar, SFMask, Star,
};
use x86_64::registers::rflags::RFlags;
use x86_64::VirtAddr;

/// The `vector` field of a trap frame built by the `syscall` entry: beyond the 256 real ones.
pub const SYSCALL_VECTOR: u64 = 0x100;

/// RFLAGS bit 1, which is always set.
const RFLAGS_RESERVED: u64 = 1 << 1;
/// The flags a user program starts with: interrupts on, everything else clear.
pub const USER_RFLAGS: u64 = RFlags::INTERRUPT_FLAG.bits() | RFLAGS_RESERVED;

/// What the `syscall` entry finds through GS: one per CPU.
#[repr(C)]
pub struct PerCpu {
    /// Where the running thread's kernel stack starts (offset 0, used by the entry).
    kernel_rsp: UnsafeCell<u64>,
    /// The user's RSP, parked during the entry (offset 8).
    user_rsp: UnsafeCell<u64>,
}

// SAFETY: each CPU's area is touched only by that CPU: by the entry stub with interrupts off, and
// by `set_kernel_stack` with interrupts off during a switch.
unsafe impl Sync for PerCpu {}

/// This (only) CPU's area.
static PER_CPU: PerCpu = PerCpu {
    kernel_rsp: UnsafeCell::new(0),
    user_rsp: UnsafeCell::new(0),
};

/// Makes `top` the stack this CPU enters the kernel on from user mode, by `syscall` (the
/// per-CPU area) and by interrupts and exceptions (the TSS's `rsp0`). Call with interrupts off.
pub fn set_kernel_stack(top: u64) {
    // SAFETY: interrupts are off (the caller's duty), so the entry stub, the only other user of
    // the area on this CPU, cannot run meanwhile.
    unsafe { *PER_CPU.kernel_rsp.get() = top };
    super::gdt::set_kernel_stack(top);
}

/// The flags `syscall` clears on entry (SFMASK): interrupts (the entry runs on the user's stack
/// until it has switched), single-step, direction (the ABI wants it clear), alignment check (so
/// SMAP is on until the kernel itself says otherwise) and nested task.
const SYSCALL_FLAG_MASK: RFlags = RFlags::INTERRUPT_FLAG
    .union(RFlags::TRAP_FLAG)
    .union(RFlags::DIRECTION_FLAG)
    .union(RFlags::ALIGNMENT_CHECK)
    .union(RFlags::NESTED_TASK);

/// Turns on `syscall`: its target, its flag mask, the selectors it and `sysret` load, and the
/// per-CPU area GS reaches. Call once per CPU, after [`super::gdt::init`].
pub fn init(segments: &super::gdt::Segments) {
    Star::write(
        segments.user_code,
        segments.user_data,
        segments.kernel_code,
        segments.kernel_data,
    )
    .expect("the GDT lays the segments out in the order STAR needs");
    LStar::write(VirtAddr::new(ferrite_syscall_entry as usize as u64));
    SFMask::write(SYSCALL_FLAG_MASK);
    KernelGsBase::write(VirtAddr::from_ptr(&PER_CPU));
    GsBase::write(VirtAddr::zero());
    // SAFETY: setting SCE only enables the `syscall` instruction, whose target was just set.
    unsafe { Efer::update(|flags| flags.insert(EferFlags::SYSTEM_CALL_EXTENSIONS)) };
}

global_asm!(
    ".section .text.user_entry, \"ax\"",
    ".global ferrite_syscall_entry",
    "ferrite_syscall_entry:",
    // On the user's stack, interrupts off (SFMASK): find the kernel stack through GS.
    "    swapgs",
    "    mov gs:[8], rsp",
    "    mov rsp, gs:[0]",
    "    push {user_ss}",
    "    push qword ptr gs:[8]",
    "    swapgs",
    // The rest of an interrupt-shaped frame: flags (R11), CS, RIP (RCX), error code, vector.
    "    push r11",
    "    push {user_cs}",
    "    push rcx",
    "    push 0",
    "    push {vector}",
    save_registers!(),
    "    mov rdi, rsp",
    "    call {dispatch}",
    ".global ferrite_return_to_user",
    "ferrite_return_to_user:",
    "    cli",
    restore_registers!(),
    "    add rsp, 16",
    // Now RIP, CS, RFLAGS, RSP, SS. `sysret` if RIP is canonical (bits 63-47 all equal), else
    // `iretq`. Either way RCX and R11 end up as RIP and RFLAGS, as `syscall` left them.
    "    mov rcx, [rsp]",
    "    mov r11, rcx",
    "    shl r11, 16",
    "    sar r11, 16",
    "    cmp r11, rcx",
    "    mov r11, [rsp + 16]",
    "    jne 2f",
    "    mov rsp, [rsp + 24]",
    "    sysretq",
    "2:",
    "    iretq",
    "",
    // enter(frame: rdi, on_stack: rsi). Saves what a call must preserve; below that, at a
    // 16-byte boundary, the *top* of the kernel stack for this program's traps begins, and the
    // slot just above it keeps the saved registers' address for `leave`. Tells `on_stack` (in
    // Rust) where the top is, then loads the frame and drops to ring 3.
    ".global ferrite_enter_user",
    "ferrite_enter_user:",
    save_callee_saved!(),
    "    mov rax, rsp",
    "    and rsp, -16",
    "    sub rsp, 16",
    "    mov [rsp], rax",
    "    mov rbx, rdi",
    "    mov rdi, rsp",
    "    call rsi",
    "    cli",
    "    mov rsp, rbx",
    "    jmp ferrite_return_to_user",
    "",
    // leave(top: rdi): back onto the stack `enter` saved (its address is in the slot at `top`),
    // and return from `enter`.
    ".global ferrite_leave_user",
    "ferrite_leave_user:",
    "    mov rsp, [rdi]",
    restore_callee_saved!(),
    "    ret",
    "",
    // restore(frame: rdi): onto the frame, and out through the trap path's exit (every
    // register popped, then `iretq`).
    ".global ferrite_restore_user",
    "ferrite_restore_user:",
    "    cli",
    "    mov rsp, rdi",
    "    jmp ferrite_trap_exit",
    ".text",
    user_ss = const USER_SS,
    user_cs = const USER_CS,
    vector = const SYSCALL_VECTOR,
    dispatch = sym syscall_dispatch,
);

/// Bytes per GDT descriptor: a selector is the index times this, plus the privilege level.
const DESCRIPTOR_SIZE: u64 = 8;
/// Ring 3, the requested privilege level in the low bits of a user selector.
const RING_3: u64 = 3;
/// The user data selector with RPL 3, as `sysret` loads it (GDT index 3).
const USER_SS: u64 = (3 * DESCRIPTOR_SIZE) | RING_3;
/// The user code selector with RPL 3, as `sysret` loads it (GDT index 4).
const USER_CS: u64 = (4 * DESCRIPTOR_SIZE) | RING_3;

extern "C" {
    fn ferrite_syscall_entry();
    fn ferrite_enter_user(frame: *const TrapFrame, on_stack: extern "C" fn(u64));
    fn ferrite_leave_user(top: u64) -> !;
    fn ferrite_restore_user(frame: *const TrapFrame) -> !;
}

/// What the kernel does once a handler of a trap from ring 3 has returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Next {
    /// Back to the program, with the (possibly changed) frame.
    Resume,
    /// The program is over: return from the [`enter`] that started it.
    Leave,
    /// Back to the program with *every* register as the frame holds it. After a system call
    /// that replaced the whole frame (`rt_sigreturn`), `sysret` would not do: it loads RCX and
    /// R11 with RIP and RFLAGS, and the interrupted code may have been using them. This returns
    /// through the trap path's `iretq` instead. (From the trap path, it is the same as
    /// [`Next::Resume`].)
    Restore,
}

/// Bytes of the `syscall` instruction (0F 05): a call restarted after a signal goes back this
/// far, so the program executes it again.
pub const SYSCALL_INSTRUCTION_LEN: u64 = 2;

/// Whether `address` lies in the lower, user half of the address space (bit 47 clear and
/// canonical): the only place a frame a program handed the kernel may send RIP or RSP, since a
/// non-canonical RIP would make the return instruction itself fault, in ring 0.
pub const fn is_user_address(address: u64) -> bool {
    address < 1 << 47
}

/// The handler of system calls, registered once by the kernel above `arch`.
static HANDLER: spin::Once<fn(&mut TrapFrame) -> Next> = spin::Once::new();

/// Registers the system-call handler (the first registration wins).
pub fn register(handler: fn(&mut TrapFrame) -> Next) {
    HANDLER.call_once(|| handler);
}

/// Called by the entry stub on the thread's kernel stack, interrupts still off.
extern "C" fn syscall_dispatch(frame: &mut TrapFrame) {
    let next = match HANDLER.get() {
        Some(handler) => handler(frame),
        None => {
            frame.rax = (-38i64) as u64; // ENOSYS; nothing registered yet
            Next::Resume
        }
    };
    // One test on the common way out; the rare ones are handled out of line.
    if next != Next::Resume {
        leave_or_restore(frame, next);
    }
}

/// The rare ways out of a system call: [`Next::Leave`] and [`Next::Restore`].
#[cold]
#[inline(never)]
fn leave_or_restore(frame: &mut TrapFrame, next: Next) {
    if next == Next::Restore {
        // SAFETY: `frame` is the entry stub's frame on this thread's kernel stack, in the trap
        // path's layout (the stub builds the same 22 words); the trap path's exit pops it and
        // `iretq`s to ring 3 with CS and SS from it, which are the user selectors the entry
        // pushed (handlers never change them). Above this function on the stack lie only the
        // entry stub's frame, the dispatcher's and this one, which own nothing.
        unsafe { ferrite_restore_user(frame) }
    }
    follow(next);
}

/// Carries out `next` for the trap being handled: returns for [`Next::Resume`]; for
/// [`Next::Leave`], abandons the program and the kernel frames of this trap, and returns from
/// the thread's [`enter`]. Called only by the two dispatchers (`syscall_dispatch` here and the
/// trap path's), with interrupts off, after the handler returned.
pub(super) fn follow(next: Next) {
    if next == Next::Leave {
        // SAFETY: the trap came from ring 3 (only a trap from ring 3 can get `Leave`: the trap
        // path asks its hooks only then), so this CPU's kernel entry stack is the running
        // thread's, set by the `on_stack` of its `enter`, whose slot at the top holds where
        // `enter` saved its registers. Above this function on the stack lie only the entry
        // stub's frame (registers) and the dispatcher's, which own nothing: every handler has
        // returned, and its values were dropped.
        unsafe { ferrite_leave_user(*PER_CPU.kernel_rsp.get()) }
    }
}

/// A frame to start a user program with: RIP `entry`, RSP `stack`, flags with interrupts on,
/// the user selectors, every other register zero.
pub fn initial_frame(entry: u64, stack: u64) -> TrapFrame {
    TrapFrame {
        r15: 0,
        r14: 0,
        r13: 0,
        r12: 0,
        r11: 0,
        r10: 0,
        r9: 0,
        r8: 0,
        rbp: 0,
        rdi: 0,
        rsi: 0,
        rdx: 0,
        rcx: 0,
        rbx: 0,
        rax: 0,
        vector: SYSCALL_VECTOR,
        error_code: 0,
        rip: entry,
        cs: USER_CS,
        rflags: USER_RFLAGS,
        rsp: stack,
        ss: USER_SS,
    }
}

/// Whether `frame` was pushed by a trap or system call from ring 3.
pub fn from_user(frame: &TrapFrame) -> bool {
    frame.cs & RING_3 == RING_3
}

/// Runs the user program described by `frame` until a handler of one of its traps returns
/// [`Next::Leave`]; then returns. `on_stack(top)` is called first with the top of the kernel
/// stack the program's traps will use (below this call's own frames); it must make that the
/// CPU's kernel entry stack whenever this thread runs (see [`set_kernel_stack`]).
///
/// # Safety
///
/// The current address space must map the program at `frame.rip` and its stack, user-accessible;
/// `frame` must hold user selectors (as [`initial_frame`] makes) and canonical addresses.
pub unsafe fn enter(frame: &TrapFrame, on_stack: extern "C" fn(u64)) {
    // SAFETY: the caller's contract; the stub preserves the callee-saved registers across the
    // whole excursion and returns here when `follow` restores them.
    unsafe { ferrite_enter_user(frame, on_stack) }
}
