//! Open files and descriptor tables: what a program's small integers stand for.
//!
//! Three layers, as in every Unix. A **descriptor** is an index into the process's
//! [`FdTable`]; it has one flag of its own, close-on-exec. It points at an **open file
//! description** ([`OpenFile`]): what `open` made, holding the position and the status flags
//! (`O_APPEND`, `O_NONBLOCK`). The description points at the **object**: an inode, a device or
//! one end of a pipe.
//!
//! The middle layer is what makes shells work. `dup2` and `fork` copy descriptors, not
//! descriptions, so the copies share one position: a parent and child writing to the same file
//! through inherited descriptors append after each other instead of overwriting each other, and
//! `(echo a; echo b) > f` writes both lines. The description closes (and a pipe's end with it)
//! when its last descriptor in any process closes, which is why a shell must close the pipe ends
//! it does not use, or the reader never sees end of file.

use super::device::{self, Device};
use super::pagecache;
use super::pipe::Pipe;
use super::{Kind, Vnode};
use crate::sched::sync::Mutex;
use abi::fcntl::*;
use abi::Errno;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

/// What an open file description refers to.
pub enum Object {
    /// A file or directory in some file system.
    Inode(Vnode),
    /// A device node, and its driver.
    Device(Vnode, &'static dyn Device),
    /// A pipe's reading end.
    PipeReader(Arc<Pipe>),
    /// A pipe's writing end.
    PipeWriter(Arc<Pipe>),
}

/// Status flags `fcntl(F_SETFL)` may change; the rest of the open flags are fixed at `open`.
const CHANGEABLE_FLAGS: u32 = O_APPEND | O_NONBLOCK;

/// An open file description.
pub struct OpenFile {
    /// What it is open on.
    object: Object,
    /// The access mode and status flags (`O_RDWR | O_APPEND ...`).
    flags: AtomicU32,
    /// The position: a byte offset in a file, an entry index in a directory. Held across each
    /// read or write so that two processes sharing the description never use the same offset.
    position: Mutex<u64>,
    /// The canonical absolute path it was opened by (links followed), as it was then: what
    /// `/proc/PID/fd/N` shows, and, for a directory, where `openat` and friends start a
    /// relative path (a walk needs a path, see the VFS's module notes). `None` for a pipe.
    ///
    /// Linux follows a file to its new name when it is renamed; Ferrite's file systems know
    /// no names for an inode, only names in directories, so the path stays the one given at
    /// `open` (a reader can still tell a removed file by its link count, 0).
    path: Option<String>,
    /// Whether it is open on a directory (read once at `open`, as `*at` calls ask often).
    is_directory: bool,
    /// For a file this description has mapped: the file's pages, kept in memory for as long
    /// as the description is open, so that mapping the file again finds them (see
    /// `pagecache`).
    pages: spin::Once<Arc<pagecache::FileObject>>,
}

impl OpenFile {
    /// A description of `object` opened with `flags`.
    pub fn new(object: Object, flags: u32) -> OpenFile {
        OpenFile {
            object,
            flags: AtomicU32::new(flags),
            position: Mutex::new(0),
            path: None,
            is_directory: false,
            pages: spin::Once::new(),
        }
    }

    /// Keeps `object`, the pages of the file this description is open on, for as long as the
    /// description is open (`mmap` calls this).
    pub fn keep_pages(&self, object: &Arc<pagecache::FileObject>) {
        self.pages.call_once(|| object.clone());
    }

    /// A directory's canonical path, if this description is on a directory.
    pub fn directory_path(&self) -> Option<&str> {
        self.path.as_deref().filter(|_| self.is_directory)
    }

    /// The canonical path it was opened by, if it was opened by one (not a pipe).
    pub fn opened_path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The two ends of a new pipe: (reader, writer).
    pub fn pipe(flags: u32) -> Result<(OpenFile, OpenFile), Errno> {
        let pipe = Arc::new(Pipe::new()?);
        let status = flags & O_NONBLOCK;
        Ok((
            OpenFile::new(Object::PipeReader(pipe.clone()), O_RDONLY | status),
            OpenFile::new(Object::PipeWriter(pipe), O_WRONLY | status),
        ))
    }

    /// What it is open on.
    pub fn object(&self) -> &Object {
        &self.object
    }

