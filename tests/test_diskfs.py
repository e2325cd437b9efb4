"""The disk file system's host half: mkfs, fsck, listing and extracting (tools/ferrite_tools/fs/).

Images are small and sparse, so the whole file runs in a few seconds. The corruption tests build
one populated image, copy it, break one rule of docs/disk-format.md in one precise way with the
`Disk` helper below, and expect fsck to name that rule (and nothing else it does not have to).
`Disk` edits bytes through the layout records, so that a test reads "this field is wrong" rather
than "byte 4137 is 7"; the test of where the superblock's, the log header's, an inode's and an
entry's fields are reads them with its own struct formats instead, so that a mistake in the
layout records cannot hide behind itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Callable, NamedTuple

import pytest

from ferrite_tools import bootstrap, cli, setup
from ferrite_tools.errors import FerriteError
from ferrite_tools.fs import Report, Rule, extract, fsck, layout, list_tree, mkfs, parse_size, read_file
from ferrite_tools.fs.layout import BLOCK_SIZE, DirEntry, Inode, LogHeader, Superblock

#: The size of the populated image: 512 blocks, 128 inodes, a log of 64 blocks.
SIZE = 2 * 2**20
#: A pattern that does not repeat at block boundaries (251 is prime), so a block put in the wrong
#: place shows.
PATTERN = bytes(range(251))


def pattern(length: int, shift: int = 0) -> bytes:
    return ((PATTERN[shift % 251 :] + PATTERN[: shift % 251]) * (length // 251 + 1))[:length]


class Disk:
    """Raw access to an image, to read and corrupt it field by field."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sb = Superblock.unpack(self.block(0))

    def block(self, number: int) -> bytes:
        with self.path.open("rb") as image:
            image.seek(number * BLOCK_SIZE)
            return image.read(BLOCK_SIZE)

    def put(self, number: int, data: bytes, offset: int = 0) -> None:
        with self.path.open("r+b") as image:
            image.seek(number * BLOCK_SIZE + offset)
            image.write(data)

    def inode(self, number: int) -> Inode:
        block, offset = self.sb.inode_location(number)
        return Inode.unpack(self.block(block), offset)

    def put_inode(self, number: int, inode: Inode) -> None:
        block, offset = self.sb.inode_location(number)
        self.put(block, inode.pack(), offset)

    def change_inode(self, number: int, **changes: object) -> None:
        self.put_inode(number, dataclasses.replace(self.inode(number), **changes))  # type: ignore[arg-type]

    def slots(self, directory: int) -> list[tuple[int, int, DirEntry]]:
        """Every slot of a directory's first block: (block, offset, entry)."""
        block = self.inode(directory).direct[0]
        data = self.block(block)
        return [(block, offset, DirEntry.unpack(data, offset)) for offset in range(0, BLOCK_SIZE, 64)]

    def entry(self, directory: int, name: bytes) -> tuple[int, int, DirEntry]:
        return next(slot for slot in self.slots(directory) if slot[2].inode and slot[2].name == name)

    def free_slot(self, directory: int) -> tuple[int, int]:
        return next((block, offset) for block, offset, entry in self.slots(directory) if not entry.inode)

    def lookup(self, path: str) -> int:
        number = layout.ROOT_INODE
        for part in filter(None, path.split("/")):
            number = self.entry(number, part.encode())[2].inode
        return number

    def set_bit(self, region_start: int, index: int, value: bool) -> None:
        block = region_start + index // layout.BITS_PER_BLOCK
        offset = index % layout.BITS_PER_BLOCK // 8
        byte = self.block(block)[offset]
        mask = 1 << (index % 8)
        self.put(block, bytes([byte | mask if value else byte & ~mask]), offset)

    def put_log(self, header: LogHeader, slots: list[bytes]) -> None:
        for index, data in enumerate(slots):
            self.put(self.sb.log_start + 1 + index, data)
        self.put(self.sb.log_start, header.pack())


