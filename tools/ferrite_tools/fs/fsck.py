"""fsck: check an image against every rule of docs/disk-format.md, and name what is broken.

The kernel refuses a disk at its first violation; fsck is the tool that says everything that is
wrong, so it keeps going for as long as what it has read still means something. Only a broken
superblock or log stops it early: past those, it would be reading regions it cannot locate or
blocks a committed transaction was about to replace.

It works in passes, each over data the previous one made trustworthy:

1. the superblock, then the log, whose committed transaction is replayed in memory (`image.py`);
2. the inode table, once, keeping the inodes in use;
3. every block pointer of every inode in use, claiming each block for its first user: a second
   claim is `block-shared`, and since an indirect block is followed only on its first claim, no
   block is read twice however the pointers loop, which bounds the work by the image's size;
4. the bitmaps against what passes 2 and 3 found;
5. every directory's entries, then the tree they make: link counts, `..`, reachability, loops
   (`namespace.py`).

It must survive any bytes at all (the tests feed it random corruption), so every number read
from the image is checked before it is used as an index, and the directory tree is walked with
a queue, never recursion.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterator

from ferrite_tools.fs import layout
from ferrite_tools.fs.image import Image, LogState, check_log, check_superblock
from ferrite_tools.fs.layout import BITS_PER_BLOCK, BLOCK_SIZE, Inode, Superblock
from ferrite_tools.fs.namespace import Namespace, Orphan
from ferrite_tools.fs.rules import Rule, Violation

#: Violations listed in a report; past this many only their number is kept.
MAX_REPORTED = 100
_ZERO_BLOCK = bytes(BLOCK_SIZE)
_ZERO_INODE = bytes(layout.INODE_SIZE)
#: Roles of a block that are not a file block index (which is 0 or more).
_INDIRECT = -1
_DOUBLE = -2


@dataclasses.dataclass(frozen=True)
class Counts:
    """What is in use, from the bitmaps (blocks include the metadata)."""

    files: int
    directories: int
    blocks: int
    blocks_used: int
    inodes: int
    inodes_used: int

    @property
    def blocks_free(self) -> int:
        return self.blocks - self.blocks_used

    @property
    def inodes_free(self) -> int:
        return self.inodes - self.inodes_used


@dataclasses.dataclass(frozen=True)
class Report:
    """What fsck found in one image."""

    path: Path
    #: The first MAX_REPORTED violations, in the order the checks found them.
    violations: tuple[Violation, ...]
    #: Violations found past those.
    omitted: int
    orphans: tuple[Orphan, ...]
    #: The log's state, or None if the checks stopped before it.
    log: LogState | None
    #: None if the checks stopped at the superblock or the log.
    counts: Counts | None

    @property
    def clean(self) -> bool:
        return not self.violations

    @property
    def names(self) -> set[str]:
        """The names of the rules broken (of those listed)."""
        return {violation.name for violation in self.violations}

    @property
    def replayed(self) -> int:
        """Blocks the log's committed transaction put in place (in memory only)."""
        return self.log.replayed if self.log is not None else 0


def report_lines(report: Report, where: object) -> list[str]:
    """What `./x.py fsck` prints for `report`, one line each, every line led by `where` (the
    image as the user named it): a replayed or ignored log, each violation and orphan, then the
    verdict. Kept beside the checks so that the words and the report change together."""
    lines = []
    log = report.log
    if log is not None and log.replayed:
        replayed = f"transaction {log.sequence} ({log.replayed} blocks)"
        lines.append(f"{where}: log: replayed {replayed} in memory; the image is unchanged")
    if log is not None and log.stale:
        lines.append(f"{where}: log: ignored a transaction that never committed (its data checksum does not match)")
    for violation in report.violations:
        lines.append(f"{where}: {violation.name}: {violation.message}")
    if report.omitted:
        lines.append(f"{where}: ... and {report.omitted} more violations")
    for orphan in report.orphans:
        lines.append(f"{where}: orphan: {orphan}")
    if report.clean and report.counts is not None:
        counts = report.counts
        lines.append(
            f"{where}: clean: {counts.files} files, {counts.directories} directories, "
            f"{counts.blocks_used} of {counts.blocks} blocks used"
        )
    else:
        total = len(report.violations) + report.omitted
        lines.append(f"{where}: {total} violation{'' if total == 1 else 's'}")
    return lines


