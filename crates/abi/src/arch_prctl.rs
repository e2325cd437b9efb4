//! Sub-commands of `arch_prctl`, x86_64's thread-state call.
//!
//! 64-bit code cannot load a useful base into `fs` or `gs` through a segment descriptor, so the
//! kernel writes the `FS.base`/`GS.base` MSRs for it (Intel SDM Vol. 3A §3.4.4.1). The C
//! library points `fs` at its thread-control block with `ARCH_SET_FS` before any thread-local
//! variable is used. Values from `asm/prctl.h`.

/// Set the `gs` base to the argument.
pub const ARCH_SET_GS: u32 = 0x1001;
/// Set the `fs` base (the thread pointer of x86_64 TLS) to the argument.
pub const ARCH_SET_FS: u32 = 0x1002;
/// Store the `fs` base at the address in the argument.
pub const ARCH_GET_FS: u32 = 0x1003;
/// Store the `gs` base at the address in the argument.
pub const ARCH_GET_GS: u32 = 0x1004;
