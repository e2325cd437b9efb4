//! The in-memory file systems: the read-only root filled from the ramdisk, and tmpfs.
//!
//! Both are the host-tested `memfs` crate behind a lock. The lock is the scheduler's blocking
//! mutex, not a spin lock: creating a file in a directory of ten thousand, or copying a large
//! write, takes long enough that a thread preempted while holding the lock must not make the
//! others spin. Every call takes the lock once and copies through kernel buffers (the system
//! calls copy to and from the program outside it), so a page fault on a program's buffer never
//! happens with the lock held.

use super::{Attr, DirEntry, FileSystem, FsInfo, Ino, Kind};
use crate::sched::sync::Mutex;
use abi::Errno;
use memfs::Fs;

/// How much a tmpfs holds: a quarter of the kernel heap, whose pages hold the files.
pub const TMPFS_CAPACITY: usize = crate::mm::layout::KERNEL_HEAP_MAX as usize / 4;

/// Permissions of the directories made for the tree (`rwxr-xr-x`).
const DIRECTORY_PERM: u32 = 0o755;
/// Permissions of `/tmp` (`rwxrwxrwt`: anyone may create, only the owner may remove).
const TMP_PERM: u32 = 0o1777;
/// The directories every root has, as mount points.
const MOUNT_POINTS: [&[u8]; 3] = [b"dev", b"proc", b"tmp"];

/// A `memfs` file system behind a blocking lock.
pub struct MemFs {
    /// Its type's name (`ramfs` or `tmpfs`).
    name: &'static str,
    /// The tree; the lock guards all of it.
    fs: Mutex<Fs<'static>>,
    /// Sealed read-only when made (the ramdisk's trees, `/dev`): it can never hold a symbolic
    /// link, so a path walk need not ask each name whether it is one.
    sealed: bool,
}

impl MemFs {
    /// An empty writable tmpfs.
    pub fn tmpfs() -> MemFs {
        MemFs {
            name: "tmpfs",
            fs: Mutex::new(Fs::new(TMPFS_CAPACITY, TMP_PERM)),
            sealed: false,
        }
    }

    /// An empty file system of type `name` that `fill` fills before it is sealed read-only.
    pub fn sealed(
        name: &'static str,
        fill: impl FnOnce(&mut Fs<'static>) -> Result<(), Errno>,
    ) -> Result<MemFs, Errno> {
        let mut fs = Fs::new(usize::MAX, DIRECTORY_PERM);
        fill(&mut fs)?;
        fs.set_read_only(true);
        Ok(MemFs {
            name,
            fs: Mutex::new(fs),
            sealed: true,
        })
    }

    /// The ramdisk's files and directories, borrowed in place, read-only: all of them with
    /// the mount points when `subtree` is `None` (the root without a disk), or those under
    /// `subtree/` alone, as the root of a tree of their own (`/bin` above a disk root).
    pub fn from_ramdisk(
        entries: impl Iterator<Item = initrd::Entry<'static>>,
        subtree: Option<&str>,
    ) -> Result<(MemFs, FsInfo), Errno> {
        let mut info = FsInfo::default();
        let root = MemFs::sealed("ramfs", |fs| {
            if subtree.is_none() {
                for name in MOUNT_POINTS {
                    fs.ensure_directory(memfs::ROOT, name, DIRECTORY_PERM)?;
                }
            }
            for entry in entries {
                if entry.kind() == initrd::Kind::Other {
                    continue; // links and devices: Ferrite's writer never makes them
                }
                // The archive's names are canonical and relative ("bin/sh"), checked at boot.
                let name = match subtree {
                    None => entry.name,
                    Some(prefix) => match entry
                        .name
                        .strip_prefix(prefix)
                        .and_then(|rest| rest.strip_prefix('/'))
                    {
                        Some(rest) => rest,
                        None => continue,
                    },
                };
                let mut parts = name.split('/').peekable();
                let mut dir = memfs::ROOT;
                while let Some(part) = parts.next() {
                    let last = parts.peek().is_none();
                    if !last || entry.kind() == initrd::Kind::Directory {
                        dir = fs.ensure_directory(dir, part.as_bytes(), DIRECTORY_PERM)?;
                    } else {
                        let perm = entry.mode & 0o7777;
                        fs.add_borrowed(dir, part.as_bytes(), entry.data, perm)?;
                        info.files += 1;
                        info.bytes += entry.data.len();
                    }
                }
            }
            Ok(())
        })?;
        Ok((root, info))
    }

    /// Runs `f` on the tree with the lock held and the clock set.
    fn with<R>(&self, f: impl FnOnce(&mut Fs<'static>) -> R) -> R {
        let mut fs = self.fs.lock();
        fs.set_clock(crate::time::realtime_ns());
        f(&mut fs)
    }

    /// Bytes held and the capacity, for `/proc` and the leak checks.
    pub fn usage(&self) -> (usize, usize) {
        self.with(|fs| (fs.used(), fs.capacity()))
    }
}

/// The block size an in-memory file system reports to `statfs` (it has no blocks: it counts
/// bytes, reported in these units).
const USAGE_BLOCK: u64 = 4096;

impl FileSystem for MemFs {
    super::forward_locked_calls!();

    fn type_name(&self) -> &'static str {
        self.name
    }

    fn read_only(&self) -> bool {
        self.fs.lock().is_read_only()
    }

    fn usage(&self) -> super::Usage {
        let (capacity, used, inodes) = self.with(|fs| fs.usage());
        // A sealed ramdisk file system holds what it was filled with and no more.
        let capacity = if self.read_only() { used } else { capacity };
        let block = USAGE_BLOCK as usize;
        super::Usage {
            magic: if self.name == "tmpfs" {
                abi::statfs::TMPFS_MAGIC
            } else {
                abi::statfs::RAMFS_MAGIC
            },
            block_size: USAGE_BLOCK,
            blocks: capacity.div_ceil(block) as u64,
            free_blocks: (capacity.saturating_sub(used) / block) as u64,
            inodes: inodes as u64,
            free_inodes: (capacity.saturating_sub(used) / memfs::NODE_COST) as u64,
        }
    }

    fn root(&self) -> Ino {
        memfs::ROOT
    }

    fn entry(&self, dir: Ino, index: usize) -> Result<Option<(DirEntry, usize)>, Errno> {
        self.with(|fs| fs.entry(dir, index))
            .map(|e| e.map(|e| (e, index + 1)))
    }

    fn close(&self, ino: Ino) {
        self.with(|fs| fs.close(ino))
    }

    fn symlink(&self, dir: Ino, name: &[u8], target: &[u8]) -> Result<Ino, Errno> {
        self.with(|fs| fs.symlink(dir, name, target))
    }

    fn readlink(&self, ino: Ino) -> Result<alloc::vec::Vec<u8>, Errno> {
        self.with(|fs| fs.readlink(ino).map(<[u8]>::to_vec))
    }

    fn may_hold_links(&self) -> bool {
        !self.sealed
    }

    fn borrowed(&self, ino: Ino) -> Option<&'static [u8]> {
        self.with(|fs| fs.borrowed(ino))
    }
}
