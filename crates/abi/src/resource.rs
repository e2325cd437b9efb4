//! Resource usage (`struct rusage`, as `wait4` and `getrusage` report it) and resource limits
//! (`struct rlimit`, for `getrlimit`, `setrlimit` and `prlimit64`).
//!
//! From `linux/resource.h` and `asm-generic/resource.h`. Ferrite fills in the two times and leaves the rest 0, as Linux does
//! for the fields it does not track (`ru_ixrss` and friends are 0 there too).

use crate::time::Timeval;

/// `getrusage`: the caller.
pub const RUSAGE_SELF: i32 = 0;
/// `getrusage`: the caller's ended children that it has waited for.
pub const RUSAGE_CHILDREN: i32 = -1;
/// `getrusage`: the calling thread only.
pub const RUSAGE_THREAD: i32 = 1;

/// Processor time, in seconds (`SIGXCPU` past the soft limit).
pub const RLIMIT_CPU: u32 = 0;
/// The largest file the process may write.
pub const RLIMIT_FSIZE: u32 = 1;
/// The data segment and heap.
pub const RLIMIT_DATA: u32 = 2;
/// The main thread's stack.
pub const RLIMIT_STACK: u32 = 3;
/// The largest core dump.
pub const RLIMIT_CORE: u32 = 4;
/// Resident memory (no effect on Linux since 2.6).
pub const RLIMIT_RSS: u32 = 5;
/// Processes of the user.
pub const RLIMIT_NPROC: u32 = 6;
/// One more than the highest descriptor number the process may open.
pub const RLIMIT_NOFILE: u32 = 7;
/// Memory locked with `mlock`.
pub const RLIMIT_MEMLOCK: u32 = 8;
/// The whole address space.
pub const RLIMIT_AS: u32 = 9;
/// File locks.
pub const RLIMIT_LOCKS: u32 = 10;
/// Queued signals of the user.
pub const RLIMIT_SIGPENDING: u32 = 11;
/// Bytes in POSIX message queues.
pub const RLIMIT_MSGQUEUE: u32 = 12;
/// The highest nice priority the process may raise itself to.
pub const RLIMIT_NICE: u32 = 13;
/// The highest real-time priority.
pub const RLIMIT_RTPRIO: u32 = 14;
/// Microseconds of real-time scheduling without a blocking call.
pub const RLIMIT_RTTIME: u32 = 15;
/// How many resources there are: a resource at or above this is `EINVAL`.
pub const RLIM_NLIMITS: u32 = 16;
/// No limit (`~0UL`, the same value as `RLIM64_INFINITY` on x86_64).
pub const RLIM_INFINITY: u64 = u64::MAX;

/// A resource limit (`struct rlimit` and `struct rlimit64`, the same on x86_64): the soft
/// limit the kernel enforces, and the hard limit the soft one may be raised to.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rlimit {
    /// The soft limit.
    pub rlim_cur: u64,
    /// The hard limit (the ceiling for `rlim_cur`).
    pub rlim_max: u64,
}

impl Rlimit {
    /// No limit, soft or hard.
    pub const INFINITE: Rlimit = Rlimit {
        rlim_cur: RLIM_INFINITY,
        rlim_max: RLIM_INFINITY,
    };
}

const _: () = assert!(core::mem::size_of::<Rlimit>() == 16);

/// Resources a process used (`struct rusage`, 144 bytes): two times and fourteen counters.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rusage {
    /// CPU time spent in user mode.
    pub ru_utime: Timeval,
    /// CPU time spent in the kernel on the process's behalf.
    pub ru_stime: Timeval,
    /// Largest resident set, in KiB.
    pub ru_maxrss: i64,
    /// Unused by Linux.
    pub ru_ixrss: i64,
    /// Unused by Linux.
    pub ru_idrss: i64,
    /// Unused by Linux.
    pub ru_isrss: i64,
    /// Page faults served without input/output.
    pub ru_minflt: i64,
    /// Page faults that needed input/output.
    pub ru_majflt: i64,
    /// Unused by Linux.
    pub ru_nswap: i64,
    /// Blocks read by the file system.
    pub ru_inblock: i64,
    /// Blocks written by the file system.
    pub ru_oublock: i64,
    /// Unused by Linux.
    pub ru_msgsnd: i64,
    /// Unused by Linux.
    pub ru_msgrcv: i64,
    /// Unused by Linux.
    pub ru_nsignals: i64,
    /// Voluntary context switches (the process blocked).
    pub ru_nvcsw: i64,
    /// Involuntary context switches (the process was preempted).
    pub ru_nivcsw: i64,
}

impl Rusage {
    /// A report with every time and counter 0.
    pub const fn zeroed() -> Self {
        Rusage {
            ru_utime: Timeval::zeroed(),
            ru_stime: Timeval::zeroed(),
            ru_maxrss: 0,
            ru_ixrss: 0,
            ru_idrss: 0,
            ru_isrss: 0,
            ru_minflt: 0,
            ru_majflt: 0,
            ru_nswap: 0,
            ru_inblock: 0,
            ru_oublock: 0,
            ru_msgsnd: 0,
            ru_msgrcv: 0,
            ru_nsignals: 0,
            ru_nvcsw: 0,
            ru_nivcsw: 0,
        }
    }
}

const _: () = assert!(core::mem::size_of::<Rusage>() == 144);
const _: () = assert!(core::mem::offset_of!(Rusage, ru_stime) == 16);
const _: () = assert!(core::mem::offset_of!(Rusage, ru_maxrss) == 32);
const _: () = assert!(core::mem::offset_of!(Rusage, ru_nivcsw) == 136);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_is_default() {
        assert_eq!(Rusage::default(), Rusage::zeroed());
    }
}