    /// Its access mode and status flags.
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// Changes its status flags (`F_SETFL`): only `O_APPEND` and `O_NONBLOCK`.
    pub fn set_status_flags(&self, flags: u32) {
        let kept = self.flags() & !CHANGEABLE_FLAGS;
        self.flags
            .store(kept | (flags & CHANGEABLE_FLAGS), Ordering::Relaxed);
    }

    /// Whether it was opened for reading.
    pub fn readable(&self) -> bool {
        self.flags() & O_ACCMODE != O_WRONLY
    }

    /// Whether it was opened for writing.
    pub fn writable(&self) -> bool {
        self.flags() & O_ACCMODE != O_RDONLY
    }

    fn nonblocking(&self) -> bool {
        self.flags() & O_NONBLOCK != 0
    }

    /// Which `POLL*` events are ready on it now (`poll`, `select`): a file or directory is
    /// always ready, as on Linux; pipes and devices say.
    pub fn poll(&self) -> i16 {
        use abi::poll::*;
        match &self.object {
            Object::Inode(_) => POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM,
            Object::Device(_, device) => device.poll(),
            Object::PipeReader(pipe) => pipe.poll(true),
            Object::PipeWriter(pipe) => pipe.poll(false),
        }
    }

    /// Reads into `buf` from the position (for a file), advancing it.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        match &self.object {
            Object::Inode(node) => {
                let mut position = self.position.lock();
                let n = node.mount.fs.read(node.ino, *position, buf)?;
                pagecache::overlay(node, *position, &mut buf[..n]);
                *position += n as u64;
                Ok(n)
            }
            Object::Device(_, driver) => driver.read(buf, self.nonblocking()),
            Object::PipeReader(pipe) => pipe.read(buf, self.nonblocking()),
            Object::PipeWriter(_) => Err(Errno::EBADF),
        }
    }

    /// Reads into `buf` at `offset`, leaving the position alone (`pread64`).
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        match &self.object {
            Object::Inode(node) => {
                let n = node.mount.fs.read(node.ino, offset, buf)?;
                pagecache::overlay(node, offset, &mut buf[..n]);
                Ok(n)
            }
            _ => Err(Errno::ESPIPE),
        }
    }

    /// Writes `data` at the position (at the end with `O_APPEND`), advancing it.
    pub fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        match &self.object {
            Object::Inode(node) => {
                let mut position = self.position.lock();
                if self.flags() & O_APPEND != 0 {
                    *position = node.stat()?.size;
                }
                let n = node.mount.fs.write(node.ino, *position, data)?;
                pagecache::written(node, *position, &data[..n]);
                *position += n as u64;
                Ok(n)
            }
            Object::Device(_, driver) => driver.write(data),
            Object::PipeWriter(pipe) => pipe.write(data, self.nonblocking()),
            Object::PipeReader(_) => Err(Errno::EBADF),
        }
    }

    /// Writes `data` at `offset`, leaving the position alone (`pwrite64`).
    pub fn write_at(&self, data: &[u8], offset: u64) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        match &self.object {
            Object::Inode(node) => {
                let n = node.mount.fs.write(node.ino, offset, data)?;
                pagecache::written(node, offset, &data[..n]);
                Ok(n)
            }
            _ => Err(Errno::ESPIPE),
        }
    }

    /// Moves the position (`lseek`); returns the new one.
    pub fn seek(&self, offset: i64, whence: u32) -> Result<u64, Errno> {
        let node = match &self.object {
            Object::Inode(node) => node,
            Object::Device(_, driver) if driver.seekable() => return Ok(0),
            _ => return Err(Errno::ESPIPE),
        };
        let mut position = self.position.lock();
        let base = match whence {
            SEEK_SET => 0,
            SEEK_CUR => *position as i64,
            SEEK_END => node.stat()?.size as i64,
            _ => return Err(Errno::EINVAL),
        };
        let target = base.checked_add(offset).ok_or(Errno::EOVERFLOW)?;
        if target < 0 {
            return Err(Errno::EINVAL);
        }
        *position = target as u64;
        Ok(*position)
    }

    /// Cuts or extends the file (`ftruncate`).
    pub fn truncate(&self, len: u64) -> Result<(), Errno> {
        match &self.object {
            Object::Inode(node) if self.writable() => {
                node.mount.fs.truncate(node.ino, len)?;
                pagecache::truncated(node, len);
                Ok(())
            }
            Object::Inode(_) => Err(Errno::EBADF),
            _ => Err(Errno::EINVAL),
        }
    }

    /// What `fstat` reports.
    pub fn stat(&self) -> Result<abi::Stat, Errno> {
        match &self.object {
            Object::Inode(node) | Object::Device(node, _) => {
                Ok(super::to_stat(node.mount.id, &node.stat()?))
            }
            Object::PipeReader(pipe) | Object::PipeWriter(pipe) => Ok(abi::Stat {
                st_ino: Arc::as_ptr(pipe) as u64,
                st_mode: abi::stat::S_IFIFO | 0o600,
                st_nlink: 1,
                st_blksize: super::pipe::PIPE_BUF as i64,
                ..abi::Stat::zeroed()
            }),
        }
    }

    /// A device request (`ioctl`); `ENOTTY` for anything but a device, and for pipes except
    /// `FIONREAD`.
    pub fn ioctl(&self, request: u32, arg: u64) -> Result<usize, Errno> {
        match &self.object {
            Object::Device(_, driver) => driver.ioctl(request, arg),
            Object::PipeReader(pipe) if request == abi::tty::FIONREAD => {
                device::ioctl_reply(arg, &(pipe.available() as i32))
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    /// Fills `buf` with `linux_dirent64` records from the position on, advancing it; returns
    /// the bytes used (0 at the end). `EINVAL` if not even one record fits.
    pub fn read_directory(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        let Object::Inode(node) = &self.object else {
            return Err(Errno::ENOTDIR);
        };
        let mut position = self.position.lock();
        let mut used = 0;
        loop {
            let Some((entry, next)) = node.mount.fs.entry(node.ino, *position as usize)? else {
                break;
            };
            let len = abi::LinuxDirent64::record_len(entry.name.len());
            if used + len > buf.len() {
                if used == 0 {
                    return Err(Errno::EINVAL);
                }
                break;
            }
            let header = abi::LinuxDirent64 {
                d_ino: entry.ino,
                d_off: next as i64,
                d_reclen: len as u16,
                d_type: abi::dirent::dt_from_mode(entry.kind.type_bits()),
            };
            let record = &mut buf[used..used + len];
            record[..abi::dirent::NAME_OFFSET].copy_from_slice(&header.header_bytes());
            let name_end = abi::dirent::NAME_OFFSET + entry.name.len();
            record[abi::dirent::NAME_OFFSET..name_end].copy_from_slice(&entry.name);
            record[name_end..].fill(0);
            used += len;
            *position = next as u64;
        }
        Ok(used)
    }

    /// Makes the changes of the file's file system durable (`fsync`; the disk's log commits all
    /// of them at once, so one file's are never durable without the others'). `EINVAL` for a
    /// pipe, as on Linux; devices have nothing to write back.
    pub fn sync(&self) -> Result<(), Errno> {
        match &self.object {
            Object::Inode(node) => {
                pagecache::write_back(node)?;
                node.mount.fs.sync()
            }
            Object::Device(..) => Ok(()),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The position (where the next `read` or `write` begins, for a file).
    pub fn position(&self) -> u64 {
        *self.position.lock()
    }

    /// The file it is open on, if it is one in a file system (not a pipe).
    pub fn vnode(&self) -> Option<&Vnode> {
        match &self.object {
            Object::Inode(node) | Object::Device(node, _) => Some(node),
            _ => None,
        }
    }

    /// Whether it is a directory (for `fchdir` and `O_DIRECTORY`).
    pub fn directory(&self) -> Option<&Vnode> {
        match &self.object {
            Object::Inode(node) if node.is_directory() => Some(node),
            _ => None,
        }
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        if let Object::Inode(node) | Object::Device(node, _) = &self.object {
            // Its `flock` lock, if it held one, goes with the last descriptor (see `lock`).
            let owner = self as *const OpenFile as u64;
            super::lock::release(super::lock::key_of(node), super::lock::Family::Whole, owner);
        }
        match &self.object {
            Object::Inode(node) | Object::Device(node, _) => node.mount.fs.close(node.ino),
            Object::PipeReader(pipe) => pipe.close_end(true),
            Object::PipeWriter(pipe) => pipe.close_end(false),
        }
    }
}

/// The permissions a new file's requested mode loses (the process's umask; fixed at Linux's
/// usual 022 until Ferrite has `umask`).
pub const UMASK: u32 = 0o022;

/// Opens the file at `path` as `open(2)` does with `flags` and, for a new file, `mode`.
pub fn open(cwd: &str, path: &[u8], flags: u32, mode: u32) -> Result<OpenFile, Errno> {
    // `O_NOFOLLOW` stops at a link in the last component, and a link cannot be opened
    // (`ELOOP`); `O_CREAT | O_EXCL` never follows one either: the link's name exists.
    let last = if flags & O_NOFOLLOW != 0 || flags & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL {
        super::Last::NoFollow
    } else {
        super::Last::Follow
    };
    let (node, canonical) = match super::lookup_canonical(cwd, path, last) {
        Ok(_) if flags & O_CREAT != 0 && flags & O_EXCL != 0 => return Err(Errno::EEXIST),
        Ok(found) => found,
        Err(Errno::ENOENT) if flags & O_CREAT != 0 => {
            // Through a dangling link, the file is made where the link points.
            let (dir, name, dir_path) = super::resolve_parent_following(cwd, path)?;
            if path.ends_with(b"/") {
                return Err(Errno::EISDIR);
            }
            let perm = mode & 0o7777 & !UMASK;
            let ino = dir.mount.fs.create(dir.ino, &name, Kind::Regular, perm)?;
            let node = Vnode {
                mount: dir.mount,
                ino,
            };
            (node, super::join(&dir_path, &name))
        }
        Err(e) => return Err(e),
    };
    let attr = node.stat()?;
    let access = flags & O_ACCMODE;
    if access == O_ACCMODE {
        return Err(Errno::EINVAL);
    }
    let object = match attr.kind {
        Kind::Directory if access != O_RDONLY || flags & O_CREAT != 0 => return Err(Errno::EISDIR),
        _ if flags & O_DIRECTORY != 0 && attr.kind != Kind::Directory => {
            return Err(Errno::ENOTDIR)
        }
        Kind::CharDevice(number) => {
            let driver = device::driver(number).ok_or(Errno::ENXIO)?;
            Object::Device(node, driver)
        }
        Kind::Regular | Kind::Directory => Object::Inode(node),
        Kind::Symlink => return Err(Errno::ELOOP),
    };
    let (Object::Inode(node) | Object::Device(node, _)) = &object else {
        return Err(Errno::EINVAL);
    };
    node.mount.fs.open(node.ino)?;
    // From here the description exists, and dropping it closes the inode again.
    let mut file = OpenFile::new(object, flags & (O_ACCMODE | CHANGEABLE_FLAGS));
    file.path = Some(canonical);
    file.is_directory = attr.kind == Kind::Directory;
    if flags & O_TRUNC != 0 && attr.kind == Kind::Regular && access != O_RDONLY {
        file.truncate(0)?;
    }
    Ok(file)
}

/// The most descriptors a process may have open (Linux's default `RLIMIT_NOFILE`, and the
/// highest it may be raised to here).
pub const MAX_FDS: usize = 1024;

/// One slot of a descriptor table.
#[derive(Clone)]
struct Descriptor {
    file: Arc<OpenFile>,
    close_on_exec: bool,
}

/// A process's descriptors. Copied by `fork` (the copies share descriptions); shared by a
/// process's threads behind a lock (`proc::shared::Files`).
#[derive(Clone)]
pub struct FdTable {
    slots: Vec<Option<Descriptor>>,
    /// One more than the highest descriptor it may hand out: the process's `RLIMIT_NOFILE`
    /// (at most [`MAX_FDS`]). Kept here, with the table the limit is about, so that every
    /// thread of the process sees one value.
    limit: usize,
}

impl Default for FdTable {
    fn default() -> FdTable {
        FdTable::new()
    }
}

impl FdTable {
    /// An empty table.
    pub const fn new() -> FdTable {
        FdTable {
            slots: Vec::new(),
            limit: MAX_FDS,
        }
    }

    /// Makes `limit` (at most [`MAX_FDS`]) one more than the highest descriptor it may hand out
    /// from now on (`setrlimit(RLIMIT_NOFILE)`); descriptors already open above it stay.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.min(MAX_FDS);
    }

    /// A table with descriptors 0, 1 and 2 on the console, one description shared, as a
    /// terminal's login gives a shell.
    pub fn console() -> Result<FdTable, Errno> {
        let file = Arc::new(open("/", b"/dev/console", O_RDWR, 0)?);
        let mut table = FdTable::new();
        for _ in 0..3 {
            table.add(file.clone(), false, 0)?;
        }
        Ok(table)
    }

    /// The description behind `fd`.
    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        let slot = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        match self.slots.get(slot) {
            Some(Some(descriptor)) => Ok(descriptor.file.clone()),
            _ => Err(Errno::EBADF),
        }
    }

    /// Puts `file` in the lowest free slot at or above `lowest`; returns the descriptor.
    pub fn add(
        &mut self,
        file: Arc<OpenFile>,
        close_on_exec: bool,
        lowest: usize,
    ) -> Result<i32, Errno> {
        if lowest >= self.limit {
            return Err(Errno::EINVAL);
        }
        let end = self.slots.len().min(self.limit);
        let free = (lowest..end).find(|&i| self.slots[i].is_none());
        let slot = match free {
            Some(slot) => slot,
            None => {
                let slot = self.slots.len().max(lowest);
                if slot >= self.limit {
                    return Err(Errno::EMFILE);
                }
                self.slots.resize(slot + 1, None);
                slot
            }
        };
        self.slots[slot] = Some(Descriptor {
            file,
            close_on_exec,
        });
        Ok(slot as i32)
    }

    /// Makes `fd` refer to `file`, as `dup2` does; returns what it referred to, which closes
    /// when the caller drops it (if it was its last descriptor).
    pub fn replace(
        &mut self,
        fd: i32,
        file: Arc<OpenFile>,
        close_on_exec: bool,
    ) -> Result<Option<Arc<OpenFile>>, Errno> {
        let slot = usize::try_from(fd)
            .ok()
            .filter(|&slot| slot < self.limit)
            .ok_or(Errno::EBADF)?;
        if slot >= self.slots.len() {
            self.slots.resize(slot + 1, None);
        }
        let old = self.slots[slot].replace(Descriptor {
            file,
            close_on_exec,
        });
        Ok(old.map(|d| d.file))
    }

    /// Closes `fd`; returns its description, which closes when the caller drops it (if this
    /// was its last descriptor).
    pub fn take(&mut self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        let slot = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        let descriptor = self.slots.get_mut(slot).and_then(Option::take);
        let file = descriptor.ok_or(Errno::EBADF)?.file;
        while self.slots.last().is_some_and(Option::is_none) {
            self.slots.pop();
        }
        Ok(file)
    }

    /// `fd`'s close-on-exec flag.
    pub fn close_on_exec(&self, fd: i32) -> Result<bool, Errno> {
        let slot = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        match self.slots.get(slot) {
            Some(Some(descriptor)) => Ok(descriptor.close_on_exec),
            _ => Err(Errno::EBADF),
        }
    }

    /// Sets `fd`'s close-on-exec flag.
    pub fn set_close_on_exec(&mut self, fd: i32, on: bool) -> Result<(), Errno> {
        let slot = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        match self.slots.get_mut(slot) {
            Some(Some(descriptor)) => {
                descriptor.close_on_exec = on;
                Ok(())
            }
            _ => Err(Errno::EBADF),
        }
    }

    /// Closes every descriptor marked close-on-exec (what `execve` does once it cannot fail);
    /// returns their descriptions, which close as the caller drops them.
    pub fn take_close_on_exec(&mut self) -> Vec<Arc<OpenFile>> {
        let mut closed = Vec::new();
        for slot in &mut self.slots {
            if slot.as_ref().is_some_and(|d| d.close_on_exec) {
                closed.extend(slot.take().map(|d| d.file));
            }
        }
        closed
    }

    /// How many descriptors are open.
    pub fn count(&self) -> usize {
        self.slots.iter().filter(|slot| slot.is_some()).count()
    }

    /// The open descriptors, lowest first (`/proc/PID/fd`).
    pub fn descriptors(&self) -> Vec<i32> {
        let open = self.slots.iter().enumerate().filter(|(_, s)| s.is_some());
        open.map(|(fd, _)| fd as i32).collect()
    }
}
