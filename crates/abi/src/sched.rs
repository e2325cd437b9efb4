//! Flags of `clone`: what the new task shares with its creator.
//!
//! From `linux/sched.h`. The flags are an `unsigned long` because two newer ones lie above bit
//! 31 (they are used only through `clone3`). The low byte is not a flag at all: it is the signal
//! the parent receives when the child ends, which is why the shell's fork is
//! `clone(SIGCHLD, 0, ...)`. A thread is `CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
//! CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID`.

/// Mask of the exit signal in the low byte.
pub const CSIGNAL: u64 = 0xff;
/// Share the address space.
pub const CLONE_VM: u64 = 0x100;
/// Share the working directory, root and umask.
pub const CLONE_FS: u64 = 0x200;
/// Share the descriptor table.
pub const CLONE_FILES: u64 = 0x400;
/// Share the signal handlers (requires `CLONE_VM`).
pub const CLONE_SIGHAND: u64 = 0x800;
/// Suspend the parent until the child calls `execve` or exits, as `vfork` does.
pub const CLONE_VFORK: u64 = 0x4000;
/// Give the child the caller's parent instead of the caller.
pub const CLONE_PARENT: u64 = 0x8000;
/// Put the child in the caller's thread group: a thread, not a process (requires `CLONE_SIGHAND`).
pub const CLONE_THREAD: u64 = 0x10000;
/// Share System V semaphore undo lists.
pub const CLONE_SYSVSEM: u64 = 0x40000;
/// Set the child's `fs` base (its thread pointer) from the `tls` argument.
pub const CLONE_SETTLS: u64 = 0x80000;
/// Store the child's thread id at `parent_tid` in the caller's memory.
pub const CLONE_PARENT_SETTID: u64 = 0x100000;
/// When the child exits, clear the word at `child_tid` and wake a futex waiter on it (`pthread_join`).
pub const CLONE_CHILD_CLEARTID: u64 = 0x200000;
/// Ignored since Linux 2.6 (old thread libraries passed it).
pub const CLONE_DETACHED: u64 = 0x400000;
/// Store the child's thread id at `child_tid` in the child's memory.
pub const CLONE_CHILD_SETTID: u64 = 0x1000000;
