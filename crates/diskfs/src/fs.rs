//! The file operations on a mounted disk: the same calls the in-memory file systems answer
//! (look up, read, write, create, remove, rename, list), here in terms of blocks.
//!
//! Every operation that changes the disk runs inside the log's running transaction. It first
//! *reserves* room in the log for the most blocks it could change; if the transaction could
//! not take them, it is committed first, so an operation never straddles two transactions.
//! Operations that could change without bound (writing a large buffer, truncating a large file)
//! run as a series of steps, each a complete, consistent change: a write of 64 MiB is many
//! writes of a few blocks, and a crash in the middle leaves a shorter file, never garbage.
//!
//! Every check that can refuse an operation runs before its first change. A failure after
//! that (a device error, or a disk that turns out corrupt) cannot be undone block by block, so
//! it *poisons* the file system: the half-made transaction is dropped, nothing more is
//! written, and every later change fails with `EIO`. The disk keeps its last committed state.

use crate::cache::{io, Cache};
use crate::check::{self, Report};
use crate::device::BlockDevice;
use crate::index::DirIndex;
use crate::journal::{Journal, Replay};
use crate::layout::{
    get32, put32, Block, Entry, Inode, Superblock, Violation, BITS_PER_BLOCK, BLOCK_SIZE, DIRECT,
    ENTRIES_PER_BLOCK, ENTRY_SIZE, INODE_SIZE, KIND_DIRECTORY, KIND_REGULAR, MAX_FILE_BLOCKS,
    NAME_MAX, PERM_MASK, POINTERS_PER_BLOCK, ROOT, S_IFDIR, S_IFREG, ZERO_BLOCK,
};
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use memfs::{Attr, DirEntry, Ino, Kind};

/// Blocks a metadata operation may change at most (a rename: four inodes, an entry in each
/// directory, the moved directory's `..`, a new directory block with the indirect blocks that
/// map it, and the bitmap blocks of those).
const METADATA_RESERVE: usize = 16;
/// The most data blocks one step of a write changes.
const MAX_WRITE_STEP: u64 = 16;
/// A directory of this many blocks or more gets an in-memory index when it is searched.
const INDEX_MIN_BLOCKS: u64 = 4;
/// The most names all the indexes hold (about 150 bytes each); past it they are dropped.
const INDEX_LIMIT: usize = 50_000;
/// The most blocks one step of a truncation frees.
const MAX_FREE_STEP: u64 = 1024;
/// Indirect blocks one step can touch: the indirect, the double indirect and two of its
/// children.
const INDIRECT_RESERVE: usize = 4;

/// What mounting found.
#[derive(Debug, Clone, Default)]
pub struct MountReport {
    /// What the log held.
    pub replay: Replay,
    /// The check's findings (clean, or the mount would have been refused).
    pub check: Report,
    /// Orphans freed.
    pub orphans_freed: usize,
    /// Clock ticks the log replay took (by the clock given to [`DiskFs::mount`]).
    pub replay_ticks: u64,
    /// Clock ticks the check took.
    pub check_ticks: u64,
}

/// Why a disk was not mounted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The first rule broken.
    pub first: Violation,
    /// How many were found in all.
    pub count: usize,
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.first)?;
        if self.count > 1 {
            write!(f, " (and {} more)", self.count - 1)?;
        }
        Ok(())
    }
}

/// Space in use and free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Blocks in the file system.
    pub blocks: u32,
    /// Blocks free.
    pub free_blocks: u32,
    /// Inodes in the file system.
    pub inodes: u32,
    /// Inodes free.
    pub free_inodes: u32,
}

/// What a directory search found: the name's slot and entry, and the first empty slot.
type Search = (Option<(u64, Entry)>, Option<u64>);

/// A mounted disk file system on device `D`.
pub struct DiskFs<D: BlockDevice> {
    /// Where everything is.
    sb: Superblock,
    /// The blocks in memory.
    cache: Cache<D>,
    /// The log.
    journal: Journal,
    /// The time stamped on changes.
    clock: u64,
    /// Open descriptions per inode.
    opens: BTreeMap<u32, u32>,
    /// Blocks free.
    free_blocks: u32,
    /// Inodes free.
    free_inodes: u32,
    /// Where the next block search starts.
    block_hint: u32,
    /// Where the next inode search starts.
    inode_hint: u32,
    /// Data blocks one write step changes.
    write_step: u64,
    /// Blocks one truncation step frees.
    free_step: u64,
    /// Blocks changed so far (to tell whether a failed operation had begun changing things).
    changes: u64,
    /// Poisoned: nothing more is written.
    failed: bool,
    /// Indexes of the large directories searched so far (a cache of what their blocks hold).
    indexes: BTreeMap<u32, DirIndex>,
    /// Names in all of them.
    indexed: usize,
}

/// Blocks one truncation step of `step` blocks may change, on a disk of `bitmap` bitmap blocks:
/// the bitmap blocks of the data blocks, the inode, the block with the tail, the pointer blocks
/// cleared, and the bitmap blocks of the pointer blocks freed.
fn free_reserve(step: u64, bitmap: u64) -> usize {
    step.min(bitmap) as usize + 2 + 2 * INDIRECT_RESERVE
}

/// A directory entry's kind byte for `kind`.
fn kind_byte(directory: bool) -> u8 {
    if directory {
        KIND_DIRECTORY
    } else {
        KIND_REGULAR
    }
}

/// Rejects a name a new entry may not have.
fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if name.contains(&b'/') || name.contains(&0) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

