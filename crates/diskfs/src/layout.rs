//! The bytes on the disk: the superblock, inodes, directory entries and the log header, each
//! with a decoder that checks what it reads and an encoder that writes exactly what the decoder
//! accepts.
//!
//! docs/disk-format.md is the specification; every constant here is a number from that page.
//! Decoding never trusts the disk: a field that breaks a rule becomes a [`Violation`] with the
//! rule's name, which is the same name the Python fsck gives it.

use crate::crc::crc32;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Bytes in a block: the unit of every read and write, and of allocation.
pub const BLOCK_SIZE: usize = 4096;
/// One block's bytes.
pub type Block = [u8; BLOCK_SIZE];
/// A block of zeros.
pub const ZERO_BLOCK: Block = [0; BLOCK_SIZE];

/// The superblock's magic.
pub const MAGIC: [u8; 8] = *b"FERRITFS";
/// The format version this crate reads and writes.
pub const VERSION: u32 = 1;
/// The log header's magic.
pub const LOG_MAGIC: [u8; 8] = *b"FERRLOG1";
/// The root directory's inode.
pub const ROOT: u32 = 1;
/// Bits in one bitmap block.
pub const BITS_PER_BLOCK: u32 = (BLOCK_SIZE * 8) as u32;
/// Bytes in an inode.
pub const INODE_SIZE: usize = 128;
/// Inodes in a block of the inode table.
pub const INODES_PER_BLOCK: u32 = (BLOCK_SIZE / INODE_SIZE) as u32;
/// Block numbers in the inode itself.
pub const DIRECT: usize = 12;
/// Block numbers in an indirect block.
pub const POINTERS_PER_BLOCK: u64 = (BLOCK_SIZE / 4) as u64;
/// The most blocks a file can have: direct, indirect and double indirect.
pub const MAX_FILE_BLOCKS: u64 =
    DIRECT as u64 + POINTERS_PER_BLOCK + POINTERS_PER_BLOCK * POINTERS_PER_BLOCK;
/// Bytes in a directory entry.
pub const ENTRY_SIZE: usize = 64;
/// Directory entries in a block.
pub const ENTRIES_PER_BLOCK: usize = BLOCK_SIZE / ENTRY_SIZE;
/// The longest name an entry holds.
pub const NAME_MAX: usize = 56;
/// The fewest blocks the log may have (a header and 31 slots: room for the largest operation
/// twice over).
pub const MIN_LOG_BLOCKS: u32 = 32;
/// The most targets a log header holds.
pub const MAX_LOG_COUNT: u32 = ((BLOCK_SIZE - LOG_TARGETS - 4) / 4) as u32;
/// The most blocks the log may have.
pub const MAX_LOG_BLOCKS: u32 = MAX_LOG_COUNT + 1;
/// The smallest file system.
pub const MIN_BLOCKS: u32 = 64;
/// Where the superblock's checksum is (it covers the bytes before it).
const SUPERBLOCK_CHECKSUM: usize = 124;
/// Where the log header's targets start.
const LOG_TARGETS: usize = 24;
/// Where the log header's checksum is.
const LOG_CHECKSUM: usize = BLOCK_SIZE - 4;

/// `st_mode`'s file-type bits.
pub const S_IFMT: u16 = 0o170000;
/// A regular file.
pub const S_IFREG: u16 = 0o100000;
/// A directory.
pub const S_IFDIR: u16 = 0o040000;
/// The permission bits.
pub const PERM_MASK: u16 = 0o7777;
/// A directory entry's kind: a regular file.
pub const KIND_REGULAR: u8 = 1;
/// A directory entry's kind: a directory.
pub const KIND_DIRECTORY: u8 = 2;

/// A broken rule of the format: its name (as the Python fsck names it too) and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule's name, such as `block-out-of-range`.
    pub name: &'static str,
    /// Which inode, block or entry, in words.
    pub detail: String,
}

impl Violation {
    /// A violation of rule `name`.
    pub fn new(name: &'static str, detail: String) -> Violation {
        Violation { name, detail }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.detail)
    }
}

