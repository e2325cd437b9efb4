//! Clocks and the time structures of `clock_gettime`, `nanosleep` and `wait4`.
//!
//! Clock ids come from `linux/time.h`; they are C `int`s because negative ids name per-process
//! CPU clocks. On x86_64 `time_t` and `long` are both 64 bits, so a `Timespec` is two `i64`s,
//! matching `struct __kernel_timespec` and `struct timespec` alike.

/// Wall-clock time since 1970-01-01 00:00 UTC; jumps when the clock is set.
pub const CLOCK_REALTIME: i32 = 0;
/// Time since an arbitrary start (Ferrite: boot) that never goes backwards.
pub const CLOCK_MONOTONIC: i32 = 1;

/// Nanoseconds in one second: the exclusive upper bound of a valid `tv_nsec`.
pub const NSEC_PER_SEC: i64 = 1_000_000_000;
/// `utimensat`'s `tv_nsec` meaning "now".
pub const UTIME_NOW: i64 = (1 << 30) - 1;
/// `utimensat`'s `tv_nsec` meaning "leave this time as it is".
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

/// A point or span of time in seconds and nanoseconds (`struct timespec`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    /// Whole seconds.
    pub tv_sec: i64,
    /// Nanoseconds, `0..NSEC_PER_SEC` in a valid value (the kernel rejects others with `EINVAL`).
    pub tv_nsec: i64,
}

impl Timespec {
    /// Zero seconds and zero nanoseconds.
    pub const fn zeroed() -> Self {
        Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        }
    }

    /// Whether `tv_nsec` is in range and the time not negative, as `nanosleep` requires.
    pub const fn is_valid(&self) -> bool {
        self.tv_sec >= 0 && self.tv_nsec >= 0 && self.tv_nsec < NSEC_PER_SEC
    }
}

/// A span of time in seconds and microseconds (`struct timeval`), as in [`crate::resource::Rusage`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeval {
    /// Whole seconds.
    pub tv_sec: i64,
    /// Microseconds, `0..1_000_000`.
    pub tv_usec: i64,
}

impl Timeval {
    /// Zero seconds and zero microseconds.
    pub const fn zeroed() -> Self {
        Timeval {
            tv_sec: 0,
            tv_usec: 0,
        }
    }
}

/// Interval timer: real (wall-clock) time; sends SIGALRM (`alarm` uses it too).
pub const ITIMER_REAL: i32 = 0;
/// Interval timer: the process's user CPU time; sends SIGVTALRM.
pub const ITIMER_VIRTUAL: i32 = 1;
/// Interval timer: the process's user and system CPU time; sends SIGPROF.
pub const ITIMER_PROF: i32 = 2;

/// An interval timer's setting (`struct itimerval`): when it next fires, and the period after
/// that (zero: once).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Itimerval {
    /// The period reloaded after each expiry.
    pub it_interval: Timeval,
    /// Time left until the next expiry (zero: disarmed).
    pub it_value: Timeval,
}

const _: () = assert!(core::mem::size_of::<Itimerval>() == 32);

const _: () = assert!(core::mem::size_of::<Timespec>() == 16);
const _: () = assert!(core::mem::align_of::<Timespec>() == 8);
const _: () = assert!(core::mem::offset_of!(Timespec, tv_nsec) == 8);
const _: () = assert!(core::mem::size_of::<Timeval>() == 16);
const _: () = assert!(core::mem::offset_of!(Timeval, tv_usec) == 8);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity() {
        assert!(Timespec::zeroed().is_valid());
        assert!(Timespec {
            tv_sec: 1,
            tv_nsec: NSEC_PER_SEC - 1
        }
        .is_valid());
        assert!(!Timespec {
            tv_sec: 1,
            tv_nsec: NSEC_PER_SEC
        }
        .is_valid());
        assert!(!Timespec {
            tv_sec: -1,
            tv_nsec: 0
        }
        .is_valid());
        assert!(!Timespec {
            tv_sec: 0,
            tv_nsec: -1
        }
        .is_valid());
        assert_eq!(Timespec::default(), Timespec::zeroed());
        assert_eq!(Timeval::default(), Timeval::zeroed());
    }
}
