//! `wait4` options, and the wait status that tells a parent how its child changed.
//!
//! The status is one `int`, packed by the kernel and unpacked by the C library's macros
//! (`WIFEXITED`, `WEXITSTATUS`, ... in glibc's `bits/waitstatus.h`). Its low 7 bits say why:
//!
//! ```text
//!  bits 15..8       bit 7   bits 6..0
//! +----------------+-------+-----------+
//! | exit code      |   0   |     0     |   exited with `exit(code)`
//! | 0              | core  |  signal   |   killed by `signal` (1..=0x7e), core dumped if bit 7
//! | stop signal    |   0   |   0x7f    |   stopped by `stop signal`
//! +----------------+-------+-----------+
//!  0xffff                                  continued by SIGCONT
//! ```
//!
//! The decoders below compute exactly what glibc's macros compute, for every `int`, so a
//! program built against either C library reads Ferrite's statuses the way it reads Linux's.

/// Option: return at once (with 0) if no child has changed state yet.
pub const WNOHANG: u32 = 0x1;
/// Option: also report children that stopped (job control); also called WSTOPPED.
pub const WUNTRACED: u32 = 0x2;
/// Option: also report stopped children that were continued.
pub const WCONTINUED: u32 = 0x8;

/// The bit of a signal status that says a core file was written.
pub const WCOREFLAG: i32 = 0x80;
/// The whole status of a child that SIGCONT continued.
pub const W_CONTINUED: i32 = 0xffff;

/// The low 7 bits: 0 for an exit, 0x7f for a stop, else the killing signal.
const LOW_BITS: i32 = 0x7f;

/// The status of a child that called `exit(code)` (only the low 8 bits of the code survive).
pub const fn wait_status_exited(code: u8) -> i32 {
    (code as i32) << 8
}

/// The status of a child killed by `signal` (1..=0x7e), without a core dump.
pub const fn wait_status_signaled(signal: i32) -> i32 {
    signal & LOW_BITS
}

/// The status of a child stopped by `signal` (SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU).
pub const fn wait_status_stopped(signal: i32) -> i32 {
    ((signal & 0xff) << 8) | LOW_BITS
}

/// `WIFEXITED`: the child ended by calling `exit`.
pub const fn exited(status: i32) -> bool {
    term_signal(status) == 0
}

/// `WEXITSTATUS`: the exit code, meaningful when [`exited`].
pub const fn exit_code(status: i32) -> u8 {
    ((status & 0xff00) >> 8) as u8
}

/// `WIFSIGNALED`: a signal killed the child.
pub const fn signaled(status: i32) -> bool {
    // glibc's test: ((signed char)((status & 0x7f) + 1) >> 1) > 0. Adding one maps 0 (exited)
    // to 1 and 0x7f (stopped) to 0x80, which is negative as a signed char; shifting out the
    // low bit then leaves a positive number for exactly the signals 1..=0x7e.
    ((((status & LOW_BITS) + 1) as i8) >> 1) > 0
}

/// `WTERMSIG`: the signal that killed the child, meaningful when [`signaled`].
pub const fn term_signal(status: i32) -> i32 {
    status & LOW_BITS
}

/// `WCOREDUMP`: a core file was written when the signal killed the child.
pub const fn core_dumped(status: i32) -> bool {
    status & WCOREFLAG != 0
}

/// `WIFSTOPPED`: the child is stopped (reported only with [`WUNTRACED`]).
pub const fn stopped(status: i32) -> bool {
    status & 0xff == LOW_BITS
}

/// `WSTOPSIG`: the signal that stopped the child, meaningful when [`stopped`].
pub const fn stop_signal(status: i32) -> i32 {
    exit_code(status) as i32
}

/// `WIFCONTINUED`: the child was continued (reported only with [`WCONTINUED`]).
pub const fn continued(status: i32) -> bool {
    status == W_CONTINUED
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{SIGKILL, SIGSEGV, SIGTSTP};

    #[test]
    fn exit_statuses() {
        assert_eq!(wait_status_exited(0), 0);
        assert_eq!(wait_status_exited(1), 0x100);
        assert_eq!(wait_status_exited(255), 0xff00);
        for code in 0..=255u8 {
            let status = wait_status_exited(code);
            assert!(exited(status) && !signaled(status) && !stopped(status));
            assert_eq!(exit_code(status), code);
        }
    }

    #[test]
    fn signal_statuses() {
        assert_eq!(wait_status_signaled(SIGKILL), 9);
        for signal in 1..=64 {
            let status = wait_status_signaled(signal);
            assert!(signaled(status) && !exited(status) && !stopped(status));
            assert_eq!(term_signal(status), signal);
            assert!(!core_dumped(status));
            assert!(core_dumped(status | WCOREFLAG) && signaled(status | WCOREFLAG));
        }
        assert_eq!(
            term_signal(wait_status_signaled(SIGSEGV) | WCOREFLAG),
            SIGSEGV
        );
    }

    #[test]
    fn stop_and_continue_statuses() {
        let status = wait_status_stopped(SIGTSTP);
        assert_eq!(status, 0x147f);
        assert!(stopped(status) && !signaled(status) && !exited(status));
        assert_eq!(stop_signal(status), SIGTSTP);
        assert!(continued(W_CONTINUED));
        assert!(!stopped(W_CONTINUED) && !signaled(W_CONTINUED) && !exited(W_CONTINUED));
    }

    #[test]
    fn at_most_one_reading_fits_any_status() {
        // As in glibc: the four tests are mutually exclusive over every 16-bit status, and the
        // upper bits of the `int` do not change the result of the three that mask.
        for status in 0..=0xffff {
            let kinds = [
                exited(status),
                signaled(status),
                stopped(status),
                continued(status),
            ];
            assert!(kinds.iter().filter(|&&k| k).count() <= 1, "{status:#x}");
            let high = status | 0x7fff_0000;
            assert_eq!(exited(high), exited(status));
            assert_eq!(signaled(high), signaled(status));
            assert_eq!(stopped(high), stopped(status));
        }
        // A signal status never reads as signal 0x7f, which is the stop marker.
        assert!(!signaled(0x7f) && stopped(0x7f));
    }
}
