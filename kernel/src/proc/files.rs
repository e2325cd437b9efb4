//! The file system calls: Linux's numbers and rules over Ferrite's VFS.
//!
//! Each call checks and copies its arguments from the program (paths as NUL-terminated
//! strings of at most `PATH_MAX` bytes, buffers through [`uaccess`]), does its work on the
//! process's descriptor table and the VFS ([`crate::fs`]), and copies results back. Data moves
//! through a kernel buffer of at most [`CHUNK`] bytes at a time, so that no file-system lock is
//! ever held while the program's memory is touched (a page fault there may block).
//!
//! The `*at` calls take a directory descriptor that a relative path starts from; `AT_FDCWD`
//! means the working directory, and the old calls (`open`, `mkdir`, ...) are the `*at` calls
//! with `AT_FDCWD`.

use super::Task;
use crate::fs::file::{self, OpenFile};
use crate::fs::lock::{self, Family};
use crate::fs::{self as vfs, Kind, PATH_MAX};
use crate::mm::uaccess;
use abi::fcntl::*;
use abi::Errno;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use filelocks::Kind as LockKind;

/// The most bytes moved per step of a read or write.
const CHUNK: usize = 64 * 1024;
/// Transfers up to this size go through a buffer on the stack instead of the heap: most reads
/// and writes of a terminal or a pipe are a few bytes, and a heap allocation would be most of
/// their cost.
const SMALL: usize = 256;

/// A kernel buffer for a transfer of `count` bytes: on the stack (in `small`) when it fits,
/// else on the heap (kept in `large`), at most [`CHUNK`] bytes.
fn buffer<'a>(count: usize, small: &'a mut [u8; SMALL], large: &'a mut Vec<u8>) -> &'a mut [u8] {
    if count <= SMALL {
        &mut small[..count]
    } else {
        large.resize(count.min(CHUNK), 0);
        large
    }
}
/// `access` mode: the file exists.
const F_OK: u32 = 0;
/// `access` modes' mask: read (4), write (2), execute (1).
const ACCESS_MASK: u32 = 0o7;

/// Reads the path at user address `addr`.
fn read_path(addr: u64) -> Result<Vec<u8>, Errno> {
    uaccess::read_c_string(addr, PATH_MAX)
}

/// Where a relative path given with directory descriptor `dirfd` starts.
fn base(task: &Task, dirfd: i32, path: &[u8]) -> Result<String, Errno> {
    if dirfd == AT_FDCWD || path.first() == Some(&b'/') {
        return Ok(task.cwd.get());
    }
    let file = task.files.get(dirfd)?;
    file.directory_path()
        .map(String::from)
        .ok_or(Errno::ENOTDIR)
}

/// `read(fd, buf, count)`.
pub fn read(task: &Task, fd: i32, buf: u64, count: usize) -> Result<usize, Errno> {
    let file = task.files.get(fd)?;
    read_into(&file, buf, count, None)
}