impl<D: BlockDevice> DiskFs<D> {
    /// Mounts the file system on `device`: reads the superblock, replays the log, checks every
    /// rule, and frees orphans. `cache_blocks` is the cache's size (raised to hold twice the log);
    /// `clock` times the phases for the report (the kernel passes its time-stamp counter).
    pub fn mount(
        mut device: D,
        cache_blocks: usize,
        clock: &dyn Fn() -> u64,
    ) -> Result<(DiskFs<D>, MountReport), Refusal> {
        let refuse = |first: Violation| Refusal { first, count: 1 };
        let mut block = ZERO_BLOCK;
        device.read(0, &mut block).map_err(|_| {
            refuse(Violation::new(
                "io-error",
                String::from("the device failed reading block 0"),
            ))
        })?;
        let sb = Superblock::decode(&block, device.block_count()).map_err(refuse)?;
        let started = clock();
        let (journal, replay) = Journal::replay(&mut device, &sb).map_err(refuse)?;
        let replayed = clock();
        let capacity = cache_blocks.max(2 * journal.capacity() + 64);
        let mut cache = Cache::new(device, capacity);
        let report = check::check(&mut cache, &sb).map_err(|_| {
            refuse(Violation::new(
                "io-error",
                String::from("the device failed during the check"),
            ))
        })?;
        let checked = clock();
        if let Some(first) = report.violations.first() {
            return Err(Refusal {
                first: first.clone(),
                count: report.violations.len() + report.more,
            });
        }
        let log = journal.capacity();
        let bitmap = sb.block_bitmap_blocks as u64;
        let write_step = (1..=MAX_WRITE_STEP)
            .rev()
            .find(|&n| n as usize + (n + 4).min(bitmap) as usize + 1 + INDIRECT_RESERVE <= log)
            .unwrap_or(1);
        let free_step = (1..=MAX_FREE_STEP)
            .rev()
            .find(|&n| free_reserve(n, bitmap) <= log)
            .unwrap_or(1);
        let mut fs = DiskFs {
            free_blocks: sb.block_count - report.blocks_used,
            free_inodes: sb.inode_count - report.inodes_used,
            sb,
            cache,
            journal,
            clock: 0,
            opens: BTreeMap::new(),
            block_hint: sb.data_start,
            inode_hint: ROOT,
            write_step,
            free_step,
            changes: 0,
            failed: false,
            indexes: BTreeMap::new(),
            indexed: 0,
        };
        let orphans = report.orphans.clone();
        for &ino in &orphans {
            fs.guard(|fs| fs.release(ino)).map_err(|_| {
                refuse(Violation::new(
                    "io-error",
                    format!("the device failed freeing orphan {ino}"),
                ))
            })?;
        }
        if !orphans.is_empty() {
            fs.sync().map_err(|_| {
                refuse(Violation::new(
                    "io-error",
                    String::from("the device failed freeing orphans"),
                ))
            })?;
        }
        Ok((
            fs,
            MountReport {
                replay,
                check: report,
                orphans_freed: orphans.len(),
                replay_ticks: replayed - started,
                check_ticks: checked - replayed,
            },
        ))
    }

    /// Commits what is pending and hands the device back.
    pub fn unmount(mut self) -> Result<D, (D, Errno)> {
        let result = self
            .sync()
            .and_then(|_| self.journal.settle(&mut self.cache));
        let device = self.cache.into_device();
        match result {
            Ok(()) => Ok(device),
            Err(e) => Err((device, e)),
        }
    }

    /// Sets the time stamped on later changes.
    pub fn set_clock(&mut self, now: u64) {
        self.clock = now;
    }

    /// The superblock.
    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    /// Blocks and inodes, in use and free.
    pub fn usage(&self) -> Usage {
        Usage {
            blocks: self.sb.block_count,
            free_blocks: self.free_blocks,
            inodes: self.sb.inode_count,
            free_inodes: self.free_inodes,
        }
    }

    /// The cache (for its counters).
    pub fn cache(&mut self) -> &mut Cache<D> {
        &mut self.cache
    }

    /// Transactions committed since mount.
    pub fn commits(&self) -> u64 {
        self.journal.commits
    }

    /// Whether a failure stopped all writing.
    pub fn has_failed(&self) -> bool {
        self.failed
    }

    /// Commits the running transaction: every change so far is durable on return.
    pub fn sync(&mut self) -> Result<(), Errno> {
        if self.failed {
            return Err(Errno::EIO);
        }
        if let Err(e) = self.journal.commit(&mut self.cache) {
            self.poison();
            return Err(e);
        }
        Ok(())
    }

    /// Stops all writing after a failure in the middle of a change.
    fn poison(&mut self) {
        self.indexes.clear();
        self.indexed = 0;
        self.failed = true;
        self.journal.abandon();
        self.cache.forget();
    }

    /// Runs a changing operation; a failure after its first change poisons the file system.
    /// `ENOSPC` is the exception: the operations that can run out of space part-way (a write
    /// that fills the disk) stop at a consistent point, and the others check for space first.
    fn guard<T>(&mut self, op: impl FnOnce(&mut Self) -> Result<T, Errno>) -> Result<T, Errno> {
        if self.failed {
            return Err(Errno::EIO);
        }
        let before = self.changes;
        let result = op(self);
        if matches!(result, Err(e) if e != Errno::ENOSPC) && self.changes != before {
            self.poison();
        }
        result
    }

    /// Makes room in the log for `blocks` more changed blocks.
    fn reserve(&mut self, blocks: usize) -> Result<(), Errno> {
        if self.journal.pending() + blocks > self.journal.capacity() {
            self.sync()?;
        }
        Ok(())
    }

    /// Block `block`, to change within the running transaction.
    fn modify(&mut self, block: u32) -> Result<&mut Block, Errno> {
        self.changes += 1;
        self.journal.note(block);
        self.cache.get_mut(block)
    }

    /// Block `block`, zeroed, to fill within the running transaction.
    fn fresh(&mut self, block: u32) -> Result<&mut Block, Errno> {
        self.changes += 1;
        self.journal.note(block);
        self.cache.zeroed_mut(block)
    }

    // ---- inodes and bitmaps ----

    /// Inode `ino`, in use (`ENOENT` if free or out of range; `EIO` if corrupt).
    fn inode(&mut self, ino: Ino) -> Result<Inode, Errno> {
        if ino == 0 || ino > u64::from(self.sb.inode_count) {
            return Err(Errno::ENOENT);
        }
        let (block, offset) = self.sb.inode_place(ino as u32);
        let inode = Inode::decode(&self.cache.get(block)?[offset..offset + INODE_SIZE])
            .ok_or(Errno::EIO)?;
        if inode.mode == 0 {
            return Err(Errno::ENOENT);
        }
        if inode.size > MAX_FILE_BLOCKS * BLOCK_SIZE as u64 {
            return Err(Errno::EIO);
        }
        Ok(inode)
    }

    /// Writes inode `ino`.
    fn put_inode(&mut self, ino: u32, inode: &Inode) -> Result<(), Errno> {
        let (block, offset) = self.sb.inode_place(ino);
        inode.encode(&mut self.modify(block)?[offset..offset + INODE_SIZE]);
        Ok(())
    }

