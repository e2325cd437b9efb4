"""The initial ramdisk: Ferrite's user programs packed into one newc cpio archive.

Early on the kernel has no disk driver and no file system, so the programs it runs come in the
one extra file the bootloader loads next to it (its "ramdisk", passed with `ferrite-boot
--ramdisk`). This module writes that file, reads it back (for the tests and for listing what is
in an image), and checks that a host file given to `--add` is a program Ferrite can run.

The format is "new ASCII" cpio (magic 070701), the one Linux uses for its initramfs, so `cpio -t`
lists Ferrite's archives too. An entry is a 110-byte header of thirteen 8-digit hex numbers, then
the name with its NUL, then the data, each padded with zeros to a multiple of 4. An entry named
TRAILER!!! ends the archive. crates/initrd/src/lib.rs draws the layout.

The kernel reads the archive with the `initrd` crate, which has no heap. Both sides follow the same
rules. Names are relative and canonical (no empty, `.` or `..` components) and at most
MAX_PATH_LEN bytes. Names come in strictly increasing byte order, which is how the crate refuses
duplicates without a heap and why the archive is reproducible. Only zeros may follow the trailer.
`pack` writes nothing but constants into the fields that would carry host state (inode numbers
count from 1, owner 0, time 0), so the same members give the same bytes on any machine. The
fixture crates/initrd/tests/fixtures/sample.cpio is written by `pack` and read by both test
suites, which keeps the two sides in agreement.

`write_newc` under `pack` is the only newc writer of the tools: the Linux peer (peer.py) packs
its initramfs with it too, in its own order and with a device node, which `pack`'s stricter
rules (made for Ferrite's reader) would refuse. One writer means one place where the header,
the padding and the trailer can be wrong.
"""

from __future__ import annotations

import dataclasses
import stat
import string
import struct
from pathlib import Path
from typing import Iterator, Sequence

from ferrite_tools.errors import FerriteError, InvalidData

#: The magic of the "new ASCII" format, the only one written or read.
MAGIC = b"070701"
#: The magic of "new CRC", the same layout with a data checksum; refused by name.
CRC_MAGIC = b"070702"
#: The header fields after the magic, in order, with their cpio(5) names.
FIELDS = (
    "c_ino",
    "c_mode",
    "c_uid",
    "c_gid",
    "c_nlink",
    "c_mtime",
    "c_filesize",
    "c_devmajor",
    "c_devminor",
    "c_rdevmajor",
    "c_rdevminor",
    "c_namesize",
    "c_check",
)
#: Each field is this many hex digits.
FIELD_DIGITS = 8
#: The largest number a field holds.
FIELD_MAX = (1 << (4 * FIELD_DIGITS)) - 1
#: Header size in bytes (110).
HEADER_LEN = len(MAGIC) + len(FIELDS) * FIELD_DIGITS
#: Headers, and the data after each name, start at multiples of this.
ALIGN = 4
#: The name of the entry that ends an archive.
TRAILER = "TRAILER!!!"
#: The longest name in bytes, NUL not counted; crates/initrd has the same limit.
MAX_PATH_LEN = 255
#: The mode of a program: a regular file that anyone may read and run.
EXECUTABLE_MODE = stat.S_IFREG | 0o755
#: The mode of a data file: a regular file that anyone may read.
FILE_MODE = stat.S_IFREG | 0o644
#: The mode of the parent directories `pack` adds.
DIRECTORY_MODE = stat.S_IFDIR | 0o755
#: Links to a file: its one name.
_FILE_LINKS = 1
#: Links to a directory: its name in the parent, and its own ".".
_DIRECTORY_LINKS = 2
_HEX_DIGITS = frozenset(string.hexdigits.encode())


@dataclasses.dataclass(frozen=True)
class Member:
    """One file or directory in the archive, as the kernel will see it."""

    #: The path inside the archive, relative and canonical: "bin/hello".
    name: str
    #: The contents (empty for a directory).
    data: bytes
    #: File type and permissions, as in `st_mode`: 0o100755 for a program.
    mode: int
    #: A device node's major and minor numbers (Linux's initramfs needs /dev/console; Ferrite's
    #: ramdisk holds no device nodes, and `pack` refuses them).
    rdev: tuple[int, int] = (0, 0)

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)