/// Reads up to `count` bytes from `file` (at `offset`, or its position) to user `buf`.
fn read_into(file: &OpenFile, buf: u64, count: usize, offset: Option<u64>) -> Result<usize, Errno> {
    uaccess::check_range(buf, count)?;
    let (mut small, mut large) = ([0u8; SMALL], Vec::new());
    let kernel = buffer(count, &mut small, &mut large);
    let mut done = 0;
    // One step for a pipe or a terminal (a read returns what is there); more steps only for
    // a file, whose read never blocks.
    loop {
        let want = (count - done).min(CHUNK);
        let step = &mut kernel[..want];
        let n = match offset {
            Some(at) => file.read_at(step, at + done as u64),
            None => file.read(step),
        };
        let n = match n {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        uaccess::write(buf + done as u64, &step[..n])?;
        done += n;
        let is_file = matches!(file.object(), file::Object::Inode(_));
        if n < want || done == count || !is_file {
            break;
        }
    }
    Ok(done)
}

/// `write(fd, buf, count)`.
pub fn write(task: &Task, fd: i32, buf: u64, count: usize) -> Result<usize, Errno> {
    let file = task.files.get(fd)?;
    write_from(task, &file, buf, count, None)
}

/// Writes `count` bytes from user `buf` to `file` (at `offset`, or its position).
fn write_from(
    task: &Task,
    file: &OpenFile,
    buf: u64,
    count: usize,
    offset: Option<u64>,
) -> Result<usize, Errno> {
    uaccess::check_range(buf, count)?;
    let (mut small, mut large) = ([0u8; SMALL], Vec::new());
    let kernel = buffer(count, &mut small, &mut large);
    let mut done = 0;
    while done < count || count == 0 {
        let want = (count - done).min(CHUNK);
        let step = &mut kernel[..want];
        if let Err(e) = uaccess::read(buf + done as u64, step) {
            return if done == 0 { Err(e) } else { Ok(done) };
        }
        let n = match offset {
            Some(at) => file.write_at(step, at + done as u64),
            None => file.write(step),
        };
        match n {
            Ok(n) => done += n,
            Err(Errno::EPIPE) => {
                // No reader is left: the writer gets SIGPIPE, whose default ends it (when
                // this call returns), as well as the error.
                super::kill(task.pid, abi::signal::SIGPIPE);
                return if done == 0 {
                    Err(Errno::EPIPE)
                } else {
                    Ok(done)
                };
            }
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
        if count == 0 {
            break;
        }
    }
    Ok(done)
}

/// `readv`/`writev(fd, iov, iovcnt)`: each buffer in turn, stopping at a short transfer.
pub fn vectored(
    task: &Task,
    fd: i32,
    iov: u64,
    count: usize,
    writing: bool,
) -> Result<usize, Errno> {
    if count > abi::uio::UIO_MAXIOV {
        return Err(Errno::EINVAL);
    }
    let file = task.files.get(fd)?;
    let mut total = 0usize;
    for i in 0..count as u64 {
        let entry: abi::Iovec =
            uaccess::read_value(iov + i * core::mem::size_of::<abi::Iovec>() as u64)?;
        if entry.len == 0 {
            continue;
        }
        let len = entry.len as usize;
        let result = if writing {
            write_from(task, &file, entry.base, len, None)
        } else {
            read_into(&file, entry.base, len, None)
        };
        match result {
            Ok(n) => {
                total += n;
                if n < len {
                    break;
                }
            }
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(total)
}

/// `pread64`/`pwrite64(fd, buf, count, offset)`.
pub fn positioned(
    task: &Task,
    fd: i32,
    buf: u64,
    count: usize,
    offset: i64,
    writing: bool,
) -> Result<usize, Errno> {
    let offset = u64::try_from(offset).map_err(|_| Errno::EINVAL)?;
    let file = task.files.get(fd)?;
    if writing {
        write_from(task, &file, buf, count, Some(offset))
    } else {
        read_into(&file, buf, count, Some(offset))
    }
}

/// `openat(dirfd, path, flags, mode)`.
pub fn openat(
    task: &mut Task,
    dirfd: i32,
    path: u64,
    flags: u32,
    mode: u32,
) -> Result<usize, Errno> {
    let path = read_path(path)?;
    let cwd = base(task, dirfd, &path)?;
    let file = file::open(&cwd, &path, flags, mode)?;
    let fd = task.files.add(Arc::new(file), flags & O_CLOEXEC != 0, 0)?;
    Ok(fd as usize)
}

/// `close(fd)`.
pub fn close(task: &mut Task, fd: i32) -> Result<usize, Errno> {
    let file = task.files.get(fd)?;
    task.files.close(fd)?;
    // POSIX: closing any descriptor of a file drops every record lock the process holds on it.
    if let Some(node) = file.vnode() {
        lock::release(lock::key_of(node), Family::Record, u64::from(task.pid));
    }
    Ok(0)
}

/// `lseek(fd, offset, whence)`.
pub fn lseek(task: &Task, fd: i32, offset: i64, whence: u32) -> Result<usize, Errno> {
    task.files.get(fd)?.seek(offset, whence).map(|p| p as usize)
}

/// `fstat(fd, statbuf)`.
pub fn fstat(task: &Task, fd: i32, out: u64) -> Result<usize, Errno> {
    let stat = task.files.get(fd)?.stat()?;
    uaccess::write_value(out, &stat)?;
    Ok(0)
}

/// How a call's `AT_SYMLINK_NOFOLLOW` flag treats a symbolic link in the last component.
fn last_of(flags: u32) -> vfs::Last {
    if flags & AT_SYMLINK_NOFOLLOW != 0 {
        vfs::Last::NoFollow
    } else {
        vfs::Last::Follow
    }
}

/// `newfstatat(dirfd, path, statbuf, flags)` (and `stat`, and `lstat` with
/// `AT_SYMLINK_NOFOLLOW`: the link itself, `S_IFLNK`, rather than what it points at).
pub fn fstatat(task: &Task, dirfd: i32, path: u64, out: u64, flags: u32) -> Result<usize, Errno> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path)?;
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        return fstat(task, dirfd, out);
    }
    let cwd = base(task, dirfd, &path)?;
    let node = vfs::lookup(&cwd, &path, last_of(flags))?;
    let stat = vfs::to_stat(node.mount.id, &node.stat()?);
    uaccess::write_value(out, &stat)?;
    Ok(0)
}

/// `faccessat(dirfd, path, mode)`: the file exists (one user, who may do anything, so only
/// existence and, for execute, an execute bit are checked).
pub fn faccessat(task: &Task, dirfd: i32, path: u64, mode: u32) -> Result<usize, Errno> {
    if mode & !ACCESS_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path)?;
    let cwd = base(task, dirfd, &path)?;
    let attr = vfs::resolve(&cwd, &path)?.stat()?;
    /// `access` mode: execute (search, for a directory).
    const X_OK: u32 = 1;
    if mode != F_OK && mode & X_OK != 0 && attr.perm & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    Ok(0)
}