    /// A directory's inode (`ENOTDIR` otherwise).
    fn directory(&mut self, ino: Ino) -> Result<Inode, Errno> {
        let inode = self.inode(ino)?;
        if !inode.is_directory() {
            return Err(Errno::ENOTDIR);
        }
        Ok(inode)
    }

    /// Finds a clear bit in the bitmap at `start` of `blocks` blocks, from bit `hint`, below
    /// `limit`; sets it.
    fn take_bit(&mut self, start: u32, blocks: u32, hint: u32, limit: u32) -> Result<u32, Errno> {
        let total = blocks * BITS_PER_BLOCK;
        for pass in 0..2 {
            let (from, to) = if pass == 0 { (hint, total) } else { (0, hint) };
            let mut bit = from;
            while bit < to {
                let block = start + bit / BITS_PER_BLOCK;
                let data = self.cache.get(block)?;
                let mut found = None;
                let first_byte = (bit % BITS_PER_BLOCK / 8) as usize;
                for (i, &byte) in data.iter().enumerate().skip(first_byte) {
                    if byte != 0xFF {
                        found = Some(i * 8 + (!byte).trailing_zeros() as usize);
                        break;
                    }
                }
                let block_base = bit - bit % BITS_PER_BLOCK;
                match found {
                    Some(offset) if block_base + (offset as u32) < to => {
                        let index = block_base + offset as u32;
                        if index >= limit {
                            return Err(Errno::EIO); // the padding bits must be set
                        }
                        let byte = &mut self.modify(block)?[offset / 8];
                        *byte |= 1 << (offset % 8);
                        return Ok(index);
                    }
                    _ => bit = block_base + BITS_PER_BLOCK,
                }
            }
        }
        Err(Errno::ENOSPC)
    }

    /// Clears bit `index` of the bitmap at `start`.
    fn clear_bit(&mut self, start: u32, index: u32) -> Result<(), Errno> {
        let block = start + index / BITS_PER_BLOCK;
        let offset = (index % BITS_PER_BLOCK) as usize;
        let byte = &mut self.modify(block)?[offset / 8];
        if *byte & (1 << (offset % 8)) == 0 {
            return Err(Errno::EIO); // freeing something free: the disk is not what it seemed
        }
        *byte &= !(1 << (offset % 8));
        Ok(())
    }

    /// Allocates a data block (its contents are the caller's to fill).
    fn alloc_block(&mut self) -> Result<u32, Errno> {
        if self.free_blocks == 0 {
            return Err(Errno::ENOSPC);
        }
        let (start, blocks, hint) = (
            self.sb.block_bitmap_start,
            self.sb.block_bitmap_blocks,
            self.block_hint,
        );
        let block = self.take_bit(start, blocks, hint, self.sb.block_count)?;
        if block < self.sb.data_start {
            return Err(Errno::EIO);
        }
        self.free_blocks -= 1;
        self.block_hint = block + 1;
        Ok(block)
    }

    /// Frees data block `block`.
    fn free_block(&mut self, block: u32) -> Result<(), Errno> {
        if !self.sb.is_data(block) {
            return Err(Errno::EIO);
        }
        self.clear_bit(self.sb.block_bitmap_start, block)?;
        self.free_blocks += 1;
        Ok(())
    }

    /// Allocates an inode number.
    fn alloc_inode(&mut self) -> Result<u32, Errno> {
        if self.free_inodes == 0 {
            return Err(Errno::ENOSPC);
        }
        let (start, blocks, hint) = (
            self.sb.inode_bitmap_start,
            self.sb.inode_bitmap_blocks,
            self.inode_hint,
        );
        let ino = self.take_bit(start, blocks, hint, self.sb.inode_count + 1)?;
        self.free_inodes -= 1;
        self.inode_hint = ino + 1;
        Ok(ino)
    }

    // ---- block maps ----

    /// Entry `slot` of pointer block `block` (0 when `block` is 0).
    fn pointer(&mut self, block: u32, slot: u64) -> Result<u32, Errno> {
        if block == 0 {
            return Ok(0);
        }
        if !self.sb.is_data(block) {
            return Err(Errno::EIO);
        }
        let value = get32(self.cache.get(block)?, slot as usize * 4);
        if value != 0 && !self.sb.is_data(value) {
            return Err(Errno::EIO);
        }
        Ok(value)
    }

    /// Sets entry `slot` of pointer block `block`.
    fn set_pointer(&mut self, block: u32, slot: u64, value: u32) -> Result<(), Errno> {
        put32(self.modify(block)?, slot as usize * 4, value);
        Ok(())
    }

    /// The disk block holding block `index` of a file, or 0 for a hole.
    fn map(&mut self, inode: &Inode, index: u64) -> Result<u32, Errno> {
        if index < DIRECT as u64 {
            let block = inode.direct[index as usize];
            return if block == 0 || self.sb.is_data(block) {
                Ok(block)
            } else {
                Err(Errno::EIO)
            };
        }
        let index = index - DIRECT as u64;
        if index < POINTERS_PER_BLOCK {
            return self.pointer(inode.indirect, index);
        }
        let index = index - POINTERS_PER_BLOCK;
        if index >= POINTERS_PER_BLOCK * POINTERS_PER_BLOCK {
            return Err(Errno::EFBIG);
        }
        let level1 = self.pointer(inode.double_indirect, index / POINTERS_PER_BLOCK)?;
        self.pointer(level1, index % POINTERS_PER_BLOCK)
    }

    /// A pointer block for `*slot`, allocated and zeroed if it is 0.
    fn pointer_block(&mut self, slot: &mut u32) -> Result<u32, Errno> {
        if *slot == 0 {
            let block = self.alloc_block()?;
            self.fresh(block)?;
            *slot = block;
        }
        Ok(*slot)
    }

