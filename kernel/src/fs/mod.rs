//! The virtual file system: one tree of names over several file systems, and the open files
//! programs hold.
//!
//! A program names a file by a path, `/tmp/notes.txt`, and never learns which file system holds
//! it. The VFS makes that so. Each file system implements one small interface,
//! [`FileSystem`], in terms of *inode numbers*: look a name up in a directory, read or write an
//! inode, create, remove, rename, list. The VFS does the rest once, for all of them: it walks
//! paths component by component ([`resolve`]), crosses from one file system into another where
//! one is *mounted* on a directory of another ([`mount`]), and keeps the *open file
//! descriptions* ([`file::OpenFile`]) that a program's descriptors point at.
//!
//! Ferrite's tree at boot:
//!
//! ```text
//! /            the ramdisk's programs, read-only (memfs, filled without copying a byte)
//! ├── bin/     init, sh, the utilities
//! ├── dev/     devfs: console, null, zero, random, urandom, tty (memfs device nodes)
//! │   └── shm/ tmpfs: POSIX shared memory (`shm_open`, named semaphores)
//! ├── proc/    procfs: what the kernel knows, as text files made when read
//! └── tmp/     tmpfs: writable, in memory, gone at reboot
//! ```
//!
//! Why walk with a stack: keeping the directories walked so far on a stack makes `..` a pop, and
//! makes it cross back out of a mounted file system without the mount table having to remember
//! where each mount's root came from. A symbolic link met on the way is followed by walking its
//! target in place of its name (the rules, and the `ELOOP` bound on loops, are the host-tested
//! `pathwalk` crate's); the stack then holds the real directories, so `..` after a link goes to
//! the target's parent, as on Linux. A relative path is walked from the process's working
//! directory, kept as a canonical absolute path with no links in it (`getcwd` returns it as it
//! is).
//!
//! Designed for the disk to come: a disk file system implements the same [`FileSystem`], and
//! [`mount`] puts it on any directory.

pub mod device;
pub mod disk;
pub mod file;
pub mod lock;
pub mod memory;
pub mod pagecache;
pub mod pipe;
pub mod poll;
pub mod ramdisk;

use abi::Errno;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
pub use memfs::{Attr, DirEntry, Ino, Kind, NAME_MAX};
use spin::{Once, RwLock};

/// The longest path a system call accepts, its NUL included (Linux's `PATH_MAX`).
pub const PATH_MAX: usize = 4096;

/// What every file system gives the VFS. Names are bytes, as on Linux; errors are the errno a
/// program sees.
pub trait FileSystem: Send + Sync {
    /// Its type's name, as `/proc/mounts` shows it (`tmpfs`, `proc`, ...).
    fn type_name(&self) -> &'static str;
    /// Its root directory's inode.
    fn root(&self) -> Ino;
    /// The inode `name` names in directory `dir`.
    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno>;
    /// What `stat` reports.
    fn stat(&self, ino: Ino) -> Result<Attr, Errno>;
    /// Reads from `offset` into `buf`; 0 at the end.
    fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno>;
    /// Writes `data` at `offset`.
    fn write(&self, ino: Ino, offset: u64, data: &[u8]) -> Result<usize, Errno>;
    /// Sets a regular file's size.
    fn truncate(&self, ino: Ino, len: u64) -> Result<(), Errno>;
    /// Makes a new inode `name` in `dir`.
    fn create(&self, dir: Ino, name: &[u8], kind: Kind, perm: u32) -> Result<Ino, Errno>;
    /// Removes a non-directory's name.
    fn unlink(&self, dir: Ino, name: &[u8]) -> Result<(), Errno>;
    /// Removes an empty directory.
    fn rmdir(&self, dir: Ino, name: &[u8]) -> Result<(), Errno>;
    /// Renames within this file system.
    fn rename(&self, from: Ino, from_name: &[u8], to: Ino, to_name: &[u8]) -> Result<(), Errno>;
    /// The first entry of directory `dir` at position `index` or after (`.` and `..` first),
    /// with the position after it; `None` past the end. (A disk directory has empty slots, so
    /// the next position is not always `index + 1`.)
    fn entry(&self, dir: Ino, index: usize) -> Result<Option<(DirEntry, usize)>, Errno>;
    /// A description was opened on `ino`.
    fn open(&self, ino: Ino) -> Result<(), Errno>;
    /// A description on `ino` was closed.
    fn close(&self, ino: Ino);
    /// Whether it refuses every change (`EROFS`), as `/proc/mounts` reports it (`ro`/`rw`).
    fn read_only(&self) -> bool {
        false
    }
    /// Gives the file `ino` another name, `name` in `dir` (`link`). A file system without
    /// hard links says `EPERM`, as Linux's `/proc` does.
    fn link(&self, _ino: Ino, _dir: Ino, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
    /// Makes a symbolic link `name` in `dir` holding `target`. A file system without symbolic
    /// links says `EPERM`, as Linux's do.
    fn symlink(&self, _dir: Ino, _name: &[u8], _target: &[u8]) -> Result<Ino, Errno> {
        Err(Errno::EPERM)
    }
    /// The path symbolic link `ino` holds (`EINVAL` if it is not one).
    fn readlink(&self, _ino: Ino) -> Result<Vec<u8>, Errno> {
        Err(Errno::EINVAL)
    }
    /// Whether it may hold symbolic links at all; a path walk asks each name it meets in one
    /// that may whether the name is a link, an extra `stat` a step.
    fn may_hold_links(&self) -> bool {
        true
    }
    /// Sets the permission bits of `ino` (`chmod`).
    fn set_perm(&self, _ino: Ino, _perm: u32) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
    /// Sets when `ino`'s contents last changed, in nanoseconds on the kernel's clock.
    fn set_modified(&self, _ino: Ino, _modified: u64) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
    /// How full it is, for `statfs`.
    fn usage(&self) -> Usage {
        Usage::default()
    }
    /// Makes every change so far durable (`fsync`, `sync`); in-memory file systems have
    /// nothing to do.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }
    /// The file's bytes in place, if they never move (the ramdisk's): `exec` then copies nothing.
    fn borrowed(&self, _ino: Ino) -> Option<&'static [u8]> {
        None
    }
}

