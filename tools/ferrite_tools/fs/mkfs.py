"""mkfs: write a new, empty or pre-filled, Ferrite file system into an image file.

The kernel's disk (build/disk.img) and the tests' images come from here. mkfs works in two
steps so that a mistake the user can fix costs nothing:

1. Plan, without touching the image: scan the host folder, refuse what the format cannot hold
   (a symbolic link, a device, a socket, a name over 56 bytes, a file over 4 GiB) naming the
   host path, and number the inodes, root first, then breadth first in byte order of the names.
   Running out of inodes is found here too.
2. Write. Blocks are handed out in one ascending sweep from `data_start`, so the block bitmap is
   "everything below the sweep's end" and the layout is the same on every machine for the same
   tree. Only blocks with something in them are written, into a file first truncated to the
   full size: the rest stays a hole in the host file, so a 1 GiB image costs what its contents
   cost. A block of zeros in a host file becomes a hole in the Ferrite file too (the format reads
   holes as zeros), which keeps sparse files sparse. The superblock is written last: an image
   that mkfs did not finish has no magic and no fsck would mistake it for a file system.

The new image is written beside the old one and renamed over it only when it is complete, so a
failure part way (the blocks run out, the host disk fills) leaves the old image as it was. Before
any of that, mkfs takes the image's lock (`lock.writing`): an image that a running QEMU has open
is refused untouched, and so is an existing file that is not a Ferrite image, unless the caller
says `force` (the command line's `--force`): a typo in a path must not cost a user their file.

Timestamps are written as 0: the kernel counts time from its own boot, and an image should be
the same bytes whenever it is built.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from collections import deque
from pathlib import Path
from typing import Sequence

from ferrite_tools.errors import FerriteError
from ferrite_tools.fs import layout, lock
from ferrite_tools.fs.layout import BLOCK_SIZE, DirEntry, Inode, LogHeader, Superblock

#: The root directory's permissions.
ROOT_MODE = stat.S_IFDIR | 0o755
#: The permissions of the directories mkfs is asked to add (`directories=`).
ADDED_DIRECTORY_MODE = stat.S_IFDIR | 0o755
#: Host files are read this much at a time.
_READ_CHUNK = 256 * BLOCK_SIZE
_ZERO_BLOCK = bytes(BLOCK_SIZE)
_SIZE_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


@dataclasses.dataclass(frozen=True)
class Made:
    """What mkfs wrote."""

    superblock: Superblock
    files: int
    directories: int
    #: Blocks in use, the metadata included.
    blocks_used: int


def parse_size(text: str) -> int:
    """A size in bytes from "65536", "512K", "64M", "1G" or "64MiB" (K, M, G and T are powers of 1,024)."""
    match = re.fullmatch(r"(\d+)\s*([KMGT]?)(?:iB)?", text.strip(), re.IGNORECASE)
    if match is None:
        raise FerriteError(f"{text!r} is not a size: give bytes, or a number with K, M, G or T (64M, 1G)")
    return int(match[1]) * _SIZE_UNITS[match[2].upper()]


@dataclasses.dataclass
class _Node:
    """A file or directory to be written: where it comes from and what it becomes."""

    name: bytes
    mode: int
    #: How messages name it: the host path, or its path in the image for an added directory.
    shown: str
    #: The host file to copy (regular files only).
    host: Path | None = None
    children: list[_Node] = dataclasses.field(default_factory=list)
    inode: int = 0
    parent: int = 0

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)


def _check_name(name: bytes, shown: str) -> None:
    if len(name) > layout.MAX_NAME_LEN:
        limit = layout.MAX_NAME_LEN
        raise FerriteError(f"{shown}: the name is {len(name)} bytes long; a Ferrite name is at most {limit}")
    if b"\0" in name:
        raise FerriteError(f"{shown}: a name cannot contain a zero byte")


def _scan(source: Path) -> _Node:
    """The tree under `source`, children in byte order of their names. Raises FerriteError naming
    the first host path that the format cannot hold."""
    if not source.is_dir():
        raise FerriteError(f"{source}: not a directory (mkfs copies a directory's contents)")
    root = _Node(b"", ROOT_MODE, str(source))
    folders = [(root, source)]
    while folders:
        node, folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                found = sorted(listing, key=lambda entry: os.fsencode(entry.name))
            for entry in found:
                host = Path(entry.path)
                name = os.fsencode(entry.name)
                _check_name(name, str(host))
                info = entry.stat(follow_symlinks=False)
                perms = stat.S_IMODE(info.st_mode) & layout.PERM_MASK
                if stat.S_ISDIR(info.st_mode):
                    child = _Node(name, stat.S_IFDIR | perms, str(host))
                    folders.append((child, host))
                elif stat.S_ISREG(info.st_mode):
                    if info.st_size > layout.MAX_FILE_SIZE:
                        largest = layout.MAX_FILE_SIZE
                        raise FerriteError(f"{host}: {info.st_size} bytes, more than a Ferrite file holds ({largest})")
                    child = _Node(name, stat.S_IFREG | perms, str(host), host)
                else:
                    kind = _host_kind(info.st_mode)
                    # The format has symbolic links, but mkfs copies only files and directories: a link
                    # in a folder of programs is more often a mistake than a wish.
                    raise FerriteError(f"{host}: {kind}; mkfs copies only regular files and directories")
                node.children.append(child)
        except OSError as e:
            raise FerriteError(f"{e.filename or folder}: cannot read it ({e.strerror})") from e
    return root


def _host_kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    return f"a file of type {stat.S_IFMT(mode):#o}"


def _add_directories(root: _Node, directories: Sequence[str]) -> None:
    """Adds each directory (a path from the root, like "bin" or "usr/lib") and its parents unless
    the source already has them."""
    for wanted in directories:
        parts = [part for part in wanted.split("/") if part]
        if not parts or any(part in (".", "..") for part in parts):
            raise FerriteError(f"{wanted!r}: a directory to add is a path like 'tmp' or 'usr/lib'")
        node = root
        for depth, part in enumerate(parts):
            shown = "/" + "/".join(parts[: depth + 1])
            name = os.fsencode(part)
            _check_name(name, shown)
            existing = next((child for child in node.children if child.name == name), None)
            if existing is None:
                existing = _Node(name, ADDED_DIRECTORY_MODE, shown)
                node.children.append(existing)
                node.children.sort(key=lambda child: child.name)
            elif not existing.is_dir:
                raise FerriteError(f"{existing.shown}: a regular file, but mkfs was asked to make the directory {shown}")
            node = existing


def _number(root: _Node, inode_count: int) -> list[_Node]:
    """Gives each node its inode, breadth first from the root (inode 1); returns them in that order."""
    order: list[_Node] = []
    root.parent = layout.ROOT_INODE
    queue = deque([root])
    while queue:
        node = queue.popleft()
        if len(order) == inode_count:
            raise FerriteError(
                f"{node.shown}: no inode left for it; the file system has {inode_count} inodes and more files "
                "and directories than that (give it more, ./x.py mkfs --inodes N)"
            )
        order.append(node)
        node.inode = len(order)
        for child in node.children:
            child.parent = node.inode
        queue.extend(node.children)
    return order


class _Writer:
    """Writes blocks into the image and hands out free blocks in one ascending sweep."""

    def __init__(self, fd: int, sb: Superblock) -> None:
        self.fd = fd
        self.sb = sb
        self.next_block = sb.data_start
        self.inodes: dict[int, Inode] = {}

    def allocate(self, shown: str) -> int:
        if self.next_block >= self.sb.block_count:
            data_blocks = self.sb.block_count - self.sb.data_start
            raise FerriteError(
                f"{shown}: no free block left for it; all {data_blocks} data blocks are used (give a larger --size)"
            )
        self.next_block += 1
        return self.next_block - 1

    def put(self, block: int, data: bytes) -> None:
        os.pwrite(self.fd, data, block * BLOCK_SIZE)


class _FileBlocks:
    """The pointers of one file being written: each data block is allocated as it comes, an
    indirect block just before the first block it maps, and pointer blocks are written at the end."""

    def __init__(self, writer: _Writer, shown: str) -> None:
        self.writer = writer
        self.shown = shown
        self.direct = [0] * layout.DIRECT_POINTERS
        self.indirect = 0
        self.indirect_slots = [0] * layout.POINTERS_PER_BLOCK
        self.double = 0
        self.double_slots = [0] * layout.POINTERS_PER_BLOCK
        self.second_level: dict[int, list[int]] = {}

    def add(self, index: int, data: bytes) -> None:
        where = layout.block_path(index)
        if where.depth == 1 and not self.indirect:
            self.indirect = self.writer.allocate(self.shown)
        if where.depth == 2:
            if not self.double:
                self.double = self.writer.allocate(self.shown)
            if not self.double_slots[where.first]:
                self.double_slots[where.first] = self.writer.allocate(self.shown)
                self.second_level[where.first] = [0] * layout.POINTERS_PER_BLOCK
        block = self.writer.allocate(self.shown)
        self.writer.put(block, data.ljust(BLOCK_SIZE, b"\0"))
        if where.depth == 0:
            self.direct[where.first] = block
        elif where.depth == 1:
            self.indirect_slots[where.first] = block
        else:
            self.second_level[where.first][where.second] = block

    def inode(self, mode: int, links: int, size: int) -> Inode:
        """Writes the pointer blocks and returns the inode that points at everything."""
        pack = layout.POINTER_BLOCK.pack
        if self.indirect:
            self.writer.put(self.indirect, pack(*self.indirect_slots))
        if self.double:
            self.writer.put(self.double, pack(*self.double_slots))
            for first, slots in self.second_level.items():
                self.writer.put(self.double_slots[first], pack(*slots))
        return Inode(
            mode=mode,
            links=links,
            size=size,
            direct=tuple(self.direct),
            indirect=self.indirect,
            double_indirect=self.double,
        )


def _write_directory(writer: _Writer, node: _Node) -> None:
    entries = [
        DirEntry.named(node.inode, b".", layout.KIND_DIR),
        DirEntry.named(node.parent, b"..", layout.KIND_DIR),
    ]
    entries += [DirEntry.named(child.inode, child.name, layout.kind_of(child.mode)) for child in node.children]
    blocks = _FileBlocks(writer, node.shown)
    count = layout.ceil_div(len(entries), layout.ENTRIES_PER_BLOCK)
    for index in range(count):
        chunk = entries[index * layout.ENTRIES_PER_BLOCK : (index + 1) * layout.ENTRIES_PER_BLOCK]
        blocks.add(index, b"".join(entry.pack() for entry in chunk))
    subdirectories = sum(child.is_dir for child in node.children)
    writer.inodes[node.inode] = blocks.inode(node.mode, 2 + subdirectories, count * BLOCK_SIZE)


def _write_file(writer: _Writer, node: _Node) -> None:
    assert node.host is not None
    blocks = _FileBlocks(writer, node.shown)
    size = 0
    try:
        with node.host.open("rb") as source:
            while chunk := source.read(_READ_CHUNK):
                if size + len(chunk) > layout.MAX_FILE_SIZE:
                    raise FerriteError(f"{node.host}: grew past the largest Ferrite file while being copied")
                for offset in range(0, len(chunk), BLOCK_SIZE):
                    data = chunk[offset : offset + BLOCK_SIZE]
                    if data.count(0) != len(data):
                        blocks.add((size + offset) // BLOCK_SIZE, data)
                size += len(chunk)
    except OSError as e:
        raise FerriteError(f"{node.host}: cannot read it ({e.strerror})") from e
    writer.inodes[node.inode] = blocks.inode(node.mode, 1, size)


def _check_replaceable(path: Path, force: bool) -> None:
    """Refuses to replace something that is not a Ferrite image, unless `force`."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise FerriteError(f"{path}: cannot look at it ({e.strerror})") from e
    if not stat.S_ISREG(info.st_mode):
        raise FerriteError(f"{path}: not a regular file; mkfs writes image files only")
    if force or info.st_size == 0:
        return
    try:
        with open(path, "rb") as file:
            start = file.read(len(layout.MAGIC))
    except OSError as e:
        raise FerriteError(f"{path}: cannot read it ({e.strerror})") from e
    if start != layout.MAGIC:
        raise FerriteError(
            f"{path}: exists and is not a Ferrite image ({info.st_size} bytes); nothing was written. "
            "To replace it with a new file system, run the same command with --force."
        )


