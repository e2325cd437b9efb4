//! Options of `prctl`, the call through which a process reads and sets attributes of itself
//! that have no call of their own. Values from `linux/prctl.h`.

/// Set the signal sent to the caller when its parent ends (0: none).
pub const PR_SET_PDEATHSIG: u32 = 1;
/// Store that signal at the address in the second argument (an `int`).
pub const PR_GET_PDEATHSIG: u32 = 2;
/// Whether the process may be dumped (and its `/proc` files read by others): returned.
pub const PR_GET_DUMPABLE: u32 = 3;
/// Set that (0 or 1).
pub const PR_SET_DUMPABLE: u32 = 4;
/// Set the calling thread's name (its `comm`) from the string at the second argument.
pub const PR_SET_NAME: u32 = 15;
/// Store the calling thread's name, NUL-terminated, in the 16 bytes at the second argument.
pub const PR_GET_NAME: u32 = 16;
/// Set the no-new-privileges bit (for good: it cannot be cleared).
pub const PR_SET_NO_NEW_PRIVS: u32 = 38;
/// The no-new-privileges bit: returned.
pub const PR_GET_NO_NEW_PRIVS: u32 = 39;

/// The bytes of a thread's name, its terminating NUL included (`TASK_COMM_LEN`).
pub const TASK_COMM_LEN: usize = 16;