/// What `statfs` reports about a file system, in its own units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Its magic number (`f_type`; see `abi::statfs`).
    pub magic: i64,
    /// The size of the blocks counted below.
    pub block_size: u64,
    /// Blocks in all.
    pub blocks: u64,
    /// Blocks free.
    pub free_blocks: u64,
    /// Inodes in all.
    pub inodes: u64,
    /// Inodes free.
    pub free_inodes: u64,
}

/// The [`FileSystem`] calls that a file system behind a lock answers by taking the lock
/// (its `with` method) and calling the method of the same name on what it guards: the
/// in-memory and the disk file systems share these lines.
macro_rules! forward_locked_calls {
    () => {
        fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
            self.with(|fs| fs.lookup(dir, name))
        }

        fn stat(&self, ino: Ino) -> Result<Attr, Errno> {
            self.with(|fs| fs.stat(ino))
        }

        fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
            self.with(|fs| fs.read(ino, offset, buf))
        }

        fn write(&self, ino: Ino, offset: u64, data: &[u8]) -> Result<usize, Errno> {
            self.with(|fs| fs.write(ino, offset, data))
        }

        fn truncate(&self, ino: Ino, len: u64) -> Result<(), Errno> {
            self.with(|fs| fs.truncate(ino, len))
        }

        fn create(&self, dir: Ino, name: &[u8], kind: Kind, perm: u32) -> Result<Ino, Errno> {
            self.with(|fs| fs.create(dir, name, kind, perm))
        }

        fn unlink(&self, dir: Ino, name: &[u8]) -> Result<(), Errno> {
            self.with(|fs| fs.unlink(dir, name))
        }

        fn rmdir(&self, dir: Ino, name: &[u8]) -> Result<(), Errno> {
            self.with(|fs| fs.rmdir(dir, name))
        }

        fn rename(
            &self,
            from: Ino,
            from_name: &[u8],
            to: Ino,
            to_name: &[u8],
        ) -> Result<(), Errno> {
            self.with(|fs| fs.rename(from, from_name, to, to_name))
        }

        fn open(&self, ino: Ino) -> Result<(), Errno> {
            self.with(|fs| fs.open(ino))
        }

        fn link(&self, ino: Ino, dir: Ino, name: &[u8]) -> Result<(), Errno> {
            self.with(|fs| fs.link(ino, dir, name))
        }

        fn set_perm(&self, ino: Ino, perm: u32) -> Result<(), Errno> {
            self.with(|fs| fs.set_perm(ino, perm))
        }

        fn set_modified(&self, ino: Ino, modified: u64) -> Result<(), Errno> {
            self.with(|fs| fs.set_modified(ino, modified))
        }
    };
}
pub(crate) use forward_locked_calls;