/// Reads a little-endian `u16` at `at`.
pub fn get16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

/// Reads a little-endian `u32` at `at`.
pub fn get32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Reads a little-endian `u64` at `at`.
pub fn get64(bytes: &[u8], at: usize) -> u64 {
    u64::from(get32(bytes, at)) | (u64::from(get32(bytes, at + 4)) << 32)
}

/// Writes a little-endian `u16` at `at`.
pub fn put16(bytes: &mut [u8], at: usize, value: u16) {
    bytes[at..at + 2].copy_from_slice(&value.to_le_bytes());
}

/// Writes a little-endian `u32` at `at`.
pub fn put32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// Writes a little-endian `u64` at `at`.
pub fn put64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

/// Where everything is: the superblock's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Superblock {
    /// Blocks in the file system.
    pub block_count: u32,
    /// Inodes, numbered from 1.
    pub inode_count: u32,
    /// The log's header block.
    pub log_start: u32,
    /// The log's blocks, its header included.
    pub log_blocks: u32,
    /// The inode bitmap's first block.
    pub inode_bitmap_start: u32,
    /// Its blocks.
    pub inode_bitmap_blocks: u32,
    /// The block bitmap's first block.
    pub block_bitmap_start: u32,
    /// Its blocks.
    pub block_bitmap_blocks: u32,
    /// The inode table's first block.
    pub inode_table_start: u32,
    /// Its blocks.
    pub inode_table_blocks: u32,
    /// The first data block.
    pub data_start: u32,
}

impl Superblock {
    /// The layout `mkfs` gives a file system of `block_count` blocks, with `inodes` inodes and a
    /// log of `log_blocks` (the defaults when `None`). The same rules as the Python mkfs.
    pub fn for_size(
        block_count: u32,
        inodes: Option<u32>,
        log_blocks: Option<u32>,
    ) -> Result<Superblock, String> {
        /// One inode per this many bytes of disk, by default.
        const BYTES_PER_INODE: u64 = 16 * 1024;
        /// The fewest inodes by default.
        const MIN_INODES: u32 = 64;
        /// The default log.
        const DEFAULT_LOG: u32 = 256;
        /// Disks smaller than this many blocks get an eighth of the disk as their log.
        const SMALL_DISK: u32 = 2048;
        if block_count < MIN_BLOCKS {
            return Err(format!(
                "{block_count} blocks is too small (at least {MIN_BLOCKS})"
            ));
        }
        let inode_count = inodes.unwrap_or_else(|| {
            let by_size = u64::from(block_count) * BLOCK_SIZE as u64 / BYTES_PER_INODE;
            (by_size.min(u64::from(u32::MAX - 1)) as u32).max(MIN_INODES)
        });
        let log_blocks = log_blocks.unwrap_or(if block_count < SMALL_DISK {
            (block_count / 8).max(MIN_LOG_BLOCKS)
        } else {
            DEFAULT_LOG
        });
        let sb = Superblock::with_counts(block_count, inode_count, log_blocks);
        sb.check_geometry(u64::from(block_count))
            .map_err(|v| v.detail)?;
        Ok(sb)
    }

    /// The regions that follow from the three counts, each right after the one before.
    pub fn with_counts(block_count: u32, inode_count: u32, log_blocks: u32) -> Superblock {
        let log_start = 1u32;
        let inode_bitmap_start = log_start.saturating_add(log_blocks);
        let inode_bitmap_blocks = (inode_count as u64 + 1).div_ceil(BITS_PER_BLOCK as u64) as u32;
        let block_bitmap_start = inode_bitmap_start.saturating_add(inode_bitmap_blocks);
        let block_bitmap_blocks = block_count.div_ceil(BITS_PER_BLOCK);
        let inode_table_start = block_bitmap_start.saturating_add(block_bitmap_blocks);
        let inode_table_blocks = inode_count.div_ceil(INODES_PER_BLOCK);
        Superblock {
            block_count,
            inode_count,
            log_start,
            log_blocks,
            inode_bitmap_start,
            inode_bitmap_blocks,
            block_bitmap_start,
            block_bitmap_blocks,
            inode_table_start,
            inode_table_blocks,
            data_start: inode_table_start.saturating_add(inode_table_blocks),
        }
    }