def name_problem(name: str) -> str | None:
    """Why `name` cannot be an entry's name, or None if it can. Same rules as the Rust reader."""
    if not name:
        return "the name is empty"
    if "\0" in name:
        return "the name contains a NUL byte"
    if len(name.encode()) > MAX_PATH_LEN:
        return f"the name is longer than {MAX_PATH_LEN} bytes"
    if name.startswith("/"):
        return "the name is absolute; names are relative to the archive's root"
    for component in name.split("/"):
        if component == "":
            return "the name has an empty component ('//' or a trailing '/')"
        if component == ".":
            return "the name has a '.' component"
        if component == "..":
            return "the name has a '..' component"
    return None


def _parents(name: str) -> Iterator[str]:
    """The directories that contain `name`, outermost first: "a/b/c" gives "a", "a/b"."""
    parts = name.split("/")
    for end in range(1, len(parts)):
        yield "/".join(parts[:end])


def _member_problem(member: Member) -> str | None:
    """Why `pack` cannot write `member`, or None if it can."""
    problem = name_problem(member.name)
    if problem is not None:
        return problem
    if member.name == TRAILER:
        return "the name is the trailer's, which would end the archive"
    if not 0 <= member.mode <= FIELD_MAX:
        return f"mode {member.mode:#o} does not fit in a header field"
    if stat.S_IFMT(member.mode) == 0:
        return f"mode {member.mode:#o} has no file type (a program is {stat.S_IFREG | member.mode:#o})"
    if not (stat.S_ISREG(member.mode) or stat.S_ISDIR(member.mode)):
        return f"mode {member.mode:#o} is neither a regular file nor a directory"
    if member.is_dir and member.data:
        return "a directory cannot have data"
    if len(member.data) > FIELD_MAX:
        return "the file is too large for a header field"
    return None


def _header(member: Member, *, ino: int, name_size: int) -> bytes:
    """The 110-byte header of `member`: the magic, then each field as 8 hex digits."""
    values = dict.fromkeys(FIELDS, 0)
    values.update(
        c_ino=ino,
        c_mode=member.mode,
        c_nlink=_DIRECTORY_LINKS if member.is_dir else _FILE_LINKS,
        c_filesize=len(member.data),
        c_rdevmajor=member.rdev[0],
        c_rdevminor=member.rdev[1],
        c_namesize=name_size,
    )
    for field, value in values.items():
        if not 0 <= value <= FIELD_MAX:
            raise InvalidData(f"cpio entry {member.name!r}: {field}={value} does not fit in a header field")
    return MAGIC + b"".join(f"{values[field]:0{FIELD_DIGITS}x}".encode() for field in FIELDS)


def _pad(out: bytearray) -> None:
    out.extend(bytes(-len(out) % ALIGN))


def _write_entry(out: bytearray, member: Member, *, ino: int) -> None:
    raw_name = member.name.encode() + b"\0"
    out.extend(_header(member, ino=ino, name_size=len(raw_name)))
    out.extend(raw_name)
    _pad(out)
    out.extend(member.data)
    _pad(out)


def write_newc(members: Sequence[Member]) -> bytes:
    """The newc archive of `members` exactly as given, in that order, then the trailer: the one
    writer of the format, for Ferrite's ramdisk (through `pack`) and for Linux's initramfs
    (peer.py, which needs a device node and its own order: Linux creates each member as it reads
    it, so a directory comes before what is in it).

    Inode numbers count from 1 in the order given (Linux would link regular files that shared
    one), owner, group and time are 0, so the same members give the same bytes. Checks only what
    the format itself needs: every field fits in 8 hex digits, and only a regular file has data.
    """
    out = bytearray()
    for ino, member in enumerate(members, start=1):
        if member.data and not stat.S_ISREG(member.mode):
            raise InvalidData(f"cpio entry {member.name!r}: only a regular file has data")
        _write_entry(out, member, ino=ino)
    _write_entry(out, Member(TRAILER, b"", 0), ino=0)
    return bytes(out)