/// A file system in the tree.
pub struct Mount {
    /// Its device number, reported as `st_dev` (unique per mount).
    pub id: u64,
    /// Where it is mounted.
    pub path: String,
    /// The file system.
    pub fs: Box<dyn FileSystem>,
    /// The directory it covers: (the covered mount's id, the directory's inode); `None` for `/`.
    covers: Option<(u64, Ino)>,
}

/// An inode somewhere in the tree: which mount, which inode.
#[derive(Clone)]
pub struct Vnode {
    /// The file system it is in.
    pub mount: Arc<Mount>,
    /// Its inode there.
    pub ino: Ino,
}

/// Which file, for tables kept beside the file systems (locks, mapped pages): its file system
/// (the mount's device number) and inode.
pub type FileKey = (u64, Ino);

impl Vnode {
    /// Which file it is.
    pub fn key(&self) -> FileKey {
        (self.mount.id, self.ino)
    }

    /// What `stat` reports about it.
    pub fn stat(&self) -> Result<Attr, Errno> {
        self.mount.fs.stat(self.ino)
    }

    /// Whether it is a directory.
    pub fn is_directory(&self) -> bool {
        self.stat().is_ok_and(|a| a.kind == Kind::Directory)
    }
}

/// The root file system, once [`init`] has mounted it.
static ROOT: Once<Arc<Mount>> = Once::new();

/// Every mount but the root, in the order they were made. Read on every path step that lands
/// on a directory; written only by [`mount`].
static MOUNTS: RwLock<Vec<Arc<Mount>>> = RwLock::new(Vec::new());

/// Device numbers handed to mounts: Linux gives in-memory file systems major 0 ("unnamed").
static NEXT_ID: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);

/// Makes `fs` the root of the tree; once, at boot.
pub fn mount_root(fs: Box<dyn FileSystem>) {
    ROOT.call_once(|| {
        Arc::new(Mount {
            id: NEXT_ID.fetch_add(1, core::sync::atomic::Ordering::Relaxed),
            path: String::from("/"),
            fs,
            covers: None,
        })
    });
}

/// Mounts `fs` on the directory at `path` (absolute).
pub fn mount(path: &str, fs: Box<dyn FileSystem>) -> Result<(), Errno> {
    let dir = resolve("/", path.as_bytes())?;
    if !dir.is_directory() {
        return Err(Errno::ENOTDIR);
    }
    let mount = Arc::new(Mount {
        id: NEXT_ID.fetch_add(1, core::sync::atomic::Ordering::Relaxed),
        path: String::from(path),
        fs,
        covers: Some((dir.mount.id, dir.ino)),
    });
    let mut mounts = MOUNTS.write();
    if mounts.iter().any(|m| m.covers == mount.covers) {
        return Err(Errno::EBUSY);
    }
    mounts.push(mount);
    Ok(())
}

