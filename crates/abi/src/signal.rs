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
    fn names() {
        assert_eq!(signal_name(SIGKILL), Some("SIGKILL"));
        assert_eq!(signal_name(SIGHUP), Some("SIGHUP"));
        assert_eq!(signal_name(SIGSYS), Some("SIGSYS"));
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(32), None);
        assert_eq!(signal_name(-9), None);
    }
}