/// `getdents64(fd, dirp, count)`.
pub fn getdents64(task: &Task, fd: i32, out: u64, count: usize) -> Result<usize, Errno> {
    let file = task.files.get(fd)?;
    uaccess::check_range(out, count)?;
    let mut kernel = alloc::vec![0u8; count.min(CHUNK)];
    let n = file.read_directory(&mut kernel)?;
    uaccess::write(out, &kernel[..n])?;
    Ok(n)
}

/// `mkdirat(dirfd, path, mode)`.
pub fn mkdirat(task: &Task, dirfd: i32, path: u64, mode: u32) -> Result<usize, Errno> {
    let path = read_path(path)?;
    let cwd = base(task, dirfd, &path)?;
    let (dir, name) = vfs::resolve_parent(&cwd, &path)?;
    let perm = mode & 0o7777 & !file::UMASK;
    dir.mount.fs.create(dir.ino, &name, Kind::Directory, perm)?;
    Ok(0)
}

/// `unlinkat(dirfd, path, flags)` (`AT_REMOVEDIR`: `rmdir`).
pub fn unlinkat(task: &Task, dirfd: i32, path: u64, flags: u32) -> Result<usize, Errno> {
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path)?;
    let cwd = base(task, dirfd, &path)?;
    let (dir, name) = vfs::resolve_parent(&cwd, &path)?;
    if flags & AT_REMOVEDIR != 0 {
        if is_mount_point(&dir, &name) {
            return Err(Errno::EBUSY);
        }
        dir.mount.fs.rmdir(dir.ino, &name)?;
    } else {
        if path.ends_with(b"/") {
            // "file/" names a directory or nothing.
            let node = vfs::resolve(&cwd, &path)?;
            return Err(if node.is_directory() {
                Errno::EISDIR
            } else {
                Errno::ENOTDIR
            });
        }
        dir.mount.fs.unlink(dir.ino, &name)?;
    }
    Ok(0)
}

/// Whether `name` in `dir` has a file system mounted on it.
fn is_mount_point(dir: &vfs::Vnode, name: &[u8]) -> bool {
    let Ok(ino) = dir.mount.fs.lookup(dir.ino, name) else {
        return false;
    };
    vfs::is_covered(dir.mount.id, ino)
}

/// `renameat2(olddirfd, oldpath, newdirfd, newpath, flags)`; no flags are supported.
pub fn renameat(task: &Task, a: [u64; 6]) -> Result<usize, Errno> {
    if a[4] != 0 {
        return Err(Errno::EINVAL);
    }
    let (from_path, to_path) = (read_path(a[1])?, read_path(a[3])?);
    let from_cwd = base(task, a[0] as i32, &from_path)?;
    let to_cwd = base(task, a[2] as i32, &to_path)?;
    let (from, from_name) = vfs::resolve_parent(&from_cwd, &from_path)?;
    let (to, to_name) = vfs::resolve_parent(&to_cwd, &to_path)?;
    if from.mount.id != to.mount.id {
        return Err(Errno::EXDEV);
    }
    if is_mount_point(&from, &from_name) || is_mount_point(&to, &to_name) {
        return Err(Errno::EBUSY);
    }
    from.mount
        .fs
        .rename(from.ino, &from_name, to.ino, &to_name)?;
    Ok(0)
}

