//! The signal frame's context: `struct ucontext` and `struct sigcontext`, as x86_64 Linux lays
//! them out on the user stack when it runs a handler.
//!
//! From `asm/ucontext.h` and `asm/sigcontext.h`. A handler with `SA_SIGINFO` gets a pointer to a
//! [`Ucontext`] as its third argument; `rt_sigreturn` reads the interrupted registers and signal
//! mask back from it, so a handler (or a C library's `swapcontext`-like trick) may change them.
//! The x87/SSE state is not inside: [`Sigcontext::fpstate`] points to a 512-byte `fxsave` image
//! stored elsewhere in the frame (or 0 if there is none).

use crate::signal::Stack;

/// `uc_flags`: the FPU area is in XSAVE format (Ferrite saves with `fxsave`, so never set).
pub const UC_FP_XSTATE: u64 = 0x1;
/// `uc_flags`: the `ss` slot of the sigcontext holds the interrupted SS.
pub const UC_SIGCONTEXT_SS: u64 = 0x2;
/// `uc_flags`: `rt_sigreturn` restores SS from the sigcontext as well.
pub const UC_STRICT_RESTORE_SS: u64 = 0x4;

/// Bytes of the `fxsave` image a frame carries (`struct _fpstate_64`).
pub const FPSTATE_SIZE: usize = 512;
/// Where in the `fxsave` image the software-reserved bytes start (`sw_reserved`): zero in a
/// frame of this format (no XSAVE extension follows).
pub const FPSTATE_SW_RESERVED: usize = 464;
/// Offset of MXCSR in the `fxsave` image.
pub const FPSTATE_MXCSR: usize = 24;
/// Offset of MXCSR_MASK (the MXCSR bits this CPU lets software set) in the `fxsave` image.
pub const FPSTATE_MXCSR_MASK: usize = 28;

/// `struct sigcontext` (x86_64), 256 bytes: the interrupted registers.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigcontext {
    /// The interrupted R8.
    pub r8: u64,
    /// The interrupted R9.
    pub r9: u64,
    /// The interrupted R10.
    pub r10: u64,
    /// The interrupted R11.
    pub r11: u64,
    /// The interrupted R12.
    pub r12: u64,
    /// The interrupted R13.
    pub r13: u64,
    /// The interrupted R14.
    pub r14: u64,
    /// The interrupted R15.
    pub r15: u64,
    /// The interrupted RDI.
    pub rdi: u64,
    /// The interrupted RSI.
    pub rsi: u64,
    /// The interrupted RBP.
    pub rbp: u64,
    /// The interrupted RBX.
    pub rbx: u64,
    /// The interrupted RDX.
    pub rdx: u64,
    /// The interrupted RAX.
    pub rax: u64,
    /// The interrupted RCX.
    pub rcx: u64,
    /// The interrupted RSP.
    pub rsp: u64,
    /// The interrupted RIP.
    pub rip: u64,
    /// RFLAGS.
    pub eflags: u64,
    /// The code segment selector.
    pub cs: u16,
    /// Unused (once GS; see the header's warning).
    pub gs: u16,
    /// Unused (once FS).
    pub fs: u16,
    /// The stack segment selector (with [`UC_SIGCONTEXT_SS`]).
    pub ss: u16,
    /// The exception's error code, for a fault.
    pub err: u64,
    /// The exception's vector, for a fault.
    pub trapno: u64,
    /// The old signal mask's first word (kept for old programs; the mask is in the ucontext).
    pub oldmask: u64,
    /// CR2, for a page fault.
    pub cr2: u64,
    /// Where the `fxsave` image is, or 0.
    pub fpstate: u64,
    /// Reserved.
    pub reserved1: [u64; 8],
}

/// `struct ucontext` as the kernel writes it (x86_64), 304 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ucontext {
    /// `UC_*` flags.
    pub uc_flags: u64,
    /// A linked context (unused by the kernel: 0).
    pub uc_link: u64,
    /// The alternate signal stack as it was when the signal came.
    pub uc_stack: Stack,
    /// The interrupted registers.
    pub uc_mcontext: Sigcontext,
    /// The signal mask to restore on `rt_sigreturn`.
    pub uc_sigmask: u64,
}

const _: () = assert!(core::mem::size_of::<Sigcontext>() == 256);
const _: () = assert!(core::mem::offset_of!(Sigcontext, cs) == 144);
const _: () = assert!(core::mem::offset_of!(Sigcontext, fpstate) == 184);
const _: () = assert!(core::mem::size_of::<Ucontext>() == 304);
const _: () = assert!(core::mem::offset_of!(Ucontext, uc_mcontext) == 40);
const _: () = assert!(core::mem::offset_of!(Ucontext, uc_sigmask) == 296);
