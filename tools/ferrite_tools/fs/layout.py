"""The bytes of a Ferrite disk: constants, the four on-disk records, bitmaps and mkfs's geometry.

docs/disk-format.md is the contract; this module is that page turned into Python and nothing
more, so a reader can hold the two side by side. Each record is a frozen dataclass whose
`unpack` keeps every field as it was on disk, reserved bytes and stored checksums included:
fsck has to see what is wrong, so nothing is normalised or validated on the way in. `pack`
writes a record back with its checksum computed, which is what mkfs and the tests (building
a corrupt image on purpose) both want.

The records are fixed-size little-endian structures, so each is one `struct.Struct` whose format
string follows the page's table field by field.
"""

from __future__ import annotations

import dataclasses
import stat
import struct
import zlib
from typing import NamedTuple

from ferrite_tools.errors import FerriteError

#: Every block, and so every region, is this many bytes.
BLOCK_SIZE = 4096
#: The superblock's first eight bytes.
MAGIC = b"FERRITFS"
#: The only version of the format there is.
VERSION = 1
#: The superblock's block, and the log's first block.
SUPERBLOCK_BLOCK = 0
LOG_START = 1
#: The root directory's inode.
ROOT_INODE = 1
#: The smallest and largest file systems, in blocks.
MIN_BLOCKS = 64
MAX_BLOCKS = 2**32 - 1
#: The largest value of a 32-bit field (inode and block numbers, counts).
U32_MAX = 2**32 - 1
#: A bitmap block holds this many bits.
BITS_PER_BLOCK = BLOCK_SIZE * 8

# --- superblock ---------------------------------------------------------------------------------

#: magic, version, block_size, block_count, inode_count, log_start, log_blocks,
#: inode_bitmap_start, inode_bitmap_blocks, block_bitmap_start, block_bitmap_blocks,
#: inode_table_start, inode_table_blocks, data_start, root, reserved, checksum.
SUPERBLOCK = struct.Struct("<8s14I60sI")
#: The checksum covers the bytes before it.
SUPERBLOCK_CHECKED = SUPERBLOCK.size - 4
#: Bytes 64..123 of the superblock are reserved (and covered by the checksum).
SUPERBLOCK_RESERVED = (64, 124)

# --- log ----------------------------------------------------------------------------------------

#: The log header's first eight bytes.
LOG_MAGIC = b"FERRLOG1"
#: magic, sequence, count, data_checksum; the targets follow.
LOG_HEADER = struct.Struct("<8sQII")
#: Where the header's own checksum is, and so how many bytes it covers.
LOG_CHECKSUM_OFFSET = BLOCK_SIZE - 4
#: The targets that fit between the fixed fields and the checksum: (4092 - 24) / 4.
MAX_LOG_TARGETS = (LOG_CHECKSUM_OFFSET - LOG_HEADER.size) // 4
#: The superblock's bounds on `log_blocks`: a header and 31 slots at least (room for the
#: kernel's largest single operation, twice over), and no more slots than the header has targets.
MIN_LOG_BLOCKS = 32
MAX_LOG_BLOCKS = MAX_LOG_TARGETS + 1

# --- inodes -------------------------------------------------------------------------------------