def pack(members: Sequence[Member]) -> bytes:
    """The archive of `members`, with their parent directories added, sorted, and the trailer.

    A parent directory listed among the members keeps its mode; one that is missing is added
    with DIRECTORY_MODE. Raises InvalidData for a bad name, a name given twice, a mode that is
    not a regular file or directory, or a file that another member's path runs through.
    """
    by_name: dict[str, Member] = {}
    for member in members:
        problem = _member_problem(member)
        if problem is not None:
            raise InvalidData(f"initrd member {member.name!r}: {problem}")
        if member.name in by_name:
            raise InvalidData(f"initrd member {member.name!r}: given twice")
        by_name[member.name] = member
    for member in list(by_name.values()):
        for parent in _parents(member.name):
            existing = by_name.setdefault(parent, Member(parent, b"", DIRECTORY_MODE))
            if not existing.is_dir:
                raise InvalidData(f"initrd member {member.name!r}: {parent!r} is a file, not a directory")
    # Byte order of the UTF-8 names, which is what the Rust reader compares.
    return write_newc(sorted(by_name.values(), key=lambda member: member.name.encode()))


def _refuse(offset: int, problem: str) -> InvalidData:
    return InvalidData(f"bad initrd at byte {offset} ({offset:#x}): {problem}")


def _read_header(data: bytes, offset: int) -> dict[str, int]:
    header = data[offset : offset + HEADER_LEN]
    if len(header) < HEADER_LEN:
        raise _refuse(offset, "the archive ends inside a header")
    magic = header[: len(MAGIC)]
    if magic == CRC_MAGIC:
        raise _refuse(offset, f"magic {CRC_MAGIC.decode()} (newc with checksums); only {MAGIC.decode()} is accepted")
    if magic != MAGIC:
        raise _refuse(offset, f"a header does not start with the newc magic {MAGIC.decode()}")
    values: dict[str, int] = {}
    for index, field in enumerate(FIELDS):
        start = len(MAGIC) + index * FIELD_DIGITS
        digits = header[start : start + FIELD_DIGITS]
        for at, byte in enumerate(digits):
            # int(x, 16) would also take "+", "_", spaces and "0x": check each digit.
            if byte not in _HEX_DIGITS:
                raise _refuse(offset + start + at, f"field {field} is not {FIELD_DIGITS} hexadecimal digits")
        values[field] = int(digits, 16)
    return values


def _aligned(offset: int) -> int:
    return offset + -offset % ALIGN


def unpack(data: bytes) -> list[Member]:
    """The members of an archive, in archive order, checked by the same rules as the Rust reader.

    Raises InvalidData naming the byte offset of the first problem.
    """
    members: list[Member] = []
    offset = 0
    previous: bytes | None = None
    while True:
        if offset >= len(data):
            raise _refuse(offset, f"the archive ends without a {TRAILER} entry")
        fields = _read_header(data, offset)
        name_size = fields["c_namesize"]
        if name_size == 0:
            raise _refuse(offset, "an entry has an empty name")
        name_start = offset + HEADER_LEN
        name_end = name_start + name_size
        if name_end > len(data):
            raise _refuse(offset, "a name runs past the end of the archive")
        raw_name = data[name_start : name_end - 1]
        if data[name_end - 1] != 0 or 0 in raw_name:
            raise _refuse(offset, "a name does not end with exactly one NUL byte")
        try:
            name = raw_name.decode()
        except UnicodeDecodeError:
            raise _refuse(offset, "a name is not valid UTF-8") from None
        if name == TRAILER:
            rest = data[name_end:]
            stray = next((at for at, byte in enumerate(rest) if byte != 0), None)
            if stray is not None:
                raise _refuse(name_end + stray, f"non-zero bytes follow the {TRAILER} entry")
            return members
        data_start = _aligned(name_end)
        data_end = data_start + fields["c_filesize"]
        if data_end > len(data):
            raise _refuse(offset, "file data runs past the end of the archive")
        problem = name_problem(name)
        if problem is not None:
            raise _refuse(offset, problem)
        if previous is not None and raw_name <= previous:
            order = "repeats" if raw_name == previous else "sorts before"
            raise _refuse(offset, f"a name {order} the previous entry's")
        previous = raw_name
        members.append(Member(name, data[data_start:data_end], fields["c_mode"]))
        offset = _aligned(data_end)


