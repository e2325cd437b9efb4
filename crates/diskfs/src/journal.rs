//! The write-ahead log: how a group of block changes reaches the disk all at once or not at
//! all.
//!
//! A file-system operation changes several blocks: creating a file sets a bit in the inode
//! bitmap, fills an inode and adds a directory entry. If the power fails after some of those
//! writes and before the others, the disk holds an inode no entry names, or an entry naming a
//! free inode. The log makes the group atomic. The changed blocks are first written to the log
//! area, then one header block that lists where they belong (the *commit*), and only then to
//! their homes. A crash before the header is written leaves the homes untouched: the operation
//! never happened. A crash after it leaves a header that the next mount reads and *replays*,
//! copying the blocks home again: the operation happened. Writing a block home twice does no
//! harm, so a crash during replay is harmless too.
//!
//! The flushes between the steps are what make this true on a real disk, which may reorder
//! writes it has not been told to make durable: the slots must be on the medium before the
//! header that vouches for them, and the homes before the header is cleared.
//!
//! Operations are grouped: a *transaction* gathers the blocks of many operations and commits
//! when a program asks (`fsync`, `sync`), when the log would overflow, or when the kernel's
//! flusher says it is time. A block changed twice in one transaction is logged once.

use crate::cache::{io, Cache};
use crate::crc::Crc32;
use crate::device::{nth_block, BlockDevice};
use crate::layout::{Block, LogHeader, Superblock, Violation, ZERO_BLOCK};
use abi::Errno;
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::vec::Vec;

/// What a mount found in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Replay {
    /// Blocks copied home from a committed transaction.
    pub blocks: usize,
    /// A header named a transaction whose slots no longer match it (it was installed, and a
    /// later transaction that never committed began to overwrite its slots): not replayed.
    pub stale: bool,
}

/// The log of one mounted file system.
pub struct Journal {
    /// The header's block.
    start: u32,
    /// Its slots.
    capacity: usize,
    /// The last transaction committed.
    sequence: u64,
    /// The blocks the running transaction changed.
    pending: BTreeSet<u32>,
    /// Transactions committed since mount.
    pub commits: u64,
}

impl Journal {
    /// Reads the log of `sb` from `device`, replays a committed transaction and empties the log.
    pub fn replay<D: BlockDevice>(
        device: &mut D,
        sb: &Superblock,
    ) -> Result<(Journal, Replay), Violation> {
        let io_error = |what: &str| Violation::new("io-error", format!("the device failed {what}"));
        let mut block = ZERO_BLOCK;
        device
            .read(sb.log_start, &mut block)
            .map_err(|_| io_error("reading the log header"))?;
        let header = LogHeader::decode(&block, sb)?;
        let journal = Journal {
            start: sb.log_start,
            capacity: sb.log_capacity() as usize,
            sequence: header.sequence,
            pending: BTreeSet::new(),
            commits: 0,
        };
        let mut replay = Replay::default();
        if header.targets.is_empty() {
            return Ok((journal, replay));
        }
        let mut slots: Vec<Block> = Vec::with_capacity(header.targets.len());
        let mut crc = Crc32::new();
        for i in 0..header.targets.len() {
            // The geometry check put the log's slots before the bitmaps, so they exist.
            let slot = journal.slot(i).ok_or_else(|| {
                Violation::new(
                    "log-does-not-replay",
                    format!("log slot {i} is past the end"),
                )
            })?;
            device
                .read(slot, &mut block)
                .map_err(|_| io_error("reading the log"))?;
            crc.update(&block);
            slots.push(block);
        }
        if crc.value() == header.data_checksum {
            for (target, data) in header.targets.iter().zip(&slots) {
                device
                    .write(*target, data)
                    .map_err(|_| io_error("replaying the log"))?;
            }
            device.flush().map_err(|_| io_error("replaying the log"))?;
            replay.blocks = slots.len();
        } else {
            replay.stale = true;
        }
        journal
            .clear(device)
            .and_then(|_| device.flush().map_err(io))
            .map_err(|_| io_error("emptying the log"))?;
        Ok((journal, replay))
    }

    /// The block of slot `i` (the slots follow the header); `None` past block `u32::MAX`.
    fn slot(&self, i: usize) -> Option<u32> {
        nth_block(self.start, i.checked_add(1)?)
    }

    /// Writes an empty header (not flushed).
    fn clear<D: BlockDevice>(&self, device: &mut D) -> Result<(), Errno> {
        let empty = LogHeader {
            sequence: self.sequence,
            data_checksum: 0,
            targets: Vec::new(),
        };
        device.write(self.start, &empty.encode()).map_err(io)
    }

    /// Records that the running transaction changed `block`.
    pub fn note(&mut self, block: u32) {
        self.pending.insert(block);
    }

    /// Blocks the running transaction has changed.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Slots in the log.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Drops the running transaction (its blocks are forgotten by the cache too).
    pub fn abandon(&mut self) {
        self.pending.clear();
    }

    /// Commits the running transaction and installs it; on return it is durable.
    pub fn commit<D: BlockDevice>(&mut self, cache: &mut Cache<D>) -> Result<(), Errno> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let targets: Vec<u32> = self.pending.iter().copied().collect();
        if targets.len() > self.capacity {
            // Every operation reserves its room first, so this is a bug, not a full log; the
            // extra blocks would land past the log, on the bitmaps.
            return Err(Errno::EIO);
        }
        // 1. The changed blocks into the slots.
        let mut crc = Crc32::new();
        for &block in &targets {
            crc.update(cache.peek(block).ok_or(Errno::EIO)?);
        }
        // The slots are consecutive: as few requests as the device allows.
        let first_slot = self.slot(0).ok_or(Errno::EIO)?;
        cache.store_run(&targets, first_slot).map_err(io)?;
        // 2. Durable before the header that vouches for them.
        cache.device().flush().map_err(io)?;
        // 3, 4. The commit.
        let header = LogHeader {
            // A number that names the transaction, never compared with another: after
            // u64::MAX (which a disk may claim), it starts again at 0.
            sequence: self.sequence.wrapping_add(1),
            data_checksum: crc.value(),
            targets,
        };
        cache
            .device()
            .write(self.start, &header.encode())
            .map_err(io)?;
        cache.device().flush().map_err(io)?;
        self.sequence = header.sequence;
        self.commits = self.commits.saturating_add(1);
        // 5, 6. Home, durable before the header is cleared.
        // Home: the targets are sorted, so neighbours on the disk go out in one request.
        for run in header
            .targets
            .chunk_by(|&a, &b| a.checked_add(1) == Some(b))
        {
            if let Some(&first) = run.first() {
                cache.store_run(run, first).map_err(io)?;
            }
        }
        for &block in &header.targets {
            cache.clean(block);
        }
        cache.device().flush().map_err(io)?;
        // 7. Empty again; the next flush makes it durable, and until then a replay of this
        // transaction only rewrites what is already home.
        self.clear(cache.device())?;
        self.pending.clear();
        Ok(())
    }

    /// Makes the cleared header durable (at unmount).
    pub fn settle<D: BlockDevice>(&mut self, cache: &mut Cache<D>) -> Result<(), Errno> {
        cache.device().flush().map_err(io)
    }
}
