//! File-system statistics: `struct statfs` as x86_64 Linux fills it for `statfs` and
//! `fstatfs`, which `df` reads.
//!
//! The layout is x86_64's (`asm-generic/statfs.h` with 64-bit words: `__statfs_word` is `long`).
//! `f_type` is each file system's magic number, from `linux/magic.h`; Ferrite's disk format has
//! its own, the ASCII of "FERR".

/// `f_type` of a tmpfs.
pub const TMPFS_MAGIC: i64 = 0x0102_1994;
/// `f_type` of a ramfs (Ferrite's read-only ramdisk file systems report this).
pub const RAMFS_MAGIC: i64 = 0x8584_58f6;
/// `f_type` of `/proc`.
pub const PROC_SUPER_MAGIC: i64 = 0x9fa0;
/// `f_type` of Ferrite's disk file system: "FERR".
pub const FERRITEFS_MAGIC: i64 = 0x4645_5252;
/// `f_flags`: mounted read-only.
pub const ST_RDONLY: i64 = 1;

/// File-system statistics (x86_64 `struct statfs`, 120 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statfs {
    /// The file system's magic number.
    pub f_type: i64,
    /// Its block size: the unit of the counts below.
    pub f_bsize: i64,
    /// Blocks in all.
    pub f_blocks: u64,
    /// Blocks free.
    pub f_bfree: u64,
    /// Blocks free to an ordinary user (all of them here: there is no reserve).
    pub f_bavail: u64,
    /// Inodes in all.
    pub f_files: u64,
    /// Inodes free.
    pub f_ffree: u64,
    /// File-system id.
    pub f_fsid: [i32; 2],
    /// The longest name it holds.
    pub f_namelen: i64,
    /// Fragment size (the block size here).
    pub f_frsize: i64,
    /// Mount flags (`ST_RDONLY`).
    pub f_flags: i64,
    /// Reserved.
    pub f_spare: [i64; 4],
}

const _: () = assert!(core::mem::size_of::<Statfs>() == 120);
const _: () = assert!(core::mem::offset_of!(Statfs, f_fsid) == 56);
const _: () = assert!(core::mem::offset_of!(Statfs, f_namelen) == 64);
