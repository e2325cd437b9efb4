//! What the file system needs of a disk: read a block, write a block, and make the writes so far
//! durable. The kernel's virtio-blk driver implements it; so does [`MemoryDisk`], the disk the
//! host tests use, which can also forget what was never flushed, as a power cut does.

use crate::layout::{Block, ZERO_BLOCK};
use alloc::vec;
use alloc::vec::Vec;

/// The device failed a request (the driver has logged what it said).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoError;

/// Block `first + n`: the `n`th of a run starting at `first`; `None` past block `u32::MAX`.
pub fn nth_block(first: u32, n: usize) -> Option<u32> {
    first.checked_add(u32::try_from(n).ok()?)
}

/// A disk of 4 KiB blocks.
pub trait BlockDevice {
    /// Its size in blocks.
    fn block_count(&self) -> u64;
    /// Reads block `block` into `buf`.
    fn read(&mut self, block: u32, buf: &mut Block) -> Result<(), IoError>;
    /// Writes `buf` to block `block`. It may reach the medium at any time until the next
    /// [`flush`](BlockDevice::flush), in any order with the other unflushed writes.
    fn write(&mut self, block: u32, buf: &Block) -> Result<(), IoError>;
    /// Returns once every write before it is durable.
    fn flush(&mut self) -> Result<(), IoError>;
    /// The most blocks [`BlockDevice::read_run`] and [`BlockDevice::write_run`] take at once.
    fn max_run(&self) -> usize {
        1
    }
    /// Reads the `bytes.len() / BLOCK_SIZE` blocks from `first` on into `bytes`, in one
    /// request if the device can: a sequential read costs one request per run, not per block.
    fn read_run(&mut self, first: u32, bytes: &mut [u8]) -> Result<(), IoError> {
        for (i, chunk) in bytes
            .chunks_exact_mut(crate::layout::BLOCK_SIZE)
            .enumerate()
        {
            let block: &mut Block = chunk.try_into().map_err(|_| IoError)?;
            self.read(nth_block(first, i).ok_or(IoError)?, block)?;
        }
        Ok(())
    }
    /// Writes `blocks` to consecutive blocks from `first` on, in one request if it can.
    fn write_run(&mut self, first: u32, blocks: &[&Block]) -> Result<(), IoError> {
        for (i, block) in blocks.iter().enumerate() {
            self.write(nth_block(first, i).ok_or(IoError)?, block)?;
        }
        Ok(())
    }
}

/// A disk in memory that remembers which writes were flushed, so a test can cut the power.
#[derive(Clone)]
pub struct MemoryDisk {
    /// What a read returns: every write so far.
    blocks: Vec<Block>,
    /// What survives a power cut: every write before the last flush.
    durable: Vec<Block>,
    /// Writes since the last flush, in order: (block, bytes).
    unflushed: Vec<(u32, Block)>,
    /// Writes (and flushes) left before the device stops working, if a test set a limit.
    budget: Option<u64>,
    /// Block writes so far.
    pub writes: u64,
    /// Requests so far (a run is one).
    pub requests: u64,
    /// Flushes so far.
    pub flushes: u64,
}

impl MemoryDisk {
    /// A zeroed disk of `count` blocks.
    pub fn new(count: u32) -> MemoryDisk {
        MemoryDisk {
            blocks: vec![ZERO_BLOCK; count as usize],
            durable: vec![ZERO_BLOCK; count as usize],
            unflushed: Vec::new(),
            budget: None,
            writes: 0,
            requests: 0,
            flushes: 0,
        }
    }

    /// After `n` more writes or flushes, every request fails (a device error, or the moment
    /// of a power cut).
    pub fn fail_after(&mut self, n: u64) {
        self.budget = Some(n);
    }