    /// Decodes block 0 of a device of `device_blocks` blocks.
    pub fn decode(block: &Block, device_blocks: u64) -> Result<Superblock, Violation> {
        if block[..8] != MAGIC {
            return Err(Violation::new(
                "bad-magic",
                format!("block 0 starts {:02x?}, not \"FERRITFS\"", &block[..8]),
            ));
        }
        let version = get32(block, 8);
        if version != VERSION {
            return Err(Violation::new(
                "bad-version",
                format!("version {version}; this kernel reads version {VERSION}"),
            ));
        }
        let stored = get32(block, SUPERBLOCK_CHECKSUM);
        let computed = crc32(&block[..SUPERBLOCK_CHECKSUM]);
        if stored != computed {
            return Err(Violation::new(
                "bad-superblock-checksum",
                format!("stored {stored:#010x}, computed {computed:#010x}"),
            ));
        }
        let field = |at: usize| get32(block, at);
        let sb = Superblock {
            block_count: field(16),
            inode_count: field(20),
            log_start: field(24),
            log_blocks: field(28),
            inode_bitmap_start: field(32),
            inode_bitmap_blocks: field(36),
            block_bitmap_start: field(40),
            block_bitmap_blocks: field(44),
            inode_table_start: field(48),
            inode_table_blocks: field(52),
            data_start: field(56),
        };
        let block_size = field(12);
        if block_size != BLOCK_SIZE as u32 {
            return Err(Violation::new(
                "bad-geometry",
                format!("block size {block_size}, not {BLOCK_SIZE}"),
            ));
        }
        let root = field(60);
        if root != ROOT {
            return Err(Violation::new(
                "bad-geometry",
                format!("root inode {root}, not {ROOT}"),
            ));
        }
        if block[64..SUPERBLOCK_CHECKSUM].iter().any(|&b| b != 0)
            || block[SUPERBLOCK_CHECKSUM + 4..].iter().any(|&b| b != 0)
        {
            return Err(Violation::new(
                "bad-geometry",
                String::from("reserved superblock bytes are not zero"),
            ));
        }
        sb.check_geometry(device_blocks)?;
        Ok(sb)
    }

    /// Checks that the regions follow each other with the sizes the counts give, and fit on a
    /// device of `device_blocks`.
    pub fn check_geometry(&self, device_blocks: u64) -> Result<(), Violation> {
        let bad = |detail: String| Err(Violation::new("bad-geometry", detail));
        if self.block_count < MIN_BLOCKS {
            return bad(format!(
                "{} blocks (at least {MIN_BLOCKS})",
                self.block_count
            ));
        }
        if u64::from(self.block_count) > device_blocks {
            return bad(format!(
                "{} blocks on a device of {device_blocks}",
                self.block_count
            ));
        }
        if self.inode_count == 0 || self.inode_count == u32::MAX {
            return bad(format!("{} inodes", self.inode_count));
        }
        if !(MIN_LOG_BLOCKS..=MAX_LOG_BLOCKS).contains(&self.log_blocks) {
            return bad(format!(
                "a log of {} blocks ({MIN_LOG_BLOCKS} to {MAX_LOG_BLOCKS})",
                self.log_blocks
            ));
        }
        let expected = Superblock::with_counts(self.block_count, self.inode_count, self.log_blocks);
        if *self != expected {
            return bad(format!(
                "regions do not follow each other: found {self:?}, expected {expected:?}"
            ));
        }
        if self.data_start >= self.block_count {
            return bad(format!(
                "data would start at block {}, past the end ({})",
                self.data_start, self.block_count
            ));
        }
        Ok(())
    }

