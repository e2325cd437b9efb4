//! Signal handlers for Rust programs: what a C library's `sigaction` does, in a few lines.
//!
//! The kernel runs a handler by building a frame on the user stack and jumping to it; the
//! handler then returns to the address the program gave as its *restorer*, which must call
//! `rt_sigreturn` to put the interrupted registers back. On x86_64 Linux there is no default
//! restorer (the kernel refuses a handler without `SA_RESTORER`), so every C library supplies
//! one, and so does this runtime: [`restore`] below, two instructions.

use crate::sys;
use abi::signal::{SigAction, SA_RESTORER, SIGSET_SIZE};
use abi::{nr, Errno};

core::arch::global_asm!(
    ".global ferrite_runtime_restore",
    "ferrite_runtime_restore:",
    "    mov eax, {sigreturn}",
    "    syscall",
    // rt_sigreturn does not return; a kernel that did would land here.
    "    ud2",
    sigreturn = const nr::RT_SIGRETURN,
);

extern "C" {
    /// The restorer: calls `rt_sigreturn` (never called from Rust; its address is handed over).
    fn ferrite_runtime_restore();
}

/// The restorer's address, for `sa_restorer`.
fn restore() -> u64 {
    ferrite_runtime_restore as usize as u64
}

/// Installs `handler` for `signal` with `flags` (`SA_*`; `SA_RESTORER` is added) and `mask`
/// blocked while it runs; returns the previous action.
pub fn set_handler(
    signal: i32,
    handler: extern "C" fn(i32),
    flags: u64,
    mask: u64,
) -> Result<SigAction, Errno> {
    let action = SigAction {
        handler: handler as usize as u64,
        flags: flags | SA_RESTORER,
        restorer: restore(),
        mask,
    };
    set_action(signal, &action)
}

/// Installs `action` for `signal` as given (`SIG_DFL`, `SIG_IGN`, or a handler with its own
/// restorer); returns the previous one.
pub fn set_action(signal: i32, action: &SigAction) -> Result<SigAction, Errno> {
    let mut old = SigAction::default();
    // SAFETY: the kernel reads one `SigAction` at `action` and writes one at `old`, both valid.
    abi::decode(unsafe {
        sys::raw(
            nr::RT_SIGACTION,
            [
                signal as usize,
                action as *const SigAction as usize,
                &mut old as *mut SigAction as usize,
                SIGSET_SIZE,
                0,
                0,
            ],
        )
    })?;
    Ok(old)
}

/// Makes `signal` ignored (`SIG_IGN`), as an interactive shell does with the job-control
/// signals it must not obey itself.
pub fn ignore(signal: i32) -> Result<SigAction, Errno> {
    let action = SigAction {
        handler: abi::signal::SIG_IGN,
        ..SigAction::default()
    };
    set_action(signal, &action)
}

/// Gives `signal` back its default action (`SIG_DFL`), as a shell's child does before it runs
/// a program.
pub fn default(signal: i32) -> Result<SigAction, Errno> {
    set_action(signal, &SigAction::default())
}