/// Every mount, the root first: (where, type).
pub fn mounts() -> Vec<(String, &'static str, bool)> {
    let describe = |m: &Arc<Mount>| (m.path.clone(), m.fs.type_name(), m.fs.read_only());
    let mut list: Vec<(String, &'static str, bool)> =
        ROOT.get().map(describe).into_iter().collect();
    list.extend(MOUNTS.read().iter().map(describe));
    list
}

/// Makes every mounted file system's changes durable (`sync`, and before a reboot); the first
/// error, after trying them all.
pub fn sync_all() -> Result<(), Errno> {
    let mut all: Vec<Arc<Mount>> = ROOT.get().cloned().into_iter().collect();
    all.extend(MOUNTS.read().iter().cloned());
    let mut result = Ok(());
    for mount in all {
        if let Err(e) = mount.fs.sync() {
            result = result.and(Err(e));
        }
    }
    result
}

/// The root directory (`ENOENT` before a root is mounted).
pub fn root() -> Result<Vnode, Errno> {
    let mount = ROOT.get().ok_or(Errno::ENOENT)?.clone();
    let ino = mount.fs.root();
    Ok(Vnode { mount, ino })
}

/// Whether a file system is mounted on inode `ino` of mount `mount_id`.
pub fn is_covered(mount_id: u64, ino: Ino) -> bool {
    let key = Some((mount_id, ino));
    MOUNTS.read().iter().any(|m| m.covers == key)
}

/// The root of what is mounted on `node`, or `node` itself.
fn cross_mounts(node: Vnode) -> Vnode {
    let key = Some((node.mount.id, node.ino));
    let mounts = MOUNTS.read();
    match mounts.iter().rev().find(|m| m.covers == key) {
        Some(mount) => Vnode {
            mount: mount.clone(),
            ino: mount.fs.root(),
        },
        None => node,
    }
}

/// The tree as the path walk (`pathwalk`) sees it: every mount, crossed where one covers a
/// directory.
struct Tree;

impl pathwalk::Tree for Tree {
    type Node = Vnode;

    fn lookup(&self, dir: &Vnode, name: &[u8]) -> Result<Vnode, Errno> {
        let ino = dir.mount.fs.lookup(dir.ino, name)?;
        Ok(cross_mounts(Vnode {
            mount: dir.mount.clone(),
            ino,
        }))
    }

    fn is_directory(&self, node: &Vnode) -> bool {
        node.is_directory()
    }

    fn link_target(&self, node: &Vnode) -> Result<Option<Vec<u8>>, Errno> {
        if !node.mount.fs.may_hold_links() || node.stat()?.kind != Kind::Symlink {
            return Ok(None);
        }
        node.mount.fs.readlink(node.ino).map(Some)
    }
}

pub use pathwalk::Last;

/// A walk in progress.
type Walk = pathwalk::Walk<Vnode>;

/// A walk standing at the working directory `cwd` (a canonical absolute path), or at the root
/// if `path` is absolute.
fn start(cwd: &str, path: &[u8]) -> Result<Walk, Errno> {
    let mut walk = Walk::new(root()?);
    if path.first() != Some(&b'/') {
        walk.walk(&Tree, cwd.as_bytes(), Last::Follow)?;
    }
    Ok(walk)
}

/// The canonical absolute path of where `walk` stands.
fn canonical(walk: &Walk) -> String {
    let mut path = String::new();
    for name in walk.names() {
        path.push('/');
        path.push_str(&String::from_utf8_lossy(name));
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

/// Checks a path from a program: not empty, not over-long.
fn check_path(path: &[u8]) -> Result<(), Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

/// The inode at `path`, relative paths starting at `cwd`, following symbolic links.
pub fn resolve(cwd: &str, path: &[u8]) -> Result<Vnode, Errno> {
    lookup(cwd, path, Last::Follow)
}

/// The inode at `path`; `last` says whether a symbolic link in the last component is followed
/// (`stat`) or is the answer (`lstat`).
pub fn lookup(cwd: &str, path: &[u8], last: Last) -> Result<Vnode, Errno> {
    check_path(path)?;
    let mut walk = start(cwd, path)?;
    walk.walk(&Tree, path, last)?;
    Ok(walk.top().clone())
}

/// [`lookup`], with the canonical absolute path it arrived at (links followed).
pub fn lookup_canonical(cwd: &str, path: &[u8], last: Last) -> Result<(Vnode, String), Errno> {
    check_path(path)?;
    let mut walk = start(cwd, path)?;
    walk.walk(&Tree, path, last)?;
    Ok((walk.top().clone(), canonical(&walk)))
}

/// The canonical absolute path of the directory at `path` (for `chdir`), and the directory.
pub fn resolve_directory(cwd: &str, path: &[u8]) -> Result<(String, Vnode), Errno> {
    let (node, path) = lookup_canonical(cwd, path, Last::Follow)?;
    if !node.is_directory() {
        return Err(Errno::ENOTDIR);
    }
    Ok((path, node))
}

/// The directory that would hold `path`'s last component, and that component: what `mkdir`,
/// `unlink`, `symlink` and `rename` work on (a link in the last component is the answer, not
/// followed). A path ending in `/` or naming `.` or `..` has its last component returned as it
/// is, for the caller to refuse as it must.
pub fn resolve_parent(cwd: &str, path: &[u8]) -> Result<(Vnode, Vec<u8>), Errno> {
    parent_of(cwd, path, Last::NoFollow)
}

/// [`resolve_parent`], but a symbolic link in the last component is followed to the name it
/// points at: where `open` with `O_CREAT` makes a file through a dangling link. The directory's
/// canonical path comes third (the new file's is [`join`]ed from it).
pub fn resolve_parent_following(cwd: &str, path: &[u8]) -> Result<(Vnode, Vec<u8>, String), Errno> {
    let (walk, name) = parent_walk(cwd, path, Last::Follow)?;
    let dir = walk.top().clone();
    if !dir.is_directory() {
        return Err(Errno::ENOTDIR);
    }
    Ok((dir, name, canonical(&walk)))
}

/// The canonical path of `name` in the directory whose canonical path is `dir`.
pub fn join(dir: &str, name: &[u8]) -> String {
    let mut path = String::from(dir.trim_end_matches('/'));
    path.push('/');
    path.push_str(&String::from_utf8_lossy(name));
    path
}

/// [`resolve_parent`] and [`resolve_parent_following`].
fn parent_of(cwd: &str, path: &[u8], last: Last) -> Result<(Vnode, Vec<u8>), Errno> {
    let (walk, name) = parent_walk(cwd, path, last)?;
    let dir = walk.top().clone();
    if !dir.is_directory() {
        return Err(Errno::ENOTDIR);
    }
    Ok((dir, name))
}

/// The walk to the directory that would hold `path`'s last component, and that component.
fn parent_walk(cwd: &str, path: &[u8], last: Last) -> Result<(Walk, Vec<u8>), Errno> {
    check_path(path)?;
    let trimmed = match path.iter().rposition(|&b| b != b'/') {
        Some(end) => &path[..=end],
        None => return Ok((Walk::new(root()?), b".".to_vec())), // "/" or "///"
    };
    let (dir_part, name) = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(slash) => (&trimmed[..slash], &trimmed[slash + 1..]),
        None => (&b""[..], trimmed),
    };
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let mut walk = start(cwd, path)?;
    walk.walk(&Tree, dir_part, Last::Follow)?;
    let name = if last == Last::Follow {
        walk.walk_parent(&Tree, name, Last::Follow)?
    } else {
        name.to_vec()
    };
    Ok((walk, name))
}

/// The contents of a program file: borrowed in place, or copied out of its file system.
pub enum ProgramBytes {
    /// Bytes that never move (the ramdisk's).
    Borrowed(&'static [u8]),
    /// A copy.
    Copied(Vec<u8>),
}

impl core::ops::Deref for ProgramBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            ProgramBytes::Borrowed(bytes) => bytes,
            ProgramBytes::Copied(bytes) => bytes,
        }
    }
}