    /// Block 0's bytes.
    pub fn encode(&self) -> Block {
        let mut block = ZERO_BLOCK;
        block[..8].copy_from_slice(&MAGIC);
        let fields = [
            VERSION,
            BLOCK_SIZE as u32,
            self.block_count,
            self.inode_count,
            self.log_start,
            self.log_blocks,
            self.inode_bitmap_start,
            self.inode_bitmap_blocks,
            self.block_bitmap_start,
            self.block_bitmap_blocks,
            self.inode_table_start,
            self.inode_table_blocks,
            self.data_start,
            ROOT,
        ];
        for (i, value) in fields.into_iter().enumerate() {
            put32(&mut block, 8 + 4 * i, value);
        }
        let checksum = crc32(&block[..SUPERBLOCK_CHECKSUM]);
        put32(&mut block, SUPERBLOCK_CHECKSUM, checksum);
        block
    }

    /// The log's slots.
    pub fn log_capacity(&self) -> u32 {
        self.log_blocks - 1
    }

    /// Where inode `ino`'s bytes are: (block, offset in it).
    pub fn inode_place(&self, ino: u32) -> (u32, usize) {
        let index = ino - 1;
        (
            self.inode_table_start + index / INODES_PER_BLOCK,
            (index % INODES_PER_BLOCK) as usize * INODE_SIZE,
        )
    }

    /// Whether `block` may be a file's or an indirect block.
    pub fn is_data(&self, block: u32) -> bool {
        (self.data_start..self.block_count).contains(&block)
    }
}

/// An inode, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Inode {
    /// Type and permissions; 0 when free.
    pub mode: u16,
    /// Directory entries naming it (plus `.` and the children's `..` for a directory).
    pub links: u16,
    /// Bytes.
    pub size: u64,
    /// When the contents changed.
    pub modified: u64,
    /// When the contents or the links changed.
    pub changed: u64,
    /// Blocks 0 to 11.
    pub direct: [u32; DIRECT],
    /// The block of the next 1,024 block numbers.
    pub indirect: u32,
    /// The block of 1,024 indirect blocks' numbers.
    pub double_indirect: u32,
}

impl Inode {
    /// Decodes the 128 bytes at `bytes`; `None` if a reserved byte is not zero.
    pub fn decode(bytes: &[u8]) -> Option<Inode> {
        let reserved_zero = get32(bytes, 4) == 0 && bytes[88..INODE_SIZE].iter().all(|&b| b == 0);
        let mut direct = [0u32; DIRECT];
        for (i, slot) in direct.iter_mut().enumerate() {
            *slot = get32(bytes, 32 + 4 * i);
        }
        reserved_zero.then_some(Inode {
            mode: get16(bytes, 0),
            links: get16(bytes, 2),
            size: get64(bytes, 8),
            modified: get64(bytes, 16),
            changed: get64(bytes, 24),
            direct,
            indirect: get32(bytes, 80),
            double_indirect: get32(bytes, 84),
        })
    }

    /// Writes its 128 bytes into `bytes`.
    pub fn encode(&self, bytes: &mut [u8]) {
        bytes[..INODE_SIZE].fill(0);
        put16(bytes, 0, self.mode);
        put16(bytes, 2, self.links);
        put64(bytes, 8, self.size);
        put64(bytes, 16, self.modified);
        put64(bytes, 24, self.changed);
        for (i, &block) in self.direct.iter().enumerate() {
            put32(bytes, 32 + 4 * i, block);
        }
        put32(bytes, 80, self.indirect);
        put32(bytes, 84, self.double_indirect);
    }

    /// Whether it is a directory.
    pub fn is_directory(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// Whether it is a regular file.
    pub fn is_regular(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }

    /// The blocks its size covers.
    pub fn blocks(&self) -> u64 {
        self.size.div_ceil(BLOCK_SIZE as u64)
    }
}

/// A directory entry, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The inode named; 0 for an empty slot.
    pub ino: u32,
    /// [`KIND_REGULAR`] or [`KIND_DIRECTORY`].
    pub kind: u8,
    /// The name's length.
    pub name_len: u8,
    /// The name, then zeros.
    pub name: [u8; NAME_MAX],
}