    /// The disk block for block `index` of the file, allocating it (and the indirect blocks
    /// on the way) if it is a hole; `true` if it was allocated (and so holds zeros). The
    /// caller writes `inode` back.
    fn map_alloc(&mut self, inode: &mut Inode, index: u64) -> Result<(u32, bool), Errno> {
        let existing = self.map(inode, index)?;
        if existing != 0 {
            return Ok((existing, false));
        }
        if index < DIRECT as u64 {
            let block = self.alloc_block()?;
            self.fresh(block)?;
            inode.direct[index as usize] = block;
            return Ok((block, true));
        }
        let rest = index - DIRECT as u64;
        let (table, slot) = if rest < POINTERS_PER_BLOCK {
            (self.pointer_block(&mut inode.indirect)?, rest)
        } else {
            let rest = rest - POINTERS_PER_BLOCK;
            let top = self.pointer_block(&mut inode.double_indirect)?;
            let mut level1 = self.pointer(top, rest / POINTERS_PER_BLOCK)?;
            if level1 == 0 {
                level1 = self.pointer_block(&mut 0)?;
                self.set_pointer(top, rest / POINTERS_PER_BLOCK, level1)?;
            }
            (level1, rest % POINTERS_PER_BLOCK)
        };
        let block = self.alloc_block()?;
        self.fresh(block)?;
        self.set_pointer(table, slot, block)?;
        Ok((block, true))
    }

    // ---- directories ----

    /// Entry `slot` of a directory.
    fn dir_entry(&mut self, dir: &Inode, slot: u64) -> Result<Entry, Errno> {
        let block = self.map(dir, slot / ENTRIES_PER_BLOCK as u64)?;
        if block == 0 {
            return Err(Errno::EIO);
        }
        let at = (slot % ENTRIES_PER_BLOCK as u64) as usize * ENTRY_SIZE;
        Ok(Entry::decode(&self.cache.get(block)?[at..at + ENTRY_SIZE]))
    }

    /// Writes entry `slot` of directory `dir` (and its index, if it has one).
    fn put_entry(&mut self, dir: u32, slot: u64, entry: &Entry) -> Result<(), Errno> {
        let inode = self.inode(dir.into())?;
        let block = self.map(&inode, slot / ENTRIES_PER_BLOCK as u64)?;
        if block == 0 {
            return Err(Errno::EIO);
        }
        let at = (slot % ENTRIES_PER_BLOCK as u64) as usize * ENTRY_SIZE;
        entry.encode(&mut self.modify(block)?[at..at + ENTRY_SIZE]);
        if slot >= 2 {
            if let Some(index) = self.indexes.get_mut(&dir) {
                let before = index.len();
                index.set(slot, entry);
                self.indexed = (self.indexed + index.len()).saturating_sub(before);
                if self.indexed > INDEX_LIMIT {
                    // Memory before speed: the next searches scan (and index) afresh.
                    self.indexes.clear();
                    self.indexed = 0;
                }
            }
        }
        Ok(())
    }

    /// Looks `name` up in directory `dir`: its slot and entry if found, and an empty slot.
    fn find(&mut self, dir: u32, inode: &Inode, name: &[u8]) -> Result<Search, Errno> {
        if let Some(index) = self.indexes.get(&dir) {
            return Ok(index.find(name));
        }
        let blocks = inode.size / BLOCK_SIZE as u64;
        if blocks >= INDEX_MIN_BLOCKS && self.indexed < INDEX_LIMIT {
            let index = self.build_index(inode)?;
            let found = index.find(name);
            self.indexed += index.len();
            self.indexes.insert(dir, index);
            return Ok(found);
        }
        let mut empty = None;
        for index in 0..blocks {
            let block = self.map(inode, index)?;
            if block == 0 {
                return Err(Errno::EIO);
            }
            let data = self.cache.get(block)?;
            for s in 0..ENTRIES_PER_BLOCK {
                let slot = index * ENTRIES_PER_BLOCK as u64 + s as u64;
                let bytes = &data[s * ENTRY_SIZE..(s + 1) * ENTRY_SIZE];
                if slot < 2 {
                    continue;
                }
                if get32(bytes, 0) == 0 {
                    empty = empty.or(Some(slot));
                    continue;
                }
                // The length and the name in place: no copy for the entries that differ.
                if bytes[4] as usize == name.len() && &bytes[8..8 + name.len()] == name {
                    return Ok((Some((slot, Entry::decode(bytes))), empty));
                }
            }
        }
        Ok((None, empty))
    }

    /// Reads every entry of a directory into an index.
    fn build_index(&mut self, inode: &Inode) -> Result<DirIndex, Errno> {
        let mut index = DirIndex::default();
        for i in 0..inode.size / BLOCK_SIZE as u64 {
            let block = self.map(inode, i)?;
            if block == 0 {
                return Err(Errno::EIO);
            }
            let data = self.cache.get(block)?;
            for s in 0..ENTRIES_PER_BLOCK {
                let slot = i * ENTRIES_PER_BLOCK as u64 + s as u64;
                if slot >= 2 {
                    index.set(
                        slot,
                        &Entry::decode(&data[s * ENTRY_SIZE..(s + 1) * ENTRY_SIZE]),
                    );
                }
            }
        }
        Ok(index)
    }

    /// Adds an entry to directory `dir` in slot `empty`, or in a new block at its end.
    fn add_entry(&mut self, dir: u32, empty: Option<u64>, entry: &Entry) -> Result<(), Errno> {
        let mut inode = self.inode(dir.into())?;
        let slot = match empty {
            Some(slot) => slot,
            None => {
                let index = inode.size / BLOCK_SIZE as u64;
                self.map_alloc(&mut inode, index)?;
                inode.size += BLOCK_SIZE as u64;
                let first = index * ENTRIES_PER_BLOCK as u64;
                if let Some(dir_index) = self.indexes.get_mut(&dir) {
                    for slot in first..first + ENTRIES_PER_BLOCK as u64 {
                        dir_index.set(slot, &Entry::new(0, 0, b""));
                    }
                }
                first
            }
        };
        inode.modified = self.clock;
        inode.changed = self.clock;
        self.put_inode(dir, &inode)?;
        self.put_entry(dir, slot, entry)
    }

