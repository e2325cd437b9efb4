//! The bytes on the disk: the superblock, inodes, directory entries and the log header, each
//! with a decoder that checks what it reads and an encoder that writes exactly what the decoder
//! accepts.
//!
//! docs/disk-format.md is the specification; every constant here is a number from that page.
//! Decoding never trusts the disk: a field that breaks a rule becomes a [`Violation`] with the
//! rule's name, which is the same name the Python fsck gives it.
//!
//! Nor can a number from the disk make the code read outside a buffer. Each record is a
//! fixed-size array (`&Block`, `&[u8; INODE_SIZE]`, `&[u8; ENTRY_SIZE]`) whose fields sit at the
//! constant offsets of the page's tables; whatever is located by a number read from the disk (an
//! inode's place in the table, a pointer's slot, an entry's slot) is found with [`bytes_at`],
//! which answers `None` past the end, and the caller turns that into an error.

use crate::crc::crc32;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Bytes in a block: the unit of every read and write, and of allocation.
pub const BLOCK_SIZE: usize = 4096;
/// [`BLOCK_SIZE`] as a `u64`, the type of file sizes and offsets.
pub const BLOCK_BYTES: u64 = BLOCK_SIZE as u64;
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
/// The most bytes a file can hold.
pub const MAX_FILE_SIZE: u64 = MAX_FILE_BLOCKS * BLOCK_BYTES;
/// The first file block the indirect block maps.
pub const FIRST_INDIRECT: u64 = DIRECT as u64;
/// The first file block the double indirect block maps.
pub const FIRST_DOUBLE: u64 = FIRST_INDIRECT + POINTERS_PER_BLOCK;
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
/// A symbolic link: its data blocks hold the path it points to.
pub const S_IFLNK: u16 = 0o120000;
/// The longest path a symbolic link holds, in bytes (Linux's `PATH_MAX` less its NUL): always
/// one block.
pub const MAX_LINK_TARGET: u64 = 4095;
/// The permission bits.
pub const PERM_MASK: u16 = 0o7777;
/// A directory entry's kind: a regular file.
pub const KIND_REGULAR: u8 = 1;
/// A directory entry's kind: a directory.
pub const KIND_DIRECTORY: u8 = 2;
/// A directory entry's kind: a symbolic link.
pub const KIND_SYMLINK: u8 = 3;

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

/// The `N` bytes from byte `at` of `bytes` on, as an array: one field, or one inode or entry
/// of a block. `None` if they would run past the end.
pub fn bytes_at<const N: usize>(bytes: &[u8], at: usize) -> Option<&[u8; N]> {
    bytes.get(at..)?.first_chunk()
}

/// The `N` bytes from byte `at` of `bytes` on, to change; `None` if they would run past the end.
pub fn bytes_at_mut<const N: usize>(bytes: &mut [u8], at: usize) -> Option<&mut [u8; N]> {
    bytes.get_mut(at..)?.first_chunk_mut()
}

/// Reads a little-endian `u16` at `at`; `None` past the end.
pub fn get16(bytes: &[u8], at: usize) -> Option<u16> {
    bytes_at(bytes, at).map(|field| u16::from_le_bytes(*field))
}

/// Reads a little-endian `u32` at `at`; `None` past the end.
pub fn get32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes_at(bytes, at).map(|field| u32::from_le_bytes(*field))
}

/// Reads a little-endian `u64` at `at`; `None` past the end.
pub fn get64(bytes: &[u8], at: usize) -> Option<u64> {
    bytes_at(bytes, at).map(|field| u64::from_le_bytes(*field))
}

/// Writes a little-endian `u16` at `at`; `None` (and nothing written) past the end.
pub fn put16(bytes: &mut [u8], at: usize, value: u16) -> Option<()> {
    *bytes_at_mut(bytes, at)? = value.to_le_bytes();
    Some(())
}

/// Writes a little-endian `u32` at `at`; `None` (and nothing written) past the end.
pub fn put32(bytes: &mut [u8], at: usize, value: u32) -> Option<()> {
    *bytes_at_mut(bytes, at)? = value.to_le_bytes();
    Some(())
}

/// Writes a little-endian `u64` at `at`; `None` (and nothing written) past the end.
pub fn put64(bytes: &mut [u8], at: usize, value: u64) -> Option<()> {
    *bytes_at_mut(bytes, at)? = value.to_le_bytes();
    Some(())
}

