"""Looking inside an image from the host: list its tree, read a file, extract files and folders.

These are the host's way to see what the kernel wrote (a test's output files, a disk after a
crash) without booting Ferrite. They read through the same superblock and log checks as fsck
and refuse, in one sentence, an image that fsck would refuse at that level. Past that they do
not run fsck's full catalogue; they stop at the first thing that does not make sense on the path
they follow, and a directory reached twice stops them rather than looping.

A name from the image becomes a host path component only after the checks the format makes
(no `/`, no zero byte, not `.` or `..`), so a corrupt image cannot make `extract` write outside
the destination.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterator, NamedTuple

from ferrite_tools.errors import FerriteError
from ferrite_tools.fs import layout
from ferrite_tools.fs.image import Reader, open_checked
from ferrite_tools.fs.layout import Inode

#: The permission bits extract gives host files: setuid, setgid and sticky bits are dropped, so
#: extracting an image (as root, say) never makes a set-user-ID program on the host.
HOST_PERMISSIONS = 0o777


class Listing(NamedTuple):
    """One file or directory in the image."""

    #: Its absolute path in the image: "/", "/bin", "/bin/sh".
    path: str
    #: "file", "directory" or "link".
    kind: str
    #: Type and permissions, as `st_mode`.
    mode: int
    size: int


def _join(parent: str, name: str) -> str:
    return f"{parent.rstrip('/')}/{name}"


def _resolve(reader: Reader, inside: str) -> tuple[str, int, Inode]:
    """The path shown for `inside`, and its inode number and inode."""
    number = layout.ROOT_INODE
    inode = reader.inode(number)
    if not inode.is_dir:
        raise FerriteError(f"{reader.image.path}: the root (inode 1) is not a directory; ./x.py fsck says more")
    shown = "/"
    for part in (part for part in inside.split("/") if part and part != "."):
        if not inode.is_dir:
            raise FerriteError(f"{reader.image.path}: {shown} is a file, not a directory")
        name = os.fsencode(part)
        entry = next((entry for entry in reader.entries(number, inode) if entry.name == name), None)
        if entry is None:
            raise FerriteError(f"{reader.image.path}: there is no {_join(shown, part)}")
        number, inode = entry.inode, reader.inode(entry.inode)
        shown = _join(shown, part)
    return shown, number, inode


def _bad_directory(reader: Reader, shown: str, what: str) -> FerriteError:
    return FerriteError(f"{reader.image.path}: directory {shown} has {what}; ./x.py fsck says more")


def _walk(reader: Reader, start: str, number: int, inode: Inode) -> Iterator[tuple[str, int, Inode]]:
    """`start` and everything under it, parents before children, names in byte order."""
    pending = [(start, number, inode)]
    seen: set[int] = set()
    while pending:
        shown, number, inode = pending.pop()
        yield shown, number, inode
        if not inode.is_dir:
            continue
        if number in seen:
            raise FerriteError(f"{reader.image.path}: directory inode {number} is reached twice; ./x.py fsck says more")
        seen.add(number)
        children: dict[bytes, tuple[str, int]] = {}
        for position, entry in enumerate(reader.entries(number, inode)):
            name = entry.name
            if position < 2 and name == b"." * (position + 1):
                continue
            if not 1 <= entry.name_len <= layout.MAX_NAME_LEN or b"/" in name or b"\0" in name or name in (b".", b".."):
                raise _bad_directory(reader, shown, f"an entry with a bad name {name!r}")
            if name in children:
                raise _bad_directory(reader, shown, f"the name {name!r} twice")
            children[name] = (_join(shown, os.fsdecode(name)), entry.inode)
        for _, (child_shown, child) in sorted(children.items(), reverse=True):
            pending.append((child_shown, child, reader.inode(child)))


def list_tree(path: Path, inside: str = "/") -> list[Listing]:
    """Every file and directory at and under `inside`, parents first, names in byte order."""
    image, sb = open_checked(Path(path))
    with image:
        reader = Reader(image, sb)
        shown, number, inode = _resolve(reader, inside)
        return [
            Listing(entry_path, _kind_name(node), node.mode, node.size)
            for entry_path, _, node in _walk(reader, shown, number, inode)
        ]


def _kind_name(inode: Inode) -> str:
    """How a listing names an inode's kind."""
    return "directory" if inode.is_dir else "link" if inode.is_link else "file"


def read_file(path: Path, inside: str) -> bytes:
    """The contents of the regular file `inside` (holes read as zeros)."""
    image, sb = open_checked(Path(path))
    with image:
        reader = Reader(image, sb)
        shown, number, inode = _resolve(reader, inside)
        if inode.is_dir:
            raise FerriteError(f"{path}: {shown} is a directory")
        return b"".join(bytes(chunk) if isinstance(chunk, int) else chunk for chunk in reader.chunks(number, inode))


def _write_host_file(reader: Reader, number: int, inode: Inode, target: Path) -> None:
    """Copies a file out; its holes stay holes in the host file. A symbolic link becomes a host
    symbolic link holding the same path."""
    if inode.is_link:
        data = b"".join(chunk for chunk in reader.chunks(number, inode) if not isinstance(chunk, int))
        target.unlink(missing_ok=True)
        os.symlink(os.fsdecode(data[: inode.size]), target)
        return
    with target.open("wb") as out:
        for chunk in reader.chunks(number, inode):
            if isinstance(chunk, int):
                out.seek(chunk, os.SEEK_CUR)
            else:
                out.write(chunk)
        out.truncate(inode.size)
    os.chmod(target, inode.mode & HOST_PERMISSIONS)


def extract(path: Path, inside: str, dest: Path) -> int:
    """Copies `inside` out of the image to `dest`; returns how many files and directories it wrote.

    A file goes to `dest`, or into it if `dest` is a directory. A directory's tree goes into
    `dest`, created if needed; files already there with the same names are replaced.
    Permissions are kept (without setuid, setgid and sticky bits).
    """
    dest = Path(dest)
    image, sb = open_checked(Path(path))
    with image:
        reader = Reader(image, sb)
        shown, number, inode = _resolve(reader, inside)
        if not inode.is_dir:
            target = dest / os.fsdecode(shown.rsplit("/", 1)[1]) if dest.is_dir() else dest
            _write_host_file(reader, number, inode, target)
            return 1
        directories: list[tuple[Path, int]] = []
        written = 0
        for entry_path, entry_number, node in _walk(reader, shown, number, inode):
            relative = entry_path[len(shown) :].lstrip("/")
            target = dest / relative if relative else dest
            if node.is_dir:
                target.mkdir(parents=True, exist_ok=True)
                directories.append((target, node.mode))
            else:
                _write_host_file(reader, entry_number, node, target)
            written += 1
        # Permissions last, deepest first: a read-only directory must first be filled.
        for directory, mode in reversed(directories):
            os.chmod(directory, stat.S_IMODE(mode) & HOST_PERMISSIONS)
        return written