    /// Whether directory `ino` has entries besides `.` and `..`.
    fn has_entries(&mut self, ino: u32, dir: &Inode) -> Result<bool, Errno> {
        if let Some(index) = self.indexes.get(&ino) {
            return Ok(!index.is_empty());
        }
        for slot in 2..dir.size / ENTRY_SIZE as u64 {
            if self.dir_entry(dir, slot)?.ino != 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether directory `ancestor` is `dir` or above it.
    fn is_ancestor(&mut self, ancestor: u32, dir: u32) -> Result<bool, Errno> {
        let mut current = dir;
        for _ in 0..=self.sb.inode_count {
            if current == ancestor {
                return Ok(true);
            }
            if current == ROOT {
                return Ok(false);
            }
            let inode = self.directory(current.into())?;
            current = self.dir_entry(&inode, 1)?.ino;
        }
        Err(Errno::EIO) // `..` goes round in a circle
    }

    /// Blocks needed in the worst case to add an entry to a directory without a free slot.
    fn entry_blocks(empty: Option<u64>) -> u32 {
        if empty.is_some() {
            0
        } else {
            3
        }
    }

    /// Adds `delta` to inode `ino`'s link count.
    fn add_links(&mut self, ino: u32, delta: i32) -> Result<u16, Errno> {
        let mut inode = self.inode(ino.into())?;
        inode.links = inode
            .links
            .checked_add_signed(delta as i16)
            .ok_or(Errno::EIO)?;
        inode.changed = self.clock;
        self.put_inode(ino, &inode)?;
        Ok(inode.links)
    }

    /// Frees inode `ino` if nothing names it and nothing has it open.
    fn release_if_unused(&mut self, ino: u32) -> Result<(), Errno> {
        let inode = self.inode(ino.into())?;
        if inode.links == 0 && !self.opens.contains_key(&ino) {
            self.release(ino)?;
        }
        Ok(())
    }

    /// Frees an inode and its blocks, in steps.
    fn release(&mut self, ino: u32) -> Result<(), Errno> {
        if let Some(index) = self.indexes.remove(&ino) {
            self.indexed = self.indexed.saturating_sub(index.len());
        }
        self.shrink(ino, 0)?;
        self.reserve(2)?;
        self.put_inode(ino, &Inode::default())?;
        self.clear_bit(self.sb.inode_bitmap_start, ino)?;
        self.free_inodes += 1;
        Ok(())
    }

    /// Cuts inode `ino` to `len` bytes (less than its size), a step at a time.
    fn shrink(&mut self, ino: u32, len: u64) -> Result<(), Errno> {
        let mut inode = self.inode(ino.into())?;
        let keep = len.div_ceil(BLOCK_SIZE as u64);
        let tail = (len % BLOCK_SIZE as u64) as usize;
        if tail != 0 && len < inode.size {
            // The bytes past the new end must read as zeros if the file grows again.
            let block = self.map(&inode, keep - 1)?;
            if block != 0 {
                self.reserve(1)?;
                self.modify(block)?[tail..].fill(0);
            }
        }
        let mut top = inode.blocks().max(keep);
        let bitmap = self.sb.block_bitmap_blocks as u64;
        loop {
            let low = top.saturating_sub(self.free_step).max(keep);
            self.reserve(free_reserve(self.free_step, bitmap))?;
            for index in low..top {
                self.unmap(&mut inode, index)?;
            }
            self.trim_indirect(&mut inode, low)?;
            inode.size = if low == keep {
                len.min(inode.size)
            } else {
                low * BLOCK_SIZE as u64
            };
            inode.modified = self.clock;
            inode.changed = self.clock;
            self.put_inode(ino, &inode)?;
            if low == keep {
                return Ok(());
            }
            top = low;
        }
    }

    /// Frees block `index` of a file, if it has one, and clears its pointer.
    fn unmap(&mut self, inode: &mut Inode, index: u64) -> Result<(), Errno> {
        let block = self.map(inode, index)?;
        if block == 0 {
            return Ok(());
        }
        self.free_block(block)?;
        if index < DIRECT as u64 {
            inode.direct[index as usize] = 0;
            return Ok(());
        }
        let rest = index - DIRECT as u64;
        let (table, slot) = if rest < POINTERS_PER_BLOCK {
            (inode.indirect, rest)
        } else {
            let rest = rest - POINTERS_PER_BLOCK;
            (
                self.pointer(inode.double_indirect, rest / POINTERS_PER_BLOCK)?,
                rest % POINTERS_PER_BLOCK,
            )
        };
        self.set_pointer(table, slot, 0)
    }

    /// Frees the indirect blocks that only cover file blocks `from` onwards.
    fn trim_indirect(&mut self, inode: &mut Inode, from: u64) -> Result<(), Errno> {
        let first_indirect = DIRECT as u64;
        let first_double = first_indirect + POINTERS_PER_BLOCK;
        if inode.double_indirect != 0 {
            let top = inode.double_indirect;
            for j in 0..POINTERS_PER_BLOCK {
                if first_double + j * POINTERS_PER_BLOCK < from {
                    continue;
                }
                let level1 = self.pointer(top, j)?;
                if level1 != 0 {
                    self.free_block(level1)?;
                    self.set_pointer(top, j, 0)?;
                }
            }
            if first_double >= from {
                self.free_block(top)?;
                inode.double_indirect = 0;
            }
        }
        if inode.indirect != 0 && first_indirect >= from {
            self.free_block(inode.indirect)?;
            inode.indirect = 0;
        }
        Ok(())
    }

    // ---- the operations ----

    /// The inode `name` names in directory `dir`.
    pub fn lookup(&mut self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        let inode = self.directory(dir)?;
        match name {
            b"." => return Ok(dir),
            b".." => return Ok(self.dir_entry(&inode, 1)?.ino.into()),
            _ => {}
        }
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        match self.find(dir as u32, &inode, name)? {
            (Some((_, entry)), _) => Ok(entry.ino.into()),
            (None, _) => Err(Errno::ENOENT),
        }
    }

    /// What `stat` reports.
    pub fn stat(&mut self, ino: Ino) -> Result<Attr, Errno> {
        let inode = self.inode(ino)?;
        Ok(Attr {
            ino,
            kind: if inode.is_directory() {
                Kind::Directory
            } else {
                Kind::Regular
            },
            size: inode.size,
            links: inode.links.into(),
            perm: (inode.mode & PERM_MASK).into(),
            modified: inode.modified,
            changed: inode.changed,
        })
    }

    /// Reads from `offset` into `buf`; 0 at the end.
    pub fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let inode = self.inode(ino)?;
        if inode.is_directory() {
            return Err(Errno::EISDIR);
        }
        if offset >= inode.size {
            return Ok(0);
        }
        let n = buf.len().min((inode.size - offset) as usize);
        let mut done = 0;
        while done < n {
            let position = offset + done as u64;
            let index = position / BLOCK_SIZE as u64;
            let at = (position % BLOCK_SIZE as u64) as usize;
            let len = (BLOCK_SIZE - at).min(n - done);
            let block = self.map(&inode, index)?;
            if block != 0 && !self.cache.contains(block) {
                self.read_ahead(&inode, index, block)?;
            }
            let out = &mut buf[done..done + len];
            if block == 0 {
                out.fill(0);
            } else {
                out.copy_from_slice(&self.cache.get(block)?[at..at + len]);
            }
            done += len;
        }
        Ok(n)
    }

    /// Reads file block `index` (on disk block `block`, not cached) together with the blocks
    /// after it that lie next to it on the disk and are not cached either, up to the device's
    /// longest run: a file written in one go is mostly contiguous, so reading it costs one
    /// request per run instead of one per block.
    fn read_ahead(&mut self, inode: &Inode, index: u64, block: u32) -> Result<(), Errno> {
        let limit = self.cache.device().max_run() as u64;
        let mut count = 1u64;
        while count < limit && index + count < inode.blocks() {
            let next = self.map(inode, index + count)?;
            if next != block + count as u32 || self.cache.contains(next) {
                break;
            }
            count += 1;
        }
        self.cache.fill_run(block, count as usize)
    }

    /// Writes `data` at `offset`; a full disk cuts the write short (`ENOSPC` if nothing fit).
    pub fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let max = MAX_FILE_BLOCKS * BLOCK_SIZE as u64;
        if offset >= max && !data.is_empty() {
            return Err(Errno::EFBIG);
        }
        let data = &data[..data.len().min((max - offset.min(max)) as usize)];
        self.guard(|fs| {
            let inode = fs.inode(ino)?;
            if inode.is_directory() {
                return Err(Errno::EISDIR);
            }
            let mut done = 0;
            let bitmap = fs.sb.block_bitmap_blocks as u64;
            let reserve = fs.write_step as usize
                + (fs.write_step + 4).min(bitmap) as usize
                + 1
                + INDIRECT_RESERVE;
            while done < data.len() {
                fs.reserve(reserve)?;
                let mut inode = fs.inode(ino)?;
                let first = (offset + done as u64) / BLOCK_SIZE as u64;
                let mut outcome = Ok(());
                while done < data.len() {
                    let position = offset + done as u64;
                    let index = position / BLOCK_SIZE as u64;
                    if index >= first + fs.write_step {
                        break;
                    }
                    let at = (position % BLOCK_SIZE as u64) as usize;
                    let len = (BLOCK_SIZE - at).min(data.len() - done);
                    let block = match fs.map_alloc(&mut inode, index) {
                        Ok((block, _)) => block,
                        Err(e) => {
                            outcome = Err(e);
                            break;
                        }
                    };
                    let buf = if len == BLOCK_SIZE {
                        fs.fresh(block)? // all of it is overwritten: no need to read it
                    } else {
                        fs.modify(block)?
                    };
                    buf[at..at + len].copy_from_slice(&data[done..done + len]);
                    done += len;
                }
                inode.size = inode.size.max(offset + done as u64);
                inode.modified = fs.clock;
                inode.changed = fs.clock;
                fs.put_inode(ino as u32, &inode)?;
                match outcome {
                    Ok(()) => {}
                    Err(Errno::ENOSPC) if done > 0 => return Ok(done),
                    Err(e) => return Err(e),
                }
            }
            Ok(done)
        })
    }

