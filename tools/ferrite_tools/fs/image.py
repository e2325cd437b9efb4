"""Reading an image file: its superblock, its log replayed in memory, inodes, files, directories.

Everything that reads an image starts the way the kernel's mount does: check the superblock,
then replay a committed log transaction, because until that is done the blocks on disk may be
half of a change. The host tools only look, so the replay never touches the file. It goes into
an overlay (block number to contents) that every later read consults first, which is also why
fsck can report "replayed 3 blocks" and still leave the image exactly as it found it.

Blocks are read one at a time with `pread`, as they are needed: a fsck of a 1 GiB image reads
its few megabytes of metadata, not the gigabyte.

The first half (the superblock and the log) is shared by fsck, which reports what is wrong, and
by `open_checked`, which the listing and extracting commands use and which refuses an image fsck
would refuse at that level. The second half is a plain reader for those commands, which trusts
nothing it reads but stops at the first problem instead of cataloguing them, as fsck does.
"""

from __future__ import annotations

import dataclasses
import os
import zlib
from pathlib import Path
from types import TracebackType
from typing import Iterator

from ferrite_tools.errors import FerriteError, InvalidData
from ferrite_tools.fs import layout
from ferrite_tools.fs.layout import BLOCK_SIZE, DirEntry, Inode, LogHeader, Superblock
from ferrite_tools.fs.rules import Rule, Violation


