//! Threads for Rust programs at their barest: a `clone` that starts a function on a stack of
//! the caller's, and the futex calls to wait for it.
//!
//! A C library's `pthread_create` does the same in more words: it maps a stack, puts the
//! function and its argument where the new thread will find them, and calls `clone` with the
//! flags that share everything. The new thread returns from `clone` with RAX 0 *on the new
//! stack*, so what it does next cannot be ordinary Rust (its locals were on the old one): a few
//! instructions of assembly ([`ferrite_runtime_clone`]) pop the function and its argument and
//! call it. `CLONE_CHILD_CLEARTID` makes the kernel clear the thread's id word and wake a futex
//! waiter there when the thread ends, which is all [`Thread::join`] needs.
//!
//! These threads share the spawner's thread pointer (no `CLONE_SETTLS`): they must not use
//! thread-local storage. The benchmark's threads do not.

use crate::sys;
use abi::futex::{FUTEX_PRIVATE_FLAG, FUTEX_WAIT, FUTEX_WAKE};
use abi::sched::*;
use abi::{nr, Errno};
use core::sync::atomic::{AtomicU32, Ordering};

/// What a thread shares with its creator: everything, as `pthread_create` asks.
const FLAGS: u64 = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID;

core::arch::global_asm!(
    // (flags, stack top, parent tid, child tid, entry, argument) in RDI, RSI, RDX, RCX, R8, R9.
    ".global ferrite_runtime_clone",
    "ferrite_runtime_clone:",
    // The entry and its argument go on the new stack, for the new thread to pop.
    "    sub rsi, 16",
    "    mov [rsi], r8",
    "    mov [rsi + 8], r9",
    "    mov r10, rcx",
    "    xor r8d, r8d",
    "    mov eax, {clone}",
    "    syscall",
    "    test rax, rax",
    "    jnz 2f",
    // The new thread, on its own stack: call entry(argument), which never returns.
    "    pop rax",
    "    pop rdi",
    "    xor ebp, ebp",
    "    call rax",
    "    ud2",
    // The creator: the new thread's id, or a negated errno.
    "2:  ret",
    clone = const nr::CLONE,
);

extern "C" {
    /// Starts a thread with `flags` on `stack_top` that calls `entry(argument)`; the raw
    /// result of `clone`.
    fn ferrite_runtime_clone(
        flags: u64,
        stack_top: u64,
        parent_tid: *mut u32,
        child_tid: *mut u32,
        entry: extern "C" fn(u64) -> !,
        argument: u64,
    ) -> isize;
}

/// A running thread: its id word, which the kernel clears when it ends.
pub struct Thread {
    /// The thread's id until it ends, then 0 (a static: its address must not change while
    /// the thread runs).
    tid: &'static AtomicU32,
}

/// Starts a thread running `entry(argument)` on the `len` bytes at `stack` (no guard page: it
/// must be big enough), with `tid` as its id word. `entry` must end the thread with [`exit`],
/// never return.
///
/// # Safety
///
/// The stack must be valid memory that nothing else uses until the thread has ended (joined),
/// and `entry` must not touch thread-local storage.
pub unsafe fn spawn(
    stack: *mut u8,
    len: usize,
    tid: &'static AtomicU32,
    entry: extern "C" fn(u64) -> !,
    argument: u64,
) -> Result<Thread, Errno> {
    let top = (stack as u64 + len as u64) & !15;
    let word = tid.as_ptr();
    // SAFETY: the stack is the caller's to give (the contract), the id word is 'static, and
    // the assembly above starts the thread on that stack and never returns into Rust there.
    // The thread writes its own id there (`CLONE_PARENT_SETTID` writes it before `clone`
    // returns), so `join` cannot see 0 before the thread has even started.
    let result = unsafe { ferrite_runtime_clone(FLAGS, top, word, word, entry, argument) };
    abi::decode(result as usize)?;
    Ok(Thread { tid })
}

impl Thread {
    /// Waits until the thread has ended.
    pub fn join(self) {
        loop {
            let tid = self.tid.load(Ordering::Acquire);
            if tid == 0 {
                return;
            }
            // The kernel wakes the word as a shared futex (no private flag), as on Linux.
            let _ = wait(self.tid, tid, false);
        }
    }
}

/// Ends the calling thread only (the raw `exit` call).
pub fn exit(status: i32) -> ! {
    // SAFETY: `exit` takes no memory and does not return.
    unsafe { sys::raw(nr::EXIT, [status as usize, 0, 0, 0, 0, 0]) };
    unreachable!("exit returned")
}

/// `FUTEX_WAIT`: sleeps while `word` holds `expected` (until a [`wake`]); `private` for a word
/// only this process maps.
pub fn wait(word: &AtomicU32, expected: u32, private: bool) -> Result<(), Errno> {
    let op = FUTEX_WAIT | if private { FUTEX_PRIVATE_FLAG } else { 0 };
    // SAFETY: the word is a valid, aligned u32 for the whole call; no timeout pointer.
    let result = unsafe {
        sys::raw(
            nr::FUTEX,
            [
                word.as_ptr() as usize,
                op as usize,
                expected as usize,
                0,
                0,
                0,
            ],
        )
    };
    abi::decode(result).map(|_| ())
}

/// `FUTEX_WAKE`: wakes up to `count` threads waiting on `word`; how many it woke.
pub fn wake(word: &AtomicU32, count: u32, private: bool) -> Result<usize, Errno> {
    let op = FUTEX_WAKE | if private { FUTEX_PRIVATE_FLAG } else { 0 };
    // SAFETY: the word is a valid, aligned u32; wake only reads its address.
    let result = unsafe {
        sys::raw(
            nr::FUTEX,
            [word.as_ptr() as usize, op as usize, count as usize, 0, 0, 0],
        )
    };
    abi::decode(result)
}