def _write_metadata(writer: _Writer, sb: Superblock, inodes_used: int) -> None:
    """The inode table, the bitmaps, an empty log and, last, the superblock."""
    tables: dict[int, bytearray] = {}
    for number, inode in writer.inodes.items():
        block, offset = sb.inode_location(number)
        table = tables.setdefault(block, bytearray(BLOCK_SIZE))
        table[offset : offset + layout.INODE_SIZE] = inode.pack()
    for block, table in tables.items():
        writer.put(block, bytes(table))
    inode_bitmap = bytearray(sb.inode_bitmap_blocks * BLOCK_SIZE)
    for start, end in layout.reserved_inode_bits(sb):
        layout.set_bits(inode_bitmap, start, end)
    layout.set_bits(inode_bitmap, 1, inodes_used + 1)
    writer.put(sb.inode_bitmap_start, bytes(inode_bitmap))
    block_bitmap = bytearray(sb.block_bitmap_blocks * BLOCK_SIZE)
    for start, end in layout.reserved_block_bits(sb):
        layout.set_bits(block_bitmap, start, end)
    layout.set_bits(block_bitmap, sb.data_start, writer.next_block)
    writer.put(sb.block_bitmap_start, bytes(block_bitmap))
    writer.put(sb.log_start, LogHeader().pack())
    writer.put(layout.SUPERBLOCK_BLOCK, sb.pack())