    /// Sets a regular file's size.
    pub fn truncate(&mut self, ino: Ino, len: u64) -> Result<(), Errno> {
        if len > MAX_FILE_BLOCKS * BLOCK_SIZE as u64 {
            return Err(Errno::EFBIG);
        }
        self.guard(|fs| {
            let mut inode = fs.inode(ino)?;
            if inode.is_directory() {
                return Err(Errno::EISDIR);
            }
            if len < inode.size {
                return fs.shrink(ino as u32, len);
            }
            fs.reserve(1)?;
            inode.size = len;
            inode.modified = fs.clock;
            inode.changed = fs.clock;
            fs.put_inode(ino as u32, &inode)
        })
    }

    /// Makes a new file or directory `name` in `dir`.
    pub fn create(&mut self, dir: Ino, name: &[u8], kind: Kind, perm: u32) -> Result<Ino, Errno> {
        let directory = match kind {
            Kind::Regular => false,
            Kind::Directory => true,
            Kind::CharDevice(_) => return Err(Errno::EPERM),
        };
        if name == b"." || name == b".." {
            return Err(Errno::EEXIST);
        }
        check_name(name)?;
        self.guard(|fs| {
            let parent = fs.directory(dir)?;
            if parent.links == 0 {
                return Err(Errno::ENOENT);
            }
            let (found, empty) = fs.find(dir as u32, &parent, name)?;
            if found.is_some() {
                return Err(Errno::EEXIST);
            }
            let needed = Self::entry_blocks(empty) + u32::from(directory);
            if fs.free_inodes == 0 || fs.free_blocks < needed {
                return Err(Errno::ENOSPC);
            }
            fs.reserve(METADATA_RESERVE)?;
            // The reservation may have committed; the slot found is still free (nothing else
            // runs while this operation holds the file system).
            let ino = fs.alloc_inode()?;
            let mut inode = Inode {
                mode: (if directory { S_IFDIR } else { S_IFREG }) | (perm as u16 & PERM_MASK),
                links: if directory { 2 } else { 1 },
                modified: fs.clock,
                changed: fs.clock,
                ..Inode::default()
            };
            if directory {
                let block = fs.alloc_block()?;
                let data = fs.fresh(block)?;
                Entry::new(ino, KIND_DIRECTORY, b".").encode(&mut data[..ENTRY_SIZE]);
                Entry::new(dir as u32, KIND_DIRECTORY, b"..")
                    .encode(&mut data[ENTRY_SIZE..2 * ENTRY_SIZE]);
                inode.direct[0] = block;
                inode.size = BLOCK_SIZE as u64;
            }
            fs.put_inode(ino, &inode)?;
            fs.add_entry(
                dir as u32,
                empty,
                &Entry::new(ino, kind_byte(directory), name),
            )?;
            if directory {
                fs.add_links(dir as u32, 1)?;
            }
            Ok(ino.into())
        })
    }