# ELF, as far as telling whether a file is a static x86-64 executable (System V gABI, "ELF Header"
# and "Program Header"; the x86-64 psABI for EM_X86_64).
ELF_MAGIC = b"\x7fELF"
#: The size of e_ident, the part of the header that is the same for every class.
_EI_NIDENT = 16
#: e_ident[EI_CLASS]: the word size.
_EI_CLASS = 4
_ELFCLASS64 = 2
#: e_ident[EI_DATA]: the byte order.
_EI_DATA = 5
_ELFDATA2LSB = 1
#: e_type values.
_ET_REL, ET_EXEC, ET_DYN, _ET_CORE = 1, 2, 3, 4
#: e_machine of x86-64.
EM_X86_64 = 62
#: p_type of the program header that names the dynamic loader.
PT_INTERP = 3
#: The 64-bit ELF header: e_ident, e_type, e_machine, e_version, e_entry, e_phoff, e_shoff,
#: e_flags, e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx.
ELF64_HEADER = struct.Struct(f"<{_EI_NIDENT}sHHIQQQIHHHHHH")
#: A 64-bit program header: p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align.
ELF64_PHDR = struct.Struct("<IIQQQQQQ")
_STATIC_HINT = "link it with -static -no-pie (user/.cargo/config.toml has the flags for Rust)"


def check_static_elf(path: Path) -> None:
    """Checks that `path` is a program Ferrite can load: a statically linked x86-64 ELF executable.

    Ferrite's loader copies an ELF's segments to the addresses it was linked for and jumps to
    e_entry. It has no dynamic loader to run (PT_INTERP) and does not relocate position-independent
    executables (ET_DYN). A host program that breaks one of those rules would only fail once
    Ferrite runs it, so it is refused here, at build time, with a one-line InvalidData.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise FerriteError(f"{path}: cannot read it ({e.strerror})") from e

    def refuse(problem: str) -> InvalidData:
        return InvalidData(f"{path}: {problem}; Ferrite runs static x86-64 ELF executables")

    if not data.startswith(ELF_MAGIC):
        raise refuse("not an ELF file")
    # Class and byte order first: they decide how long the rest of the header is.
    if len(data) < _EI_NIDENT:
        raise refuse("the ELF header is truncated")
    if data[_EI_CLASS] != _ELFCLASS64:
        raise refuse("not a 64-bit ELF (EI_CLASS is not ELFCLASS64)")
    if data[_EI_DATA] != _ELFDATA2LSB:
        raise refuse("not little-endian (EI_DATA is not ELFDATA2LSB)")
    if len(data) < ELF64_HEADER.size:
        raise refuse("the ELF header is truncated")
    header = ELF64_HEADER.unpack_from(data)
    e_type, e_machine, e_phoff, e_phentsize, e_phnum = header[1], header[2], header[5], header[9], header[10]
    if e_machine != EM_X86_64:
        raise refuse(f"built for machine {e_machine}, not x86-64 (e_machine {EM_X86_64})")
    if e_phnum and e_phentsize != ELF64_PHDR.size:
        raise refuse(f"program headers are {e_phentsize} bytes, not {ELF64_PHDR.size}")
    if e_phoff + e_phnum * ELF64_PHDR.size > len(data):
        raise refuse("the program headers run past the end of the file")
    for index in range(e_phnum):
        p_type, _, p_offset, _, _, p_filesz, _, _ = ELF64_PHDR.unpack_from(data, e_phoff + index * ELF64_PHDR.size)
        if p_type == PT_INTERP:
            loader = data[p_offset : p_offset + p_filesz].split(b"\0")[0].decode(errors="replace")
            raise InvalidData(
                f"{path}: dynamically linked (PT_INTERP asks for {loader or 'a loader'}); "
                f"Ferrite has no dynamic loader, {_STATIC_HINT}"
            )
    if e_type == ET_DYN:
        raise InvalidData(
            f"{path}: position-independent (ET_DYN); Ferrite loads programs where they are linked, {_STATIC_HINT}"
        )
    if e_type != ET_EXEC:
        kind = {_ET_REL: "an object file (ET_REL)", _ET_CORE: "a core dump (ET_CORE)"}.get(e_type, f"e_type {e_type}")
        raise refuse(f"{kind}, not an executable")