def fsck(path: Path) -> Report:
    """Checks the image at `path` without writing to it.

    Returns a Report for any contents at all; raises FerriteError only if the file cannot be
    read or is smaller than one block.
    """
    path = Path(path)
    with Image.open(path) as image:
        sb, early = check_superblock(image.read(0), image.blocks)
        log = None
        if sb is not None:
            log, problems = check_log(image, sb)
            early += problems
        if sb is None or log is None:
            # Past an unusable superblock or log nothing else can be located or trusted.
            listed = tuple(early[:MAX_REPORTED])
            return Report(path, listed, len(early) - len(listed), (), None, None)
        check = _Check(image, sb)
        for violation in early:
            check.report(violation.rule, violation.message)
        return check.run(log)


def _bit_runs(bits: int, limit: int) -> tuple[list[tuple[int, int]], int]:
    """The first `limit` runs of set bits in `bits`, as (first, last), and how many runs there are."""
    total = (bits & ~(bits << 1)).bit_count()
    runs: list[tuple[int, int]] = []
    while bits and len(runs) < limit:
        low = (bits & -bits).bit_length() - 1
        shifted = bits >> low
        length = (shifted ^ (shifted + 1)).bit_length() - 1
        runs.append((low, low + length - 1))
        bits = (shifted >> length) << (low + length)
    return runs, total


def _mask(start: int, end: int) -> int:
    """Bits `start` to `end - 1` set."""
    return ((1 << max(end - start, 0)) - 1) << start


def _nonzero(block: bytes) -> Iterator[tuple[int, int]]:
    """The (slot, pointer) pairs of an indirect block that are not holes."""
    if block == _ZERO_BLOCK:
        return iter(())
    return ((slot, pointer) for slot, pointer in enumerate(layout.pointers(block)) if pointer)