    /// The disk after a power cut now: what was flushed, plus those unflushed writes for which
    /// `keep(index)` says yes (the device may have written any of them).
    pub fn crash(&self, mut keep: impl FnMut(usize) -> bool) -> MemoryDisk {
        let mut blocks = self.durable.clone();
        for (i, (block, bytes)) in self.unflushed.iter().enumerate() {
            if keep(i) {
                // Every unflushed write was to a block of the disk: `write` checked.
                if let Some(slot) = blocks.get_mut(*block as usize) {
                    *slot = *bytes;
                }
            }
        }
        MemoryDisk {
            durable: blocks.clone(),
            blocks,
            unflushed: Vec::new(),
            budget: None,
            writes: 0,
            requests: 0,
            flushes: 0,
        }
    }

    /// Unflushed writes.
    pub fn unflushed(&self) -> usize {
        self.unflushed.len()
    }

    /// Block `block` as a read would return it.
    #[allow(
        clippy::indexing_slicing,
        reason = "a test's helper: the block number is the test's, not the disk's, and one past \
                  the end is a bug in the test, which the panic reports"
    )]
    pub fn block(&self, block: u32) -> &Block {
        &self.blocks[block as usize]
    }

    /// Overwrites block `block` at once and durably (for tests that corrupt a disk).
    #[allow(
        clippy::indexing_slicing,
        reason = "a test's helper: the block number is the test's, not the disk's, and one past \
                  the end is a bug in the test, which the panic reports"
    )]
    pub fn poke(&mut self, block: u32, bytes: &Block) {
        self.blocks[block as usize] = *bytes;
        self.durable[block as usize] = *bytes;
    }

    /// Takes one request from the budget.
    fn spend(&mut self) -> Result<(), IoError> {
        match &mut self.budget {
            Some(0) => Err(IoError),
            Some(n) => {
                *n = n.saturating_sub(1);
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl BlockDevice for MemoryDisk {
    fn block_count(&self) -> u64 {
        self.blocks.len() as u64
    }

    fn read(&mut self, block: u32, buf: &mut Block) -> Result<(), IoError> {
        let bytes = self.blocks.get(block as usize).ok_or(IoError)?;
        buf.copy_from_slice(bytes);
        self.requests = self.requests.saturating_add(1);
        Ok(())
    }

    fn write(&mut self, block: u32, buf: &Block) -> Result<(), IoError> {
        self.spend()?;
        let slot = self.blocks.get_mut(block as usize).ok_or(IoError)?;
        slot.copy_from_slice(buf);
        self.unflushed.push((block, *buf));
        self.writes = self.writes.saturating_add(1);
        self.requests = self.requests.saturating_add(1);
        Ok(())
    }

    /// Runs of up to eight blocks, so the tests exercise the run paths of the cache and log.
    fn max_run(&self) -> usize {
        8
    }

    fn read_run(&mut self, first: u32, bytes: &mut [u8]) -> Result<(), IoError> {
        let count = bytes.len() / crate::layout::BLOCK_SIZE;
        let run = self
            .blocks
            .get(first as usize..)
            .and_then(|rest| rest.get(..count))
            .filter(|_| count <= self.max_run())
            .ok_or(IoError)?;
        for (chunk, block) in bytes.chunks_exact_mut(crate::layout::BLOCK_SIZE).zip(run) {
            chunk.copy_from_slice(block);
        }
        self.requests = self.requests.saturating_add(1);
        Ok(())
    }

    fn write_run(&mut self, first: u32, blocks: &[&Block]) -> Result<(), IoError> {
        if blocks.len() > self.max_run() {
            return Err(IoError);
        }
        // A run's blocks may reach the medium in any order, like separate writes; a power cut
        // part-way keeps any subset of them.
        for (i, block) in blocks.iter().enumerate() {
            self.spend()?;
            let at = nth_block(first, i).ok_or(IoError)?;
            let slot = self.blocks.get_mut(at as usize).ok_or(IoError)?;
            slot.copy_from_slice(*block);
            self.unflushed.push((at, **block));
            self.writes = self.writes.saturating_add(1);
        }
        self.requests = self.requests.saturating_add(1);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        self.spend()?;
        for (block, bytes) in self.unflushed.drain(..) {
            // `write` checked the block number.
            if let Some(slot) = self.durable.get_mut(block as usize) {
                *slot = bytes;
            }
        }
        self.flushes = self.flushes.saturating_add(1);
        Ok(())
    }
}
