//! Signal numbers.
//!
//! The numbering is per architecture in Linux; these are x86_64's, from
//! `asm/signal.h` (the same as i386 and ARM, but not MIPS, SPARC or Alpha, so never copy them
//! from a table for "Unix"). Signals 1 to 31 are the classic ones below; 32 to 64 are the real-time
//! signals, which carry no fixed meaning. The type is C's `int`, as `kill` and the wait status use.

/// Declares the signal constants and, from the same lines, the table behind [`signal_name`].
macro_rules! signals {
    ($( $(#[$doc:meta])* $name:ident = $value:literal, )*) => {
        $( $(#[$doc])* pub const $name: i32 = $value; )*

        /// Every classic signal as (name, number), in increasing order.
        pub const ALL: &[(&str, i32)] = &[$( (stringify!($name), $name) ),*];
    };
}

signals! {
    /// Hang-up: the controlling terminal went away.
    SIGHUP = 1,
    /// Interrupt from the keyboard (Ctrl-C).
    SIGINT = 2,
    /// Quit from the keyboard (Ctrl-\), with a core dump.
    SIGQUIT = 3,
    /// Illegal instruction (the CPU's #UD).
    SIGILL = 4,
    /// Breakpoint or single-step trap (#BP, #DB).
    SIGTRAP = 5,
    /// Abort, as sent by `abort()`; also called SIGIOT.
    SIGABRT = 6,
    /// Bus error: a bad access to an existing mapping (such as past the end of a mapped file).
    SIGBUS = 7,
    /// Arithmetic fault, such as division by zero (#DE) or a floating-point exception.
    SIGFPE = 8,
    /// Kill: cannot be caught, blocked or ignored.
    SIGKILL = 9,
    /// First signal left to the program's own use.
    SIGUSR1 = 10,
    /// Segmentation fault: an access the page tables do not allow (#PF, #GP).
    SIGSEGV = 11,
    /// Second signal left to the program's own use.
    SIGUSR2 = 12,
    /// Write to a pipe that has no reader.
    SIGPIPE = 13,
    /// A timer set by `alarm` expired.
    SIGALRM = 14,
    /// Polite request to terminate; the default of `kill`.
    SIGTERM = 15,
    /// Coprocessor stack fault; unused on x86_64.
    SIGSTKFLT = 16,
    /// A child stopped, continued or ended; also the exit signal of a fork-like `clone`.
    SIGCHLD = 17,
    /// Continue a stopped process.
    SIGCONT = 18,
    /// Stop: cannot be caught, blocked or ignored.
    SIGSTOP = 19,
    /// Stop from the keyboard (Ctrl-Z).
    SIGTSTP = 20,
    /// A background process tried to read from its terminal.
    SIGTTIN = 21,
    /// A background process tried to write to its terminal.
    SIGTTOU = 22,
    /// Urgent data on a socket.
    SIGURG = 23,
    /// The CPU-time limit was exceeded.
    SIGXCPU = 24,
    /// The file-size limit was exceeded.
    SIGXFSZ = 25,
    /// A virtual (user CPU time) timer expired.
    SIGVTALRM = 26,
    /// A profiling timer expired.
    SIGPROF = 27,
    /// The terminal's window size changed.
    SIGWINCH = 28,
    /// Input or output is possible on a descriptor; also called SIGPOLL.
    SIGIO = 29,
    /// Power failure.
    SIGPWR = 30,
    /// Bad system call (seccomp); also called SIGUNUSED.
    SIGSYS = 31,
}

/// The first real-time signal as the kernel numbers it (C libraries reserve a few above it).
pub const SIGRTMIN: i32 = 32;
/// The last real-time signal; also the number of signals, `_NSIG` (64).
pub const SIGRTMAX: i32 = 64;

/// Every signal as a bit of a `sigset_t`: signal `n` is bit `n - 1`. The kernel's set is one
/// 64-bit word on x86_64 (`_NSIG` is 64), so `rt_sigaction` and friends insist that their size
/// argument is 8. `None` outside 1..=64.
pub const fn bit(signal: i32) -> Option<u64> {
    if signal >= 1 && signal <= SIGRTMAX {
        Some(1 << (signal - 1))
    } else {
        None
    }
}

/// Bytes of the kernel's signal set, the size `rt_sigaction`, `rt_sigprocmask` and the rest
/// require (C libraries' `sigset_t` is 128 bytes, but they pass this).
pub const SIGSET_SIZE: usize = 8;

/// The signals no program may catch, block or ignore.
pub const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

/// `sa_handler` value: the signal's default action.
pub const SIG_DFL: u64 = 0;
/// `sa_handler` value: ignore the signal.
pub const SIG_IGN: u64 = 1;

/// `rt_sigprocmask` how: add the set to the blocked signals.
pub const SIG_BLOCK: u32 = 0;
/// `rt_sigprocmask` how: remove the set from the blocked signals.
pub const SIG_UNBLOCK: u32 = 1;
/// `rt_sigprocmask` how: the set becomes the blocked signals.
pub const SIG_SETMASK: u32 = 2;

/// `sa_flags`: no SIGCHLD when a child stops or continues.
pub const SA_NOCLDSTOP: u64 = 0x0000_0001;
/// `sa_flags` (SIGCHLD): children that end do not become zombies.
pub const SA_NOCLDWAIT: u64 = 0x0000_0002;
/// `sa_flags`: the handler takes three arguments (number, `siginfo_t *`, `ucontext_t *`).
pub const SA_SIGINFO: u64 = 0x0000_0004;
/// `sa_flags`: `sa_restorer` holds the code the handler returns to (it calls `rt_sigreturn`).
/// x86_64 has no other way back, so the C libraries always set it.
pub const SA_RESTORER: u64 = 0x0400_0000;
/// `sa_flags`: run the handler on the alternate signal stack (`sigaltstack`).
pub const SA_ONSTACK: u64 = 0x0800_0000;
/// `sa_flags`: a system call the signal interrupted starts again instead of failing with
/// `EINTR` (for the calls that allow it; see `man 7 signal`).
pub const SA_RESTART: u64 = 0x1000_0000;
/// `sa_flags`: do not block the signal itself while its handler runs.
pub const SA_NODEFER: u64 = 0x4000_0000;
/// `sa_flags`: reset the action to the default once the handler is entered (one shot).
pub const SA_RESETHAND: u64 = 0x8000_0000;

/// `ss_flags`: the thread is running on its alternate signal stack now (reported only).
pub const SS_ONSTACK: i32 = 1;
/// `ss_flags`: no alternate signal stack.
pub const SS_DISABLE: i32 = 2;
/// `ss_flags` modifier: disarm the stack while a handler runs on it (the kernel restores it).
pub const SS_AUTODISARM: i32 = 1 << 31;
/// The smallest alternate signal stack the kernel accepts (`ENOMEM` below it).
pub const MINSIGSTKSZ: usize = 2048;

/// `struct sigaction` as the kernel reads it on x86_64 (`rt_sigaction`), 32 bytes: not the
/// C library's, whose mask is 128 bytes and whose field order differs on some architectures.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    /// The handler's address, or [`SIG_DFL`] or [`SIG_IGN`].
    pub handler: u64,
    /// `SA_*` flags.
    pub flags: u64,
    /// Where the handler returns to ([`SA_RESTORER`]): code that calls `rt_sigreturn`.
    pub restorer: u64,
    /// Signals blocked while the handler runs (besides the signal itself).
    pub mask: u64,
}

const _: () = assert!(core::mem::size_of::<SigAction>() == 32);

/// `stack_t`: an alternate signal stack (`sigaltstack`), 24 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stack {
    /// Its lowest address.
    pub ss_sp: u64,
    /// `SS_*` flags.
    pub ss_flags: i32,
    /// Padding to the next 8-byte field.
    pub pad: i32,
    /// Its size in bytes.
    pub ss_size: u64,
}

const _: () = assert!(core::mem::size_of::<Stack>() == 24);

/// The name of classic signal `signal` ("SIGSEGV"), or `None` outside 1..=31.
pub fn signal_name(signal: i32) -> Option<&'static str> {
    // ALL is dense from 1, so the number is the index plus one.
    let index = usize::try_from(signal).ok()?.checked_sub(1)?;
    ALL.get(index).map(|&(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_dense_from_one() {
        for (index, &(_, number)) in ALL.iter().enumerate() {
            assert_eq!(number as usize, index + 1);
        }
        assert_eq!(ALL.len(), 31);
    }

    #[test]
    fn bits_number_signals_from_one() {
        assert_eq!(bit(1), Some(1));
        assert_eq!(bit(SIGKILL), Some(1 << 8));
        assert_eq!(bit(SIGRTMAX), Some(1 << 63));
        assert_eq!(bit(0), None);
        assert_eq!(bit(65), None);
        assert_eq!(UNBLOCKABLE, bit(SIGKILL).unwrap() | bit(SIGSTOP).unwrap());
    }

    #[test]
    fn names() {
        assert_eq!(signal_name(SIGKILL), Some("SIGKILL"));
        assert_eq!(signal_name(SIGHUP), Some("SIGHUP"));
        assert_eq!(signal_name(SIGSYS), Some("SIGSYS"));
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(32), None);
        assert_eq!(signal_name(-9), None);
    }
}