    /// Gives the regular file `ino` another name, `name` in `dir` (a hard link), in one
    /// transaction: the entry and the raised link count reach the disk together or not at all.
    /// The format counts a file's entries in `links`, so fsck checks the result as it checks
    /// any file. A directory cannot be linked (`EPERM`): it has exactly one name.
    pub fn link(&mut self, ino: Ino, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        if name == b"." || name == b".." {
            return Err(Errno::EEXIST);
        }
        check_name(name)?;
        self.guard(|fs| {
            // Linux's order: the new name is looked up first, then the file checked.
            let parent = fs.directory(dir)?;
            let (found, empty) = fs.find(dir as u32, &parent, name)?;
            if found.is_some() {
                return Err(Errno::EEXIST);
            }
            if parent.links == 0 {
                return Err(Errno::ENOENT);
            }
            let mut target = fs.inode(ino)?;
            if target.is_directory() {
                return Err(Errno::EPERM);
            }
            if target.links == u16::MAX {
                return Err(Errno::EMLINK);
            }
            if fs.free_blocks < Self::entry_blocks(empty) {
                return Err(Errno::ENOSPC);
            }
            fs.reserve(METADATA_RESERVE)?;
            target = fs.inode(ino)?;
            target.links += 1;
            target.changed = fs.clock;
            fs.put_inode(ino as u32, &target)?;
            fs.add_entry(
                dir as u32,
                empty,
                &Entry::new(ino as u32, kind_byte(false), name),
            )?;
            fs.touch(dir as u32)
        })
    }

    /// Sets the permission bits of `ino` (`chmod`), keeping its type.
    pub fn set_perm(&mut self, ino: Ino, perm: u32) -> Result<(), Errno> {
        self.guard(|fs| {
            fs.reserve(1)?;
            let mut inode = fs.inode(ino)?;
            inode.mode = (inode.mode & !PERM_MASK) | (perm as u16 & PERM_MASK);
            inode.changed = fs.clock;
            fs.put_inode(ino as u32, &inode)
        })
    }

    /// Sets when `ino`'s contents last changed (`utimensat`, `touch`); its change time becomes
    /// now.
    pub fn set_modified(&mut self, ino: Ino, modified: u64) -> Result<(), Errno> {
        self.guard(|fs| {
            fs.reserve(1)?;
            let mut inode = fs.inode(ino)?;
            inode.modified = modified;
            inode.changed = fs.clock;
            fs.put_inode(ino as u32, &inode)
        })
    }

    /// Removes a non-directory's name.
    pub fn unlink(&mut self, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        self.guard(|fs| {
            let parent = fs.directory(dir)?;
            let (slot, entry) = match fs.find(dir as u32, &parent, name)? {
                (Some(found), _) => found,
                (None, _) if name == b"." || name == b".." => return Err(Errno::EISDIR),
                (None, _) => return Err(Errno::ENOENT),
            };
            if fs.inode(entry.ino.into())?.is_directory() {
                return Err(Errno::EISDIR);
            }
            fs.reserve(METADATA_RESERVE)?;
            fs.put_entry(dir as u32, slot, &Entry::new(0, 0, b""))?;
            fs.touch(dir as u32)?;
            fs.add_links(entry.ino, -1)?;
            fs.release_if_unused(entry.ino)
        })
    }

    /// Stamps a directory as changed.
    fn touch(&mut self, dir: u32) -> Result<(), Errno> {
        let mut inode = self.inode(dir.into())?;
        inode.modified = self.clock;
        inode.changed = self.clock;
        self.put_inode(dir, &inode)
    }

