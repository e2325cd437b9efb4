//! Flags of `open` and `openat`, the commands of `fcntl`, and `lseek`'s origins.
//!
//! From `asm-generic/fcntl.h` (which x86 uses unchanged; the header writes the flags in octal),
//! `linux/fcntl.h` and `linux/fs.h`. The low two bits of the open flags are an access mode, not
//! two flags: read-only is 0, so test it with `flags & O_ACCMODE == O_RDONLY`, never with `&`.

/// Access mode: read only.
pub const O_RDONLY: u32 = 0o0;
/// Access mode: write only.
pub const O_WRONLY: u32 = 0o1;
/// Access mode: read and write.
pub const O_RDWR: u32 = 0o2;
/// Mask of the access mode within the open flags.
pub const O_ACCMODE: u32 = 0o3;
/// Create the file if it does not exist (the call's mode argument gives its permissions).
pub const O_CREAT: u32 = 0o100;
/// With `O_CREAT`: fail with `EEXIST` if the file exists.
pub const O_EXCL: u32 = 0o200;
/// Do not make a terminal the controlling terminal of the process.
pub const O_NOCTTY: u32 = 0o400;
/// Truncate a regular file to length 0 when opened for writing.
pub const O_TRUNC: u32 = 0o1000;
/// Every write goes to the end of the file.
pub const O_APPEND: u32 = 0o2000;
/// Calls that would block fail with `EAGAIN` instead.
pub const O_NONBLOCK: u32 = 0o4000;
/// Allow files over 2 GiB; implied on 64-bit, but some 64-bit C libraries still pass it.
pub const O_LARGEFILE: u32 = 0o100000;
/// Fail with `ENOTDIR` unless the path names a directory.
pub const O_DIRECTORY: u32 = 0o200000;
/// Fail with `ELOOP` if the last path component is a symbolic link.
pub const O_NOFOLLOW: u32 = 0o400000;
/// Close the descriptor when the process calls `execve`.
pub const O_CLOEXEC: u32 = 0o2000000;

/// `openat`'s directory descriptor meaning "the working directory".
pub const AT_FDCWD: i32 = -100;
/// `*at` flag: do not follow a final symbolic link.
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
/// `unlinkat` flag: remove a directory, as `rmdir` does.
pub const AT_REMOVEDIR: u32 = 0x200;
/// `linkat` flag: follow a final symbolic link of the old path.
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
/// `*at` flag: an empty path means the descriptor itself (glibc's `fstat` is `newfstatat(fd, "")`).
pub const AT_EMPTY_PATH: u32 = 0x1000;

/// `fcntl`: duplicate onto the lowest free descriptor at or above the argument.
pub const F_DUPFD: u32 = 0;
/// `fcntl`: the descriptor flags (`FD_CLOEXEC`).
pub const F_GETFD: u32 = 1;
/// `fcntl`: set the descriptor flags.
pub const F_SETFD: u32 = 2;
/// `fcntl`: the open-file status flags and access mode.
pub const F_GETFL: u32 = 3;
/// `fcntl`: set the status flags (only `O_APPEND` and `O_NONBLOCK` of those Ferrite knows).
pub const F_SETFL: u32 = 4;
/// `fcntl`: as `F_DUPFD`, with `FD_CLOEXEC` set on the new descriptor.
pub const F_DUPFD_CLOEXEC: u32 = 1030;
/// Descriptor flag: close on `execve`.
pub const FD_CLOEXEC: u32 = 1;
/// `fcntl`: the first record lock that would stop the one described (or `F_UNLCK`).
pub const F_GETLK: u32 = 5;
/// `fcntl`: take or release a record lock; `EAGAIN` if another process holds a conflicting one.
pub const F_SETLK: u32 = 6;
/// `fcntl`: as `F_SETLK`, but wait for a conflicting lock to go.
pub const F_SETLKW: u32 = 7;
/// A record lock's type: shared (reading).
pub const F_RDLCK: i16 = 0;
/// A record lock's type: exclusive (writing).
pub const F_WRLCK: i16 = 1;
/// A record lock's type: none (unlock, or "nothing in the way" from `F_GETLK`).
pub const F_UNLCK: i16 = 2;
/// `flock`: a shared lock.
pub const LOCK_SH: u32 = 1;
/// `flock`: an exclusive lock.
pub const LOCK_EX: u32 = 2;
/// `flock`: fail with `EWOULDBLOCK` instead of waiting.
pub const LOCK_NB: u32 = 4;
/// `flock`: release.
pub const LOCK_UN: u32 = 8;

/// A record lock as `fcntl` passes it (`struct flock`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flock {
    /// `F_RDLCK`, `F_WRLCK` or `F_UNLCK`.
    pub l_type: i16,
    /// What `l_start` counts from: `SEEK_SET`, `SEEK_CUR` or `SEEK_END`.
    pub l_whence: i16,
    /// Padding to the next 8-byte field, as C lays it out.
    pub pad0: u32,
    /// The first byte, relative to `l_whence`.
    pub l_start: i64,
    /// How many bytes (0: to the end of the file, however far it grows).
    pub l_len: i64,
    /// With `F_GETLK`: the process holding the lock in the way.
    pub l_pid: i32,
    /// Padding to the structure's 8-byte alignment.
    pub pad1: u32,
}

const _: () = assert!(core::mem::size_of::<Flock>() == 32);

/// `lseek`: the offset counts from the start of the file.
pub const SEEK_SET: u32 = 0;
/// `lseek`: the offset counts from the current position.
pub const SEEK_CUR: u32 = 1;
/// `lseek`: the offset counts from the end of the file.
pub const SEEK_END: u32 = 2;
