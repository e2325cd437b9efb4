"""fsck's second half: every directory's entries, and the tree that the entries make.

fsck.py has by now read every inode in use and claimed every block, so this part can trust
that a directory's blocks are in range and its own (a block fsck found shared or out of range
is simply not read here: it has been reported already). It checks each entry's bytes, then what
the entries say together: each inode's link count, that every directory but the root is named by
exactly one entry and that its `..` names that entry's directory, and what the root leads to.

The walk from the root is breadth first with a queue, and a directory is entered only the first
time it is reached, so a corrupt tree (a loop, a directory named twice) cannot make it run for
ever. Directories the root does not reach are followed up their parents' entries, which finds
the cycles among them without recursion.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import Callable

from ferrite_tools.fs import layout
from ferrite_tools.fs.image import Image
from ferrite_tools.fs.layout import BLOCK_SIZE, DirEntry, Inode, Superblock
from ferrite_tools.fs.rules import Rule

_ZERO_BLOCK = bytes(BLOCK_SIZE)


@dataclasses.dataclass(frozen=True)
class Orphan:
    """An inode in use with no links: unlinked while open when the system stopped. Not a violation;
    the kernel frees it when it mounts."""

    inode: int
    is_dir: bool
    size: int

    def __str__(self) -> str:
        kind = "directory" if self.is_dir else "regular file"
        return f"inode {self.inode} ({kind}, {self.size} bytes) has no links; the kernel frees it at mount"


def _show(name: bytes) -> str:
    return repr(name.decode("utf-8", "backslashreplace"))


class Namespace:
    """The directory checks of one fsck run, over what its earlier passes found."""

    def __init__(
        self,
        image: Image,
        sb: Superblock,
        inodes: dict[int, Inode],
        dir_blocks: dict[int, dict[int, int]],
        dir_present: dict[int, set[int]],
        report: Callable[[Rule, str], None],
    ) -> None:
        self.image = image
        self.sb = sb
        #: Inodes in use, whatever their type.
        self.inodes = inodes
        #: Each directory's blocks that it owns, by file block index.
        self.dir_blocks = dir_blocks
        #: Each directory's block indices that have a non-zero pointer.
        self.dir_present = dir_present
        self.report = report
        #: Entries 2 onwards naming an inode in use of a known type: target -> [(directory, name)].
        self.named_by: dict[int, list[tuple[int, bytes]]] = {}
        #: Those entries by directory: directory -> [target].
        self.children: dict[int, list[int]] = {}
        #: What entry 1 (`..`) of each directory names, where it is a well-formed `..`.
        self.dotdot: dict[int, int] = {}
        self.orphans: list[Orphan] = []

    def run(self) -> list[Orphan]:
        """Reports what is wrong through `report`; returns the orphans."""
        for number, inode in self.inodes.items():
            if inode.is_dir:
                self._check_directory(number, inode)
        self._check_tree()
        return self.orphans

    def _check_directory(self, number: int, inode: Inode) -> None:
        if inode.size == 0 or inode.size % BLOCK_SIZE:
            whole = "not a whole non-zero number of blocks"
            self.report(Rule.BAD_DIRECTORY_SIZE, f"directory inode {number} has size {inode.size}, {whole}")
        span = min(inode.block_span, layout.MAX_FILE_BLOCKS)
        present = self.dir_present[number]
        if len(present) < span:
            hole = next(index for index in range(span) if index not in present)
            self.report(Rule.DIRECTORY_HOLE, f"directory inode {number} has a hole at its block {hole} (of {span})")
        names: set[bytes] = set()
        self.children[number] = []
        for index, block in sorted(self.dir_blocks[number].items()):
            data = self.image.read(block)
            if index != 0 and data == _ZERO_BLOCK:
                continue
            for slot in range(layout.ENTRIES_PER_BLOCK):
                raw = data[slot * layout.DIR_ENTRY.size : (slot + 1) * layout.DIR_ENTRY.size]
                position = index * layout.ENTRIES_PER_BLOCK + slot
                where = f"entry {position} of directory inode {number}"
                if position < 2:
                    self._check_dot(number, position, raw, where)
                else:
                    self._check_entry(number, raw, where, names)

    def _entry_bytes(self, entry: DirEntry, where: str) -> None:
        """The rules every entry's bytes follow: zeros after the name, reserved bytes zero."""
        if any(entry.name_field[entry.name_len :]):
            self.report(Rule.BAD_ENTRY, f"{where} has non-zero bytes after its {entry.name_len}-byte name")
        if entry.reserved:
            self.report(Rule.BAD_ENTRY, f"{where} has non-zero reserved bytes (6 and 7)")

    def _target(self, entry: DirEntry, where: str) -> Inode | None:
        """The inode an entry names, if it is in use and of the kind the entry says."""
        if entry.inode > self.sb.inode_count:
            self.report(Rule.BAD_ENTRY, f"{where} names inode {entry.inode}, past inode_count {self.sb.inode_count}")
            return None
        target = self.inodes.get(entry.inode)
        if target is None:
            free = f"{where} ({_show(entry.name)}) names inode {entry.inode}, which is free"
            self.report(Rule.ENTRY_TO_FREE_INODE, free)
            return None
        if not target.has_valid_type:
            self.report(Rule.BAD_ENTRY, f"{where} names inode {entry.inode}, which is not a file, directory or link")
            return None
        if entry.kind != layout.kind_of(target.mode):
            actual = "a directory" if target.is_dir else "a symbolic link" if target.is_link else "a regular file"
            self.report(Rule.BAD_ENTRY, f"{where} has kind {entry.kind} but inode {entry.inode} is {actual}")
        return target

    def _check_dot(self, number: int, position: int, raw: bytes, where: str) -> None:
        """Entry 0 is `.` naming the directory, entry 1 `..` naming a directory (which one is
        checked with the tree). Whatever is wrong with what they name is `bad-dot-entries`."""
        entry = DirEntry.unpack(raw)
        expected = b"." * (position + 1)
        if entry.inode == 0 or entry.name_len != len(expected) or entry.name != expected:
            shown = "an empty slot" if entry.inode == 0 else _show(entry.name_field[: entry.name_len])
            self.report(Rule.BAD_DOT_ENTRIES, f"{where} is {shown}, not {_show(expected)}")
            return
        self._entry_bytes(entry, where)
        target = self.inodes.get(entry.inode)
        if position == 0 and entry.inode != number:
            self.report(Rule.BAD_DOT_ENTRIES, f"{where} ('.') names inode {entry.inode}, not the directory itself")
        elif target is None or not target.is_dir:
            what = "a free inode" if target is None else f"mode {target.mode:#o}"
            self.report(Rule.BAD_DOT_ENTRIES, f"{where} ('..') names inode {entry.inode}, {what}, not a directory")
        else:
            if entry.kind != layout.KIND_DIR:
                self.report(Rule.BAD_ENTRY, f"{where} has kind {entry.kind} but names a directory")
            if position == 1:
                self.dotdot[number] = entry.inode

    def _check_entry(self, number: int, raw: bytes, where: str, names: set[bytes]) -> None:
        entry = DirEntry.unpack(raw)
        if entry.inode == 0:
            if any(raw):
                self.report(Rule.BAD_ENTRY, f"{where} is an empty slot (inode 0) whose other bytes are not zero")
            return
        name = entry.name
        if not 1 <= entry.name_len <= layout.MAX_NAME_LEN:
            self.report(Rule.BAD_ENTRY, f"{where} has name_len {entry.name_len}, not 1 to {layout.MAX_NAME_LEN}")
        elif b"/" in name or b"\0" in name:
            self.report(Rule.BAD_ENTRY, f"{where} has a '/' or a zero byte in its name {_show(name)}")
        elif name in (b".", b".."):
            self.report(Rule.BAD_ENTRY, f"{where} is named {_show(name)}, which only entries 0 and 1 may be")
        else:
            self._entry_bytes(entry, where)
            if name in names:
                self.report(Rule.DUPLICATE_NAME, f"{where}: {_show(name)} appears twice in the directory")
            names.add(name)
        target = self._target(entry, where)
        if target is None:
            return
        self.named_by.setdefault(entry.inode, []).append((number, name))
        self.children[number].append(entry.inode)

    # --- the tree ------------------------------------------------------------------------------

    def _check_tree(self) -> None:
        root = self.inodes.get(layout.ROOT_INODE)
        root_ok = root is not None and root.is_dir
        if root is None:
            self.report(Rule.BAD_ROOT, f"inode {layout.ROOT_INODE}, the root directory, is free")
        elif not root_ok:
            self.report(Rule.BAD_ROOT, f"inode {layout.ROOT_INODE}, the root directory, has mode {root.mode:#o}")
        parent: dict[int, int] = {}
        for number, inode in self.inodes.items():
            if inode.has_valid_type:
                self._check_links(number, inode)
            if inode.is_dir:
                self._check_naming(number, parent)
        if not root_ok:
            return
        reached = {layout.ROOT_INODE}
        queue = deque([layout.ROOT_INODE])
        while queue:
            for child in self.children.get(queue.popleft(), ()):
                if child not in reached:
                    reached.add(child)
                    if self.inodes[child].is_dir:
                        queue.append(child)
        lost = {
            number
            for number, inode in self.inodes.items()
            if inode.has_valid_type and inode.links and number not in reached
        }
        in_cycles = self._report_cycles(lost, parent)
        for number in sorted(lost - in_cycles):
            inode = self.inodes[number]
            kind = "directory" if inode.is_dir else "symbolic link" if inode.is_link else "regular file"
            links = f"{inode.links} link{'' if inode.links == 1 else 's'}"
            message = f"inode {number} ({kind}, {links}) is in use but the root does not lead to it"
            self.report(Rule.UNREACHABLE_INODE, message)

    def _check_links(self, number: int, inode: Inode) -> None:
        names = self.named_by.get(number, [])
        if inode.links == 0:
            if names:
                self.report(Rule.BAD_LINK_COUNT, f"inode {number} has links 0 but {len(names)} entries name it")
            else:
                self.orphans.append(Orphan(number, inode.is_dir, inode.size))
            return
        if not inode.is_dir and inode.links != len(names):
            self.report(Rule.BAD_LINK_COUNT, f"inode {number} has links {inode.links} but {len(names)} entries name it")
        if inode.is_dir:
            subdirectories = sum(self.inodes[child].is_dir for child in self.children.get(number, ()))
            if inode.links != 2 + subdirectories:
                self.report(
                    Rule.BAD_LINK_COUNT,
                    f"directory inode {number} has links {inode.links}, but with {subdirectories} subdirectories it "
                    f"should have {2 + subdirectories}",
                )

    def _check_naming(self, number: int, parent: dict[int, int]) -> None:
        """A directory is named by one entry (the root by none); its `..` names that entry's directory."""
        names = self.named_by.get(number, [])
        shown = ", ".join(f"{_show(name)} in directory inode {directory}" for directory, name in names[:4])
        if number == layout.ROOT_INODE:
            if names:
                self.report(Rule.DIRECTORY_LOOP, f"the root directory is named by an entry ({shown})")
            expected = number
        elif len(names) > 1:
            self.report(Rule.DIRECTORY_LOOP, f"directory inode {number} is named by {len(names)} entries ({shown})")
            return
        elif names:
            expected = parent[number] = names[0][0]
        else:
            return
        dotdot = self.dotdot.get(number)
        if dotdot is not None and dotdot != expected:
            self.report(
                Rule.BAD_DOT_ENTRIES,
                f"entry 1 ('..') of directory inode {number} names inode {dotdot}, not its parent {expected}",
            )

    def _report_cycles(self, lost: set[int], parent: dict[int, int]) -> set[int]:
        """Reports each cycle of directories, by their parents' entries, among those the root does
        not reach, and returns their members."""
        walk_of: dict[int, int] = {}
        members: set[int] = set()
        for start in sorted(lost):
            path: list[int] = []
            at: int | None = start
            while at is not None and at in lost and at not in walk_of:
                walk_of[at] = start
                path.append(at)
                at = parent.get(at)
            if at is not None and walk_of.get(at) == start and at in path:
                cycle = path[path.index(at) :]
                members.update(cycle)
                listed = ", ".join(map(str, cycle))
                cycle_of = f"directory inodes {listed} name each other in a cycle the root does not lead to"
                self.report(Rule.DIRECTORY_LOOP, cycle_of)
        return members
