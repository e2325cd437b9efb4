"""The names of the rules fsck checks, shared word for word with the kernel's diskfs crate.

A violation is reported under one of these names. They are part of the contract: the kernel
names the first violation it finds when it refuses a disk, the tests corrupt an image in one
precise way and expect one precise name, and a learner can search the source for a name to find
the check. docs/disk-format.md has the rules themselves; each line below says which.
"""

from __future__ import annotations

import dataclasses
import enum


class Rule(enum.Enum):
    """One rule of docs/disk-format.md that an image can break."""

    #: The superblock does not start with `FERRITFS`.
    BAD_MAGIC = "bad-magic"
    #: The superblock's version is not 1.
    BAD_VERSION = "bad-version"
    #: The superblock's checksum does not match bytes 0 to 123.
    BAD_SUPERBLOCK_CHECKSUM = "bad-superblock-checksum"
    #: A superblock field contradicts the layout (sizes, order, bounds, root, block size, reserved bytes).
    BAD_GEOMETRY = "bad-geometry"
    #: The log header's magic or checksum is wrong, or its reserved bytes are not zero.
    BAD_LOG_HEADER = "bad-log-header"
    #: A checksummed log header whose count or targets break the rules: the disk is refused.
    LOG_DOES_NOT_REPLAY = "log-does-not-replay"
    #: An inode's bitmap bit says in use and its mode says free, or the other way round.
    INODE_BITMAP_MISMATCH = "inode-bitmap-mismatch"
    #: A block used by an inode has its bit clear, or a data block's bit is set and nobody uses it.
    BLOCK_BITMAP_MISMATCH = "block-bitmap-mismatch"
    #: A bit that is always set is clear: inode 0, the metadata blocks, or the padding.
    BITMAP_RESERVED_BITS = "bitmap-reserved-bits"
    #: An inode's own bytes are wrong: its type, its reserved bytes, its size, a free inode not zero.
    BAD_INODE = "bad-inode"
    #: A block pointer below `data_start` or at or past `block_count`.
    BLOCK_OUT_OF_RANGE = "block-out-of-range"
    #: A block referenced twice, as data or as an indirect block, by one inode or two.
    BLOCK_SHARED = "block-shared"
    #: A non-zero pointer for a block at or past the end of the file.
    BLOCK_PAST_END = "block-past-end"
    #: `links` does not count the entries naming the inode.
    BAD_LINK_COUNT = "bad-link-count"
    #: A directory whose size is 0 or not a whole number of blocks.
    BAD_DIRECTORY_SIZE = "bad-directory-size"
    #: A directory with a hole.
    DIRECTORY_HOLE = "directory-hole"
    #: Entry 0 is not `.` naming the directory, or entry 1 is not `..` naming its parent.
    BAD_DOT_ENTRIES = "bad-dot-entries"
    #: A directory entry's bytes are wrong: name, reserved bytes, kind, or a non-zero empty slot.
    BAD_ENTRY = "bad-entry"
    #: A name appears twice in one directory.
    DUPLICATE_NAME = "duplicate-name"
    #: An entry names an inode that is free.
    ENTRY_TO_FREE_INODE = "entry-to-free-inode"
    #: A directory named twice, the root named at all, or a cycle of directories cut off from the root.
    DIRECTORY_LOOP = "directory-loop"
    #: An inode in use with links that the root does not lead to.
    UNREACHABLE_INODE = "unreachable-inode"
    #: Inode 1 is not a directory in use.
    BAD_ROOT = "bad-root"


@dataclasses.dataclass(frozen=True)
class Violation:
    """One broken rule, with a sentence that names the inode, block or entry."""

    rule: Rule
    message: str

    @property
    def name(self) -> str:
        """The rule's stable kebab-case name, as the kernel prints it."""
        return self.rule.value

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"
