//! File status: `struct stat` as x86_64 Linux fills it, and the file-type bits of its mode.
//!
//! `stat`, `fstat` and `newfstatat` all copy out this one structure. Its layout is x86_64's own
//! (`asm/stat.h`, the `#else` branch after `__i386__`), not the `asm-generic/stat.h` one that
//! newer ports such as RISC-V use: there `st_mode` comes before `st_nlink`, which is 32 bits.
//! The type bits are from `linux/stat.h` and are octal there, as in every Unix since V7.

/// Mask of the file-type bits of a mode.
pub const S_IFMT: u32 = 0o170000;
/// File type: socket.
pub const S_IFSOCK: u32 = 0o140000;
/// File type: symbolic link.
pub const S_IFLNK: u32 = 0o120000;
/// File type: regular file.
pub const S_IFREG: u32 = 0o100000;
/// File type: block device.
pub const S_IFBLK: u32 = 0o060000;
/// File type: directory.
pub const S_IFDIR: u32 = 0o040000;
/// File type: character device (such as a terminal).
pub const S_IFCHR: u32 = 0o020000;
/// File type: FIFO (a named or unnamed pipe).
pub const S_IFIFO: u32 = 0o010000;

/// The file-type bits of `mode` (one of the `S_IF*` values), as `mode & S_IFMT`.
pub const fn file_type(mode: u32) -> u32 {
    mode & S_IFMT
}

/// The status of a file (x86_64 `struct stat`, 144 bytes).
///
/// The kernel's header declares the time fields unsigned; they are `i64` here, as in the C
/// library's `struct timespec`, since the bits are the same and times before 1970 are negative.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    /// Id of the device that holds the file.
    pub st_dev: u64,
    /// Inode number, unique within the device.
    pub st_ino: u64,
    /// Number of hard links.
    pub st_nlink: u64,
    /// File type (`S_IF*`) and permission bits.
    pub st_mode: u32,
    /// Owner's user id.
    pub st_uid: u32,
    /// Owner's group id.
    pub st_gid: u32,
    /// Padding that keeps `st_rdev` 8-aligned; written as 0.
    pub pad0: u32,
    /// Device id, if the file is a character or block device.
    pub st_rdev: u64,
    /// Size in bytes.
    pub st_size: i64,
    /// Preferred block size for efficient input/output.
    pub st_blksize: i64,
    /// Number of 512-byte blocks allocated.
    pub st_blocks: i64,
    /// Last access: seconds.
    pub st_atime: i64,
    /// Last access: nanoseconds.
    pub st_atime_nsec: i64,
    /// Last modification of the contents: seconds.
    pub st_mtime: i64,
    /// Last modification of the contents: nanoseconds.
    pub st_mtime_nsec: i64,
    /// Last change of the status (inode): seconds.
    pub st_ctime: i64,
    /// Last change of the status (inode): nanoseconds.
    pub st_ctime_nsec: i64,
    /// Reserved by Linux; written as 0.
    pub reserved: [i64; 3],
}

impl Stat {
    /// A status with every field 0.
    pub const fn zeroed() -> Self {
        Stat {
            st_dev: 0,
            st_ino: 0,
            st_nlink: 0,
            st_mode: 0,
            st_uid: 0,
            st_gid: 0,
            pad0: 0,
            st_rdev: 0,
            st_size: 0,
            st_blksize: 0,
            st_blocks: 0,
            st_atime: 0,
            st_atime_nsec: 0,
            st_mtime: 0,
            st_mtime_nsec: 0,
            st_ctime: 0,
            st_ctime_nsec: 0,
            reserved: [0; 3],
        }
    }
}

const _: () = assert!(core::mem::size_of::<Stat>() == 144);
const _: () = assert!(core::mem::align_of::<Stat>() == 8);
const _: () = assert!(core::mem::offset_of!(Stat, st_nlink) == 16);
const _: () = assert!(core::mem::offset_of!(Stat, st_mode) == 24);
const _: () = assert!(core::mem::offset_of!(Stat, st_rdev) == 40);
const _: () = assert!(core::mem::offset_of!(Stat, st_size) == 48);
const _: () = assert!(core::mem::offset_of!(Stat, st_atime) == 72);
const _: () = assert!(core::mem::offset_of!(Stat, st_ctime_nsec) == 112);
const _: () = assert!(core::mem::offset_of!(Stat, reserved) == 120);

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn layout_matches_x86_64_linux() {
        // Offsets of x86_64 `struct stat`, field by field (checked against the C header with
        // gcc's offsetof when this crate was written).
        let expected = [
            (offset_of!(Stat, st_dev), 0),
            (offset_of!(Stat, st_ino), 8),
            (offset_of!(Stat, st_nlink), 16),
            (offset_of!(Stat, st_mode), 24),
            (offset_of!(Stat, st_uid), 28),
            (offset_of!(Stat, st_gid), 32),
            (offset_of!(Stat, pad0), 36),
            (offset_of!(Stat, st_rdev), 40),
            (offset_of!(Stat, st_size), 48),
            (offset_of!(Stat, st_blksize), 56),
            (offset_of!(Stat, st_blocks), 64),
            (offset_of!(Stat, st_atime), 72),
            (offset_of!(Stat, st_atime_nsec), 80),
            (offset_of!(Stat, st_mtime), 88),
            (offset_of!(Stat, st_mtime_nsec), 96),
            (offset_of!(Stat, st_ctime), 104),
            (offset_of!(Stat, st_ctime_nsec), 112),
            (offset_of!(Stat, reserved), 120),
        ];
        for (index, (actual, wanted)) in expected.into_iter().enumerate() {
            assert_eq!(actual, wanted, "field {index}");
        }
        assert_eq!(Stat::default(), Stat::zeroed());
    }

    #[test]
    fn file_types() {
        assert_eq!(file_type(S_IFDIR | 0o755), S_IFDIR);
        assert_eq!(file_type(S_IFLNK | 0o777), S_IFLNK);
        assert_ne!(file_type(S_IFLNK), S_IFREG); // S_IFLNK shares S_IFREG's bit: compare, never `&`
    }
}
