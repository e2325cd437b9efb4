//! Resource usage, as `wait4` reports it for a child: `struct rusage`.
//!
//! From `linux/resource.h`. Ferrite fills in the two times and leaves the rest 0, as Linux does
//! for the fields it does not track (`ru_ixrss` and friends are 0 there too).

use crate::time::Timeval;

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
