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
    bytes_at, bytes_at_mut, directory_block, entries, entry_bytes, entry_bytes_mut, entry_place,
    first_slot, pointer_at, set_pointer_at, Block, Entry, Inode, Mapping, Superblock, Violation,
    BITS_PER_BLOCK, BLOCK_BYTES, BLOCK_SIZE, DIRECT, ENTRIES_PER_BLOCK, ENTRY_SIZE, FIRST_DOUBLE,
    FIRST_INDIRECT, KIND_DIRECTORY, KIND_REGULAR, KIND_SYMLINK, MAX_FILE_SIZE, MAX_LINK_TARGET,
    NAME_MAX, PERM_MASK, POINTERS_PER_BLOCK, ROOT, S_IFDIR, S_IFLNK, S_IFREG, ZERO_BLOCK,
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
/// The permission bits of every symbolic link (never checked: a link is followed, not opened).
const LINK_PERM: u16 = 0o777;
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
/// Bytes in a directory entry, as a `u64` like file sizes.
const ENTRY_BYTES: u64 = ENTRY_SIZE as u64;
/// Bits in a bitmap block, as a `u64` (bit numbers are computed in `u64`, which cannot overflow).
const BITS: u64 = BITS_PER_BLOCK as u64;

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
            write!(f, " (and {} more)", self.count.saturating_sub(1))?;
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
    (step.min(bitmap) as usize).saturating_add(2 + 2 * INDIRECT_RESERVE)
}

/// Blocks one write step of `step` data blocks may change, on a disk of `bitmap` bitmap blocks:
/// the data blocks, the bitmap blocks of those and of up to four new pointer blocks, the inode,
/// and the pointer blocks.
fn write_reserve(step: u64, bitmap: u64) -> usize {
    let bitmaps = step.saturating_add(4).min(bitmap) as usize;
    (step as usize)
        .saturating_add(bitmaps)
        .saturating_add(1 + INDIRECT_RESERVE)
}

/// Where bit `bit` of a bitmap block is: (its byte, the mask for it in that byte).
fn bit_place(bit: u64) -> (usize, u8) {
    ((bit / 8) as usize, 1 << (bit % 8))
}

