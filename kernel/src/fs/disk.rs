//! The disk file system in the tree: the `diskfs` crate on the virtio-blk disk, behind a lock,
//! and the thread that commits its log every few seconds.
//!
//! All of the file system's logic is in `crates/diskfs`, tested on the host; this module only
//! connects it to the VFS and to time. The lock is the scheduler's blocking mutex: an operation
//! waits for the disk, and the thread that holds the lock sleeps meanwhile instead of making
//! the others spin.
//!
//! Changes reach the disk when the log commits them. A program that needs its data safe now
//! calls `fsync` (or `sync`); everything else is committed by the flusher thread, at most
//! [`COMMIT_INTERVAL`] after it was written, or sooner when the log fills up. That is ext4's
//! default rule too (its `commit=5`): a crash loses at most the last few seconds, and never
//! leaves the file system half-changed.

use super::{Attr, DirEntry, FileSystem, Ino, Kind};
use crate::drivers::virtio_blk::VirtioBlk;
use crate::sched::sync::Mutex;
use abi::Errno;
use core::time::Duration;
use diskfs::{DiskFs, MountReport, Refusal};
use spin::Once;

/// How long a change may wait in memory before the flusher commits it.
pub const COMMIT_INTERVAL: Duration = Duration::from_secs(5);
/// Blocks the cache holds: 4 MiB, a sixteenth of the kernel heap.
const CACHE_BLOCKS: usize = 1024;

/// A mounted disk.
pub struct Disk {
    /// The file system; the lock guards all of it, the device included.
    fs: Mutex<DiskFs<VirtioBlk>>,
}

/// The mounted disk, for the flusher, `sync` and `/proc`.
static DISK: Once<&'static Disk> = Once::new();

/// Mounts the file system on `device`; `Refusal` names the rule a corrupt disk breaks.
pub fn mount(device: VirtioBlk) -> Result<(&'static Disk, MountReport), Refusal> {
    let clock = || crate::arch::x86_64::read_tsc();
    let started = clock();
    let (fs, report) = DiskFs::mount(device, CACHE_BLOCKS, &clock)?;
    // Under icount these are instruction counts (see `crate::bench`).
    crate::bench::report("disk.mount", clock() - started, "tsc");
    crate::bench::report("disk.mount_check", report.check_ticks, "tsc");
    if report.replay.blocks > 0 {
        crate::bench::report("disk.log_replay", report.replay_ticks, "tsc");
    }
    let disk: &'static Disk =
        alloc::boxed::Box::leak(alloc::boxed::Box::new(Disk { fs: Mutex::new(fs) }));
    DISK.call_once(|| disk);
    Ok((disk, report))
}

/// The mounted disk, if any.
pub fn mounted() -> Option<&'static Disk> {
    DISK.get().copied()
}

/// The flusher: commits the log every [`COMMIT_INTERVAL`].
pub fn flusher() {
    loop {
        crate::sched::sleep(COMMIT_INTERVAL);
        if let Some(disk) = mounted() {
            if let Err(e) = disk.fs.lock().sync() {
                log::error!(
                    "disk: commit failed ({}); the disk keeps its last commit",
                    e.name()
                );
                return;
            }
        }
    }
}

impl Disk {
    /// Runs `f` with the lock held and the clock set.
    fn with<R>(&self, f: impl FnOnce(&mut DiskFs<VirtioBlk>) -> R) -> R {
        let mut fs = self.fs.lock();
        fs.set_clock(crate::time::realtime_ns());
        f(&mut fs)
    }

    /// Makes sure directory `name` exists in the root (a mount point).
    pub fn ensure_directory(&self, name: &[u8]) -> Result<(), Errno> {
        self.with(|fs| match fs.lookup(diskfs::layout::ROOT.into(), name) {
            Ok(_) => Ok(()),
            Err(Errno::ENOENT) => fs
                .create(diskfs::layout::ROOT.into(), name, Kind::Directory, 0o755)
                .map(drop),
            Err(e) => Err(e),
        })
    }
}

impl FileSystem for &'static Disk {
    super::forward_locked_calls!();

    fn type_name(&self) -> &'static str {
        "ferritefs"
    }

    fn root(&self) -> Ino {
        diskfs::layout::ROOT.into()
    }

    fn entry(&self, dir: Ino, index: usize) -> Result<Option<(DirEntry, usize)>, Errno> {
        self.with(|fs| fs.entry(dir, index))
    }

    fn close(&self, ino: Ino) {
        if let Err(e) = self.with(|fs| fs.close(ino)) {
            log::error!(
                "disk: freeing inode {ino} at its last close failed: {}",
                e.name()
            );
        }
    }

    fn sync(&self) -> Result<(), Errno> {
        self.with(|fs| fs.sync())
    }

    fn symlink(&self, dir: Ino, name: &[u8], target: &[u8]) -> Result<Ino, Errno> {
        self.with(|fs| fs.symlink(dir, name, target))
    }

    fn readlink(&self, ino: Ino) -> Result<alloc::vec::Vec<u8>, Errno> {
        self.with(|fs| fs.readlink(ino))
    }

    fn usage(&self) -> super::Usage {
        let usage = self.with(|fs| fs.usage());
        super::Usage {
            magic: abi::statfs::FERRITEFS_MAGIC,
            block_size: diskfs::layout::BLOCK_SIZE as u64,
            blocks: usage.blocks.into(),
            free_blocks: usage.free_blocks.into(),
            inodes: usage.inodes.into(),
            free_inodes: usage.free_inodes.into(),
        }
    }
}
