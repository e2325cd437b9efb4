//! Memory-mapping flags for `mmap`, `mprotect`, `munmap`, `mremap` and `madvise`.
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
/// Mapping: shared, and every flag must be one the kernel knows (else `EOPNOTSUPP`).
pub const MAP_SHARED_VALIDATE: u32 = 0x03;
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

/// `msync`: start the write-back and return (Linux, whose page cache is the file, does nothing).
pub const MS_ASYNC: u32 = 1;
/// `msync`: drop other copies of the pages (nothing to do where every mapping shares them).
pub const MS_INVALIDATE: u32 = 2;
/// `msync`: write the changed pages back and wait until they are written.
pub const MS_SYNC: u32 = 4;

/// `mremap`: the mapping may move to a new address if it cannot grow where it is.
pub const MREMAP_MAYMOVE: u32 = 1;
/// `mremap`: move to the address in the fifth argument (needs `MREMAP_MAYMOVE`).
pub const MREMAP_FIXED: u32 = 2;
/// `mremap`: move, and leave the old range mapped but empty.
pub const MREMAP_DONTUNMAP: u32 = 4;

/// `madvise`: no special treatment (the default).
pub const MADV_NORMAL: i32 = 0;
/// `madvise`: pages will be touched in random order (read ahead less).
pub const MADV_RANDOM: i32 = 1;
/// `madvise`: pages will be touched in order (read ahead more).
pub const MADV_SEQUENTIAL: i32 = 2;
/// `madvise`: pages will be needed soon.
pub const MADV_WILLNEED: i32 = 3;
/// `madvise`: the contents are not needed; private anonymous pages read as zeros afterwards.
pub const MADV_DONTNEED: i32 = 4;
/// `madvise`: the contents may be freed lazily (they read as before or as zeros).
pub const MADV_FREE: i32 = 8;
/// `madvise`: free the range and its backing store (shared mappings only).
pub const MADV_REMOVE: i32 = 9;
/// `madvise`: a child of `fork` does not get this range.
pub const MADV_DONTFORK: i32 = 10;
/// `madvise`: undo `MADV_DONTFORK`.
pub const MADV_DOFORK: i32 = 11;
/// `madvise`: the pages may be merged with identical ones (KSM).
pub const MADV_MERGEABLE: i32 = 12;
/// `madvise`: undo `MADV_MERGEABLE`.
pub const MADV_UNMERGEABLE: i32 = 13;
/// `madvise`: back the range with huge pages where possible.
pub const MADV_HUGEPAGE: i32 = 14;
/// `madvise`: never back the range with huge pages.
pub const MADV_NOHUGEPAGE: i32 = 15;
/// `madvise`: leave the range out of a core dump.
pub const MADV_DONTDUMP: i32 = 16;
/// `madvise`: undo `MADV_DONTDUMP`.
pub const MADV_DODUMP: i32 = 17;
/// `madvise`: a child of `fork` sees the range zeroed.
pub const MADV_WIPEONFORK: i32 = 18;
/// `madvise`: undo `MADV_WIPEONFORK`.
pub const MADV_KEEPONFORK: i32 = 19;
/// `madvise`: the pages are cold (reclaim them first).
pub const MADV_COLD: i32 = 20;
/// `madvise`: reclaim the pages now.
pub const MADV_PAGEOUT: i32 = 21;
/// `madvise`: fault the pages in, readable.
pub const MADV_POPULATE_READ: i32 = 22;
/// `madvise`: fault the pages in, writable.
pub const MADV_POPULATE_WRITE: i32 = 23;