/// `linkat(olddirfd, oldpath, newdirfd, newpath, flags)` (and `link`): a second name for a
/// file, in the same file system (`EXDEV` otherwise, as a hard link cannot cross devices).
/// An old path naming a symbolic link links the link itself, unless `AT_SYMLINK_FOLLOW`.
pub fn linkat(task: &Task, a: [u64; 5]) -> Result<usize, Errno> {
    let flags = a[4] as u32;
    if flags & !AT_SYMLINK_FOLLOW != 0 {
        return Err(Errno::EINVAL);
    }
    let last = if flags & AT_SYMLINK_FOLLOW != 0 {
        vfs::Last::Follow
    } else {
        vfs::Last::NoFollow
    };
    let (from_path, to_path) = (read_path(a[1])?, read_path(a[3])?);
    let from = vfs::lookup(&base(task, a[0] as i32, &from_path)?, &from_path, last)?;
    let (to, to_name) = vfs::resolve_parent(&base(task, a[2] as i32, &to_path)?, &to_path)?;
    if to_name.is_empty() || to_name == b"." || to_name == b".." {
        return Err(Errno::EEXIST);
    }
    if from.mount.id != to.mount.id {
        return Err(Errno::EXDEV);
    }
    to.mount.fs.link(from.ino, to.ino, &to_name)?;
    Ok(0)
}

/// `symlinkat(target, newdirfd, linkpath)` (and `symlink`): a new symbolic link holding
/// `target`, which is stored as it is (it need not exist, and a relative one is read from the
/// link's directory when followed). A file system without links (the disk) says `EPERM`.
pub fn symlinkat(task: &Task, target: u64, dirfd: i32, path: u64) -> Result<usize, Errno> {
    let target = read_path(target)?;
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    let path = read_path(path)?;
    let (dir, name) = vfs::resolve_parent(&base(task, dirfd, &path)?, &path)?;
    if name.is_empty() || name == b"." || name == b".." {
        return Err(Errno::EEXIST);
    }
    dir.mount.fs.symlink(dir.ino, &name, &target)?;
    Ok(0)
}

/// `readlinkat(dirfd, path, buf, bufsiz)` (and `readlink`): the path a symbolic link holds,
/// without a NUL, cut to `bufsiz` bytes; the count is returned. Anything but a link is `EINVAL`.
pub fn readlinkat(
    task: &Task,
    dirfd: i32,
    path: u64,
    out: u64,
    size: usize,
) -> Result<usize, Errno> {
    // Linux's order: the size first, then the path.
    if size as i32 <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path)?;
    let node = vfs::lookup(&base(task, dirfd, &path)?, &path, vfs::Last::NoFollow)?;
    if node.stat()?.kind != Kind::Symlink {
        return Err(Errno::EINVAL);
    }
    let target = node.mount.fs.readlink(node.ino)?;
    let n = target.len().min(size);
    uaccess::write(out, &target[..n])?;
    Ok(n)
}

/// The id `chown` reads as "leave it as it is" (-1).
const UNCHANGED_ID: u32 = u32::MAX;

/// `fchownat(dirfd, path, owner, group, flags)` (and `chown`, `lchown` with
/// `AT_SYMLINK_NOFOLLOW`, `fchown` with `AT_EMPTY_PATH`). Ferrite has one user, root, and its
/// file systems record no owner: every file is root's. So giving a file to root (0), or
/// leaving an id as it is (-1), succeeds once the file is found, and any other id is `EPERM`,
/// as Linux answers on a file system that cannot record it.
pub fn fchownat(
    task: &Task,
    dirfd: i32,
    path: u64,
    ids: (u32, u32),
    flags: u32,
) -> Result<usize, Errno> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path)?;
    let node = if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        file_of(task, dirfd)?
    } else {
        vfs::lookup(&base(task, dirfd, &path)?, &path, last_of(flags))?
    };
    change_owner(&node, ids)
}