/// The little-endian `u32`s of `bytes`, in order: an indirect block's pointers, an inode's
/// direct pointers, the log header's targets.
pub fn words(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes.chunks_exact(4).filter_map(|word| get32(word, 0))
}

/// Field `at` of a fixed-size record (the superblock, the log header, an inode), `W` bytes wide.
/// The decoders and encoders below use it only with the constant offsets of the format's
/// tables, which lie inside the record, so the zeros for a field past the end are never read
/// (and the round-trip tests would notice a wrong offset).
fn field<const N: usize, const W: usize>(record: &[u8; N], at: usize) -> [u8; W] {
    bytes_at(record, at).copied().unwrap_or([0; W])
}

/// Sets field `at` of a fixed-size record to `value`, as [`field`] reads it.
fn set_field<const N: usize, const W: usize>(record: &mut [u8; N], at: usize, value: [u8; W]) {
    if let Some(bytes) = bytes_at_mut(record, at) {
        *bytes = value;
    }
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
            let by_size = u64::from(block_count).saturating_mul(BLOCK_BYTES) / BYTES_PER_INODE;
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
        // Bit 0 is reserved. In a `u64` the + 1 cannot overflow, and the quotient (at most
        // 2^32 / 2^15) fits a `u32` again.
        let inode_bitmap_blocks = u64::from(inode_count)
            .saturating_add(1)
            .div_ceil(u64::from(BITS_PER_BLOCK)) as u32;
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
        let word = |at: usize| u32::from_le_bytes(field(block, at));
        let version = word(8);
        if version != VERSION {
            return Err(Violation::new(
                "bad-version",
                format!("version {version}; this kernel reads version {VERSION}"),
            ));
        }
        let stored = word(SUPERBLOCK_CHECKSUM);
        let computed = crc32(&block[..SUPERBLOCK_CHECKSUM]);
        if stored != computed {
            return Err(Violation::new(
                "bad-superblock-checksum",
                format!("stored {stored:#010x}, computed {computed:#010x}"),
            ));
        }
        let sb = Superblock {
            block_count: word(16),
            inode_count: word(20),
            log_start: word(24),
            log_blocks: word(28),
            inode_bitmap_start: word(32),
            inode_bitmap_blocks: word(36),
            block_bitmap_start: word(40),
            block_bitmap_blocks: word(44),
            inode_table_start: word(48),
            inode_table_blocks: word(52),
            data_start: word(56),
        };
        let block_size = word(12);
        if block_size != BLOCK_SIZE as u32 {
            return Err(Violation::new(
                "bad-geometry",
                format!("block size {block_size}, not {BLOCK_SIZE}"),
            ));
        }
        let root = word(60);
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
        for (bytes, value) in block[8..SUPERBLOCK_CHECKSUM]
            .chunks_exact_mut(4)
            .zip(fields)
        {
            bytes.copy_from_slice(&value.to_le_bytes());
        }
        let checksum = crc32(&block[..SUPERBLOCK_CHECKSUM]);
        set_field(&mut block, SUPERBLOCK_CHECKSUM, checksum.to_le_bytes());
        block
    }

    /// The log's slots.
    pub fn log_capacity(&self) -> u32 {
        self.log_blocks.saturating_sub(1)
    }

    /// Where inode `ino`'s bytes are: (block, offset in it); `None` for inode 0 or past the last.
    pub fn inode_place(&self, ino: u32) -> Option<(u32, usize)> {
        if ino > self.inode_count {
            return None;
        }
        let index = ino.checked_sub(1)?;
        let block = self
            .inode_table_start
            .checked_add(index / INODES_PER_BLOCK)?;
        let offset = (index % INODES_PER_BLOCK) as usize;
        Some((block, offset.checked_mul(INODE_SIZE)?))
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
    /// Decodes an inode's 128 bytes; `None` if a reserved byte is not zero.
    pub fn decode(bytes: &[u8; INODE_SIZE]) -> Option<Inode> {
        let reserved_zero =
            u32::from_le_bytes(field(bytes, 4)) == 0 && bytes[88..].iter().all(|&b| b == 0);
        let mut direct = [0u32; DIRECT];
        for (slot, pointer) in direct.iter_mut().zip(words(&bytes[32..80])) {
            *slot = pointer;
        }
        reserved_zero.then_some(Inode {
            mode: u16::from_le_bytes(field(bytes, 0)),
            links: u16::from_le_bytes(field(bytes, 2)),
            size: u64::from_le_bytes(field(bytes, 8)),
            modified: u64::from_le_bytes(field(bytes, 16)),
            changed: u64::from_le_bytes(field(bytes, 24)),
            direct,
            indirect: u32::from_le_bytes(field(bytes, 80)),
            double_indirect: u32::from_le_bytes(field(bytes, 84)),
        })
    }

    /// Writes its 128 bytes into `bytes`.
    pub fn encode(&self, bytes: &mut [u8; INODE_SIZE]) {
        *bytes = [0; INODE_SIZE];
        set_field(bytes, 0, self.mode.to_le_bytes());
        set_field(bytes, 2, self.links.to_le_bytes());
        set_field(bytes, 8, self.size.to_le_bytes());
        set_field(bytes, 16, self.modified.to_le_bytes());
        set_field(bytes, 24, self.changed.to_le_bytes());
        for (pointer, block) in bytes[32..80].chunks_exact_mut(4).zip(self.direct) {
            pointer.copy_from_slice(&block.to_le_bytes());
        }
        set_field(bytes, 80, self.indirect.to_le_bytes());
        set_field(bytes, 84, self.double_indirect.to_le_bytes());
    }

    /// Whether it is a directory.
    pub fn is_directory(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// Whether it is a regular file.
    pub fn is_regular(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }

    /// Whether it is a symbolic link.
    pub fn is_symlink(&self) -> bool {
        self.mode & S_IFMT == S_IFLNK
    }

    /// The kind byte of an entry that names it.
    pub fn entry_kind(&self) -> u8 {
        if self.is_directory() {
            KIND_DIRECTORY
        } else if self.is_symlink() {
            KIND_SYMLINK
        } else {
            KIND_REGULAR
        }
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
    /// An entry naming `ino`, of kind `kind`, as `name` (at most [`NAME_MAX`] bytes: the
    /// callers check, and a longer name would be cut short).
    pub fn new(ino: u32, kind: u8, name: &[u8]) -> Entry {
        let mut bytes = [0u8; NAME_MAX];
        for (byte, &b) in bytes.iter_mut().zip(name) {
            *byte = b;
        }
        Entry {
            ino,
            kind,
            name_len: name.len().min(NAME_MAX) as u8,
            name: bytes,
        }
    }

    /// Decodes an entry's 64 bytes.
    pub fn decode(bytes: &[u8; ENTRY_SIZE]) -> Entry {
        let [i0, i1, i2, i3, name_len, kind, _, _, name @ ..] = *bytes;
        Entry {
            ino: u32::from_le_bytes([i0, i1, i2, i3]),
            name_len,
            kind,
            name,
        }
    }

    /// Writes its 64 bytes into `bytes`.
    pub fn encode(&self, bytes: &mut [u8; ENTRY_SIZE]) {
        *bytes = [0; ENTRY_SIZE];
        set_field(bytes, 0, self.ino.to_le_bytes());
        bytes[4] = self.name_len;
        bytes[5] = self.kind;
        set_field(bytes, 8, self.name);
    }

    /// Its name (clamped to the field, for a corrupt length).
    pub fn name(&self) -> &[u8] {
        self.name
            .get(..usize::from(self.name_len))
            .unwrap_or(&self.name)
    }

    /// Whether the entry follows the rules for a name in a directory (not `.` or `..`, which
    /// only slots 0 and 1 hold).
    pub fn is_well_formed(&self, bytes: &[u8; ENTRY_SIZE]) -> bool {
        let len = self.name_len as usize;
        (1..=NAME_MAX).contains(&len)
            && matches!(self.kind, KIND_REGULAR | KIND_DIRECTORY | KIND_SYMLINK)
            && bytes[6] == 0
            && bytes[7] == 0
            && self
                .name
                .get(len..)
                .is_some_and(|rest| rest.iter().all(|&b| b == 0))
    }
}

/// Where slot `slot` of a directory is: (the directory's block index, the entry in that block).
pub fn entry_place(slot: u64) -> (u64, usize) {
    /// Entries in a block, as a `u64` like the slots.
    const PER_BLOCK: u64 = ENTRIES_PER_BLOCK as u64;
    (slot / PER_BLOCK, (slot % PER_BLOCK) as usize)
}

/// The slot of the first entry in block `index` of a directory (the inverse of
/// [`entry_place`]).
pub fn first_slot(index: u64) -> u64 {
    index.saturating_mul(ENTRIES_PER_BLOCK as u64)
}

/// Entry `index` (0 to [`ENTRIES_PER_BLOCK`] - 1) of a directory block; `None` past the last.
pub fn entry_bytes(block: &Block, index: usize) -> Option<&[u8; ENTRY_SIZE]> {
    bytes_at(block, index.checked_mul(ENTRY_SIZE)?)
}

/// Entry `index` of a directory block, to change; `None` past the last.
pub fn entry_bytes_mut(block: &mut Block, index: usize) -> Option<&mut [u8; ENTRY_SIZE]> {
    bytes_at_mut(block, index.checked_mul(ENTRY_SIZE)?)
}

/// Every entry of a directory block, in slot order.
pub fn entries(block: &Block) -> impl Iterator<Item = &[u8; ENTRY_SIZE]> {
    // `chunks_exact` cuts exactly ENTRY_SIZE bytes, so every conversion succeeds.
    block
        .chunks_exact(ENTRY_SIZE)
        .filter_map(|bytes| bytes.try_into().ok())
}

/// Every entry of a directory block, in slot order, to change.
pub fn entries_mut(block: &mut Block) -> impl Iterator<Item = &mut [u8; ENTRY_SIZE]> {
    block
        .chunks_exact_mut(ENTRY_SIZE)
        .filter_map(|bytes| bytes.try_into().ok())
}

/// A new directory's first block: `.` naming the directory `ino`, `..` naming `parent`, and
/// empty slots.
pub fn directory_block(ino: u32, parent: u32) -> Block {
    let mut block = ZERO_BLOCK;
    let dots = [
        Entry::new(ino, KIND_DIRECTORY, b"."),
        Entry::new(parent, KIND_DIRECTORY, b".."),
    ];
    for (bytes, entry) in entries_mut(&mut block).zip(dots) {
        entry.encode(bytes);
    }
    block
}

/// Pointer `slot` of an indirect block; `None` past its [`POINTERS_PER_BLOCK`].
pub fn pointer_at(block: &Block, slot: usize) -> Option<u32> {
    get32(block, slot.checked_mul(4)?)
}

/// Sets pointer `slot` of an indirect block; `None` (and nothing written) past the last.
pub fn set_pointer_at(block: &mut Block, slot: usize, value: u32) -> Option<()> {
    put32(block, slot.checked_mul(4)?, value)
}

/// Which pointer maps block `index` of a file: one of the inode's own, one in the indirect
/// block, or one in an indirect block that the double indirect block lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    /// `direct[i]`.
    Direct(usize),
    /// Pointer `i` of the indirect block.
    Indirect(usize),
    /// Pointer `j` of the indirect block that is pointer `i` of the double indirect block.
    Double(usize, usize),
}

impl Mapping {
    /// Where file block `index` is mapped; `None` past [`MAX_FILE_BLOCKS`].
    pub fn of(index: u64) -> Option<Mapping> {
        /// Pointers in an indirect block, as a `usize` like the slots.
        const PER_BLOCK: usize = POINTERS_PER_BLOCK as usize;
        let index = usize::try_from(index).ok()?;
        if index < DIRECT {
            return Some(Mapping::Direct(index));
        }
        let rest = index.checked_sub(DIRECT)?;
        if rest < PER_BLOCK {
            return Some(Mapping::Indirect(rest));
        }
        let rest = rest.checked_sub(PER_BLOCK)?;
        let (i, j) = (rest / PER_BLOCK, rest % PER_BLOCK);
        (i < PER_BLOCK).then_some(Mapping::Double(i, j))
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
        let stored = u32::from_le_bytes(field(block, LOG_CHECKSUM));
        let computed = crc32(&block[..LOG_CHECKSUM]);
        if stored != computed {
            return Err(Violation::new(
                "bad-log-header",
                format!("header checksum stored {stored:#010x}, computed {computed:#010x}"),
            ));
        }
        let count = u32::from_le_bytes(field(block, 16));
        if count > sb.log_capacity() {
            return Err(Violation::new(
                "log-does-not-replay",
                format!("{count} blocks in a log of {} slots", sb.log_capacity()),
            ));
        }
        let area = &block[LOG_TARGETS..LOG_CHECKSUM];
        let mut targets = Vec::with_capacity(count as usize);
        targets.extend(words(area).take(count as usize));
        if targets.len() != count as usize {
            // Only a superblock whose log is larger than the rules allow gets here.
            return Err(Violation::new(
                "log-does-not-replay",
                format!("{count} blocks, but a header holds {MAX_LOG_COUNT}"),
            ));
        }
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
        let mut sorted = targets.clone();
        sorted.sort_unstable();
        let mut neighbours = sorted.iter().zip(sorted.iter().skip(1));
        if let Some((twice, _)) = neighbours.find(|(a, b)| a == b) {
            return Err(Violation::new(
                "log-does-not-replay",
                format!("block {twice} is a target twice"),
            ));
        }
        if words(area).skip(targets.len()).any(|word| word != 0) {
            return Err(Violation::new(
                "bad-log-header",
                String::from("reserved bytes after the targets are not zero"),
            ));
        }
        Ok(LogHeader {
            sequence: u64::from_le_bytes(field(block, 8)),
            data_checksum: u32::from_le_bytes(field(block, 20)),
            targets,
        })
    }

    /// The header block's bytes. At most [`MAX_LOG_COUNT`] targets fit; the journal never
    /// commits more.
    pub fn encode(&self) -> Block {
        let mut block = ZERO_BLOCK;
        set_field(&mut block, 0, LOG_MAGIC);
        set_field(&mut block, 8, self.sequence.to_le_bytes());
        set_field(&mut block, 16, (self.targets.len() as u32).to_le_bytes());
        set_field(&mut block, 20, self.data_checksum.to_le_bytes());
        let slots = block[LOG_TARGETS..LOG_CHECKSUM].chunks_exact_mut(4);
        for (slot, target) in slots.zip(&self.targets) {
            slot.copy_from_slice(&target.to_le_bytes());
        }
        let checksum = crc32(&block[..LOG_CHECKSUM]);
        set_field(&mut block, LOG_CHECKSUM, checksum.to_le_bytes());
        block
    }
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "tests of known inputs: a panic here is a failed test"
)]
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
    fn reads_past_the_end_are_none() {
        let bytes = [1u8, 2, 3, 4, 5];
        assert_eq!(get32(&bytes, 1), Some(0x0504_0302));
        assert_eq!(get32(&bytes, 2), None);
        assert_eq!(get64(&bytes, usize::MAX), None);
        assert_eq!(put16(&mut [0u8; 3], 2, 7), None);
        assert!(entry_bytes(&ZERO_BLOCK, ENTRIES_PER_BLOCK - 1).is_some());
        assert!(entry_bytes(&ZERO_BLOCK, ENTRIES_PER_BLOCK).is_none());
        assert!(pointer_at(&ZERO_BLOCK, POINTERS_PER_BLOCK as usize).is_none());
        let sb = Superblock::for_size(1024, None, None).unwrap();
        assert_eq!(sb.inode_place(0), None);
        assert_eq!(sb.inode_place(sb.inode_count + 1), None);
        assert_eq!(
            sb.inode_place(sb.inode_count),
            Some((sb.data_start - 1, BLOCK_SIZE - INODE_SIZE))
        );
    }

    #[test]
    fn mapping_covers_each_level_and_stops_at_the_largest_file() {
        let per = POINTERS_PER_BLOCK as usize;
        assert_eq!(Mapping::of(0), Some(Mapping::Direct(0)));
        assert_eq!(Mapping::of(11), Some(Mapping::Direct(11)));
        assert_eq!(Mapping::of(FIRST_INDIRECT), Some(Mapping::Indirect(0)));
        assert_eq!(
            Mapping::of(FIRST_DOUBLE - 1),
            Some(Mapping::Indirect(per - 1))
        );
        assert_eq!(Mapping::of(FIRST_DOUBLE), Some(Mapping::Double(0, 0)));
        assert_eq!(
            Mapping::of(FIRST_DOUBLE + POINTERS_PER_BLOCK + 5),
            Some(Mapping::Double(1, 5))
        );
        assert_eq!(
            Mapping::of(MAX_FILE_BLOCKS - 1),
            Some(Mapping::Double(per - 1, per - 1))
        );
        assert_eq!(Mapping::of(MAX_FILE_BLOCKS), None);
        assert_eq!(Mapping::of(u64::MAX), None);
        assert_eq!(entry_place(first_slot(3) + 5), (3, 5));
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