INODE_SIZE = 128
INODES_PER_BLOCK = BLOCK_SIZE // INODE_SIZE
#: mode, links, reserved, size, modified, changed, direct[12], indirect, double_indirect, reserved.
INODE = struct.Struct("<HHIQQQ12III40s")
#: The type bits of `mode`, and the two types the format has.
TYPE_MASK = stat.S_IFMT(0o177777)
S_IFREG = stat.S_IFREG
S_IFDIR = stat.S_IFDIR
S_IFLNK = stat.S_IFLNK
#: The longest path a symbolic link holds (Linux's PATH_MAX less its NUL): one block at most.
MAX_LINK_TARGET = 4095
#: The permission bits of `mode` (setuid, setgid and sticky included).
PERM_MASK = 0o7777
#: Block numbers in `direct`, and in an indirect block.
DIRECT_POINTERS = 12
POINTERS_PER_BLOCK = BLOCK_SIZE // 4
POINTER_BLOCK = struct.Struct(f"<{POINTERS_PER_BLOCK}I")
#: The first file block mapped through `indirect`, then through `double_indirect`.
FIRST_INDIRECT = DIRECT_POINTERS
FIRST_DOUBLE = FIRST_INDIRECT + POINTERS_PER_BLOCK
#: The largest file, in blocks (1,049,612) and in bytes.
MAX_FILE_BLOCKS = FIRST_DOUBLE + POINTERS_PER_BLOCK * POINTERS_PER_BLOCK
MAX_FILE_SIZE = MAX_FILE_BLOCKS * BLOCK_SIZE

# --- directories --------------------------------------------------------------------------------

#: inode, name_len, kind, reserved, name.
DIR_ENTRY = struct.Struct("<IBBH56s")
ENTRIES_PER_BLOCK = BLOCK_SIZE // DIR_ENTRY.size
MAX_NAME_LEN = 56
#: `kind` of an entry naming a regular file, a directory, and a symbolic link.
KIND_FILE = 1
KIND_DIR = 2
KIND_LINK = 3

# --- mkfs's defaults ----------------------------------------------------------------------------

#: One inode per this many bytes of disk, and never fewer than MIN_INODES.
BYTES_PER_INODE = 16 * 1024
MIN_INODES = 64
#: The log is this many blocks (1 MiB) ...
DEFAULT_LOG_BLOCKS = 256
#: ... except on disks smaller than this, where it is an eighth of the disk.
SMALL_DISK = 8 * 1024 * 1024


def crc32(data: bytes) -> int:
    """CRC-32 as zlib and Ethernet compute it; `crc32(b"123456789") == 0xCBF43926`."""
    return zlib.crc32(data) & 0xFFFFFFFF


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Superblock:
    """Block 0: where every region is. Nothing writes it after mkfs. Fields in the page's order."""

    magic: bytes = MAGIC
    version: int = VERSION
    block_size: int = BLOCK_SIZE
    block_count: int
    inode_count: int
    log_start: int = LOG_START
    log_blocks: int
    inode_bitmap_start: int
    inode_bitmap_blocks: int
    block_bitmap_start: int
    block_bitmap_blocks: int
    inode_table_start: int
    inode_table_blocks: int
    data_start: int
    root: int = ROOT_INODE
    reserved: bytes = dataclasses.field(default=bytes(SUPERBLOCK_RESERVED[1] - SUPERBLOCK_RESERVED[0]), repr=False)
    #: As stored; `pack` ignores it and writes the right one.
    checksum: int = 0

    def pack(self) -> bytes:
        """The whole of block 0, checksum computed, the rest of the block zero."""
        head = SUPERBLOCK.pack(
            self.magic,
            self.version,
            self.block_size,
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
            self.root,
            self.reserved,
            0,
        )[:SUPERBLOCK_CHECKED]
        head += crc32(head).to_bytes(4, "little")
        return head + bytes(BLOCK_SIZE - len(head))

    @classmethod
    def unpack(cls, block: bytes) -> Superblock:
        """The fields of block 0 as they are, checksum included (compare it with `computed_checksum`)."""
        (magic, version, block_size, block_count, inode_count, log_start, log_blocks, ib_start, ib_blocks,
         bb_start, bb_blocks, it_start, it_blocks, data_start, root, reserved, checksum) = SUPERBLOCK.unpack_from(block)
        return cls(
            block_count=block_count,
            inode_count=inode_count,
            log_blocks=log_blocks,
            inode_bitmap_start=ib_start,
            inode_bitmap_blocks=ib_blocks,
            block_bitmap_start=bb_start,
            block_bitmap_blocks=bb_blocks,
            inode_table_start=it_start,
            inode_table_blocks=it_blocks,
            data_start=data_start,
            magic=magic,
            version=version,
            block_size=block_size,
            log_start=log_start,
            root=root,
            reserved=reserved,
            checksum=checksum,
        )

    @staticmethod
    def computed_checksum(block: bytes) -> int:
        return crc32(block[:SUPERBLOCK_CHECKED])

    def inode_location(self, number: int) -> tuple[int, int]:
        """The block holding inode `number` (1-based) and its byte offset there."""
        index = number - 1
        return self.inode_table_start + index // INODES_PER_BLOCK, (index % INODES_PER_BLOCK) * INODE_SIZE