/// `fchown(fd, owner, group)`.
pub fn fchown(task: &Task, fd: i32, ids: (u32, u32)) -> Result<usize, Errno> {
    change_owner(&file_of(task, fd)?, ids)
}

/// What `chown` can do with `node` (see [`fchownat`]).
fn change_owner(node: &vfs::Vnode, (owner, group): (u32, u32)) -> Result<usize, Errno> {
    /// Root's user and group id.
    const ROOT_ID: u32 = 0;
    if node.mount.fs.read_only() {
        return Err(Errno::EROFS);
    }
    if [owner, group]
        .iter()
        .any(|&id| id != ROOT_ID && id != UNCHANGED_ID)
    {
        return Err(Errno::EPERM);
    }
    Ok(0)
}

/// The permission bits `chmod` may set: the nine `rwx` bits, set-user-id, set-group-id and
/// sticky.
const PERMISSION_BITS: u32 = 0o7777;

/// `fchmodat(dirfd, path, mode, flags)` (and `chmod`): no flags are supported (Linux's own
/// `fchmodat` takes none; `AT_SYMLINK_NOFOLLOW` is `fchmodat2`'s).
pub fn fchmodat(task: &Task, dirfd: i32, path: u64, mode: u32, flags: u32) -> Result<usize, Errno> {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(path)?;
    let node = vfs::resolve(&base(task, dirfd, &path)?, &path)?;
    node.mount.fs.set_perm(node.ino, mode & PERMISSION_BITS)?;
    Ok(0)
}

/// The file descriptor `fd` is open on, for the calls that act on the file itself (`fchmod`,
/// `fstatfs`, `futimens`); a pipe is `EINVAL`, as it has no file behind it here.
fn file_of(task: &Task, fd: i32) -> Result<vfs::Vnode, Errno> {
    task.files.get(fd)?.vnode().cloned().ok_or(Errno::EINVAL)
}

/// `fchmod(fd, mode)`.
pub fn fchmod(task: &Task, fd: i32, mode: u32) -> Result<usize, Errno> {
    let node = file_of(task, fd)?;
    node.mount.fs.set_perm(node.ino, mode & PERMISSION_BITS)?;
    Ok(0)
}

/// `utimensat(dirfd, path, times, flags)`: sets a file's modification time from `times[1]`
/// (`UTIME_NOW`, `UTIME_OMIT`, or a time), or to now if `times` is null; with
/// `AT_SYMLINK_NOFOLLOW`, a symbolic link's own time. Ferrite keeps no access
/// time, so `times[0]` is checked and then has nothing to change. A null `path` means `dirfd`
/// itself (`futimens`). Times are `CLOCK_REALTIME`'s, nanoseconds since 1970, which is what
/// the file systems store; one before 1970 (negative) is `EINVAL`, as they cannot hold it.
pub fn utimensat(
    task: &Task,
    dirfd: i32,
    path: u64,
    times: u64,
    flags: u32,
) -> Result<usize, Errno> {
    use abi::time::{NSEC_PER_SEC, UTIME_NOW, UTIME_OMIT};
    if flags & !AT_SYMLINK_NOFOLLOW != 0 {
        return Err(Errno::EINVAL);
    }
    let now = crate::time::realtime_ns();
    let modified = if times == 0 {
        Some(now)
    } else {
        let access: abi::Timespec = uaccess::read_value(times)?;
        let modify: abi::Timespec =
            uaccess::read_value(times + core::mem::size_of::<abi::Timespec>() as u64)?;
        let valid = |t: &abi::Timespec| {
            matches!(t.tv_nsec, UTIME_NOW | UTIME_OMIT) || (0..NSEC_PER_SEC).contains(&t.tv_nsec)
        };
        if !valid(&access) || !valid(&modify) {
            return Err(Errno::EINVAL);
        }
        match modify.tv_nsec {
            UTIME_OMIT => None,
            UTIME_NOW => Some(now),
            nanos => {
                let seconds = u64::try_from(modify.tv_sec).map_err(|_| Errno::EINVAL)?;
                let total = seconds
                    .checked_mul(NSEC_PER_SEC as u64)
                    .and_then(|ns| ns.checked_add(nanos as u64))
                    .ok_or(Errno::EINVAL)?;
                Some(total)
            }
        }
    };
    let node = if path == 0 {
        file_of(task, dirfd)?
    } else {
        let path = read_path(path)?;
        vfs::lookup(&base(task, dirfd, &path)?, &path, last_of(flags))?
    };
    if let Some(modified) = modified {
        node.mount.fs.set_modified(node.ino, modified)?;
    }
    Ok(0)
}

