"""Ferrite's disk file system, from the host: make an image, check one, look inside one.

The kernel mounts a disk whose format docs/disk-format.md defines byte by byte. The host needs to
write that format (`./x.py mkfs` makes build/disk.img and the tests' images) and to read it
(`./x.py fsck`, `./x.py fs ls|cat|extract`, and tests that check what the kernel wrote). It
could borrow the kernel's `diskfs` crate through a helper binary, but then a misreading of the
page would be shared by both sides and no test could catch it. So Python has its own copy,
written from the page and not from the Rust: the tests make each side read what the other
wrote, and two independent readings that agree are the evidence that the page is followed.

The package is standard library only, like set-up, so these commands need no toolchain.

- `layout`: the constants and the on-disk records (superblock, inode, directory entry, log header);
- `rules`: the names of the rules fsck checks, which the kernel uses too;
- `image`: opening an image, the superblock and log checks, the in-memory log replay, a reader;
- `lock`: the lock QEMU takes on an image, which every tool that writes one takes too;
- `mkfs`; `fsck` with `namespace` (its directory and tree checks) and the words `./x.py fsck`
  prints; `tree` (listing and extracting).
"""

from ferrite_tools.fs import lock
from ferrite_tools.fs.fsck import Report, fsck, report_lines
from ferrite_tools.fs.mkfs import Made, mkfs, parse_size
from ferrite_tools.fs.rules import Rule, Violation
from ferrite_tools.fs.tree import Listing, extract, list_tree, read_file

__all__ = [
    "Listing",
    "Made",
    "Report",
    "Rule",
    "Violation",
    "extract",
    "fsck",
    "list_tree",
    "lock",
    "mkfs",
    "parse_size",
    "read_file",
    "report_lines",
]
