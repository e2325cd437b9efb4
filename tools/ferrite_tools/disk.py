"""The disks of `./x.py`: the persistent disk a run attaches, and the image commands `mkfs`,
`fsck` and `fs`.

The file system itself (making, checking, reading an image) is the `fs` package; this module is
what the commands do with it: which disk a run gets and when it is made, what the image commands
print and with which exit status. It once lived in the command line, mixed with the terminal and
the debugger; on its own it is the one place that decides when a disk is created or replaced.

Like `fs`, it uses only the standard library: x.py runs the image commands with whatever Python
started it, before any virtual environment exists (see bootstrap.py).
"""

from __future__ import annotations

import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ferrite_tools import fs, paths

#: The disk `./x.py run` attaches: made on first use, kept across runs, so files written in one
#: session are there in the next.
RUN_DISK = paths.BUILD_DIR / "disk.img"
#: Its size when it is made.
RUN_DISK_SIZE = 64 * 2**20
#: The directories the kernel mounts things on when the disk is the root (it makes missing ones
#: itself; making them here keeps a fresh disk's first boot from writing).
MOUNT_POINTS = ("bin", "dev", "proc", "tmp")


def run_disk(disk: Path, fresh: bool) -> Path:
    """The persistent disk of `./x.py run`, made if it is missing (or `fresh`). Refused, untouched,
    while another run or a QEMU has it (`fs.lock`)."""
    if fresh or not disk.exists():
        # A fresh disk replaces whatever is there: the user asked for exactly that.
        made = fs.mkfs(disk, RUN_DISK_SIZE, directories=MOUNT_POINTS, force=fresh)
        print(f"made a new {RUN_DISK_SIZE // 2**20} MiB disk: {disk} ({made.superblock.inode_count} inodes)")
    return disk


@contextmanager
def held_for_run(disk: Path | None, fresh: bool) -> Iterator[Path | None]:
    """The disk of one run (None: boot without one), made if needed and held (`fs.lock`) until
    the `with` block ends. A disk in use is refused before anything is built or written, so a
    refused run costs nothing; the lock is taken again, for real, once the disk exists."""
    if disk is None:
        yield None
        return
    in_use = fs.lock.holder(disk)
    if in_use is not None:
        raise fs.lock.ImageInUse(in_use)
    made = run_disk(disk, fresh)
    with fs.lock.held_for_run(made):
        yield made


def mkfs(image: Path, size_text: str, *, inodes: int | None, source: Path | None, force: bool) -> int:
    """`./x.py mkfs`: a new file system in `image`, and one line saying what it holds."""
    size = fs.parse_size(size_text)
    made = fs.mkfs(image, size, inodes=inodes, source=source, force=force)
    sb = made.superblock
    print(
        f"{image}: {size / 2**20:g} MiB, {sb.block_count} blocks, {sb.inode_count} inodes, a log of "
        f"{sb.log_blocks} blocks; {made.files} files and {made.directories} directories, "
        f"{made.blocks_used} blocks used"
    )
    return 0


def fsck(image: Path) -> int:
    """`./x.py fsck`: the report of `fs.fsck`, and 0 only for a clean image."""
    if fs.lock.holder(image) is not None:
        print(f"{image}: note: a running QEMU has this image open; what fsck reads may be half of a change")
    report = fs.fsck(image)
    for line in fs.report_lines(report, image):
        print(line)
    return 0 if report.clean and report.counts is not None else 1


def fs_command(action: str, image: Path, path: str, dest: Path | None = None) -> int:
    """`./x.py fs ls|cat|extract`: look inside an image."""
    if action == "ls":
        for item in fs.list_tree(image, path):
            print(f"{stat.filemode(item.mode)} {item.size:>12} {item.path}")
    elif action == "cat":
        sys.stdout.buffer.write(fs.read_file(image, path))
        sys.stdout.buffer.flush()
    else:
        assert dest is not None, "extract needs a destination"
        written = fs.extract(image, path, dest)
        print(f"{path}: {written} files and directories extracted to {dest}")
    return 0