/// `statfs(path, buf)` and `fstatfs(fd, buf)`: the file system holding the file.
fn write_statfs(node: &vfs::Vnode, out: u64) -> Result<usize, Errno> {
    let usage = node.mount.fs.usage();
    let block = i64::try_from(usage.block_size).unwrap_or(i64::MAX);
    let statfs = abi::Statfs {
        f_type: usage.magic,
        f_bsize: block,
        f_blocks: usage.blocks,
        f_bfree: usage.free_blocks,
        f_bavail: usage.free_blocks,
        f_files: usage.inodes,
        f_ffree: usage.free_inodes,
        f_fsid: [node.mount.id as i32, 0],
        f_namelen: vfs::NAME_MAX as i64,
        f_frsize: block,
        f_flags: if node.mount.fs.read_only() {
            abi::statfs::ST_RDONLY
        } else {
            0
        },
        f_spare: [0; 4],
    };
    uaccess::write_value(out, &statfs)?;
    Ok(0)
}

/// `statfs(path, buf)`.
pub fn statfs(task: &Task, path: u64, out: u64) -> Result<usize, Errno> {
    let path = read_path(path)?;
    let node = vfs::resolve(&task.cwd.get(), &path)?;
    write_statfs(&node, out)
}

/// `fstatfs(fd, buf)`.
pub fn fstatfs(task: &Task, fd: i32, out: u64) -> Result<usize, Errno> {
    write_statfs(&file_of(task, fd)?, out)
}

/// The most bytes one `sendfile` moves (Linux's `MAX_RW_COUNT`: a page short of 2 GiB).
const MAX_SENDFILE: usize = 0x7fff_f000;

/// `sendfile(out_fd, in_fd, offset, count)`: copies up to `count` bytes from the file open on
/// `in_fd` to `out_fd` without passing them through the program. With `offset` null the bytes
/// come from `in_fd`'s position, which advances; otherwise from `*offset`, which is advanced
/// instead and the position is left alone. `in_fd` must be a regular file (`EINVAL` for a
/// pipe or a device, as on Linux); `out_fd` anything writable but an `O_APPEND` file.
pub fn sendfile(
    task: &Task,
    out_fd: i32,
    in_fd: i32,
    offset: u64,
    count: usize,
) -> Result<usize, Errno> {
    let input = task.files.get(in_fd)?;
    if input.flags() & O_ACCMODE == O_WRONLY {
        return Err(Errno::EBADF);
    }
    let output = task.files.get(out_fd)?;
    if output.flags() & O_ACCMODE == O_RDONLY {
        return Err(Errno::EBADF);
    }
    let is_file = match input.object() {
        file::Object::Inode(node) => node.stat()?.kind == Kind::Regular,
        _ => false,
    };
    if !is_file || output.flags() & O_APPEND != 0 {
        return Err(Errno::EINVAL);
    }
    let mut position = if offset == 0 {
        None
    } else {
        // An `off_t`, read as its bits: a negative one has the top bit set.
        let at: u64 = uaccess::read_value(offset)?;
        Some(u64::try_from(at as i64).map_err(|_| Errno::EINVAL)?)
    };
    let count = count.min(MAX_SENDFILE);
    let mut kernel = alloc::vec![0u8; count.min(CHUNK)];
    let mut done = 0;
    while done < count {
        let want = (count - done).min(CHUNK);
        let step = &mut kernel[..want];
        let read = match position {
            Some(at) => input.read_at(step, at),
            None => input.read(step),
        };
        let n = match read {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        let written = match output.write(&step[..n]) {
            Ok(written) => written,
            Err(e) => {
                if e == Errno::EPIPE {
                    super::kill(task.pid, abi::signal::SIGPIPE);
                }
                if done == 0 {
                    return Err(e);
                }
                break;
            }
        };
        done += written;
        if let Some(at) = position.as_mut() {
            *at += written as u64;
        } else if written < n {
            // The position moved past bytes the output did not take: step it back.
            input.seek(-((n - written) as i64), SEEK_CUR)?;
        }
        if written < n {
            break;
        }
    }
    if let Some(at) = position {
        uaccess::write_value(offset, &at)?;
    }
    Ok(done)
}

/// `dup(fd)`.
pub fn dup(task: &mut Task, fd: i32) -> Result<usize, Errno> {
    let file = task.files.get(fd)?;
    task.files.add(file, false, 0).map(|fd| fd as usize)
}

/// `dup3(old, new, flags)` (and `dup2`, which allows `old == new`).
pub fn dup3(
    task: &mut Task,
    old: i32,
    new: i32,
    flags: u32,
    is_dup2: bool,
) -> Result<usize, Errno> {
    if flags & !O_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    let file = task.files.get(old)?;
    if old == new {
        return if is_dup2 {
            Ok(new as usize)
        } else {
            Err(Errno::EINVAL)
        };
    }
    task.files.set(new, file, flags & O_CLOEXEC != 0)?;
    Ok(new as usize)
}

/// `pipe2(fds, flags)`.
pub fn pipe2(task: &mut Task, out: u64, flags: u32) -> Result<usize, Errno> {
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    uaccess::check_range(out, 2 * core::mem::size_of::<i32>())?;
    let (reader, writer) = OpenFile::pipe(flags)?;
    let cloexec = flags & O_CLOEXEC != 0;
    let read_fd = task.files.add(Arc::new(reader), cloexec, 0)?;
    let write_fd = match task.files.add(Arc::new(writer), cloexec, 0) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = task.files.close(read_fd);
            return Err(e);
        }
    };
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(&read_fd.to_le_bytes());
    bytes[4..].copy_from_slice(&write_fd.to_le_bytes());
    if let Err(e) = uaccess::write(out, &bytes) {
        let _ = task.files.close(read_fd);
        let _ = task.files.close(write_fd);
        return Err(e);
    }
    Ok(0)
}

