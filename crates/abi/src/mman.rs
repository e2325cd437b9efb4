//! Memory-mapping flags for `mmap`, `mprotect` and `munmap`.
//!
//! From `asm-generic/mman-common.h`, `linux/mman.h` and x86's `asm/mman.h`. The protection bits
//! become page-table bits: on x86_64 a readable page is present, `PROT_WRITE` sets the writable
//! bit and the absence of `PROT_EXEC` sets no-execute (Intel SDM Vol. 3A §4.5); x86 cannot map a
//! page writable but unreadable, so Linux grants read with write, and Ferrite does the same.

/// Protection: the pages cannot be accessed at all (a guard page).
pub const PROT_NONE: u32 = 0x0;
/// Protection: the pages can be read.
pub const PROT_READ: u32 = 0x1;
/// Protection: the pages can be written.
pub const PROT_WRITE: u32 = 0x2;
/// Protection: the pages can be executed.
pub const PROT_EXEC: u32 = 0x4;

/// Mapping: writes are shared with every other mapping of the same file.
pub const MAP_SHARED: u32 = 0x01;
/// Mapping: writes stay private to this process (copy on write).
pub const MAP_PRIVATE: u32 = 0x02;
/// Mask of the sharing type; exactly one of `MAP_SHARED` and `MAP_PRIVATE` must be set.
pub const MAP_TYPE: u32 = 0x0f;
/// Mapping: use the address exactly, replacing whatever was mapped there.
pub const MAP_FIXED: u32 = 0x10;
/// Mapping: zero-filled memory backed by no file (the descriptor is ignored, use -1).
pub const MAP_ANONYMOUS: u32 = 0x20;
/// Mapping: the memory will be a thread's stack (a hint; it changes no semantics).
pub const MAP_STACK: u32 = 0x20000;
/// Mapping: like `MAP_FIXED`, but fail with `EEXIST` rather than replace an existing mapping.
pub const MAP_FIXED_NOREPLACE: u32 = 0x100000;

/// What the C library's `mmap` returns on failure, `(void *)-1`; the raw system call never does.
///
/// The kernel returns a negated error number like every other call (see [`crate::errno`]), and
/// only a libc wrapper turns that into `MAP_FAILED` and `errno`. A user runtime that calls the
/// system call directly must test with [`crate::errno::decode`], not compare with this value.
pub const MAP_FAILED: usize = usize::MAX;