/// The largest program `exec` reads (a bigger file is refused with `ENOMEM`).
pub const MAX_PROGRAM: u64 = 64 * 1024 * 1024;

/// The bytes of the program at `path`, for `exec`, and its canonical path (links followed:
/// what `/proc/PID/exe` shows): `EACCES` unless it is a regular file with an execute bit.
pub fn read_program(cwd: &str, path: &[u8]) -> Result<(ProgramBytes, String), Errno> {
    let (node, canonical) = lookup_canonical(cwd, path, Last::Follow)?;
    let bytes = program_bytes(&node)?;
    Ok((bytes, canonical))
}

/// The bytes of the program file `node`.
fn program_bytes(node: &Vnode) -> Result<ProgramBytes, Errno> {
    let attr = node.stat()?;
    if attr.kind != Kind::Regular || attr.perm & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    if let Some(bytes) = node.mount.fs.borrowed(node.ino) {
        return Ok(ProgramBytes::Borrowed(bytes));
    }
    if attr.size > MAX_PROGRAM {
        return Err(Errno::ENOMEM);
    }
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(attr.size as usize)
        .map_err(|_| Errno::ENOMEM)?;
    bytes.resize(attr.size as usize, 0);
    let n = node.mount.fs.read(node.ino, 0, &mut bytes)?;
    bytes.truncate(n);
    Ok(ProgramBytes::Copied(bytes))
}