/// `chdir(path)`.
pub fn chdir(task: &mut Task, path: u64) -> Result<usize, Errno> {
    let path = read_path(path)?;
    let (canonical, _) = vfs::resolve_directory(&task.cwd.get(), &path)?;
    task.cwd.set(canonical);
    Ok(0)
}

/// `fchdir(fd)`.
pub fn fchdir(task: &mut Task, fd: i32) -> Result<usize, Errno> {
    let file = task.files.get(fd)?;
    let path = file.directory_path().ok_or(Errno::ENOTDIR)?;
    task.cwd.set(String::from(path));
    Ok(0)
}

/// `getcwd(buf, size)`: returns the length with the NUL, as the raw call does.
pub fn getcwd(task: &Task, out: u64, size: usize) -> Result<usize, Errno> {
    let cwd = task.cwd.get();
    let bytes = cwd.as_bytes();
    if bytes.len() + 1 > size {
        return Err(Errno::ERANGE);
    }
    uaccess::write(out, bytes)?;
    uaccess::write(out + bytes.len() as u64, &[0])?;
    Ok(bytes.len() + 1)
}

/// `fcntl(fd, cmd, arg)`: duplication, close-on-exec and the status flags.
pub fn fcntl(task: &mut Task, fd: i32, command: u32, arg: u64) -> Result<usize, Errno> {
    let file = task.files.get(fd)?;
    match command {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let lowest = usize::try_from(arg as i32).map_err(|_| Errno::EINVAL)?;
            let fd = task.files.add(file, command == F_DUPFD_CLOEXEC, lowest)?;
            Ok(fd as usize)
        }
        F_GETFD => Ok(if task.files.close_on_exec(fd)? {
            FD_CLOEXEC as usize
        } else {
            0
        }),
        F_SETFD => task
            .files
            .set_close_on_exec(fd, arg as u32 & FD_CLOEXEC != 0)
            .map(|()| 0),
        F_GETFL => Ok(file.flags() as usize),
        F_SETFL => {
            file.set_status_flags(arg as u32);
            Ok(0)
        }
        F_GETLK | F_SETLK | F_SETLKW => record_lock(task, &file, command, arg),
        _ => Err(Errno::EINVAL),
    }
}