def build_tree(root: Path) -> dict[str, bytes]:
    """A host tree with nested directories, an empty file, a file of exactly one block, one that
    needs the indirect block, and several permissions. Returns path -> contents."""
    files = {
        "bin/hello": (pattern(100), 0o755),
        "etc/motd": (b"Welcome to Ferrite.\n", 0o644),
        "etc/empty": (b"", 0o600),
        "etc/deep/er/still": (b"deeper\n", 0o444),
        "data/exact": (pattern(BLOCK_SIZE, 1), 0o640),
        "data/indirect": (pattern(20 * BLOCK_SIZE + 123, 2), 0o700),
    }
    for name, (data, mode) in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)
    (root / "data").chmod(0o750)
    return {name: data for name, (data, _) in files.items()}


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An image made from `build_tree`; tests copy it before changing it."""
    base = tmp_path_factory.mktemp("populated")
    build_tree(base / "src")
    image = base / "populated.img"
    mkfs(image, SIZE, source=base / "src", directories=("dev", "tmp"))
    return image


@pytest.fixture
def disk(populated: Path, tmp_path: Path) -> Disk:
    copy = tmp_path / "disk.img"
    shutil.copyfile(populated, copy)
    return Disk(copy)


# --- the format's numbers --------------------------------------------------------------------


def test_crc_is_zlibs() -> None:
    assert layout.crc32(b"123456789") == 0xCBF43926


@pytest.mark.parametrize(
    ("size", "inodes", "log_blocks"),
    [(64 * BLOCK_SIZE, 64, 32), (4 * 2**20, 256, 128), (8 * 2**20, 512, 256), (64 * 2**20, 4096, 256)],
)
def test_mkfs_defaults_follow_the_page(size: int, inodes: int, log_blocks: int) -> None:
    sb = layout.geometry(size // BLOCK_SIZE)
    assert (sb.inode_count, sb.log_blocks) == (inodes, log_blocks)
    assert sb.inode_bitmap_start == 1 + log_blocks
    assert sb.data_start == sb.inode_table_start + layout.ceil_div(inodes, 32)


def test_block_mapping_boundaries() -> None:
    path = layout.block_path
    assert path(0) == (0, 0, 0) and path(11) == (0, 11, 0)
    assert path(12) == (1, 0, 0) and path(1035) == (1, 1023, 0)
    assert path(1036) == (2, 0, 0) and path(1036 + 1023) == (2, 0, 1023) and path(1036 + 1024) == (2, 1, 0)
    assert path(1_049_611) == (2, 1023, 1023)
    with pytest.raises(ValueError):
        path(1_049_612)


def test_superblock_and_log_bytes_are_where_the_page_says(tmp_path: Path) -> None:
    image = tmp_path / "a.img"
    mkfs(image, 64 * BLOCK_SIZE)
    raw = image.read_bytes()
    fields = struct.unpack_from("<8s14I", raw)
    assert fields[0] == b"FERRITFS" and fields[1:4] == (1, 4096, 64)
    assert fields[4:8] == (64, 1, 32, 33), "inode_count, log_start, log_blocks, inode_bitmap_start"
    assert fields[8:15] == (1, 34, 1, 35, 2, 37, 1), "the regions' sizes and starts, data_start, root"
    assert raw[64:124] == bytes(60) and struct.unpack_from("<I", raw, 124)[0] == zlib.crc32(raw[:124])
    log = raw[BLOCK_SIZE : 2 * BLOCK_SIZE]
    assert log[:8] == b"FERRLOG1" and struct.unpack_from("<QII", log, 8) == (0, 0, 0)
    assert struct.unpack_from("<I", log, 4092)[0] == zlib.crc32(log[:4092])
    root = raw[35 * BLOCK_SIZE : 35 * BLOCK_SIZE + 128]
    mode, links, _, size = struct.unpack_from("<HHIQ", root)
    assert (mode, links, size) == (0o40755, 2, BLOCK_SIZE)
    first = struct.unpack_from("<I", root, 32)[0]
    dot, dotdot = raw[first * BLOCK_SIZE : first * BLOCK_SIZE + 64], raw[first * BLOCK_SIZE + 64 : first * BLOCK_SIZE + 128]
    assert dot == struct.pack("<IBBH", 1, 1, 2, 0) + b".".ljust(56, b"\0")
    assert dotdot == struct.pack("<IBBH", 1, 2, 2, 0) + b"..".ljust(56, b"\0")
    # Inode bitmap: bit 0 and the root; bits past inode 64 set. Block bitmap: 0..37 set (metadata
    # and the root's block), then 64 onwards.
    inode_bitmap = raw[33 * BLOCK_SIZE : 34 * BLOCK_SIZE]
    assert inode_bitmap[:9] == b"\x03" + bytes(7) + b"\xfe" and inode_bitmap[9:] == b"\xff" * (BLOCK_SIZE - 9)
    block_bitmap = raw[34 * BLOCK_SIZE : 35 * BLOCK_SIZE]
    assert block_bitmap[:8] == b"\xff" * 4 + b"\x3f" + bytes(3) and block_bitmap[8:] == b"\xff" * (BLOCK_SIZE - 8)


def test_parse_size() -> None:
    assert parse_size("64M") == 64 * 2**20 and parse_size("1G") == 2**30
    assert parse_size("512k") == 512 * 1024 and parse_size("4096") == 4096 and parse_size("64MiB") == 64 * 2**20
    with pytest.raises(FerriteError, match="not a size"):
        parse_size("lots")


# --- mkfs then fsck ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [64 * BLOCK_SIZE, 65 * BLOCK_SIZE, 2**20, 8 * 2**20 - BLOCK_SIZE, 64 * 2**20, 2**30])
def test_a_new_file_system_is_clean(tmp_path: Path, size: int) -> None:
    image = tmp_path / "a.img"
    mkfs(image, size, directories=("bin", "dev", "proc", "tmp"))
    assert image.stat().st_size == size
    assert image.stat().st_blocks * 512 < 2**20, "written sparsely"
    report = fsck(image)
    assert report.clean, report.violations
    assert report.counts is not None and report.counts.directories == 5 and report.counts.files == 0
    assert report.counts.blocks == size // BLOCK_SIZE and report.replayed == 0 and not report.orphans


def test_the_populated_image_is_clean_and_counted(populated: Path) -> None:
    report = fsck(populated)
    assert report.clean, report.violations
    assert report.names == set()
    assert report.counts is not None
    assert (report.counts.files, report.counts.directories) == (6, 8)
    assert report.counts.inodes_used == 14 and report.counts.inodes_free == 128 - 14


def test_a_symbolic_link_is_clean_listed_and_extracted_as_one(disk: Disk, tmp_path: Path) -> None:
    # The kernel writes a link as an S_IFLNK inode whose one block holds the target, named by a
    # kind-3 entry (docs/disk-format.md); the host's tools read it as the kernel wrote it.
    _make_link(disk, "/etc/motd")
    report = fsck(disk.path)
    assert report.clean, [str(v) for v in report.violations]
    listing = {item.path: item for item in list_tree(disk.path)}
    assert listing["/etc/motd"].kind == "link"
    extract(disk.path, "/etc", tmp_path / "out")
    assert os.readlink(tmp_path / "out" / "motd") == "Welcome to Ferrite.\n"


def test_round_trip_through_list_extract_and_read(populated: Path, tmp_path: Path) -> None:
    source = tmp_path / "again"
    expected = build_tree(source)
    listing = {item.path: item for item in list_tree(populated)}
    assert list(listing)[0] == "/"
    for name, data in expected.items():
        item = listing["/" + name]
        assert item.kind == "file" and item.size == len(data)
        assert item.mode == (source / name).stat().st_mode, name
        assert read_file(populated, "/" + name) == data
    assert listing["/data"].mode == stat.S_IFDIR | 0o750 and listing["/tmp"].kind == "directory"
    assert listing["/"].mode == stat.S_IFDIR | 0o755
    out = tmp_path / "out"
    assert extract(populated, "/", out) == len(listing)
    for name, data in expected.items():
        assert (out / name).read_bytes() == data
        assert stat.S_IMODE((out / name).stat().st_mode) == stat.S_IMODE((source / name).stat().st_mode)
    assert stat.S_IMODE((out / "data").stat().st_mode) == 0o750
    assert [item.path for item in list_tree(populated, "/etc/deep")] == ["/etc/deep", "/etc/deep/er", "/etc/deep/er/still"]
    extract(populated, "/data/exact", out / "data")
    extract(populated, "etc/motd", tmp_path / "motd.txt")
    assert (tmp_path / "motd.txt").read_bytes() == expected["etc/motd"]


def test_a_file_that_needs_the_double_indirect_block(tmp_path: Path) -> None:
    """A sparse host file: zero blocks become holes, so only the marked blocks are written."""
    src = tmp_path / "src"
    src.mkdir()
    big = src / "big"
    blocks = layout.FIRST_DOUBLE + 1030
    marked = [0, 11, 12, 1035, layout.FIRST_DOUBLE, layout.FIRST_DOUBLE + 1024, blocks - 1]
    with big.open("wb") as out:
        out.truncate(blocks * BLOCK_SIZE - 100)
        for index in marked:
            out.seek(index * BLOCK_SIZE)
            out.write(pattern(BLOCK_SIZE if index < blocks - 1 else BLOCK_SIZE - 100, index))
    image = tmp_path / "a.img"
    mkfs(image, 2**20, source=src)
    report = fsck(image)
    assert report.clean and report.counts is not None
    disk = Disk(image)
    # The root's block; the 7 marked blocks, the indirect, double indirect and 2 second-level blocks.
    assert report.counts.blocks_used == disk.sb.data_start + 1 + 7 + 1 + 1 + 2
    inode = disk.inode(disk.lookup("/big"))
    assert inode.indirect and inode.double_indirect and inode.size == big.stat().st_size
    assert read_file(image, "/big") == big.read_bytes()
    extract(image, "/big", tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == big.read_bytes()


def test_mkfs_adds_directories_beside_a_source(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "bin").mkdir(parents=True)
    (src / "bin" / "sh").write_bytes(b"#!")
    image = tmp_path / "a.img"
    mkfs(image, 2**20, source=src, directories=("bin", "dev", "usr/lib"))
    assert [item.path for item in list_tree(image)] == ["/", "/bin", "/bin/sh", "/dev", "/usr", "/usr/lib"]
    assert fsck(image).clean


# --- what mkfs refuses ------------------------------------------------------------------------


def test_mkfs_refuses_a_symbolic_link(tmp_path: Path) -> None:
    (tmp_path / "src" / "etc").mkdir(parents=True)
    (tmp_path / "src" / "etc" / "link").symlink_to("motd")
    with pytest.raises(FerriteError, match=r"src/etc/link: a symbolic link"):
        mkfs(tmp_path / "a.img", 2**20, source=tmp_path / "src")
    assert not (tmp_path / "a.img").exists(), "refused before the image is touched"


def test_mkfs_refuses_a_named_pipe(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    os.mkfifo(tmp_path / "src" / "fifo")
    with pytest.raises(FerriteError, match=r"src/fifo: a named pipe"):
        mkfs(tmp_path / "a.img", 2**20, source=tmp_path / "src")


def test_mkfs_takes_56_byte_names_and_refuses_57(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / ("n" * 56)).write_bytes(b"ok")
    mkfs(tmp_path / "a.img", 2**20, source=tmp_path / "src")
    assert read_file(tmp_path / "a.img", "/" + "n" * 56) == b"ok"
    (tmp_path / "src" / ("n" * 57)).write_bytes(b"too long")
    with pytest.raises(FerriteError, match=r"n{57}: the name is 57 bytes long; a Ferrite name is at most 56"):
        mkfs(tmp_path / "b.img", 2**20, source=tmp_path / "src")


@pytest.mark.parametrize(
    ("size", "message"),
    [(63 * BLOCK_SIZE, "64 to 4294967295 blocks"), (2**20 + 1, "not a whole number"), (0, "64 to")],
)
def test_mkfs_refuses_a_bad_size(tmp_path: Path, size: int, message: str) -> None:
    with pytest.raises(FerriteError, match=message):
        mkfs(tmp_path / "a.img", size)


def test_mkfs_refuses_more_files_than_inodes(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for index in range(70):
        (src / f"f{index:02}").write_bytes(b"")
    with pytest.raises(FerriteError, match=r"src/f63: no inode left for it; the file system has 64 inodes"):
        mkfs(tmp_path / "a.img", 2**20, source=src, inodes=64)
    mkfs(tmp_path / "a.img", 2**20, source=src, inodes=71)
    assert fsck(tmp_path / "a.img").clean


def test_mkfs_refuses_a_tree_larger_than_the_disk(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "large").write_bytes(pattern(300 * BLOCK_SIZE))
    with pytest.raises(FerriteError, match=r"src/large: no free block left for it"):
        mkfs(tmp_path / "a.img", 256 * BLOCK_SIZE, source=src)
    assert not (tmp_path / "a.img").exists(), "the half-written image is removed"


def test_mkfs_refuses_too_many_inodes_for_the_size(tmp_path: Path) -> None:
    with pytest.raises(FerriteError, match="leave no data blocks"):
        mkfs(tmp_path / "a.img", 64 * BLOCK_SIZE, inodes=2000)


# --- one corruption per rule ------------------------------------------------------------------


def _resealed_superblock(disk: Disk, **changes: int) -> None:
    disk.put(0, dataclasses.replace(disk.sb, **changes).pack())  # type: ignore[arg-type]


def _log_with(disk: Disk, count: int, targets: tuple[int, ...]) -> None:
    slots = [pattern(BLOCK_SIZE, index) for index in range(min(count, disk.sb.log_blocks - 1))]
    checksum = zlib.crc32(b"".join(slots))
    disk.put_log(LogHeader(sequence=1, count=count, data_checksum=checksum, targets=targets), slots)


def _add_entry(disk: Disk, directory: str, entry: DirEntry) -> None:
    block, offset = disk.free_slot(disk.lookup(directory))
    disk.put(block, entry.pack(), offset)


def _shared(disk: Disk) -> None:
    motd, hello = disk.inode(disk.lookup("/etc/motd")), disk.inode(disk.lookup("/bin/hello"))
    disk.change_inode(disk.lookup("/etc/motd"), direct=(hello.direct[0],) + motd.direct[1:])


def _past_end(disk: Disk) -> None:
    """/etc/motd (one block) gets a fourth block, marked in use so that only the pointer is wrong."""
    free = disk.sb.block_count - 1
    motd = disk.lookup("/etc/motd")
    disk.change_inode(motd, direct=disk.inode(motd).direct[:3] + (free,) + (0,) * 8)
    disk.set_bit(disk.sb.block_bitmap_start, free, True)


def _dot_elsewhere(disk: Disk) -> None:
    etc = disk.lookup("/etc")
    _add_entry(disk, "/etc", DirEntry.named(etc, b".", layout.KIND_DIR))
    disk.change_inode(etc, links=disk.inode(etc).links + 1)


def _zero_entry(disk: Disk, directory: str, name: bytes) -> None:
    block, offset, _ = disk.entry(disk.lookup(directory), name)
    disk.put(block, bytes(64), offset)


def _motd_entry(offset: int, data: bytes) -> Callable[[Disk], None]:
    """Writes `data` at `offset` in /etc's entry for motd."""

    def corrupt(disk: Disk) -> None:
        block, start, _ = disk.entry(disk.lookup("/etc"), b"motd")
        disk.put(block, data, start + offset)

    return corrupt