def region_sizes(block_count: int, inode_count: int) -> tuple[int, int, int]:
    """The blocks of the inode bitmap, the block bitmap and the inode table, as the page defines them.
    The inode bitmap has a bit for the inode 0 that does not exist, hence the + 1."""
    return (
        ceil_div(inode_count + 1, BITS_PER_BLOCK),
        ceil_div(block_count, BITS_PER_BLOCK),
        ceil_div(inode_count, INODES_PER_BLOCK),
    )


def default_inodes(block_count: int) -> int:
    return max(MIN_INODES, block_count * BLOCK_SIZE // BYTES_PER_INODE)


def default_log_blocks(block_count: int) -> int:
    if block_count * BLOCK_SIZE < SMALL_DISK:
        return max(block_count // 8, MIN_LOG_BLOCKS)
    return DEFAULT_LOG_BLOCKS


def geometry(block_count: int, *, inodes: int | None = None, log_blocks: int | None = None) -> Superblock:
    """The superblock mkfs writes for a file system of `block_count` blocks, with the page's
    defaults for whatever is not given. Raises FerriteError when no valid layout fits."""
    if not MIN_BLOCKS <= block_count <= MAX_BLOCKS:
        raise FerriteError(
            f"a file system has {MIN_BLOCKS} to {MAX_BLOCKS} blocks of {BLOCK_SIZE} bytes, not {block_count} "
            f"(the smallest is {MIN_BLOCKS * BLOCK_SIZE // 1024} KiB)"
        )
    inode_count = default_inodes(block_count) if inodes is None else inodes
    log = default_log_blocks(block_count) if log_blocks is None else log_blocks
    if not 1 <= inode_count <= U32_MAX:
        raise FerriteError(f"the inode count must be 1 to {U32_MAX}, not {inode_count}")
    if not MIN_LOG_BLOCKS <= log <= MAX_LOG_BLOCKS:
        raise FerriteError(f"the log must be {MIN_LOG_BLOCKS} to {MAX_LOG_BLOCKS} blocks, not {log}")
    ib_blocks, bb_blocks, it_blocks = region_sizes(block_count, inode_count)
    ib_start = LOG_START + log
    bb_start = ib_start + ib_blocks
    it_start = bb_start + bb_blocks
    data_start = it_start + it_blocks
    # The root directory needs one data block.
    if data_start >= block_count:
        raise FerriteError(
            f"{inode_count} inodes and a log of {log} blocks leave no data blocks in {block_count} blocks "
            f"(the metadata alone takes {data_start}); give fewer inodes or a larger size"
        )
    return Superblock(
        block_count=block_count,
        inode_count=inode_count,
        log_blocks=log,
        inode_bitmap_start=ib_start,
        inode_bitmap_blocks=ib_blocks,
        block_bitmap_start=bb_start,
        block_bitmap_blocks=bb_blocks,
        inode_table_start=it_start,
        inode_table_blocks=it_blocks,
        data_start=data_start,
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Inode:
    """One 128-byte inode. A free inode is all zeros, which is what `Inode()` packs to."""

    mode: int = 0
    links: int = 0
    #: Bytes 4..7, as stored.
    reserved_low: int = 0
    size: int = 0
    modified: int = 0
    changed: int = 0
    direct: tuple[int, ...] = (0,) * DIRECT_POINTERS
    indirect: int = 0
    double_indirect: int = 0
    #: Bytes 88..127, as stored.
    reserved_high: bytes = dataclasses.field(default=bytes(40), repr=False)

    def pack(self) -> bytes:
        return INODE.pack(
            self.mode,
            self.links,
            self.reserved_low,
            self.size,
            self.modified,
            self.changed,
            *self.direct,
            self.indirect,
            self.double_indirect,
            self.reserved_high,
        )

    @classmethod
    def unpack(cls, raw: bytes, offset: int = 0) -> Inode:
        fields = INODE.unpack_from(raw, offset)
        mode, links, reserved_low, size, modified, changed = fields[:6]
        direct = tuple(fields[6 : 6 + DIRECT_POINTERS])
        indirect, double_indirect, reserved_high = fields[6 + DIRECT_POINTERS :]
        return cls(
            mode=mode,
            links=links,
            reserved_low=reserved_low,
            size=size,
            modified=modified,
            changed=changed,
            direct=direct,
            indirect=indirect,
            double_indirect=double_indirect,
            reserved_high=reserved_high,
        )

    @property
    def file_type(self) -> int:
        return self.mode & TYPE_MASK

    @property
    def is_dir(self) -> bool:
        return self.file_type == S_IFDIR

    @property
    def is_file(self) -> bool:
        return self.file_type == S_IFREG

    @property
    def is_link(self) -> bool:
        return self.file_type == S_IFLNK

    @property
    def has_valid_type(self) -> bool:
        """A regular file, a directory or a symbolic link: the three kinds the format has."""
        return self.is_file or self.is_dir or self.is_link

    @property
    def block_span(self) -> int:
        """How many file blocks `size` covers (⌈size / 4096⌉); every block from here on is a hole."""
        return ceil_div(self.size, BLOCK_SIZE)


class BlockPath(NamedTuple):
    """Where the pointer to one block of a file lives.

    depth 0: `direct[first]`; depth 1: entry `first` of the indirect block; depth 2: entry
    `second` of the indirect block that is entry `first` of the double indirect block."""

    depth: int
    first: int
    second: int = 0


def block_path(index: int) -> BlockPath:
    """Which pointer maps block `index` of a file. Raises ValueError past the largest file."""
    if index < 0 or index >= MAX_FILE_BLOCKS:
        raise ValueError(f"block {index} is outside a file (0 to {MAX_FILE_BLOCKS - 1})")
    if index < FIRST_INDIRECT:
        return BlockPath(0, index)
    if index < FIRST_DOUBLE:
        return BlockPath(1, index - FIRST_INDIRECT)
    first, second = divmod(index - FIRST_DOUBLE, POINTERS_PER_BLOCK)
    return BlockPath(2, first, second)


def pointers(block: bytes) -> tuple[int, ...]:
    """The 1,024 block numbers of an indirect (or double indirect) block."""
    return POINTER_BLOCK.unpack_from(block)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DirEntry:
    """One 64-byte directory entry, its fields as stored (`name_field` is all 56 bytes)."""

    inode: int
    name_len: int
    kind: int
    reserved: int = 0
    name_field: bytes

    @classmethod
    def named(cls, inode: int, name: bytes, kind: int) -> DirEntry:
        if not 1 <= len(name) <= MAX_NAME_LEN:
            raise ValueError(f"a name is 1 to {MAX_NAME_LEN} bytes, not {len(name)}")
        return cls(inode=inode, name_len=len(name), kind=kind, name_field=name.ljust(MAX_NAME_LEN, b"\0"))

    @property
    def name(self) -> bytes:
        """The `name_len` bytes that are the name."""
        return self.name_field[: self.name_len]

    def pack(self) -> bytes:
        return DIR_ENTRY.pack(self.inode, self.name_len, self.kind, self.reserved, self.name_field)

    @classmethod
    def unpack(cls, raw: bytes, offset: int = 0) -> DirEntry:
        inode, name_len, kind, reserved, name_field = DIR_ENTRY.unpack_from(raw, offset)
        return cls(inode=inode, name_len=name_len, kind=kind, reserved=reserved, name_field=name_field)


def kind_of(mode: int) -> int:
    """The entry `kind` that names an inode of this mode (0 if the format has no such type)."""
    return {S_IFREG: KIND_FILE, S_IFDIR: KIND_DIR, S_IFLNK: KIND_LINK}.get(mode & TYPE_MASK, 0)


@dataclasses.dataclass(frozen=True, kw_only=True)
class LogHeader:
    """Block `log_start`: the last committed transaction, if `count` is not 0."""

    magic: bytes = LOG_MAGIC
    sequence: int = 0
    count: int = 0
    data_checksum: int = 0
    targets: tuple[int, ...] = ()
    #: As stored; `pack` ignores it and writes the right one.
    checksum: int = 0

    def pack(self) -> bytes:
        if len(self.targets) > MAX_LOG_TARGETS:
            raise ValueError(f"a log header holds at most {MAX_LOG_TARGETS} targets")
        head = LOG_HEADER.pack(self.magic, self.sequence, self.count, self.data_checksum)
        head += b"".join(target.to_bytes(4, "little") for target in self.targets)
        head = head.ljust(LOG_CHECKSUM_OFFSET, b"\0")
        return head + crc32(head).to_bytes(4, "little")

    @classmethod
    def unpack(cls, block: bytes) -> LogHeader:
        """The header as stored. `targets` has `count` entries, or as many as fit if it is larger."""
        magic, sequence, count, data_checksum = LOG_HEADER.unpack_from(block)
        listed = min(count, MAX_LOG_TARGETS)
        targets = struct.unpack_from(f"<{listed}I", block, LOG_HEADER.size)
        checksum = int.from_bytes(block[LOG_CHECKSUM_OFFSET:BLOCK_SIZE], "little")
        return cls(
            magic=magic, sequence=sequence, count=count, data_checksum=data_checksum, targets=targets, checksum=checksum
        )

    @staticmethod
    def computed_checksum(block: bytes) -> int:
        return crc32(block[:LOG_CHECKSUM_OFFSET])

    @staticmethod
    def reserved_bytes(block: bytes, count: int) -> bytes:
        """The bytes after the targets, which must be zero."""
        return block[LOG_HEADER.size + 4 * min(count, MAX_LOG_TARGETS) : LOG_CHECKSUM_OFFSET]


# --- bitmaps ------------------------------------------------------------------------------------


def set_bits(bitmap: bytearray, start: int, end: int) -> None:
    """Sets bits `start` to `end - 1`: a byte at a time where it can, so millions of bits are cheap."""
    end = min(end, len(bitmap) * 8)
    while start < end and start % 8:
        bitmap[start // 8] |= 1 << (start % 8)
        start += 1
    whole_end = end - end % 8
    if start < whole_end:
        bitmap[start // 8 : whole_end // 8] = b"\xff" * ((whole_end - start) // 8)
        start = whole_end
    while start < end:
        bitmap[start // 8] |= 1 << (start % 8)
        start += 1


def reserved_inode_bits(sb: Superblock) -> tuple[tuple[int, int], ...]:
    """The inode bitmap's bits that are always set, as (start, end) ranges: inode 0's, and the padding."""
    return ((0, 1), (sb.inode_count + 1, sb.inode_bitmap_blocks * BITS_PER_BLOCK))


def reserved_block_bits(sb: Superblock) -> tuple[tuple[int, int], ...]:
    """The block bitmap's bits that are always set: the metadata's, and the padding."""
    return ((0, sb.data_start), (sb.block_count, sb.block_bitmap_blocks * BITS_PER_BLOCK))