/// `fcntl`'s record locks: `F_GETLK` reports the first lock in the way of the one described
/// (or `F_UNLCK`), `F_SETLK` takes or releases it (`EAGAIN` if another process holds a
/// conflicting one), `F_SETLKW` waits for the way to clear. See `fs::lock`.
fn record_lock(task: &Task, file: &OpenFile, command: u32, arg: u64) -> Result<usize, Errno> {
    let node = file.vnode().ok_or(Errno::EINVAL)?;
    let mut request: Flock = uaccess::read_value(arg)?;
    let base = match u32::try_from(request.l_whence).map_err(|_| Errno::EINVAL)? {
        SEEK_SET => 0,
        SEEK_CUR => file.position(),
        SEEK_END => node.stat()?.size,
        _ => return Err(Errno::EINVAL),
    };
    let range = filelocks::range(base, request.l_start, request.l_len).ok_or(Errno::EINVAL)?;
    let kind = match request.l_type {
        F_RDLCK => Some(LockKind::Read),
        F_WRLCK => Some(LockKind::Write),
        F_UNLCK => None,
        _ => return Err(Errno::EINVAL),
    };
    let (key, owner) = (lock::key_of(node), u64::from(task.pid));
    if command == F_GETLK {
        let kind = kind.ok_or(Errno::EINVAL)?;
        request = match lock::conflict(key, Family::Record, owner, kind, range) {
            None => Flock {
                l_type: F_UNLCK,
                ..request
            },
            Some(found) => Flock {
                l_type: if found.kind == LockKind::Write {
                    F_WRLCK
                } else {
                    F_RDLCK
                },
                l_whence: SEEK_SET as i16,
                l_start: found.start as i64,
                l_len: if found.end == filelocks::END_OF_FILE {
                    0
                } else {
                    (found.end - found.start) as i64
                },
                l_pid: found.owner as i32,
                ..request
            },
        };
        uaccess::write_value(arg, &request)?;
        return Ok(0);
    }
    // A read lock needs the file open for reading, a write lock for writing.
    let access = file.flags() & O_ACCMODE;
    let refused = match kind {
        Some(LockKind::Read) => access == O_WRONLY,
        Some(LockKind::Write) => access == O_RDONLY,
        None => false,
    };
    if refused {
        return Err(Errno::EBADF);
    }
    lock::set(key, Family::Record, owner, kind, range, command == F_SETLKW).map(|()| 0)
}

/// `flock(fd, operation)`: a whole-file lock owned by the open file description (shared by
/// its `dup`s and by `fork`), released by `LOCK_UN` or when its last descriptor closes.
pub fn flock(task: &Task, fd: i32, operation: u32) -> Result<usize, Errno> {
    let file = task.files.get(fd)?;
    let node = file.vnode().ok_or(Errno::EINVAL)?;
    let kind = match operation & !LOCK_NB {
        LOCK_SH => Some(LockKind::Read),
        LOCK_EX => Some(LockKind::Write),
        LOCK_UN => None,
        _ => return Err(Errno::EINVAL),
    };
    let owner = Arc::as_ptr(&file) as u64;
    let whole = (0, filelocks::END_OF_FILE);
    let wait = operation & LOCK_NB == 0;
    // EWOULDBLOCK, which is EAGAIN, when LOCK_NB finds the file locked.
    lock::set(lock::key_of(node), Family::Whole, owner, kind, whole, wait).map(|()| 0)
}

/// `ioctl(fd, request, arg)`.
pub fn ioctl(task: &Task, fd: i32, request: u32, arg: u64) -> Result<usize, Errno> {
    task.files.get(fd)?.ioctl(request, arg)
}

/// `fsync(fd)`, `fdatasync(fd)`, `syncfs(fd)`: all commit the file system's log.
pub fn fsync(task: &Task, fd: i32) -> Result<usize, Errno> {
    task.files.get(fd)?.sync().map(|()| 0)
}

/// `ftruncate(fd, length)`.
pub fn ftruncate(task: &Task, fd: i32, length: i64) -> Result<usize, Errno> {
    let length = u64::try_from(length).map_err(|_| Errno::EINVAL)?;
    task.files.get(fd)?.truncate(length).map(|()| 0)
}

/// `truncate(path, length)`.
pub fn truncate(task: &Task, path: u64, length: i64) -> Result<usize, Errno> {
    let length = u64::try_from(length).map_err(|_| Errno::EINVAL)?;
    let path = read_path(path)?;
    let file = file::open(&task.cwd.get(), &path, O_WRONLY, 0)?;
    file.truncate(length).map(|()| 0)
}