class Image:
    """An image file opened for reading, with a replayed log transaction laid over it."""

    def __init__(self, path: Path, fd: int, size: int) -> None:
        self.path = path
        self._fd = fd
        #: Whole blocks in the file; a partial last block is not part of any file system.
        self.blocks = size // BLOCK_SIZE
        #: Blocks as the log's committed transaction leaves them.
        self.overlay: dict[int, bytes] = {}

    @classmethod
    def open(cls, path: Path) -> Image:
        """Opens `path`. Raises FerriteError if it cannot be read or is smaller than one block."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise FerriteError(f"{path}: no such image") from None
        except OSError as e:
            raise FerriteError(f"{path}: cannot open it ({e.strerror})") from e
        size = os.fstat(fd).st_size
        if size < BLOCK_SIZE:
            os.close(fd)
            raise FerriteError(f"{path}: {size} bytes, less than one {BLOCK_SIZE}-byte block; not a file system image")
        return cls(path, fd, size)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Image:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def read(self, number: int) -> bytes:
        """Block `number` as the replayed log leaves it."""
        replayed = self.overlay.get(number)
        if replayed is not None:
            return replayed
        if not 0 <= number < self.blocks:
            raise InvalidData(f"{self.path}: block {number} is past the end of the image ({self.blocks} blocks)")
        try:
            data = os.pread(self._fd, BLOCK_SIZE, number * BLOCK_SIZE)
        except OSError as e:
            raise FerriteError(f"{self.path}: cannot read block {number} ({e.strerror})") from e
        # The file may shrink under us; what is gone reads as zeros rather than as a short block.
        return data.ljust(BLOCK_SIZE, b"\0")


# --- the superblock and the log: what decides whether an image can be read at all -------------


def check_superblock(block0: bytes, image_blocks: int) -> tuple[Superblock | None, list[Violation]]:
    """The superblock if the rest of the image can be read through it, and what is wrong with it.

    Magic, version and checksum come first and each stops the check: past a wrong one the other
    fields mean nothing. Geometry problems are all listed, and also make the superblock unusable.
    Non-zero reserved bytes are listed but leave it usable, since every field can still be trusted.
    """
    sb = Superblock.unpack(block0)
    if sb.magic != layout.MAGIC:
        return None, [Violation(Rule.BAD_MAGIC, f"the superblock starts with {sb.magic!r}, not {layout.MAGIC!r}")]
    if sb.version != layout.VERSION:
        return None, [Violation(Rule.BAD_VERSION, f"version {sb.version}; this tool reads version {layout.VERSION}")]
    computed = Superblock.computed_checksum(block0)
    if sb.checksum != computed:
        return None, [
            Violation(
                Rule.BAD_SUPERBLOCK_CHECKSUM,
                f"the superblock's checksum is {sb.checksum:#010x} but its bytes give {computed:#010x}",
            )
        ]
    problems: list[str] = []
    if sb.block_size != BLOCK_SIZE:
        problems.append(f"block_size is {sb.block_size}, not {BLOCK_SIZE}")
    if sb.block_count < layout.MIN_BLOCKS:
        problems.append(f"block_count {sb.block_count} is below the smallest file system ({layout.MIN_BLOCKS})")
    if sb.block_count > image_blocks:
        problems.append(f"block_count is {sb.block_count} but the image holds only {image_blocks} blocks")
    if sb.inode_count < 1:
        problems.append("inode_count is 0, so there is no root directory")
    if sb.log_start != layout.LOG_START:
        problems.append(f"log_start is {sb.log_start}, not {layout.LOG_START}")
    if not layout.MIN_LOG_BLOCKS <= sb.log_blocks <= layout.MAX_LOG_BLOCKS:
        problems.append(f"log_blocks is {sb.log_blocks}, not {layout.MIN_LOG_BLOCKS} to {layout.MAX_LOG_BLOCKS}")
    ib_blocks, bb_blocks, it_blocks = layout.region_sizes(sb.block_count, sb.inode_count)
    expected = (
        ("inode_bitmap_start", sb.inode_bitmap_start, sb.log_start + sb.log_blocks),
        ("inode_bitmap_blocks", sb.inode_bitmap_blocks, ib_blocks),
        ("block_bitmap_start", sb.block_bitmap_start, sb.inode_bitmap_start + sb.inode_bitmap_blocks),
        ("block_bitmap_blocks", sb.block_bitmap_blocks, bb_blocks),
        ("inode_table_start", sb.inode_table_start, sb.block_bitmap_start + sb.block_bitmap_blocks),
        ("inode_table_blocks", sb.inode_table_blocks, it_blocks),
        ("data_start", sb.data_start, sb.inode_table_start + sb.inode_table_blocks),
    )
    for field, value, should in expected:
        if value != should:
            problems.append(f"{field} is {value}, not {should}")
    if sb.data_start >= sb.block_count:
        problems.append(f"data_start {sb.data_start} leaves no data blocks below block_count {sb.block_count}")
    if sb.root != layout.ROOT_INODE:
        problems.append(f"root is {sb.root}, not {layout.ROOT_INODE}")
    violations = [Violation(Rule.BAD_GEOMETRY, problem) for problem in problems]
    if any(sb.reserved):
        low, high = layout.SUPERBLOCK_RESERVED
        violations.append(Violation(Rule.BAD_GEOMETRY, f"superblock bytes {low} to {high - 1} (reserved) are not zero"))
    if any(block0[layout.SUPERBLOCK.size :]):
        violations.append(
            Violation(Rule.BAD_GEOMETRY, f"block 0 past byte {layout.SUPERBLOCK.size - 1} (reserved) is not zero")
        )
    return (None if problems else sb), violations


@dataclasses.dataclass(frozen=True)
class LogState:
    """What the log held."""

    #: The number of the last committed transaction.
    sequence: int
    #: Blocks copied from the log into the overlay (0 if nothing was committed and not installed).
    replayed: int
    #: The slots held a transaction that never committed (their checksum did not match); ignored.
    stale: bool


def check_log(image: Image, sb: Superblock) -> tuple[LogState | None, list[Violation]]:
    """Checks the log header and replays a committed transaction into `image.overlay`.

    Returns the log's state, or None and the violations if the log refuses the file system.
    """
    block = image.read(sb.log_start)
    header = LogHeader.unpack(block)
    if header.magic != layout.LOG_MAGIC:
        return None, [Violation(Rule.BAD_LOG_HEADER, f"the log header starts with {header.magic!r}, not FERRLOG1")]
    computed = LogHeader.computed_checksum(block)
    if header.checksum != computed:
        wrong = f"the log header's checksum is {header.checksum:#010x} but its bytes give {computed:#010x}"
        return None, [Violation(Rule.BAD_LOG_HEADER, wrong)]
    violations: list[Violation] = []

    def refuse(problem: str) -> None:
        violations.append(Violation(Rule.LOG_DOES_NOT_REPLAY, problem))

    limit = min(sb.log_blocks - 1, layout.MAX_LOG_TARGETS)
    if header.count > limit:
        refuse(f"the log header's count is {header.count}, more than the log's {limit} slots")
    else:
        seen: set[int] = set()
        for slot, target in enumerate(header.targets):
            if not sb.inode_bitmap_start <= target < sb.block_count:
                allowed = f"{sb.inode_bitmap_start} to {sb.block_count - 1}"
                refuse(f"log slot {slot} targets block {target}, outside {allowed}")
            elif target in seen:
                refuse(f"log slot {slot} targets block {target}, as an earlier slot does")
            seen.add(target)
        if any(LogHeader.reserved_bytes(block, header.count)):
            reserved = "the log header's bytes after the targets (reserved) are not zero"
            violations.append(Violation(Rule.BAD_LOG_HEADER, reserved))
    if violations:
        return None, violations
    slots = [image.read(sb.log_start + 1 + slot) for slot in range(header.count)]
    crc = 0
    for data in slots:
        crc = zlib.crc32(data, crc)
    if header.count == 0 or crc != header.data_checksum:
        return LogState(header.sequence, 0, stale=header.count != 0), []
    for target, data in zip(header.targets, slots):
        image.overlay[target] = data
    return LogState(header.sequence, header.count, stale=False), []


def open_checked(path: Path) -> tuple[Image, Superblock]:
    """Opens an image for reading, its log replayed in memory. Raises FerriteError, in one sentence,
    if fsck would refuse it at the superblock or the log."""
    image = Image.open(path)
    try:
        sb, problems = check_superblock(image.read(0), image.blocks)
        if sb is not None and not problems:
            _, problems = check_log(image, sb)
    except BaseException:
        image.close()
        raise
    if problems or sb is None:
        image.close()
        first = problems[0]
        raise FerriteError(f"{path}: not a usable Ferrite file system ({first}); ./x.py fsck {path} says more")
    return image, sb


# --- a plain reader, for listing and extracting ------------------------------------------------


class Reader:
    """Inodes, files and directories of a checked image. Raises FerriteError at the first thing
    that does not make sense (it never loops or reads outside the file system)."""

    def __init__(self, image: Image, sb: Superblock) -> None:
        self.image = image
        self.sb = sb

    def _broken(self, what: str) -> FerriteError:
        return InvalidData(f"{self.image.path}: {what}; ./x.py fsck {self.image.path} says more")

    def inode(self, number: int) -> Inode:
        if not 1 <= number <= self.sb.inode_count:
            raise self._broken(f"inode {number} is outside 1 to {self.sb.inode_count}")
        block, offset = self.sb.inode_location(number)
        inode = Inode.unpack(self.image.read(block), offset)
        if inode.mode == 0:
            raise self._broken(f"inode {number} is named by an entry but free")
        if not inode.has_valid_type:
            raise self._broken(f"inode {number} is not a regular file, directory or link (mode {inode.mode:#o})")
        if inode.size > layout.MAX_FILE_SIZE:
            raise self._broken(f"inode {number} has size {inode.size}, more than the largest file")
        return inode

    def _pointer(self, number: int, pointer: int, what: str) -> int:
        if pointer and not self.sb.data_start <= pointer < self.sb.block_count:
            raise self._broken(f"inode {number}'s {what} points at block {pointer}, outside the data region")
        return pointer

    def block_map(self, number: int, inode: Inode) -> dict[int, int]:
        """File block index to block number, for the blocks inside `size` that are not holes."""
        span = inode.block_span
        found: dict[int, int] = {}
        for index, pointer in enumerate(inode.direct[:span]):
            if self._pointer(number, pointer, f"block {index}"):
                found[index] = pointer
        if span > layout.FIRST_INDIRECT and self._pointer(number, inode.indirect, "indirect block"):
            self._map_indirect(number, inode.indirect, layout.FIRST_INDIRECT, span, found)
        if span > layout.FIRST_DOUBLE and self._pointer(number, inode.double_indirect, "double indirect block"):
            for slot, pointer in enumerate(layout.pointers(self.image.read(inode.double_indirect))):
                first = layout.FIRST_DOUBLE + slot * layout.POINTERS_PER_BLOCK
                if first >= span:
                    break
                if self._pointer(number, pointer, f"indirect block {slot}"):
                    self._map_indirect(number, pointer, first, span, found)
        return found

    def _map_indirect(self, number: int, block: int, first: int, span: int, found: dict[int, int]) -> None:
        for slot, pointer in enumerate(layout.pointers(self.image.read(block))):
            index = first + slot
            if index >= span:
                break
            if self._pointer(number, pointer, f"block {index}"):
                found[index] = pointer

    def chunks(self, number: int, inode: Inode) -> Iterator[bytes | int]:
        """A file's contents in order: a block's bytes, or the length of a hole (which reads as zeros)."""
        mapped = self.block_map(number, inode)
        for index in range(inode.block_span):
            length = min(BLOCK_SIZE, inode.size - index * BLOCK_SIZE)
            block = mapped.get(index)
            yield length if block is None else self.image.read(block)[:length]

    def entries(self, number: int, inode: Inode) -> list[DirEntry]:
        """A directory's entries in order, empty slots left out."""
        if inode.size % BLOCK_SIZE:
            raise self._broken(f"directory inode {number} has size {inode.size}, not a whole number of blocks")
        found: list[DirEntry] = []
        for chunk in self.chunks(number, inode):
            if isinstance(chunk, int):
                raise self._broken(f"directory inode {number} has a hole")
            for offset in range(0, BLOCK_SIZE, layout.DIR_ENTRY.size):
                entry = DirEntry.unpack(chunk, offset)
                if entry.inode:
                    found.append(entry)
        return found