impl Entry {
    /// An entry naming `ino`, of kind `kind`, as `name` (at most [`NAME_MAX`] bytes).
    pub fn new(ino: u32, kind: u8, name: &[u8]) -> Entry {
        let mut bytes = [0u8; NAME_MAX];
        bytes[..name.len()].copy_from_slice(name);
        Entry {
            ino,
            kind,
            name_len: name.len() as u8,
            name: bytes,
        }
    }

    /// Decodes the 64 bytes at `bytes`.
    pub fn decode(bytes: &[u8]) -> Entry {
        let mut name = [0u8; NAME_MAX];
        name.copy_from_slice(&bytes[8..ENTRY_SIZE]);
        Entry {
            ino: get32(bytes, 0),
            name_len: bytes[4],
            kind: bytes[5],
            name,
        }
    }

    /// Writes its 64 bytes into `bytes`.
    pub fn encode(&self, bytes: &mut [u8]) {
        bytes[..ENTRY_SIZE].fill(0);
        put32(bytes, 0, self.ino);
        bytes[4] = self.name_len;
        bytes[5] = self.kind;
        bytes[8..ENTRY_SIZE].copy_from_slice(&self.name);
    }

    /// Its name (clamped to the field, for a corrupt length).
    pub fn name(&self) -> &[u8] {
        &self.name[..(self.name_len as usize).min(NAME_MAX)]
    }

    /// Whether the entry follows the rules for a name in a directory (not `.` or `..`, which
    /// only slots 0 and 1 hold).
    pub fn is_well_formed(&self, bytes: &[u8]) -> bool {
        let len = self.name_len as usize;
        (1..=NAME_MAX).contains(&len)
            && matches!(self.kind, KIND_REGULAR | KIND_DIRECTORY)
            && bytes[6] == 0
            && bytes[7] == 0
            && self.name[len..].iter().all(|&b| b == 0)
    }
}

/// The log header, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHeader {
    /// The last transaction committed.
    pub sequence: u64,
    /// The CRC-32 of the slots.
    pub data_checksum: u32,
    /// Where each slot goes; empty when the log holds nothing.
    pub targets: Vec<u32>,
}