class _Check:
    """One run of fsck over one image: the passes share what they found through these fields."""

    def __init__(self, image: Image, sb: Superblock) -> None:
        self.image = image
        self.sb = sb
        #: The block bitmap that the inodes' pointers make: a bit for each block claimed.
        self.used = bytearray(sb.block_bitmap_blocks * BLOCK_SIZE)
        self.violations: list[Violation] = []
        self.omitted = 0
        #: Inodes in use (mode not 0), whatever their type.
        self.inodes: dict[int, Inode] = {}
        #: Each block claimed so far: its first user and role (a file block index, or _INDIRECT...).
        self.owner: dict[int, tuple[int, int]] = {}
        #: Directories' blocks that they own, by file block index, to read their entries from.
        self.dir_blocks: dict[int, dict[int, int]] = {}
        #: Directories' block indices with a non-zero pointer, to find holes.
        self.dir_present: dict[int, set[int]] = {}

    def report(self, rule: Rule, message: str) -> None:
        if len(self.violations) < MAX_REPORTED:
            self.violations.append(Violation(rule, message))
        else:
            self.omitted += 1

    def run(self, log: LogState) -> Report:
        sb = self.sb
        self._read_inodes()
        for number, inode in self.inodes.items():
            self._walk_blocks(number, inode)
        inode_bitmap = self._check_inode_bitmap()
        block_bitmap = self._check_block_bitmap()
        orphans = Namespace(self.image, sb, self.inodes, self.dir_blocks, self.dir_present, self.report).run()
        counts = Counts(
            files=sum(inode.is_file for inode in self.inodes.values()),
            directories=sum(inode.is_dir for inode in self.inodes.values()),
            blocks=sb.block_count,
            blocks_used=(block_bitmap & _mask(0, sb.block_count)).bit_count(),
            inodes=sb.inode_count,
            inodes_used=(inode_bitmap & _mask(1, sb.inode_count + 1)).bit_count(),
        )
        return Report(self.image.path, tuple(self.violations), self.omitted, tuple(orphans), log, counts)

    # --- pass 2: the inode table ----------------------------------------------------------------

    def _read_inodes(self) -> None:
        sb = self.sb
        for table_block in range(sb.inode_table_blocks):
            data = self.image.read(sb.inode_table_start + table_block)
            if data == _ZERO_BLOCK:
                continue
            for slot in range(layout.INODES_PER_BLOCK):
                number = table_block * layout.INODES_PER_BLOCK + slot + 1
                if number > sb.inode_count:
                    break
                raw = data[slot * layout.INODE_SIZE : (slot + 1) * layout.INODE_SIZE]
                if raw != _ZERO_INODE:
                    self._check_inode(number, Inode.unpack(raw))

    def _check_inode(self, number: int, inode: Inode) -> None:
        if inode.mode == 0:
            self.report(Rule.BAD_INODE, f"inode {number} is free (mode 0) but its other bytes are not zero")
            return
        self.inodes[number] = inode
        if not inode.has_valid_type:
            self.report(
                Rule.BAD_INODE,
                f"inode {number} has mode {inode.mode:#o}, whose type is not a regular file (0o100000), "
                "a directory (0o040000) or a symbolic link (0o120000)",
            )
        if inode.is_link and not 1 <= inode.size <= layout.MAX_LINK_TARGET:
            self.report(
                Rule.BAD_INODE, f"symbolic link {number} has size {inode.size}, not 1 to {layout.MAX_LINK_TARGET}"
            )
        if inode.reserved_low or any(inode.reserved_high):
            self.report(Rule.BAD_INODE, f"inode {number}'s reserved bytes (4 to 7, 88 to 127) are not zero")
        if inode.size > layout.MAX_FILE_SIZE:
            largest = layout.MAX_FILE_SIZE
            self.report(Rule.BAD_INODE, f"inode {number} has size {inode.size}, more than the largest file ({largest})")

    # --- pass 3: block pointers -----------------------------------------------------------------

    def _role(self, number: int, role: int) -> str:
        if role >= 0:
            return f"block {role} of inode {number}"
        if role == _INDIRECT:
            return f"the indirect block of inode {number}"
        if role == _DOUBLE:
            return f"the double indirect block of inode {number}"
        return f"indirect block {-role - 3} of inode {number}'s double indirect block"

    def _claim(self, block: int, number: int, role: int) -> bool:
        """Records that inode `number` uses `block`. False if it may not (out of range, or taken)."""
        sb = self.sb
        if not sb.data_start <= block < sb.block_count:
            self.report(
                Rule.BLOCK_OUT_OF_RANGE,
                f"{self._role(number, role)} is block {block}, outside the data blocks "
                f"({sb.data_start} to {sb.block_count - 1})",
            )
            return False
        first = self.owner.get(block)
        if first is not None:
            both = f"{self._role(*first)} and {self._role(number, role)}"
            self.report(Rule.BLOCK_SHARED, f"block {block} is both {both}")
            return False
        self.owner[block] = (number, role)
        self.used[block // 8] |= 1 << (block % 8)
        return True

    def _walk_blocks(self, number: int, inode: Inode) -> None:
        span = min(inode.block_span, layout.MAX_FILE_BLOCKS)
        is_dir = inode.is_dir
        owned: dict[int, int] = {}
        present: set[int] = set()

        def data(index: int, block: int) -> None:
            if index >= span:
                self.report(
                    Rule.BLOCK_PAST_END,
                    f"inode {number} maps its block {index} to block {block}, past its end "
                    f"(size {inode.size} is {span} blocks)",
                )
            elif is_dir:
                present.add(index)
            if self._claim(block, number, index) and is_dir and index < span:
                owned[index] = block

        for index, block in enumerate(inode.direct):
            if block:
                data(index, block)
        if inode.indirect and self._claim(inode.indirect, number, _INDIRECT):
            for slot, block in _nonzero(self.image.read(inode.indirect)):
                data(layout.FIRST_INDIRECT + slot, block)
        if inode.double_indirect and self._claim(inode.double_indirect, number, _DOUBLE):
            for first, indirect in _nonzero(self.image.read(inode.double_indirect)):
                if self._claim(indirect, number, -3 - first):
                    base = layout.FIRST_DOUBLE + first * layout.POINTERS_PER_BLOCK
                    for slot, block in _nonzero(self.image.read(indirect)):
                        data(base + slot, block)
        if is_dir:
            self.dir_blocks[number] = owned
            self.dir_present[number] = present

    # --- pass 4: the bitmaps --------------------------------------------------------------------

    def _read_region(self, start: int, blocks: int) -> int:
        """A bitmap region as one integer: bit i of the bitmap is bit i of the number."""
        data = b"".join(self.image.read(start + i) for i in range(blocks))
        return int.from_bytes(data, "little")

    def _report_runs(self, rule: Rule, bits: int, describe: str) -> None:
        """One violation per run of set bits in `bits`. `describe` names the run {span}, with
        {s} and {are} agreeing with how many bits it has."""
        runs, total = _bit_runs(bits, MAX_REPORTED)
        for first, last in runs:
            one = first == last
            span = f"{first}" if one else f"{first} to {last}"
            self.report(rule, describe.format(span=span, s="" if one else "s", are="is" if one else "are"))
        self.omitted += total - len(runs)

    def _check_inode_bitmap(self) -> int:
        sb = self.sb
        bitmap = self._read_region(sb.inode_bitmap_start, sb.inode_bitmap_blocks)
        in_use_bits = bytearray(sb.inode_bitmap_blocks * BLOCK_SIZE)
        for number in self.inodes:
            in_use_bits[number // 8] |= 1 << (number % 8)
        in_use = int.from_bytes(in_use_bits, "little")
        if not bitmap & 1:
            self.report(Rule.BITMAP_RESERVED_BITS, "bit 0 of the inode bitmap (there is no inode 0) is clear")
        padding = _mask(sb.inode_count + 1, sb.inode_bitmap_blocks * BITS_PER_BLOCK)
        past = "inode bitmap bit{s} {span} (past inode_count) {are} clear"
        self._report_runs(Rule.BITMAP_RESERVED_BITS, ~bitmap & padding, past)
        inodes = _mask(1, sb.inode_count + 1)
        clear = "inode{s} {span} {are} in use but clear in the inode bitmap"
        self._report_runs(Rule.INODE_BITMAP_MISMATCH, in_use & ~bitmap & inodes, clear)
        unused = "inode{s} {span} {are} free but set in the inode bitmap"
        self._report_runs(Rule.INODE_BITMAP_MISMATCH, bitmap & ~in_use & inodes, unused)
        return bitmap

    def _check_block_bitmap(self) -> int:
        sb = self.sb
        bitmap = self._read_region(sb.block_bitmap_start, sb.block_bitmap_blocks)
        used = int.from_bytes(self.used, "little")
        metadata = _mask(0, sb.data_start)
        padding = _mask(sb.block_count, sb.block_bitmap_blocks * BITS_PER_BLOCK)
        data = _mask(sb.data_start, sb.block_count)
        metadata_clear = "block bitmap bit{s} {span} (metadata) {are} clear"
        self._report_runs(Rule.BITMAP_RESERVED_BITS, ~bitmap & metadata, metadata_clear)
        past = "block bitmap bit{s} {span} (past block_count) {are} clear"
        self._report_runs(Rule.BITMAP_RESERVED_BITS, ~bitmap & padding, past)
        runs, total = _bit_runs(used & ~bitmap & data, MAX_REPORTED)
        for first, last in runs:
            user = self._role(*self.owner[first])
            blocks = f"block {first} is" if first == last else f"blocks {first} to {last} are"
            message = f"{blocks} in use (block {first} is {user}) but clear in the block bitmap"
            self.report(Rule.BLOCK_BITMAP_MISMATCH, message)
        self.omitted += total - len(runs)
        unused = "block{s} {span} {are} set in the block bitmap but used by no inode"
        self._report_runs(Rule.BLOCK_BITMAP_MISMATCH, bitmap & ~used & data, unused)
        return bitmap