/// Copies the start of `from` into `to`, as much as fits in both; returns how much.
fn copy_prefix(to: &mut [u8], from: &[u8]) -> usize {
    let len = to.len().min(from.len());
    if let (Some(to), Some(from)) = (to.get_mut(..len), from.get(..len)) {
        to.copy_from_slice(from);
    }
    len
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
        let capacity = cache_blocks.max(journal.capacity().saturating_mul(2).saturating_add(64));
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
                count: report.violations.len().saturating_add(report.more),
            });
        }
        let log = journal.capacity();
        let bitmap = sb.block_bitmap_blocks as u64;
        let write_step = (1..=MAX_WRITE_STEP)
            .rev()
            .find(|&n| write_reserve(n, bitmap) <= log)
            .unwrap_or(1);
        let free_step = (1..=MAX_FREE_STEP)
            .rev()
            .find(|&n| free_reserve(n, bitmap) <= log)
            .unwrap_or(1);
        let mut fs = DiskFs {
            // The check counted only blocks and inodes that exist: these do not saturate.
            free_blocks: sb.block_count.saturating_sub(report.blocks_used),
            free_inodes: sb.inode_count.saturating_sub(report.inodes_used),
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
                // A counter that wraps: the difference is right across the wrap.
                replay_ticks: replayed.wrapping_sub(started),
                check_ticks: checked.wrapping_sub(replayed),
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
        if self.journal.pending().saturating_add(blocks) > self.journal.capacity() {
            self.sync()?;
        }
        Ok(())
    }

    /// Block `block`, to change within the running transaction.
    fn modify(&mut self, block: u32) -> Result<&mut Block, Errno> {
        self.changes = self.changes.wrapping_add(1); // only ever compared for a difference
        self.journal.note(block);
        self.cache.get_mut(block)
    }

    /// Block `block`, zeroed, to fill within the running transaction.
    fn fresh(&mut self, block: u32) -> Result<&mut Block, Errno> {
        self.changes = self.changes.wrapping_add(1);
        self.journal.note(block);
        self.cache.zeroed_mut(block)
    }

    // ---- inodes and bitmaps ----

    /// Inode `ino`, in use (`ENOENT` if free or out of range; `EIO` if corrupt).
    fn inode(&mut self, ino: Ino) -> Result<Inode, Errno> {
        let ino = u32::try_from(ino).map_err(|_| Errno::ENOENT)?;
        let (block, offset) = self.sb.inode_place(ino).ok_or(Errno::ENOENT)?;
        let bytes = bytes_at(self.cache.get(block)?, offset).ok_or(Errno::EIO)?;
        let inode = Inode::decode(bytes).ok_or(Errno::EIO)?;
        if inode.mode == 0 {
            return Err(Errno::ENOENT);
        }
        if inode.size > MAX_FILE_SIZE {
            return Err(Errno::EIO);
        }
        Ok(inode)
    }

    /// Writes inode `ino`.
    fn put_inode(&mut self, ino: u32, inode: &Inode) -> Result<(), Errno> {
        let (block, offset) = self.sb.inode_place(ino).ok_or(Errno::EIO)?;
        inode.encode(bytes_at_mut(self.modify(block)?, offset).ok_or(Errno::EIO)?);
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
        let total = u64::from(blocks).saturating_mul(BITS);
        let hint = u64::from(hint).min(total);
        for (from, to) in [(hint, total), (0, hint)] {
            let mut bit = from;
            while bit < to {
                let block = u32::try_from(bit / BITS)
                    .ok()
                    .and_then(|n| start.checked_add(n))
                    .ok_or(Errno::EIO)?;
                let within = bit % BITS;
                let block_base = bit.saturating_sub(within); // the block's first bit
                let data = self.cache.get(block)?;
                let first_byte = (within / 8) as usize;
                let found = data
                    .iter()
                    .enumerate()
                    .skip(first_byte)
                    .find(|&(_, &byte)| byte != 0xFF)
                    .and_then(|(i, byte)| {
                        let i = u64::try_from(i).ok()?;
                        i.checked_mul(8)?
                            .checked_add(u64::from((!byte).trailing_zeros()))
                    });
                match found.map(|offset| (offset, block_base.saturating_add(offset))) {
                    Some((offset, index)) if index < to => {
                        if index >= u64::from(limit) {
                            return Err(Errno::EIO); // the padding bits must be set
                        }
                        let index = u32::try_from(index).map_err(|_| Errno::EIO)?;
                        let (at, mask) = bit_place(offset);
                        let byte = self.modify(block)?.get_mut(at).ok_or(Errno::EIO)?;
                        *byte |= mask;
                        return Ok(index);
                    }
                    _ => bit = block_base.saturating_add(BITS),
                }
            }
        }
        Err(Errno::ENOSPC)
    }

    /// Clears bit `index` of the bitmap at `start`.
    fn clear_bit(&mut self, start: u32, index: u32) -> Result<(), Errno> {
        let block = start
            .checked_add(index / BITS_PER_BLOCK)
            .ok_or(Errno::EIO)?;
        let (at, mask) = bit_place(u64::from(index % BITS_PER_BLOCK));
        let byte = self.modify(block)?.get_mut(at).ok_or(Errno::EIO)?;
        if *byte & mask == 0 {
            return Err(Errno::EIO); // freeing something free: the disk is not what it seemed
        }
        *byte &= !mask;
        Ok(())
    }

    /// Allocates a data block (its contents are the caller's to fill).
    fn alloc_block(&mut self) -> Result<u32, Errno> {
        let free_after = self.free_blocks.checked_sub(1).ok_or(Errno::ENOSPC)?;
        let (start, blocks, hint) = (
            self.sb.block_bitmap_start,
            self.sb.block_bitmap_blocks,
            self.block_hint,
        );
        let block = self.take_bit(start, blocks, hint, self.sb.block_count)?;
        if block < self.sb.data_start {
            return Err(Errno::EIO);
        }
        self.free_blocks = free_after;
        self.block_hint = block.saturating_add(1);
        Ok(block)
    }

    /// Frees data block `block`.
    fn free_block(&mut self, block: u32) -> Result<(), Errno> {
        if !self.sb.is_data(block) {
            return Err(Errno::EIO);
        }
        self.clear_bit(self.sb.block_bitmap_start, block)?;
        self.free_blocks = self.free_blocks.saturating_add(1);
        Ok(())
    }

    /// Allocates an inode number.
    fn alloc_inode(&mut self) -> Result<u32, Errno> {
        let free_after = self.free_inodes.checked_sub(1).ok_or(Errno::ENOSPC)?;
        let (start, blocks, hint) = (
            self.sb.inode_bitmap_start,
            self.sb.inode_bitmap_blocks,
            self.inode_hint,
        );
        // Inodes are numbered from 1, and inode_count is below u32::MAX: the limit fits.
        let limit = self.sb.inode_count.saturating_add(1);
        let ino = self.take_bit(start, blocks, hint, limit)?;
        self.free_inodes = free_after;
        self.inode_hint = ino.saturating_add(1);
        Ok(ino)
    }

    // ---- block maps ----

    /// Entry `slot` of pointer block `block` (0 when `block` is 0).
    fn pointer(&mut self, block: u32, slot: usize) -> Result<u32, Errno> {
        if block == 0 {
            return Ok(0);
        }
        if !self.sb.is_data(block) {
            return Err(Errno::EIO);
        }
        let value = pointer_at(self.cache.get(block)?, slot).ok_or(Errno::EIO)?;
        if value != 0 && !self.sb.is_data(value) {
            return Err(Errno::EIO);
        }
        Ok(value)
    }

    /// Sets entry `slot` of pointer block `block`.
    fn set_pointer(&mut self, block: u32, slot: usize, value: u32) -> Result<(), Errno> {
        set_pointer_at(self.modify(block)?, slot, value).ok_or(Errno::EIO)
    }

    /// The disk block holding block `index` of a file, or 0 for a hole.
    fn map(&mut self, inode: &Inode, index: u64) -> Result<u32, Errno> {
        match Mapping::of(index).ok_or(Errno::EFBIG)? {
            Mapping::Direct(i) => {
                let block = inode.direct.get(i).copied().ok_or(Errno::EIO)?;
                if block == 0 || self.sb.is_data(block) {
                    Ok(block)
                } else {
                    Err(Errno::EIO)
                }
            }
            Mapping::Indirect(i) => self.pointer(inode.indirect, i),
            Mapping::Double(i, j) => {
                let level1 = self.pointer(inode.double_indirect, i)?;
                self.pointer(level1, j)
            }
        }
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
        let (table, slot) = match Mapping::of(index).ok_or(Errno::EFBIG)? {
            Mapping::Direct(i) => {
                let pointer = inode.direct.get_mut(i).ok_or(Errno::EIO)?;
                let block = self.alloc_block()?;
                self.fresh(block)?;
                *pointer = block;
                return Ok((block, true));
            }
            Mapping::Indirect(i) => (self.pointer_block(&mut inode.indirect)?, i),
            Mapping::Double(i, j) => {
                let top = self.pointer_block(&mut inode.double_indirect)?;
                let mut level1 = self.pointer(top, i)?;
                if level1 == 0 {
                    level1 = self.pointer_block(&mut 0)?;
                    self.set_pointer(top, i, level1)?;
                }
                (level1, j)
            }
        };
        let block = self.alloc_block()?;
        self.fresh(block)?;
        self.set_pointer(table, slot, block)?;
        Ok((block, true))
    }

    // ---- directories ----

    /// Entry `slot` of a directory.
    fn dir_entry(&mut self, dir: &Inode, slot: u64) -> Result<Entry, Errno> {
        let (index, at) = entry_place(slot);
        let block = self.map(dir, index)?;
        if block == 0 {
            return Err(Errno::EIO);
        }
        let bytes = entry_bytes(self.cache.get(block)?, at).ok_or(Errno::EIO)?;
        Ok(Entry::decode(bytes))
    }

    /// Writes entry `slot` of directory `dir` (and its index, if it has one).
    fn put_entry(&mut self, dir: u32, slot: u64, entry: &Entry) -> Result<(), Errno> {
        let inode = self.inode(dir.into())?;
        let (index, at) = entry_place(slot);
        let block = self.map(&inode, index)?;
        if block == 0 {
            return Err(Errno::EIO);
        }
        entry.encode(entry_bytes_mut(self.modify(block)?, at).ok_or(Errno::EIO)?);
        if slot >= 2 {
            if let Some(index) = self.indexes.get_mut(&dir) {
                let before = index.len();
                index.set(slot, entry);
                self.indexed = self
                    .indexed
                    .saturating_add(index.len())
                    .saturating_sub(before);
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
        let blocks = inode.size / BLOCK_BYTES;
        if blocks >= INDEX_MIN_BLOCKS && self.indexed < INDEX_LIMIT {
            let index = self.build_index(inode)?;
            let found = index.find(name);
            self.indexed = self.indexed.saturating_add(index.len());
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
            for (slot, bytes) in (first_slot(index)..).zip(entries(data)) {
                if slot < 2 {
                    continue;
                }
                let [i0, i1, i2, i3, name_len, _, _, _, ref stored @ ..] = *bytes;
                if u32::from_le_bytes([i0, i1, i2, i3]) == 0 {
                    empty = empty.or(Some(slot));
                    continue;
                }
                // The length and the name in place: no copy for the entries that differ.
                if usize::from(name_len) == name.len() && stored.get(..name.len()) == Some(name) {
                    return Ok((Some((slot, Entry::decode(bytes))), empty));
                }
            }
        }
        Ok((None, empty))
    }

    /// Reads every entry of a directory into an index.
    fn build_index(&mut self, inode: &Inode) -> Result<DirIndex, Errno> {
        let mut index = DirIndex::default();
        for i in 0..inode.size / BLOCK_BYTES {
            let block = self.map(inode, i)?;
            if block == 0 {
                return Err(Errno::EIO);
            }
            let data = self.cache.get(block)?;
            for (slot, bytes) in (first_slot(i)..).zip(entries(data)) {
                if slot >= 2 {
                    index.set(slot, &Entry::decode(bytes));
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
                let index = inode.size / BLOCK_BYTES;
                let size = inode.size.checked_add(BLOCK_BYTES).ok_or(Errno::EFBIG)?;
                self.map_alloc(&mut inode, index)?;
                inode.size = size;
                let first = first_slot(index);
                if let Some(dir_index) = self.indexes.get_mut(&dir) {
                    for slot in (first..).take(ENTRIES_PER_BLOCK) {
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
        for slot in 2..dir.size / ENTRY_BYTES {
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
        self.free_inodes = self.free_inodes.saturating_add(1);
        Ok(())
    }

    /// Cuts inode `ino` to `len` bytes (less than its size), a step at a time.
    fn shrink(&mut self, ino: u32, len: u64) -> Result<(), Errno> {
        let mut inode = self.inode(ino.into())?;
        let keep = len.div_ceil(BLOCK_BYTES);
        let tail = (len % BLOCK_BYTES) as usize;
        if tail != 0 && len < inode.size {
            // The bytes past the new end must read as zeros if the file grows again. They are
            // in the last block kept, block len / BLOCK_SIZE.
            let block = self.map(&inode, len / BLOCK_BYTES)?;
            if block != 0 {
                self.reserve(1)?;
                if let Some(past_end) = self.modify(block)?.get_mut(tail..) {
                    past_end.fill(0);
                }
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
                low.saturating_mul(BLOCK_BYTES) // low < the file's blocks: no overflow
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
        let (table, slot) = match Mapping::of(index).ok_or(Errno::EFBIG)? {
            Mapping::Direct(i) => {
                *inode.direct.get_mut(i).ok_or(Errno::EIO)? = 0;
                return Ok(());
            }
            Mapping::Indirect(i) => (inode.indirect, i),
            Mapping::Double(i, j) => (self.pointer(inode.double_indirect, i)?, j),
        };
        self.set_pointer(table, slot, 0)
    }

    /// Frees the indirect blocks that only cover file blocks `from` onwards.
    fn trim_indirect(&mut self, inode: &mut Inode, from: u64) -> Result<(), Errno> {
        if inode.double_indirect != 0 {
            let top = inode.double_indirect;
            // The first file block that each indirect block listed in `top` maps.
            let bases = (FIRST_DOUBLE..).step_by(POINTERS_PER_BLOCK as usize);
            for (j, base) in (0..POINTERS_PER_BLOCK as usize).zip(bases) {
                if base < from {
                    continue;
                }
                let level1 = self.pointer(top, j)?;
                if level1 != 0 {
                    self.free_block(level1)?;
                    self.set_pointer(top, j, 0)?;
                }
            }
            if FIRST_DOUBLE >= from {
                self.free_block(top)?;
                inode.double_indirect = 0;
            }
        }
        if inode.indirect != 0 && FIRST_INDIRECT >= from {
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
            } else if inode.is_symlink() {
                Kind::Symlink
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
        if inode.is_symlink() {
            return Err(Errno::EINVAL); // a link is read with `readlink`
        }
        self.read_data(inode, offset, buf)
    }

    /// The path symbolic link `ino` holds; `EINVAL` for any other inode.
    pub fn readlink(&mut self, ino: Ino) -> Result<Vec<u8>, Errno> {
        let inode = self.inode(ino)?;
        if !inode.is_symlink() {
            return Err(Errno::EINVAL);
        }
        let mut target = alloc::vec![0u8; inode.size.min(MAX_LINK_TARGET) as usize];
        let n = self.read_data(inode, 0, &mut target)?;
        target.truncate(n);
        Ok(target)
    }

    /// Reads the data of `inode` from `offset` into `buf`; 0 at the end.
    fn read_data(&mut self, inode: Inode, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let Some(left) = inode.size.checked_sub(offset).filter(|&left| left > 0) else {
            return Ok(0);
        };
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let mut done = 0;
        while let Some(out) = buf.get_mut(done..n).filter(|out| !out.is_empty()) {
            // done < n <= the bytes left after offset: the sum stays inside the file.
            let position = offset.saturating_add(done as u64);
            let index = position / BLOCK_BYTES;
            let at = (position % BLOCK_BYTES) as usize;
            let block = self.map(&inode, index)?;
            if block != 0 && !self.cache.contains(block) {
                self.read_ahead(&inode, index, block)?;
            }
            let data = if block == 0 {
                &ZERO_BLOCK
            } else {
                self.cache.get(block)?
            };
            let copied = copy_prefix(out, data.get(at..).unwrap_or_default());
            if copied == 0 {
                return Err(Errno::EIO); // `at` is inside the block, so this never happens
            }
            done = done.saturating_add(copied);
        }
        Ok(n)
    }

    /// Reads file block `index` (on disk block `block`, not cached) together with the blocks
    /// after it that lie next to it on the disk and are not cached either, up to the device's
    /// longest run: a file written in one go is mostly contiguous, so reading it costs one
    /// request per run instead of one per block.
    fn read_ahead(&mut self, inode: &Inode, index: u64, block: u32) -> Result<(), Errno> {
        let limit = self.cache.device().max_run();
        let mut count: u32 = 1;
        while (count as usize) < limit {
            let (Some(next_index), Some(expected)) =
                (index.checked_add(count.into()), block.checked_add(count))
            else {
                break;
            };
            if next_index >= inode.blocks() {
                break;
            }
            let next = self.map(inode, next_index)?;
            if next != expected || self.cache.contains(next) {
                break;
            }
            count = count.saturating_add(1);
        }
        self.cache.fill_run(block, count as usize)
    }

    /// Writes `data` at `offset`; a full disk cuts the write short (`ENOSPC` if nothing fit).
    pub fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        if offset >= MAX_FILE_SIZE && !data.is_empty() {
            return Err(Errno::EFBIG);
        }
        // What fits below the largest file size; from here on, offset + done cannot overflow.
        let room = usize::try_from(MAX_FILE_SIZE.saturating_sub(offset)).unwrap_or(usize::MAX);
        let data = data.get(..room).unwrap_or(data);
        self.guard(|fs| {
            let inode = fs.inode(ino)?;
            if inode.is_directory() {
                return Err(Errno::EISDIR);
            }
            if inode.is_symlink() {
                return Err(Errno::EINVAL);
            }
            let mut done = 0;
            let bitmap = fs.sb.block_bitmap_blocks as u64;
            let reserve = write_reserve(fs.write_step, bitmap);
            while done < data.len() {
                fs.reserve(reserve)?;
                let mut inode = fs.inode(ino)?;
                let first = offset.saturating_add(done as u64) / BLOCK_BYTES;
                let mut outcome = Ok(());
                while let Some(rest) = data.get(done..).filter(|rest| !rest.is_empty()) {
                    let position = offset.saturating_add(done as u64);
                    let index = position / BLOCK_BYTES;
                    if index >= first.saturating_add(fs.write_step) {
                        break;
                    }
                    let at = (position % BLOCK_BYTES) as usize;
                    let block = match fs.map_alloc(&mut inode, index) {
                        Ok((block, _)) => block,
                        Err(e) => {
                            outcome = Err(e);
                            break;
                        }
                    };
                    let buf = if at == 0 && rest.len() >= BLOCK_SIZE {
                        fs.fresh(block)? // all of it is overwritten: no need to read it
                    } else {
                        fs.modify(block)?
                    };
                    let copied = copy_prefix(buf.get_mut(at..).unwrap_or_default(), rest);
                    if copied == 0 {
                        return Err(Errno::EIO); // `at` is inside the block: never happens
                    }
                    done = done.saturating_add(copied);
                }
                inode.size = inode.size.max(offset.saturating_add(done as u64));
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
        if len > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        self.guard(|fs| {
            let mut inode = fs.inode(ino)?;
            if inode.is_directory() {
                return Err(Errno::EISDIR);
            }
            if inode.is_symlink() {
                return Err(Errno::EINVAL);
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
            Kind::CharDevice(_) | Kind::Symlink => return Err(Errno::EPERM),
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
            let needed = Self::entry_blocks(empty).saturating_add(u32::from(directory));
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
                *fs.fresh(block)? = directory_block(ino, dir as u32);
                inode.direct[0] = block;
                inode.size = BLOCK_BYTES;
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

    /// Makes a symbolic link `name` in `dir` holding `target`, in one transaction: the inode,
    /// its one data block and the entry reach the disk together or not at all. A target is at
    /// most [`MAX_LINK_TARGET`] bytes, so one block always holds it.
    pub fn symlink(&mut self, dir: Ino, name: &[u8], target: &[u8]) -> Result<Ino, Errno> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() as u64 > MAX_LINK_TARGET {
            return Err(Errno::ENAMETOOLONG);
        }
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
            let needed = Self::entry_blocks(empty).saturating_add(1);
            if fs.free_inodes == 0 || fs.free_blocks < needed {
                return Err(Errno::ENOSPC);
            }
            fs.reserve(METADATA_RESERVE)?;
            let ino = fs.alloc_inode()?;
            let block = fs.alloc_block()?;
            let data = fs.fresh(block)?;
            copy_prefix(data, target);
            let mut inode = Inode {
                mode: S_IFLNK | LINK_PERM,
                links: 1,
                size: target.len() as u64,
                modified: fs.clock,
                changed: fs.clock,
                ..Inode::default()
            };
            inode.direct[0] = block;
            fs.put_inode(ino, &inode)?;
            fs.add_entry(dir as u32, empty, &Entry::new(ino, KIND_SYMLINK, name))?;
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
            target.links = target.links.checked_add(1).ok_or(Errno::EMLINK)?;
            target.changed = fs.clock;
            fs.put_inode(ino as u32, &target)?;
            fs.add_entry(
                dir as u32,
                empty,
                &Entry::new(ino as u32, target.entry_kind(), name),
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
        let slots = inode.size / ENTRY_BYTES;
        let mut slot = index as u64;
        while slot < slots {
            let (block_index, first) = entry_place(slot);
            let block = self.map(&inode, block_index)?;
            if block == 0 {
                return Err(Errno::EIO);
            }
            let data = self.cache.get(block)?;
            for (here, bytes) in (slot..).zip(entries(data).skip(first)) {
                let entry = Entry::decode(bytes);
                if entry.ino != 0 {
                    return Ok(Some((
                        DirEntry {
                            name: entry.name().to_vec(),
                            ino: entry.ino.into(),
                            kind: match entry.kind {
                                KIND_DIRECTORY => Kind::Directory,
                                KIND_SYMLINK => Kind::Symlink,
                                _ => Kind::Regular,
                            },
                        },
                        usize::try_from(here).map_or(usize::MAX, |here| here.saturating_add(1)),
                    )));
                }
            }
            slot = first_slot(block_index.saturating_add(1));
        }
        Ok(None)
    }

    /// A description was opened on `ino`.
    pub fn open(&mut self, ino: Ino) -> Result<(), Errno> {
        self.inode(ino)?;
        let opens = self.opens.entry(ino as u32).or_insert(0);
        *opens = opens.checked_add(1).ok_or(Errno::ENFILE)?;
        Ok(())
    }

    /// A description on `ino` was closed; the last close of an unlinked file frees it.
    pub fn close(&mut self, ino: Ino) -> Result<(), Errno> {
        let ino = ino as u32;
        match self.opens.get_mut(&ino) {
            Some(n) if *n > 1 => {
                *n = n.saturating_sub(1);
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
    // Block `n` of the region at `start` (a superblock past u32::MAX is not one to format).
    let nth = |start: u32, n: u32| start.checked_add(n).ok_or(Errno::EINVAL);
    write(device, 0, &sb.encode())?;
    let empty_log = LogHeader {
        sequence: 0,
        data_checksum: 0,
        targets: Vec::new(),
    };
    write(device, sb.log_start, &empty_log.encode())?;
    let root_block = sb.data_start;
    let mark =
        |device: &mut D, start: u32, blocks: u32, set: &dyn Fn(u64) -> bool| -> Result<(), Errno> {
            for b in 0..blocks {
                let mut data = ZERO_BLOCK;
                let first = u64::from(b).saturating_mul(BITS); // bit 0 of this block
                for (bit, number) in (0..BITS).zip(first..) {
                    if set(number) {
                        let (at, mask) = bit_place(bit);
                        if let Some(byte) = data.get_mut(at) {
                            *byte |= mask;
                        }
                    }
                }
                write(device, nth(start, b)?, &data)?;
            }
            Ok(())
        };
    mark(
        device,
        sb.inode_bitmap_start,
        sb.inode_bitmap_blocks,
        &|i| i <= u64::from(ROOT) || i > u64::from(sb.inode_count),
    )?;
    mark(
        device,
        sb.block_bitmap_start,
        sb.block_bitmap_blocks,
        &|b| b <= u64::from(root_block) || b >= u64::from(sb.block_count),
    )?;
    for b in 0..sb.inode_table_blocks {
        let mut data = ZERO_BLOCK;
        if b == 0 {
            let root = Inode {
                mode: S_IFDIR | 0o755,
                links: 2,
                size: BLOCK_BYTES,
                direct: {
                    let mut direct = [0; DIRECT];
                    direct[0] = root_block;
                    direct
                },
                ..Inode::default()
            };
            if let Some(bytes) = data.first_chunk_mut() {
                root.encode(bytes);
            }
        }
        write(device, nth(sb.inode_table_start, b)?, &data)?;
    }
    write(device, root_block, &directory_block(ROOT, ROOT))?;
    device.flush().map_err(io)
}
