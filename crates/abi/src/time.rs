//! Clocks and the time structures of `clock_gettime`, `nanosleep`, `gettimeofday`, `times`
//! and `wait4`.
//!
//! Clock ids and `TIMER_ABSTIME` come from `linux/time.h`, `struct tms` from `linux/times.h`; they are C `int`s because negative ids name per-process
//! CPU clocks. On x86_64 `time_t` and `long` are both 64 bits, so a `Timespec` is two `i64`s,
//! matching `struct __kernel_timespec` and `struct timespec` alike.

/// Wall-clock time since 1970-01-01 00:00 UTC; jumps when the clock is set.
pub const CLOCK_REALTIME: i32 = 0;
/// Time since an arbitrary start (Ferrite: boot) that never goes backwards.
pub const CLOCK_MONOTONIC: i32 = 1;
/// Processor time the calling process has used.
pub const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
/// Processor time the calling thread has used.
pub const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
/// `CLOCK_MONOTONIC` without the rate corrections NTP makes (Ferrite makes none).
pub const CLOCK_MONOTONIC_RAW: i32 = 4;
/// `CLOCK_REALTIME` as of the last tick: cheaper and coarser.
pub const CLOCK_REALTIME_COARSE: i32 = 5;
/// `CLOCK_MONOTONIC` as of the last tick.
pub const CLOCK_MONOTONIC_COARSE: i32 = 6;
/// `CLOCK_MONOTONIC` plus the time spent suspended (Ferrite never suspends).
pub const CLOCK_BOOTTIME: i32 = 7;
/// International atomic time: `CLOCK_REALTIME` plus an offset (0 until `adjtimex` sets it).
pub const CLOCK_TAI: i32 = 11;
/// `clock_nanosleep`'s flag: the time is a deadline on the clock, not a span.
pub const TIMER_ABSTIME: u32 = 1;

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

/// `gettimeofday`'s obsolete time zone (`struct timezone`); Linux keeps whatever was last set,
/// zeros (UTC, no daylight saving) until then.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timezone {
    /// Minutes west of Greenwich.
    pub tz_minuteswest: i32,
    /// The type of daylight-saving correction (always 0 on Linux).
    pub tz_dsttime: i32,
}

/// Processor time in clock ticks (`struct tms`, what `times` fills in); ticks are
/// [`USER_HZ`] per second whatever the kernel's own tick.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tms {
    /// User time of the caller.
    pub tms_utime: i64,
    /// System time of the caller.
    pub tms_stime: i64,
    /// User time of the ended children the caller has waited for.
    pub tms_cutime: i64,
    /// System time of those children.
    pub tms_cstime: i64,
}

/// The clock ticks per second that `times` counts in and `sysconf(_SC_CLK_TCK)` reports (the
/// auxiliary vector's `AT_CLKTCK`): 100 on x86_64, fixed by the ABI.
pub const USER_HZ: i64 = 100;

const _: () = assert!(core::mem::size_of::<Timezone>() == 8);
const _: () = assert!(core::mem::size_of::<Tms>() == 32);
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