impl LogHeader {
    /// Decodes the header of the log of `sb`, checking every rule of the page.
    pub fn decode(block: &Block, sb: &Superblock) -> Result<LogHeader, Violation> {
        if block[..8] != LOG_MAGIC {
            return Err(Violation::new(
                "bad-log-header",
                format!(
                    "block {} starts {:02x?}, not \"FERRLOG1\"",
                    sb.log_start,
                    &block[..8]
                ),
            ));
        }
        let stored = get32(block, LOG_CHECKSUM);
        let computed = crc32(&block[..LOG_CHECKSUM]);
        if stored != computed {
            return Err(Violation::new(
                "bad-log-header",
                format!("header checksum stored {stored:#010x}, computed {computed:#010x}"),
            ));
        }
        let count = get32(block, 16);
        if count > sb.log_capacity() {
            return Err(Violation::new(
                "log-does-not-replay",
                format!("{count} blocks in a log of {} slots", sb.log_capacity()),
            ));
        }
        let targets: Vec<u32> = (0..count as usize)
            .map(|i| get32(block, LOG_TARGETS + 4 * i))
            .collect();
        let mut sorted = targets.clone();
        sorted.sort_unstable();
        for (i, &target) in targets.iter().enumerate() {
            if target < sb.inode_bitmap_start || target >= sb.block_count {
                return Err(Violation::new(
                    "log-does-not-replay",
                    format!(
                        "slot {i} goes to block {target}, outside {}..{}",
                        sb.inode_bitmap_start, sb.block_count
                    ),
                ));
            }
        }
        if let Some(pair) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(Violation::new(
                "log-does-not-replay",
                format!("block {} is a target twice", pair[0]),
            ));
        }
        let end = LOG_TARGETS + 4 * count as usize;
        if block[end..LOG_CHECKSUM].iter().any(|&b| b != 0) {
            return Err(Violation::new(
                "bad-log-header",
                String::from("reserved bytes after the targets are not zero"),
            ));
        }
        Ok(LogHeader {
            sequence: get64(block, 8),
            data_checksum: get32(block, 20),
            targets,
        })
    }

    /// The header block's bytes.
    pub fn encode(&self) -> Block {
        let mut block = ZERO_BLOCK;
        block[..8].copy_from_slice(&LOG_MAGIC);
        put64(&mut block, 8, self.sequence);
        put32(&mut block, 16, self.targets.len() as u32);
        put32(&mut block, 20, self.data_checksum);
        for (i, &target) in self.targets.iter().enumerate() {
            put32(&mut block, LOG_TARGETS + 4 * i, target);
        }
        let checksum = crc32(&block[..LOG_CHECKSUM]);
        put32(&mut block, LOG_CHECKSUM, checksum);
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn superblock_round_trip_and_geometry() {
        let sb = Superblock::for_size(16384, None, None).unwrap();
        assert_eq!(sb.inode_count, 4096);
        assert_eq!(sb.log_blocks, 256);
        assert_eq!(sb.inode_bitmap_start, 257);
        assert_eq!(sb.data_start, 257 + 1 + 1 + 128);
        assert_eq!(Superblock::decode(&sb.encode(), 16384), Ok(sb));
        let small = Superblock::for_size(MIN_BLOCKS, None, None).unwrap();
        assert_eq!(small.log_blocks, MIN_LOG_BLOCKS);
        assert!(Superblock::for_size(MIN_BLOCKS - 1, None, None).is_err());
    }

    #[test]
    fn superblock_refusals_are_named() {
        let sb = Superblock::for_size(1024, None, None).unwrap();
        let name = |block: &Block, device: u64| Superblock::decode(block, device).unwrap_err().name;
        let mut block = sb.encode();
        block[0] = b'X';
        assert_eq!(name(&block, 1024), "bad-magic");
        let mut block = sb.encode();
        put32(&mut block, 8, 2);
        assert_eq!(name(&block, 1024), "bad-version");
        let mut block = sb.encode();
        block[100] = 1;
        assert_eq!(name(&block, 1024), "bad-superblock-checksum");
        assert_eq!(name(&sb.encode(), 1000), "bad-geometry");
        let mut moved = sb;
        moved.data_start += 1;
        assert_eq!(name(&moved.encode(), 1024), "bad-geometry");
    }

    #[test]
    fn inode_and_entry_round_trip() {
        let inode = Inode {
            mode: S_IFREG | 0o644,
            links: 1,
            size: 123_456,
            modified: 7,
            changed: 8,
            direct: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            indirect: 13,
            double_indirect: 14,
        };
        let mut bytes = [0u8; INODE_SIZE];
        inode.encode(&mut bytes);
        assert_eq!(Inode::decode(&bytes), Some(inode));
        bytes[100] = 1;
        assert_eq!(Inode::decode(&bytes), None);
        let entry = Entry::new(5, KIND_DIRECTORY, b"notes");
        let mut bytes = [0u8; ENTRY_SIZE];
        entry.encode(&mut bytes);
        assert_eq!(Entry::decode(&bytes), entry);
        assert_eq!(entry.name(), b"notes");
        assert!(entry.is_well_formed(&bytes));
    }

    #[test]
    fn log_header_rules() {
        let sb = Superblock::for_size(1024, None, None).unwrap();
        let header = LogHeader {
            sequence: 9,
            data_checksum: 77,
            targets: alloc::vec![sb.data_start, sb.inode_bitmap_start],
        };
        assert_eq!(LogHeader::decode(&header.encode(), &sb), Ok(header.clone()));
        let mut twice = header.clone();
        twice.targets = alloc::vec![sb.data_start, sb.data_start];
        assert_eq!(
            LogHeader::decode(&twice.encode(), &sb).unwrap_err().name,
            "log-does-not-replay"
        );
        let mut outside = header.clone();
        outside.targets = alloc::vec![0];
        assert_eq!(
            LogHeader::decode(&outside.encode(), &sb).unwrap_err().name,
            "log-does-not-replay"
        );
        let mut torn = header.encode();
        torn[30] ^= 1;
        assert_eq!(
            LogHeader::decode(&torn, &sb).unwrap_err().name,
            "bad-log-header"
        );
    }
}