def mkfs(
    path: Path,
    size_bytes: int,
    *,
    inodes: int | None = None,
    log_blocks: int | None = None,
    source: Path | None = None,
    directories: Sequence[str] = (),
    force: bool = False,
) -> Made:
    """Writes a file system of `size_bytes` into `path` (created, or replaced), with the root
    directory (inode 1, mode 0o755), a copy of the tree under `source` if given, and the
    `directories` (paths such as "tmp" or "usr/lib") that it does not already have.

    `inodes` and `log_blocks` default as docs/disk-format.md says. Raises FerriteError, leaving
    `path` as it was, for a size or geometry that does not work, for anything in `source` the
    format cannot hold (naming the host path and the reason), for running out of blocks part way,
    for an image in use (`lock.ImageInUse`), and for an existing file that is neither empty nor a
    Ferrite image unless `force` is given.
    """
    path = Path(path)
    if size_bytes % BLOCK_SIZE:
        raise FerriteError(f"{path}: the size, {size_bytes} bytes, is not a whole number of {BLOCK_SIZE}-byte blocks")
    sb = layout.geometry(size_bytes // BLOCK_SIZE, inodes=inodes, log_blocks=log_blocks)
    root = _scan(Path(source)) if source is not None else _Node(b"", ROOT_MODE, "/")
    _add_directories(root, directories)
    order = _number(root, sb.inode_count)
    with lock.writing(path):
        _check_replaceable(path, force)
        new = path.with_name(f".{path.name}.mkfs-{os.getpid()}")
        try:
            fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as e:
            raise FerriteError(f"{path}: cannot create the image ({e.strerror})") from e
        try:
            os.ftruncate(fd, size_bytes)
            writer = _Writer(fd, sb)
            for node in order:
                if node.is_dir:
                    _write_directory(writer, node)
                else:
                    _write_file(writer, node)
            _write_metadata(writer, sb, len(order))
            os.close(fd)
            fd = -1
            os.replace(new, path)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            new.unlink(missing_ok=True)
            raise
    directories_made = sum(node.is_dir for node in order)
    return Made(sb, len(order) - directories_made, directories_made, writer.next_block)