def _inode(path: str, **changes: object) -> Callable[[Disk], None]:
    return lambda disk: disk.change_inode(disk.lookup(path), **changes)


def _make_link(disk: Disk, path: str, size: int | None = None) -> None:
    """Turns the regular file at `path` into a symbolic link whose target is its first `size` bytes
    (all of them by default), entry kind and all: what the kernel's `symlink` writes."""
    number = disk.lookup(path)
    inode = disk.inode(number)
    disk.change_inode(number, mode=stat.S_IFLNK | 0o777, size=inode.size if size is None else size)
    parent, name = path.rsplit("/", 1)
    block, offset, entry = disk.entry(disk.lookup(parent), name.encode())
    disk.put(block, dataclasses.replace(entry, kind=layout.KIND_LINK).pack(), offset)


def _bit(region: str, index: Callable[[Disk], int], value: bool) -> Callable[[Disk], None]:
    return lambda disk: disk.set_bit(getattr(disk.sb, region), index(disk), value)


class Case(NamedTuple):
    """One precise corruption, the rule it breaks, and any rule it cannot help breaking as well."""

    id: str
    rule: Rule
    corrupt: Callable[[Disk], None]
    also: frozenset[str] = frozenset()


INODE_BITMAP, BLOCK_BITMAP = "inode_bitmap_start", "block_bitmap_start"
#: Every rule has at least one case; a test checks that.
CASES = [
    Case("magic", Rule.BAD_MAGIC, lambda d: d.put(0, b"NOTFERRI")),
    Case("version", Rule.BAD_VERSION, lambda d: _resealed_superblock(d, version=2)),
    Case("superblock-checksum", Rule.BAD_SUPERBLOCK_CHECKSUM, lambda d: d.put(0, b"\x01", 70)),
    Case("root-not-1", Rule.BAD_GEOMETRY, lambda d: _resealed_superblock(d, root=2)),
    Case("block-size", Rule.BAD_GEOMETRY, lambda d: _resealed_superblock(d, block_size=1024)),
    Case("overlap", Rule.BAD_GEOMETRY, lambda d: _resealed_superblock(d, inode_table_start=d.sb.inode_table_start - 1)),
    Case("larger-than-image", Rule.BAD_GEOMETRY, lambda d: os.truncate(d.path, SIZE // 2)),
    Case("no-data-blocks", Rule.BAD_GEOMETRY, lambda d: _resealed_superblock(d, data_start=d.sb.block_count)),
    Case("superblock-reserved", Rule.BAD_GEOMETRY, lambda d: d.put(0, b"\x01", 2000)),
    Case("log-magic", Rule.BAD_LOG_HEADER, lambda d: d.put(d.sb.log_start, b"NOTALOG!")),
    Case("log-checksum", Rule.BAD_LOG_HEADER, lambda d: d.put(d.sb.log_start, b"\x01", 100)),
    Case("log-count", Rule.LOG_DOES_NOT_REPLAY, lambda d: _log_with(d, d.sb.log_blocks, ())),
    Case("log-target-low", Rule.LOG_DOES_NOT_REPLAY, lambda d: _log_with(d, 1, (d.sb.inode_bitmap_start - 1,))),
    Case("log-target-high", Rule.LOG_DOES_NOT_REPLAY, lambda d: _log_with(d, 1, (d.sb.block_count,))),
    Case("log-target-twice", Rule.LOG_DOES_NOT_REPLAY, lambda d: _log_with(d, 2, (d.sb.data_start,) * 2)),
    Case("inode-clear", Rule.INODE_BITMAP_MISMATCH, _bit(INODE_BITMAP, lambda d: d.lookup("/etc/motd"), False)),
    Case("inode-set", Rule.INODE_BITMAP_MISMATCH, _bit(INODE_BITMAP, lambda d: 40, True)),
    Case(
        "block-clear",
        Rule.BLOCK_BITMAP_MISMATCH,
        _bit(BLOCK_BITMAP, lambda d: d.inode(d.lookup("/etc/motd")).direct[0], False),
    ),
    Case("block-set", Rule.BLOCK_BITMAP_MISMATCH, _bit(BLOCK_BITMAP, lambda d: d.sb.block_count - 2, True)),
    Case("inode-0", Rule.BITMAP_RESERVED_BITS, _bit(INODE_BITMAP, lambda d: 0, False)),
    Case("inode-padding", Rule.BITMAP_RESERVED_BITS, _bit(INODE_BITMAP, lambda d: d.sb.inode_count + 1, False)),
    Case("metadata", Rule.BITMAP_RESERVED_BITS, _bit(BLOCK_BITMAP, lambda d: 3, False)),
    Case("block-padding", Rule.BITMAP_RESERVED_BITS, _bit(BLOCK_BITMAP, lambda d: d.sb.block_count + 9, False)),
    Case("type", Rule.BAD_INODE, _inode("/etc/motd", mode=stat.S_IFCHR | 0o644), frozenset({"bad-entry"})),
    Case("reserved", Rule.BAD_INODE, _inode("/etc/motd", reserved_low=7)),
    Case("reserved-high", Rule.BAD_INODE, _inode("/etc/motd", reserved_high=b"x" * 40)),
    Case("free-not-zero", Rule.BAD_INODE, lambda d: d.put_inode(40, Inode(size=5))),
    Case("too-large", Rule.BAD_INODE, _inode("/etc/empty", size=layout.MAX_FILE_SIZE + 1)),
    Case("link-too-long", Rule.BAD_INODE, lambda d: _make_link(d, "/etc/motd", size=layout.MAX_LINK_TARGET + 1)),
    # The block the file had is then used by no one.
    Case("low", Rule.BLOCK_OUT_OF_RANGE, _inode("/etc/motd", direct=(3,) + (0,) * 11), frozenset({"block-bitmap-mismatch"})),
    Case(
        "high",
        Rule.BLOCK_OUT_OF_RANGE,
        lambda d: d.change_inode(d.lookup("/data/indirect"), indirect=d.sb.block_count),
        frozenset({"block-bitmap-mismatch"}),
    ),
    Case("data", Rule.BLOCK_SHARED, _shared, frozenset({"block-bitmap-mismatch"})),
    Case(
        "indirect",
        Rule.BLOCK_SHARED,
        lambda d: d.change_inode(
            d.lookup("/data/exact"), indirect=d.inode(d.lookup("/data/indirect")).indirect, size=30 * BLOCK_SIZE
        ),
    ),
    Case("past-end", Rule.BLOCK_PAST_END, _past_end),
    Case("file", Rule.BAD_LINK_COUNT, _inode("/etc/motd", links=2)),
    Case("directory", Rule.BAD_LINK_COUNT, _inode("/etc", links=2)),
    Case("odd", Rule.BAD_DIRECTORY_SIZE, _inode("/etc", size=100)),
    # Its one block is then past its end.
    Case("zero", Rule.BAD_DIRECTORY_SIZE, _inode("/tmp", size=0), frozenset({"block-past-end"})),
    Case("hole", Rule.DIRECTORY_HOLE, _inode("/etc", size=2 * BLOCK_SIZE)),
    Case(
        "dotdot",
        Rule.BAD_DOT_ENTRIES,
        lambda d: d.put(d.inode(d.lookup("/etc/deep")).direct[0], d.lookup("/etc/deep").to_bytes(4, "little"), 64),
    ),
    Case("dot", Rule.BAD_DOT_ENTRIES, lambda d: d.put(d.inode(d.lookup("/etc")).direct[0], b"x", 8)),
    Case("kind", Rule.BAD_ENTRY, _motd_entry(5, bytes([layout.KIND_DIR]))),
    Case("slash", Rule.BAD_ENTRY, _motd_entry(8, b"mo/d")),
    Case("zero-byte", Rule.BAD_ENTRY, _motd_entry(8, b"mo\0d")),
    Case("after-name", Rule.BAD_ENTRY, _motd_entry(8 + 10, b"x")),
    Case("reserved", Rule.BAD_ENTRY, _motd_entry(6, b"\x01")),
    Case("name-len", Rule.BAD_ENTRY, _motd_entry(4, bytes([57]))),
    Case("empty-slot", Rule.BAD_ENTRY, lambda d: d.put(d.free_slot(d.lookup("/etc"))[0], b"x", d.free_slot(d.lookup("/etc"))[1] + 20)),
    # '.' in entry 5 names /etc a second time.
    Case("dot-elsewhere", Rule.BAD_ENTRY, _dot_elsewhere, frozenset({"directory-loop"})),
    Case("duplicate", Rule.DUPLICATE_NAME, _motd_entry(8, b"deep")),
    # /etc/motd then has no name.
    Case(
        "free",
        Rule.ENTRY_TO_FREE_INODE,
        _motd_entry(0, (40).to_bytes(4, "little")),
        frozenset({"bad-link-count", "unreachable-inode"}),
    ),
    # /etc/deep gains a subdirectory without its link count following.
    Case(
        "named-twice",
        Rule.DIRECTORY_LOOP,
        lambda d: _add_entry(d, "/etc/deep", DirEntry.named(d.lookup("/etc"), b"up", layout.KIND_DIR)),
        frozenset({"bad-link-count"}),
    ),
    # Its link count still counts the entry.
    Case("lost-file", Rule.UNREACHABLE_INODE, lambda d: _zero_entry(d, "/etc", b"motd"), frozenset({"bad-link-count"})),
    Case(
        "a-file",
        Rule.BAD_ROOT,
        _inode("/", mode=stat.S_IFREG | 0o755),
        frozenset({"bad-dot-entries", "bad-link-count"}),
    ),
    Case(
        "free",
        Rule.BAD_ROOT,
        lambda d: d.put_inode(1, Inode()),
        frozenset({"bad-dot-entries", "block-bitmap-mismatch", "inode-bitmap-mismatch"}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{case.rule.value}:{case.id}" for case in CASES])
def test_each_rule_is_named(disk: Disk, case: Case) -> None:
    assert fsck(disk.path).clean
    case.corrupt(disk)
    report = fsck(disk.path)
    assert case.rule.value in report.names, [str(v) for v in report.violations]
    assert report.names - {case.rule.value} == case.also, [str(v) for v in report.violations]


def test_a_long_list_of_violations_is_cut_short(disk: Disk, capsys: pytest.CaptureFixture[str]) -> None:
    """Every other bit of the block bitmap set: each free block set alone is a violation of its own."""
    bitmap = bytearray(disk.block(disk.sb.block_bitmap_start))
    for byte in range(disk.sb.data_start // 8 + 1, disk.sb.block_count // 8):
        bitmap[byte] |= 0x55
    disk.put(disk.sb.block_bitmap_start, bytes(bitmap))
    report = fsck(disk.path)
    assert len(report.violations) == 100 and report.omitted > 50
    assert cli.main(["fsck", str(disk.path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == [
        f"{disk.path}: ... and {report.omitted} more violations",
        f"{disk.path}: {100 + report.omitted} violations",
    ]


def test_every_rule_has_a_corruption_test() -> None:
    assert {case.rule for case in CASES} == set(Rule)


def test_the_superblock_stops_the_checks_and_the_tree_tools(disk: Disk) -> None:
    disk.put(0, b"NOTFERRI")
    report = fsck(disk.path)
    assert [v.name for v in report.violations] == ["bad-magic"] and report.counts is None
    with pytest.raises(FerriteError, match=r"not a usable Ferrite file system \(bad-magic: "):
        list_tree(disk.path)
    with pytest.raises(FerriteError, match="not a usable"):
        read_file(disk.path, "/etc/motd")


def test_a_cycle_of_directories_cut_off_from_the_root(disk: Disk) -> None:
    """/etc/deep is taken out of /etc and put inside its own child er: deep and er name each other."""
    deep, er, still = disk.lookup("/etc/deep"), disk.lookup("/etc/deep/er"), disk.lookup("/etc/deep/er/still")
    _zero_entry(disk, "/etc", b"deep")
    block, offset = disk.free_slot(er)
    disk.put(block, DirEntry.named(deep, b"loop", layout.KIND_DIR).pack(), offset)
    report = fsck(disk.path)
    loops = [v.message for v in report.violations if v.rule is Rule.DIRECTORY_LOOP]
    assert loops == [f"directory inodes {deep}, {er} name each other in a cycle the root does not lead to"]
    lost = [v.message for v in report.violations if v.rule is Rule.UNREACHABLE_INODE]
    assert lost == [f"inode {still} (regular file, 1 link) is in use but the root does not lead to it"]


def test_an_orphan_is_reported_but_is_not_a_violation(disk: Disk) -> None:
    motd = disk.lookup("/etc/motd")
    _zero_entry(disk, "/etc", b"motd")
    disk.change_inode(motd, links=0)
    report = fsck(disk.path)
    assert report.clean, report.violations
    assert [orphan.inode for orphan in report.orphans] == [motd]


# --- the log -----------------------------------------------------------------------------------


def _new_file_transaction(disk: Disk, data: bytes) -> dict[int, bytes]:
    """The blocks a kernel would change to create /new with `data` (one block): its inode, the
    root's entry, both bitmaps and the data block. Returns target -> new contents."""
    sb = disk.sb
    number = 40
    data_block = sb.block_count - 3
    inode = Inode(mode=stat.S_IFREG | 0o644, links=1, size=len(data), direct=(data_block,) + (0,) * 11)
    table, offset = sb.inode_location(number)
    changed = {table: bytearray(disk.block(table)), data_block: bytearray(data.ljust(BLOCK_SIZE, b"\0"))}
    changed[table][offset : offset + 128] = inode.pack()
    root_block, slot = disk.free_slot(layout.ROOT_INODE)
    changed[root_block] = bytearray(disk.block(root_block))
    changed[root_block][slot : slot + 64] = DirEntry.named(number, b"new", layout.KIND_FILE).pack()
    for start, bit in ((sb.inode_bitmap_start, number), (sb.block_bitmap_start, data_block)):
        changed[start] = bytearray(disk.block(start))
        changed[start][bit // 8] |= 1 << (bit % 8)
    return {target: bytes(block) for target, block in sorted(changed.items())}


def _commit(disk: Disk, transaction: dict[int, bytes], *, spoil_slots: bool = False) -> None:
    slots = list(transaction.values())
    checksum = zlib.crc32(b"".join(slots))
    if spoil_slots:
        slots[0] = b"\xee" * BLOCK_SIZE
    disk.put_log(LogHeader(sequence=7, count=len(slots), data_checksum=checksum, targets=tuple(transaction)), slots)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_committed_transaction_is_replayed_in_memory(disk: Disk, tmp_path: Path) -> None:
    transaction = _new_file_transaction(disk, b"written through the log\n")
    _commit(disk, transaction)
    # A crash in step 5: the inode and the directory entry reached home, the bitmaps did not.
    for target in (disk.inode(layout.ROOT_INODE).direct[0], disk.sb.inode_location(40)[0]):
        disk.put(target, transaction[target])
    before = _digest(disk.path)
    report = fsck(disk.path)
    assert report.clean, report.violations
    assert report.replayed == len(transaction) and report.log is not None and report.log.sequence == 7
    assert _digest(disk.path) == before, "fsck never writes the image"
    assert read_file(disk.path, "/new") == b"written through the log\n"
    # Without the replay (the same image with an empty log) the half-installed change shows.
    shutil.copyfile(disk.path, tmp_path / "unreplayed.img")
    unreplayed = Disk(tmp_path / "unreplayed.img")
    unreplayed.put(disk.sb.log_start, LogHeader(sequence=7).pack())
    names = fsck(unreplayed.path).names
    assert names == {"inode-bitmap-mismatch", "block-bitmap-mismatch"}


def test_a_stale_log_is_not_replayed(disk: Disk) -> None:
    _commit(disk, _new_file_transaction(disk, b"never committed\n"), spoil_slots=True)
    report = fsck(disk.path)
    assert report.clean and report.replayed == 0
    assert report.log is not None and report.log.stale
    with pytest.raises(FerriteError, match="there is no /new"):
        read_file(disk.path, "/new")


# --- fsck survives anything -----------------------------------------------------------------


FUZZ_SEED = 0xF5C4
FUZZ_CASES = 300


def _mutate(image: bytearray, rng: random.Random, metadata: list[int]) -> bytearray:
    """One to three bit flips or runs of random bytes in `metadata` blocks, or a truncation."""
    for _ in range(rng.randint(1, 3)):
        choice = rng.random()
        if choice < 0.4:
            where = rng.choice(metadata) * BLOCK_SIZE + rng.randrange(BLOCK_SIZE)
            image[where] ^= 1 << rng.randrange(8)
        elif choice < 0.9:
            length = rng.randint(1, 64)
            where = rng.choice(metadata) * BLOCK_SIZE + rng.randrange(BLOCK_SIZE - length)
            image[where : where + length] = rng.randbytes(length)
        else:
            del image[rng.randint(BLOCK_SIZE, len(image)) :]
            break
    if rng.random() < 0.6:
        # Re-seal the checksums, so that the damage gets past the superblock and the log header.
        image[124:128] = layout.crc32(bytes(image[:124])).to_bytes(4, "little")
        if len(image) >= 2 * BLOCK_SIZE:
            log = bytes(image[BLOCK_SIZE : BLOCK_SIZE + 4092])
            image[BLOCK_SIZE + 4092 : 2 * BLOCK_SIZE] = layout.crc32(log).to_bytes(4, "little")
    return image


def test_fsck_returns_a_report_whatever_the_bytes(tmp_path: Path) -> None:
    build_tree(tmp_path / "src")
    base = tmp_path / "base.img"
    mkfs(base, 256 * BLOCK_SIZE, source=tmp_path / "src", directories=("tmp",))
    pristine = base.read_bytes()
    disk = Disk(base)
    # The superblock, the log header, the bitmaps, the inode table, the directories' blocks and
    # the indirect blocks: where damage means most (the log's slots mean nothing while it is empty).
    metadata = [0, disk.sb.log_start, *range(disk.sb.inode_bitmap_start, disk.sb.data_start)]
    for number in range(1, 15):
        inode = disk.inode(number)
        metadata += [inode.direct[0]] if inode.is_dir else []
        metadata += [inode.indirect] if inode.indirect else []
    target = tmp_path / "fuzz.img"
    started = time.monotonic()
    for case in range(FUZZ_CASES):
        seed = FUZZ_SEED + case
        target.write_bytes(_mutate(bytearray(pristine), random.Random(seed), metadata))
        try:
            report = fsck(target)
        except Exception as e:  # noqa: BLE001 (any exception at all is what this test looks for)
            pytest.fail(f"fsck raised {e!r} on the image mutated with seed {seed}")
        assert isinstance(report, Report) and len(report.violations) <= 100, f"seed {seed}"
    assert time.monotonic() - started < 8, "fsck's work is bounded by the image's size"


# --- the command line -------------------------------------------------------------------------


def test_cli_mkfs_and_fsck(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_tree(tmp_path / "src")
    image = tmp_path / "cli.img"
    assert cli.main(["mkfs", str(image), "--size", "1M", "--from", str(tmp_path / "src")]) == 0
    assert "256 blocks, 64 inodes" in capsys.readouterr().out
    assert cli.main(["fsck", str(image)]) == 0
    assert capsys.readouterr().out == f"{image}: clean: 6 files, 6 directories, 69 of 256 blocks used\n"
    disk = Disk(image)
    disk.change_inode(disk.lookup("/etc/motd"), links=3)
    assert cli.main(["fsck", str(image)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{image}: bad-link-count: inode {disk.lookup('/etc/motd')} has links 3")
    assert out[-1] == f"{image}: 1 violation"


def test_cli_mkfs_and_fsck_report_errors_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["mkfs", str(tmp_path / "a.img"), "--size", "huge"]) == 1
    assert capsys.readouterr().err.startswith("x.py mkfs: 'huge' is not a size")
    assert cli.main(["fsck", str(tmp_path / "missing.img")]) == 1
    assert capsys.readouterr().err == f"x.py fsck: {tmp_path / 'missing.img'}: no such image\n"


def test_cli_fs_ls_cat_extract(populated: Path, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert cli.main(["fs", "ls", str(populated), "/etc"]) == 0
    lines = capsysbinary.readouterr().out.decode().splitlines()
    assert lines[0].split() == ["drwxr-xr-x", "4096", "/etc"]
    assert "-rw-r--r--           20 /etc/motd" in lines
    assert cli.main(["fs", "cat", str(populated), "/etc/motd"]) == 0
    assert capsysbinary.readouterr().out == b"Welcome to Ferrite.\n"
    assert cli.main(["fs", "extract", str(populated), "/data", str(tmp_path / "data")]) == 0
    assert (tmp_path / "data" / "exact").read_bytes() == pattern(BLOCK_SIZE, 1)
    assert cli.main(["fs", "cat", str(populated), "/etc"]) == 1
    assert b"/etc is a directory" in capsysbinary.readouterr().err


def test_the_image_commands_need_no_set_up(
    populated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_set_up() -> None:
        raise AssertionError("set-up ran")

    for name in ("ensure", "find_toolchain", "provide"):
        monkeypatch.setattr(setup, name, no_set_up)
    assert bootstrap.bootstrap(["fsck", str(populated)]) == 0
    assert bootstrap.bootstrap(["-v", "fs", "ls", str(populated)]) == 0
    assert "clean:" in capsys.readouterr().out


def test_the_command_line_imports_only_the_standard_library() -> None:
    """x.py runs the image commands with whatever Python started it, before any virtual
    environment exists; -S leaves site-packages (pytest, mypy, ...) out of reach."""
    tools = Path(cli.__file__).resolve().parents[1]
    command = [sys.executable, "-S", "-c", "import ferrite_tools.bootstrap, ferrite_tools.cli, ferrite_tools.fs"]
    result = subprocess.run(command, env={"PYTHONPATH": str(tools)}, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
