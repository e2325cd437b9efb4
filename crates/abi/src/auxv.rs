//! Auxiliary-vector entry types: what the kernel tells a new program beside argv and envp.
//!
//! `execve` leaves on the new stack, above the environment pointers, a list of (type, value)
//! pairs of `u64`s ending with `AT_NULL`; the C library's start-up code reads it to find its own
//! program headers (for TLS), the page size and 16 random bytes for the stack protector. Types
//! from `linux/auxvec.h` and x86's `asm/auxvec.h` (System V ABI AMD64 supplement §3.4.3).

/// End of the vector; its value is ignored.
pub const AT_NULL: u64 = 0;
/// Address of the program's ELF program headers in memory.
pub const AT_PHDR: u64 = 3;
/// Size of one program-header entry (56 for ELF64).
pub const AT_PHENT: u64 = 4;
/// Number of program headers.
pub const AT_PHNUM: u64 = 5;
/// The page size (4096).
pub const AT_PAGESZ: u64 = 6;
/// Load address of the program interpreter (0 for a static program).
pub const AT_BASE: u64 = 7;
/// Flags; always 0.
pub const AT_FLAGS: u64 = 8;
/// The program's entry point.
pub const AT_ENTRY: u64 = 9;
/// Real user id.
pub const AT_UID: u64 = 11;
/// Effective user id.
pub const AT_EUID: u64 = 12;
/// Real group id.
pub const AT_GID: u64 = 13;
/// Effective group id.
pub const AT_EGID: u64 = 14;
/// Address of a string naming the CPU ("x86_64").
pub const AT_PLATFORM: u64 = 15;
/// CPU feature bits (on x86, CPUID leaf 1's EDX).
pub const AT_HWCAP: u64 = 16;
/// Clock ticks per second that `times` counts in (100).
pub const AT_CLKTCK: u64 = 17;
/// Nonzero if the program runs set-user-id or set-group-id and must distrust its environment.
pub const AT_SECURE: u64 = 23;
/// Address of 16 random bytes (glibc and musl seed the stack protector from them).
pub const AT_RANDOM: u64 = 25;
/// Address of the path string the program was started with.
pub const AT_EXECFN: u64 = 31;
/// Address of the vDSO's ELF header; absent when there is no vDSO.
pub const AT_SYSINFO_EHDR: u64 = 33;
/// The smallest stack a signal handler can run on, for `sigaltstack`.
pub const AT_MINSIGSTKSZ: u64 = 51;
