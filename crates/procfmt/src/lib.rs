//! The text of `/proc`'s files in Linux's formats: what `ps`, `top`, `free`, `uptime` and
//! `pidof` parse.
//!
//! Linux reports processes and the machine through text files rather than system calls, and
//! every tool that lists processes (procps, busybox) is a parser of those files. Their layouts
//! are an ABI as fixed as a structure's: `/proc/PID/stat` is one line of 52 fields separated by
//! single spaces, found by position, and busybox reads it with `sscanf` and a field count, so a
//! missing field, or a name with a space in it that was not put in parentheses, shifts every
//! field after it (proc(5) in the Linux man-pages documents each field). The kernel gathers the
//! numbers; this crate only writes them down, so that `cargo test` can check every line against
//! the layouts a real Linux produces, on the host, without a boot.
//!
//! Units follow Linux's choices, which are not uniform: CPU times and the start time are in
//! clock ticks of `USER_HZ` (100 a second, whatever the kernel's own timer rate), `vsize` is in
//! bytes but `rss` in pages, and `status` and `meminfo` give memory in KiB (written `kB`).
//! Fields Ferrite has no counterpart for (minor faults, the scheduling policy, code and data
//! bounds) are written as 0, which readers take as "none".
//!
//! Beside the texts, the numbering of `/proc`'s inodes ([`inode`]): pure arithmetic that the
//! kernel's `/proc` decodes on every call, tested here for the same reason.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod fd;
pub mod inode;
mod machine;
mod maps;
mod process;

pub use fd::{fd_target, Open};

pub use machine::{loadavg, meminfo, meminfo_line, stat_file, uptime, Counters, CpuTimes, Memory};
pub use maps::{maps_line, Mapping};
pub use process::{
    cmdline, comm, stat, status, tty_nr, Process, Signals, State, COMM_LEN, PAGE_SIZE,
};
