//! The block cache: recently used blocks kept in memory, and the blocks the running
//! transaction changed, held until the log commits them.
//!
//! Every block the file system touches goes through here. Reading a directory block twice costs
//! one disk read; changing an inode marks its block *dirty*, and a dirty block stays in memory,
//! unwritten, until [`crate::journal`] writes it to the log and then home. That is the
//! write-ahead rule: a changed block must never reach its home before the transaction that
//! changed it is committed, or a crash could leave half an operation on the disk. So the cache
//! may only evict clean blocks, and the journal commits before the dirty ones could fill it
//! (the cache is always larger than the log).
//!
//! Eviction takes the least recently used clean block. The index is a B-tree from block number
//! to slot; the scan for a victim is linear, which at a few thousand slots costs less than the
//! disk read it precedes.

use crate::device::{nth_block, BlockDevice, IoError};
use crate::layout::{Block, BLOCK_SIZE, ZERO_BLOCK};
use abi::Errno;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// One cached block.
struct Slot {
    /// Which block.
    block: u32,
    /// Its bytes.
    data: Box<Block>,
    /// Changed by the running transaction, not yet written anywhere.
    dirty: bool,
    /// When it was last used (a counter).
    used: u64,
}

/// The cache in front of device `D`.
pub struct Cache<D> {
    /// The disk.
    device: D,
    /// The cached blocks.
    slots: Vec<Slot>,
    /// Block number → slot.
    index: BTreeMap<u32, usize>,
    /// The most slots.
    capacity: usize,
    /// Counts uses, for least-recently-used eviction.
    clock: u64,
    /// Disk reads so far.
    pub reads: u64,
    /// Reads answered from memory.
    pub hits: u64,
}

/// A device error, as a program sees it.
pub fn io(_: IoError) -> Errno {
    Errno::EIO
}

impl<D: BlockDevice> Cache<D> {
    /// An empty cache of `capacity` blocks in front of `device`.
    pub fn new(device: D, capacity: usize) -> Cache<D> {
        Cache {
            device,
            slots: Vec::new(),
            index: BTreeMap::new(),
            capacity: capacity.max(1),
            clock: 0,
            reads: 0,
            hits: 0,
        }
    }

    /// The device.
    pub fn device(&mut self) -> &mut D {
        &mut self.device
    }

    /// Gives the device back.
    pub fn into_device(self) -> D {
        self.device
    }

    /// The slot holding `block`, reading it from the disk if needed (or zeroing it, when the
    /// caller is about to overwrite all of it).
    fn slot(&mut self, block: u32, zeroed: bool) -> Result<&mut Slot, Errno> {
        self.clock = self.clock.saturating_add(1);
        // The index only holds positions in `slots`, so the lookups below find their slot;
        // if one ever did not, the caller gets an I/O error, not a panic.
        if let Some(&at) = self.index.get(&block) {
            self.hits = self.hits.saturating_add(1);
            let slot = self.slots.get_mut(at).ok_or(Errno::EIO)?;
            slot.used = self.clock;
            if zeroed {
                slot.data.fill(0);
            }
            return Ok(slot);
        }
        let at = if self.slots.len() < self.capacity {
            let at = self.slots.len();
            self.slots.push(Slot {
                block,
                data: Box::new(ZERO_BLOCK),
                dirty: false,
                used: 0,
            });
            at
        } else {
            let (victim, evicted) = self
                .slots
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.dirty)
                .min_by_key(|(_, s)| s.used)
                .map(|(i, s)| (i, s.block))
                .ok_or(Errno::ENOMEM)?;
            self.index.remove(&evicted);
            victim
        };
        let entry = self.slots.get_mut(at).ok_or(Errno::EIO)?;
        entry.block = block;
        entry.used = self.clock;
        if zeroed {
            entry.data.fill(0);
        } else if let Err(e) = self.device.read(block, &mut entry.data) {
            // Leave the slot out of the index, free for the next block.
            entry.block = u32::MAX;
            return Err(io(e));
        } else {
            self.reads = self.reads.saturating_add(1);
        }
        self.index.insert(block, at);
        Ok(entry)
    }

    /// Block `block`'s bytes.
    pub fn get(&mut self, block: u32) -> Result<&Block, Errno> {
        Ok(&self.slot(block, false)?.data)
    }

    /// Block `block`'s bytes, to change: the block is dirty until [`Cache::clean`].
    pub fn get_mut(&mut self, block: u32) -> Result<&mut Block, Errno> {
        let slot = self.slot(block, false)?;
        slot.dirty = true;
        Ok(&mut slot.data)
    }

    /// Block `block` as zeros, to fill: nothing is read from the disk.
    pub fn zeroed_mut(&mut self, block: u32) -> Result<&mut Block, Errno> {
        let slot = self.slot(block, true)?;
        slot.dirty = true;
        Ok(&mut slot.data)
    }

    /// A dirty block's bytes (for the journal, which writes it out).
    pub fn peek(&self, block: u32) -> Option<&Block> {
        let &at = self.index.get(&block)?;
        self.slots.get(at).map(|slot| &*slot.data)
    }

    /// Writes the cached `blocks` (each in the cache) to consecutive device blocks from `at` on,
    /// in runs as long as the device takes.
    pub fn store_run(&mut self, blocks: &[u32], at: u32) -> Result<(), IoError> {
        let run = self.device.max_run().max(1);
        for (n, chunk) in blocks.chunks(run).enumerate() {
            let mut data: Vec<&Block> = Vec::with_capacity(chunk.len());
            for block in chunk {
                let &at = self.index.get(block).ok_or(IoError)?;
                data.push(&self.slots.get(at).ok_or(IoError)?.data);
            }
            let first = n
                .checked_mul(run)
                .and_then(|offset| nth_block(at, offset))
                .ok_or(IoError)?;
            self.device.write_run(first, &data)?;
        }
        Ok(())
    }

    /// Whether `block` is cached.
    pub fn contains(&self, block: u32) -> bool {
        self.index.contains_key(&block)
    }

    /// Reads the `count` blocks from `first` on (none of them cached) into the cache with one
    /// device request: read-ahead for a sequential read.
    pub fn fill_run(&mut self, first: u32, count: usize) -> Result<(), Errno> {
        let count = count.min(self.device.max_run()).min(self.capacity / 2);
        if count <= 1 {
            return self.get(first).map(drop);
        }
        let mut bytes = alloc::vec![0u8; count.saturating_mul(BLOCK_SIZE)];
        self.device.read_run(first, &mut bytes).map_err(io)?;
        self.reads = self.reads.saturating_add(count as u64);
        for (i, chunk) in bytes.chunks_exact(BLOCK_SIZE).enumerate() {
            let block = nth_block(first, i).ok_or(Errno::EIO)?;
            if self.index.contains_key(&block) {
                continue;
            }
            self.slot(block, true)?.data.copy_from_slice(chunk);
        }
        Ok(())
    }

    /// Marks `block` as written home.
    pub fn clean(&mut self, block: u32) {
        if let Some(&at) = self.index.get(&block) {
            if let Some(slot) = self.slots.get_mut(at) {
                slot.dirty = false;
            }
        }
    }

    /// Forgets every block (after a failed commit, memory no longer matches any disk state
    /// worth keeping, so later reads go to the disk).
    pub fn forget(&mut self) {
        self.slots.clear();
        self.index.clear();
    }

    /// Blocks held now.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The most blocks it holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}