/// Fills `stat` for a program from `attr` of an inode on mount `mount_id`.
pub fn to_stat(mount_id: u64, attr: &Attr) -> abi::Stat {
    /// The block size `stat` reports: the page, the unit tmpfs allocates in.
    const BLOCK_SIZE: i64 = 4096;
    /// `st_blocks` counts 512-byte units, whatever the file system's block size.
    const STAT_BLOCK: i64 = 512;
    let (seconds, nanos) = (
        (attr.modified / 1_000_000_000) as i64,
        (attr.modified % 1_000_000_000) as i64,
    );
    let (changed_seconds, changed_nanos) = (
        (attr.changed / 1_000_000_000) as i64,
        (attr.changed % 1_000_000_000) as i64,
    );
    let rdev = match attr.kind {
        Kind::CharDevice(number) => number,
        _ => 0,
    };
    abi::Stat {
        st_dev: mount_id,
        st_ino: attr.ino,
        st_nlink: attr.links as u64,
        st_mode: attr.mode(),
        st_rdev: rdev,
        st_size: attr.size as i64,
        st_blksize: BLOCK_SIZE,
        st_blocks: (attr.size.div_ceil(BLOCK_SIZE as u64) as i64) * (BLOCK_SIZE / STAT_BLOCK),
        st_atime: seconds,
        st_atime_nsec: nanos,
        st_mtime: seconds,
        st_mtime_nsec: nanos,
        st_ctime: changed_seconds,
        st_ctime_nsec: changed_nanos,
        ..abi::Stat::zeroed()
    }
}

/// What [`init`] built.
#[derive(Debug, Default)]
pub struct FsInfo {
    /// Files taken from the ramdisk.
    pub files: usize,
    /// Bytes in them (borrowed, not copied).
    pub bytes: usize,
    /// What became of the disk.
    pub disk: DiskOutcome,
}

/// What became of the disk at boot.
#[derive(Debug, Default)]
pub enum DiskOutcome {
    /// There is none.
    #[default]
    Absent,
    /// It is the root.
    Mounted {
        /// Its size.
        bytes: u64,
        /// What the mount found.
        report: diskfs::MountReport,
    },
    /// It was not mounted: why.
    Refused(diskfs::Refusal),
}

/// The directories a disk root needs as mount points.
const DISK_MOUNT_POINTS: [&[u8]; 4] = [b"bin", b"dev", b"proc", b"tmp"];

/// Builds the tree. With a disk that mounts, the disk is the root and the ramdisk's programs
/// are mounted on `/bin`; without one (or with one refused), the ramdisk is a read-only root.
/// Either way `/dev`, `/tmp` and `/proc` follow; `/proc` is the process layer's file system,
/// handed in by the root, since the file tree sits below processes.
pub fn init(
    device: Option<crate::drivers::virtio_blk::VirtioBlk>,
    proc_fs: Box<dyn FileSystem>,
) -> Result<FsInfo, Errno> {
    let entries = crate::fs::ramdisk::entries;
    let outcome = match device {
        None => DiskOutcome::Absent,
        Some(device) => {
            let bytes = device.bytes();
            match disk::mount(device) {
                Ok((disk, report)) => {
                    match DISK_MOUNT_POINTS
                        .iter()
                        .try_for_each(|name| disk.ensure_directory(name))
                        .and_then(|_| disk.sync())
                    {
                        Ok(()) => DiskOutcome::Mounted { bytes, report },
                        Err(e) => DiskOutcome::Refused(diskfs::Refusal {
                            first: diskfs::Violation::new(
                                "io-error",
                                alloc::format!("making the mount points: {}", e.name()),
                            ),
                            count: 1,
                        }),
                    }
                }
                Err(refusal) => DiskOutcome::Refused(refusal),
            }
        }
    };
    let info = if matches!(outcome, DiskOutcome::Mounted { .. }) {
        let disk = disk::mounted().ok_or(Errno::EIO)?;
        mount_root(Box::new(disk));
        let (programs, info) = memory::MemFs::from_ramdisk(entries(), Some("bin"))?;
        mount("/bin", Box::new(programs))?;
        if crate::sched::started() {
            if let Ok(handle) = crate::sched::spawn("disk-flush", disk::flusher) {
                crate::sched::detach(handle);
            }
        }
        info
    } else {
        let (root, info) = memory::MemFs::from_ramdisk(entries(), None)?;
        mount_root(Box::new(root));
        info
    };
    mount("/dev", Box::new(device::devfs()?))?;
    mount("/dev/shm", Box::new(memory::MemFs::tmpfs()))?;
    mount("/tmp", Box::new(memory::MemFs::tmpfs()))?;
    mount("/proc", proc_fs)?;
    Ok(FsInfo {
        disk: outcome,
        ..info
    })
}