    /// Removes an empty directory.
    pub fn rmdir(&mut self, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        match name {
            b"." => return Err(Errno::EINVAL),
            b".." => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        self.guard(|fs| {
            let parent = fs.directory(dir)?;
            let (slot, entry) = fs.find(dir as u32, &parent, name)?.0.ok_or(Errno::ENOENT)?;
            let target = fs.directory(entry.ino.into())?;
            if fs.has_entries(entry.ino, &target)? {
                return Err(Errno::ENOTEMPTY);
            }
            fs.reserve(METADATA_RESERVE)?;
            fs.put_entry(dir as u32, slot, &Entry::new(0, 0, b""))?;
            fs.touch(dir as u32)?;
            fs.add_links(dir as u32, -1)?;
            let mut target = fs.inode(entry.ino.into())?;
            target.links = 0;
            target.changed = fs.clock;
            fs.put_inode(entry.ino, &target)?;
            fs.release_if_unused(entry.ino)
        })
    }

    /// Renames within this file system, replacing what `to_name` named.
    pub fn rename(
        &mut self,
        from: Ino,
        from_name: &[u8],
        to: Ino,
        to_name: &[u8],
    ) -> Result<(), Errno> {
        for name in [from_name, to_name] {
            if name == b"." || name == b".." {
                return Err(Errno::EINVAL);
            }
        }
        check_name(to_name)?;
        self.guard(|fs| {
            let from_dir = fs.directory(from)?;
            let (from_slot, entry) = fs
                .find(from as u32, &from_dir, from_name)?
                .0
                .ok_or(Errno::ENOENT)?;
            let to_dir = fs.directory(to)?;
            if to_dir.links == 0 {
                return Err(Errno::ENOENT);
            }
            let moving_directory = entry.kind == KIND_DIRECTORY;
            if moving_directory && fs.is_ancestor(entry.ino, to as u32)? {
                return Err(Errno::EINVAL);
            }
            let (existing, empty) = fs.find(to as u32, &to_dir, to_name)?;
            let mut replaced = None;
            if let Some((slot, target)) = existing {
                if target.ino == entry.ino {
                    return Ok(());
                }
                let target_inode = fs.inode(target.ino.into())?;
                match (moving_directory, target_inode.is_directory()) {
                    (true, false) => return Err(Errno::ENOTDIR),
                    (false, true) => return Err(Errno::EISDIR),
                    (true, true) if fs.has_entries(target.ino, &target_inode)? => {
                        return Err(Errno::ENOTEMPTY)
                    }
                    _ => {}
                }
                replaced = Some((slot, target.ino, target_inode.is_directory()));
            } else if fs.free_blocks < Self::entry_blocks(empty) {
                return Err(Errno::ENOSPC);
            }
            fs.reserve(METADATA_RESERVE)?;
            let moved = Entry::new(entry.ino, entry.kind, to_name);
            match replaced {
                Some((slot, _, _)) => {
                    fs.put_entry(to as u32, slot, &moved)?;
                    fs.touch(to as u32)?;
                }
                None => fs.add_entry(to as u32, empty, &moved)?,
            }
            fs.put_entry(from as u32, from_slot, &Entry::new(0, 0, b""))?;
            fs.touch(from as u32)?;
            if moving_directory && from != to {
                fs.put_entry(entry.ino, 1, &Entry::new(to as u32, KIND_DIRECTORY, b".."))?;
                fs.add_links(from as u32, -1)?;
                fs.add_links(to as u32, 1)?;
            }
            let mut moved_inode = fs.inode(entry.ino.into())?;
            moved_inode.changed = fs.clock;
            fs.put_inode(entry.ino, &moved_inode)?;
            if let Some((_, target, directory)) = replaced {
                if directory {
                    let mut gone = fs.inode(target.into())?;
                    gone.links = 0;
                    fs.put_inode(target, &gone)?;
                    fs.add_links(to as u32, -1)?;
                } else {
                    fs.add_links(target, -1)?;
                }
                fs.release_if_unused(target)?;
            }
            Ok(())
        })
    }

    /// The first entry of directory `dir` at slot `index` or after (`.` and `..` are slots 0
    /// and 1), with the slot after it; `None` past the end.
    pub fn entry(&mut self, dir: Ino, index: usize) -> Result<Option<(DirEntry, usize)>, Errno> {
        let inode = self.directory(dir)?;
        let slots = inode.size / ENTRY_SIZE as u64;
        let mut slot = index as u64;
        while slot < slots {
            let block = self.map(&inode, slot / ENTRIES_PER_BLOCK as u64)?;
            if block == 0 {
                return Err(Errno::EIO);
            }
            let data = self.cache.get(block)?;
            let first = (slot % ENTRIES_PER_BLOCK as u64) as usize;
            for s in first..ENTRIES_PER_BLOCK {
                let bytes = &data[s * ENTRY_SIZE..(s + 1) * ENTRY_SIZE];
                if get32(bytes, 0) != 0 {
                    let entry = Entry::decode(bytes);
                    let here = slot + (s - first) as u64;
                    return Ok(Some((
                        DirEntry {
                            name: entry.name().to_vec(),
                            ino: entry.ino.into(),
                            kind: if entry.kind == KIND_DIRECTORY {
                                Kind::Directory
                            } else {
                                Kind::Regular
                            },
                        },
                        here as usize + 1,
                    )));
                }
            }
            slot += (ENTRIES_PER_BLOCK - first) as u64;
        }
        Ok(None)
    }

    /// A description was opened on `ino`.
    pub fn open(&mut self, ino: Ino) -> Result<(), Errno> {
        self.inode(ino)?;
        *self.opens.entry(ino as u32).or_insert(0) += 1;
        Ok(())
    }

    /// A description on `ino` was closed; the last close of an unlinked file frees it.
    pub fn close(&mut self, ino: Ino) -> Result<(), Errno> {
        let ino = ino as u32;
        match self.opens.get_mut(&ino) {
            Some(n) if *n > 1 => {
                *n -= 1;
                Ok(())
            }
            Some(_) => {
                self.opens.remove(&ino);
                self.guard(|fs| fs.release_if_unused(ino))
            }
            None => Ok(()),
        }
    }

    /// Checks the whole file system as it is on the disk now (commits first).
    pub fn check(&mut self) -> Result<Report, Errno> {
        self.sync()?;
        check::check(&mut self.cache, &self.sb)
    }

    /// Reads a whole file (for tests and tools).
    pub fn read_all(&mut self, ino: Ino) -> Result<Vec<u8>, Errno> {
        let size = self.stat(ino)?.size as usize;
        let mut data = alloc::vec![0u8; size];
        let n = self.read(ino, 0, &mut data)?;
        data.truncate(n);
        Ok(data)
    }
}

/// Writes a fresh, empty file system over `device` (the Rust twin of `./x.py mkfs`, for tests).
pub fn format<D: BlockDevice>(device: &mut D, sb: &Superblock) -> Result<(), Errno> {
    use crate::layout::LogHeader;
    let write = |device: &mut D, block: u32, data: &Block| device.write(block, data).map_err(io);
    write(device, 0, &sb.encode())?;
    let empty_log = LogHeader {
        sequence: 0,
        data_checksum: 0,
        targets: Vec::new(),
    };
    write(device, sb.log_start, &empty_log.encode())?;
    let root_block = sb.data_start;
    let mark =
        |device: &mut D, start: u32, blocks: u32, set: &dyn Fn(u32) -> bool| -> Result<(), Errno> {
            for b in 0..blocks {
                let mut data = ZERO_BLOCK;
                for bit in 0..BITS_PER_BLOCK {
                    if set(b * BITS_PER_BLOCK + bit) {
                        data[(bit / 8) as usize] |= 1 << (bit % 8);
                    }
                }
                write(device, start + b, &data)?;
            }
            Ok(())
        };
    mark(
        device,
        sb.inode_bitmap_start,
        sb.inode_bitmap_blocks,
        &|i| i <= ROOT || i > sb.inode_count,
    )?;
    mark(
        device,
        sb.block_bitmap_start,
        sb.block_bitmap_blocks,
        &|b| b <= root_block || b >= sb.block_count,
    )?;
    for b in 0..sb.inode_table_blocks {
        let mut data = ZERO_BLOCK;
        if b == 0 {
            let root = Inode {
                mode: S_IFDIR | 0o755,
                links: 2,
                size: BLOCK_SIZE as u64,
                direct: {
                    let mut direct = [0; DIRECT];
                    direct[0] = root_block;
                    direct
                },
                ..Inode::default()
            };
            root.encode(&mut data[..INODE_SIZE]);
        }
        write(device, sb.inode_table_start + b, &data)?;
    }
    let mut data = ZERO_BLOCK;
    Entry::new(ROOT, KIND_DIRECTORY, b".").encode(&mut data[..ENTRY_SIZE]);
    Entry::new(ROOT, KIND_DIRECTORY, b"..").encode(&mut data[ENTRY_SIZE..2 * ENTRY_SIZE]);
    write(device, root_block, &data)?;
    device.flush().map_err(io)
}
