//! Ferrite's system-call ABI: the subset of Linux's x86_64 interface that Ferrite implements,
//! defined once for the kernel and for the user runtime.
//!
//! Ferrite does not invent a system-call interface: it speaks Linux's, with the same numbers,
//! argument order, structure layouts, flag bits and error numbers, so that statically linked
//! musl and glibc programs (busybox among them) run unmodified, and a learner can check any
//! detail against `man 2` pages and `strace`. Every number here is a fact from the headers that
//! Debian ships in `linux-libc-dev`; each module names the header it mirrors, and
//! `tests/linux_headers/` parses those headers and fails if any value differs.
//!
//! Design rules:
//!
//! 1. **One definition.** Kernel and runtime both depend on this crate, so they cannot disagree
//!    about a number or a layout.
//! 2. **Data, not behaviour.** Constants, plain `#[repr(C)]` structures and pure helpers; no
//!    `unsafe`, no allocation, no dependencies, `#![no_std]`.
//! 3. **Layouts are asserted at compile time.** Every structure's size and key offsets are
//!    `const` assertions next to it, so a wrong field breaks the build, not a user program.
//! 4. **User addresses are integers.** A field that holds a user-space address is a `u64`, never
//!    a Rust pointer: the kernel must validate it before touching memory there.
//! 5. **C's types.** A constant has the type of the C argument it goes into (`u32` for flag
//!    sets and commands, `i32` where C's `int` may be negative, `u64` for `clone`'s flags and
//!    auxiliary-vector types, `usize` for system-call numbers and results), so the kernel
//!    converts the register once and compares without casts.
//!
//! The modules follow Linux's headers: [`nr`] (numbers and names), [`errno`] (errors and the
//! result convention), then one module per header for flags and structures.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod arch_prctl;
pub mod auxv;
pub mod dirent;
pub mod errno;
pub mod fcntl;
pub mod futex;
pub mod ipc;
pub mod mman;
pub mod nr;
pub mod poll;
pub mod prctl;
pub mod random;
pub mod reboot;
pub mod resource;
pub mod sched;
pub mod siginfo;
pub mod signal;
pub mod stat;
pub mod statfs;
pub mod sysinfo;
pub mod syslog;
pub mod time;
pub mod tty;
pub mod ucontext;
pub mod uio;
pub mod utsname;
pub mod wait;

pub use dirent::LinuxDirent64;
pub use errno::{decode, encode, Errno};
pub use resource::{Rlimit, Rusage};
pub use siginfo::SigInfo;
pub use signal::{SigAction, Stack};
pub use stat::Stat;
pub use statfs::Statfs;
pub use sysinfo::Sysinfo;
pub use time::{Timespec, Timeval, Tms};
pub use tty::{Termios, Winsize};
pub use uio::Iovec;
pub use utsname::Utsname;
