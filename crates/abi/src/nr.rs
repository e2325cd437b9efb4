//! System-call numbers: the value user space puts in `rax` before `syscall`.
//!
//! Linux numbers its x86_64 calls in `arch/x86/entry/syscalls/syscall_64.tbl`; Debian ships the
//! result as `/usr/include/x86_64-linux-gnu/asm/unistd_64.h`. Ferrite keeps Linux's numbers so
//! that an unmodified static musl or glibc binary finds the call it expects. The constants below
//! are the calls Ferrite implements or is about to; [`name`] knows every Linux call, so the
//! kernel can say by name which unimplemented call a program tried (it answers `ENOSYS`).
//!
//! The arguments go in `rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9` (not `rcx`: `syscall` overwrites it
//! with the return address, and `r11` with `rflags`); the result comes back in `rax`, see
//! [`crate::errno::encode`].

mod table;

pub use table::COUNT;

/// Declares the numbers and, from the same lines, [`IMPLEMENTED`], so the list that the header
/// test walks can never miss a constant.
macro_rules! numbers {
    ($( $(#[$doc:meta])* $name:ident = $value:literal, )*) => {
        $( $(#[$doc])* pub const $name: usize = $value; )*

        /// Every constant of this module as (upper-case name, number), in source order.
        pub const IMPLEMENTED: &[(&str, usize)] = &[$( (stringify!($name), $name) ),*];
    };
}

numbers! {
    /// Read bytes from a file descriptor.
    READ = 0,
    /// Write bytes to a file descriptor.
    WRITE = 1,
    /// Open a file by path, relative to the working directory.
    OPEN = 2,
    /// Close a file descriptor.
    CLOSE = 3,
    /// File status by path, following a final symbolic link.
    STAT = 4,
    /// File status of an open file descriptor.
    FSTAT = 5,
    /// Status of a file by path, not following a final symbolic link.
    LSTAT = 6,
    /// Wait for events on a set of descriptors.
    POLL = 7,
    /// Move the file offset (`SEEK_SET`, `SEEK_CUR`, `SEEK_END`).
    LSEEK = 8,
    /// Map memory: anonymous or file-backed pages at a chosen or free address.
    MMAP = 9,
    /// Change the protection (`PROT_*`) of mapped pages.
    MPROTECT = 10,
    /// Remove a mapping.
    MUNMAP = 11,
    /// Move the end of the data segment (the heap's break); returns the new break.
    BRK = 12,
    /// Install or query a signal handler.
    RT_SIGACTION = 13,
    /// Block, unblock or query the set of blocked signals.
    RT_SIGPROCMASK = 14,
    /// Return from a signal handler, restoring the interrupted context.
    RT_SIGRETURN = 15,
    /// Device-specific control, such as terminal settings and window size.
    IOCTL = 16,
    /// Read at an offset, leaving the file position alone.
    PREAD64 = 17,
    /// Write at an offset, leaving the file position alone.
    PWRITE64 = 18,
    /// Read into several buffers.
    READV = 19,
    /// Write several buffers (`Iovec`s) in one call.
    WRITEV = 20,
    /// Check that a file exists (and may be accessed).
    ACCESS = 21,
    /// Create a pipe: two descriptors, read end first.
    PIPE = 22,
    /// Wait until descriptors in up to three sets are ready.
    SELECT = 23,
    /// Give up the processor to another runnable thread.
    SCHED_YIELD = 24,
    /// Grow, shrink or move a mapping.
    MREMAP = 25,
    /// Write a shared file mapping's changed pages back to the file.
    MSYNC = 26,
    /// Advise the kernel how a range of memory will be used.
    MADVISE = 28,
    /// Find or make a System V shared memory segment by key.
    SHMGET = 29,
    /// Map a System V shared memory segment.
    SHMAT = 30,
    /// Query, change or remove a System V shared memory segment.
    SHMCTL = 31,
    /// Duplicate a descriptor onto the lowest free number.
    DUP = 32,
    /// Duplicate a descriptor onto a chosen number, closing what was there.
    DUP2 = 33,
    /// Sleep until a signal arrives.
    PAUSE = 34,
    /// Sleep for a `Timespec`.
    NANOSLEEP = 35,
    /// Read an interval timer (`ITIMER_REAL`: SIGALRM).
    GETITIMER = 36,
    /// Send SIGALRM after a number of seconds (0 cancels).
    ALARM = 37,
    /// Arm or disarm an interval timer.
    SETITIMER = 38,
    /// The caller's process id (its thread-group id).
    GETPID = 39,
    /// Copy bytes from one file to another inside the kernel (busybox `cat` tries it first).
    SENDFILE = 40,
    /// Create a process or thread, with `CLONE_*` flags choosing what is shared.
    CLONE = 56,
    /// Create a child process that is a copy of the caller.
    FORK = 57,
    /// Create a child that borrows the parent's memory until it calls `execve` or exits.
    VFORK = 58,
    /// Replace the program of the calling process.
    EXECVE = 59,
    /// End the calling thread.
    EXIT = 60,
    /// Wait for a child to change state; reports a wait status and optionally `Rusage`.
    WAIT4 = 61,
    /// Send a signal to a process or process group.
    KILL = 62,
    /// System identification into a `Utsname`.
    UNAME = 63,
    /// Find or make a semaphore set by key.
    SEMGET = 64,
    /// Apply a list of semaphore operations, all or none.
    SEMOP = 65,
    /// Control a semaphore set: values, state, removal.
    SEMCTL = 66,
    /// Unmap a System V shared memory segment.
    SHMDT = 67,
    /// Find or make a message queue by key.
    MSGGET = 68,
    /// Send a message to a queue.
    MSGSND = 69,
    /// Receive a message from a queue, chosen by type.
    MSGRCV = 70,
    /// Control a message queue: state, size, removal.
    MSGCTL = 71,
    /// Descriptor control: duplicate, close-on-exec flag, status flags.
    FCNTL = 72,
    /// Take or release a whole-file lock on an open file description (`LOCK_SH`, `LOCK_EX`).
    FLOCK = 73,
    /// Make a file's data durable.
    FSYNC = 74,
    /// Make a file's data durable (its metadata only as far as reading the data needs).
    FDATASYNC = 75,
    /// Set a file's size by path.
    TRUNCATE = 76,
    /// Set an open file's size.
    FTRUNCATE = 77,
    /// The working directory's path.
    GETCWD = 79,
    /// Change the working directory.
    CHDIR = 80,
    /// Change the working directory to an open directory.
    FCHDIR = 81,
    /// Rename a file.
    RENAME = 82,
    /// Create a directory.
    MKDIR = 83,
    /// Remove an empty directory.
    RMDIR = 84,
    /// Create a file (open with O_CREAT|O_WRONLY|O_TRUNC).
    CREAT = 85,
    /// Give a file another name (a hard link).
    LINK = 86,
    /// Remove a name from a directory.
    UNLINK = 87,
    /// Make a symbolic link holding a path.
    SYMLINK = 88,
    /// The target of a symbolic link.
    READLINK = 89,
    /// Set a file's permission bits by path.
    CHMOD = 90,
    /// Set an open file's permission bits.
    FCHMOD = 91,
    /// Set a file's owner and group by path (following a final symbolic link).
    CHOWN = 92,
    /// Set an open file's owner and group.
    FCHOWN = 93,
    /// Set a file's owner and group by path, not following a final symbolic link.
    LCHOWN = 94,
    /// Set the mask of permissions new files lose.
    UMASK = 95,
    /// The real time as a `Timeval`, and an obsolete time zone (written as zeros).
    GETTIMEOFDAY = 96,
    /// A resource limit of the caller (`Rlimit`).
    GETRLIMIT = 97,
    /// Resources used by the caller or its ended children (`Rusage`).
    GETRUSAGE = 98,
    /// Uptime, memory and process count (`Sysinfo`).
    SYSINFO = 99,
    /// Processor time of the caller and its children, in clock ticks (`Tms`).
    TIMES = 100,
    /// The real user id.
    GETUID = 102,
    /// Read or clear the kernel log (`klogctl` in C; what `dmesg` uses).
    SYSLOG = 103,
    /// The real group id.
    GETGID = 104,
    /// Set the user ids.
    SETUID = 105,
    /// Set the group ids.
    SETGID = 106,
    /// The effective user id.
    GETEUID = 107,
    /// The effective group id.
    GETEGID = 108,
    /// Put a process in a process group.
    SETPGID = 109,
    /// The parent's process id.
    GETPPID = 110,
    /// The caller's process group.
    GETPGRP = 111,
    /// Start a new session.
    SETSID = 112,
    /// Set the real and effective user ids.
    SETREUID = 113,
    /// Set the real and effective group ids.
    SETREGID = 114,
    /// The supplementary group ids.
    GETGROUPS = 115,
    /// Set the real, effective and saved user ids.
    SETRESUID = 117,
    /// The real, effective and saved user ids.
    GETRESUID = 118,
    /// Set the real, effective and saved group ids.
    SETRESGID = 119,
    /// The real, effective and saved group ids.
    GETRESGID = 120,
    /// A process's process group.
    GETPGID = 121,
    /// A process's session.
    GETSID = 124,
    /// The signals that are pending because they are blocked.
    RT_SIGPENDING = 127,
    /// Wait for one of a set of signals and take it without a handler.
    RT_SIGTIMEDWAIT = 128,
    /// Replace the signal mask and sleep until a handler has run.
    RT_SIGSUSPEND = 130,
    /// Set or query the alternate stack signal handlers may run on.
    SIGALTSTACK = 131,
    /// Statistics of the file system holding a path.
    STATFS = 137,
    /// Statistics of the file system holding an open file.
    FSTATFS = 138,
    /// Process controls (thread name, dumpable flag, ...); glibc's start-up calls it.
    PRCTL = 157,
    /// Set a resource limit of the caller.
    SETRLIMIT = 160,
    /// Make every file system's changes durable.
    SYNC = 162,
    /// Restart, halt or power off the machine (with the two magic numbers).
    REBOOT = 169,
    /// x86_64 thread state: set or get the `fs` and `gs` base (`ARCH_SET_FS` for TLS).
    ARCH_PRCTL = 158,
    /// The caller's thread id.
    GETTID = 186,
    /// Send a signal to one thread.
    TKILL = 200,
    /// Wait on or wake a user-space lock word (`FUTEX_WAIT`, `FUTEX_WAKE`, ...).
    FUTEX = 202,
    /// Seconds since 1970 (`CLOCK_REALTIME` to the second).
    TIME = 201,
    /// The set of CPUs a thread may run on, as a bit mask.
    SCHED_GETAFFINITY = 204,
    /// Read directory entries as `LinuxDirent64` records.
    GETDENTS64 = 217,
    /// Register the word the kernel clears (and wakes) when the thread exits; returns the tid.
    SET_TID_ADDRESS = 218,
    /// `semop` with a timeout.
    SEMTIMEDOP = 220,
    /// Read a clock (`CLOCK_REALTIME`, `CLOCK_MONOTONIC`, ...) into a `Timespec`.
    CLOCK_GETTIME = 228,
    /// The resolution of a clock.
    CLOCK_GETRES = 229,
    /// Sleep on a chosen clock, for a span or until a time (`TIMER_ABSTIME`).
    CLOCK_NANOSLEEP = 230,
    /// End every thread of the calling process.
    EXIT_GROUP = 231,
    /// Send a signal to one thread of a given process.
    TGKILL = 234,
    /// Open a file by path, relative to a directory descriptor or `AT_FDCWD`.
    OPENAT = 257,
    /// Make a directory, relative to a directory descriptor.
    MKDIRAT = 258,
    /// Set a file's owner and group, the path relative to a directory descriptor.
    FCHOWNAT = 260,
    /// File status by path relative to a directory descriptor (glibc's `stat` and `fstat`).
    NEWFSTATAT = 262,
    /// Remove a name or an empty directory, relative to a directory descriptor.
    UNLINKAT = 263,
    /// Rename, relative to directory descriptors.
    RENAMEAT = 264,
    /// Give a file another name, each path relative to a directory descriptor.
    LINKAT = 265,
    /// Make a symbolic link, its path relative to a directory descriptor.
    SYMLINKAT = 266,
    /// The target of a symbolic link, the path relative to a directory descriptor.
    READLINKAT = 267,
    /// Set a file's permission bits, the path relative to a directory descriptor.
    FCHMODAT = 268,
    /// Check access, relative to a directory descriptor.
    FACCESSAT = 269,
    /// `select` with a timespec and a signal mask for the wait.
    PSELECT6 = 270,
    /// `poll` with a timespec and a signal mask for the wait.
    PPOLL = 271,
    /// Register the thread's robust-futex list (mutexes to mark if it dies holding them).
    SET_ROBUST_LIST = 273,
    /// Read a thread's robust-futex list head.
    GET_ROBUST_LIST = 274,
    /// Set a file's access and modification times (`touch`).
    UTIMENSAT = 280,
    /// Duplicate a descriptor onto another, with flags.
    DUP3 = 292,
    /// Create a pipe with `O_CLOEXEC` or `O_NONBLOCK`.
    PIPE2 = 293,
    /// Get or set a resource limit of a process.
    PRLIMIT64 = 302,
    /// Make the changes of the file system holding a descriptor durable.
    SYNCFS = 306,
    /// Rename, relative to directory descriptors, with flags.
    RENAMEAT2 = 316,
    /// Fill a buffer with random bytes.
    GETRANDOM = 318,
    /// Restartable sequences: answered `ENOSYS` on purpose, which glibc takes as "not here".
    RSEQ = 334,
    /// Check access, relative to a directory descriptor, with flags.
    FACCESSAT2 = 439,
}

/// The Linux name of system call `nr` ("openat"), or `None` if Linux has no call with that
/// number; for reporting a call that Ferrite does not implement.
pub fn name(nr: usize) -> Option<&'static str> {
    table::NAMES.get(nr).copied().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_constant_is_named_by_the_table() {
        for &(constant, nr) in IMPLEMENTED {
            assert_eq!(
                name(nr).map(str::to_ascii_uppercase).as_deref(),
                Some(constant),
                "nr::{constant}"
            );
        }
    }

    #[test]
    fn constants_are_unique() {
        for (i, &(a, x)) in IMPLEMENTED.iter().enumerate() {
            for &(b, y) in &IMPLEMENTED[i + 1..] {
                assert!(a != b && x != y, "{a} = {x} and {b} = {y}");
            }
        }
    }

    #[test]
    fn gaps_and_out_of_range_numbers_have_no_name() {
        assert_eq!(name(READ), Some("read"));
        assert_eq!(name(RSEQ), Some("rseq"));
        assert_eq!(name(335), None); // between rseq and the 424.. block
        assert!(name(COUNT - 1).is_some());
        assert_eq!(name(COUNT), None);
        assert_eq!(name(usize::MAX), None);
    }
}
