"""The initrd writer and reader, the fixture both languages read, and the static-ELF check.

The fixture crates/initrd/tests/fixtures/sample.cpio is `pack(SAMPLE)`. The Rust crate's
tests/fixture.rs reads it and expects the same entries, so a change to either side's idea of the
format fails a test. After an intended format change, rewrite the fixture with

    PYTHONPATH=tools .venv/bin/python tests/test_initrd.py --write-fixture
"""

from __future__ import annotations

import re
import shutil
import stat
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from ferrite_tools import image, initrd, paths
from ferrite_tools.errors import FerriteError, InvalidData
from ferrite_tools.initrd import Member

CRATE = paths.ROOT / "crates" / "initrd"
FIXTURE = CRATE / "tests" / "fixtures" / "sample.cpio"

PROGRAM = 0o100755
TEXT = 0o100644
#: What the fixture holds; crates/initrd/tests/fixture.rs lists the same entries.
SAMPLE = (
    Member("bin/hello", b"\x7fELF" + bytes(range(60)), PROGRAM),
    Member("bin/args", b"not a multiple of 4", PROGRAM),
    Member("etc/motd", b"Welcome to Ferrite.\nThis file came from the initrd.\n", TEXT),
    Member("etc/empty", b"", TEXT),
)
#: What unpacking the fixture gives: the parent directories added, everything in byte order.
SAMPLE_UNPACKED = [
    Member("bin", b"", initrd.DIRECTORY_MODE),
    SAMPLE[1],
    SAMPLE[0],
    Member("etc", b"", initrd.DIRECTORY_MODE),
    SAMPLE[3],
    SAMPLE[2],
]


def write_fixture() -> None:
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_bytes(initrd.pack(SAMPLE))


def fields_of(archive: bytes, offset: int = 0) -> dict[str, int]:
    """The header at `offset`, read independently of the module under test."""
    digits = archive[offset + len(initrd.MAGIC) : offset + initrd.HEADER_LEN].decode()
    return {name: int(digits[i * 8 : i * 8 + 8], 16) for i, name in enumerate(initrd.FIELDS)}


def raw_entry(name: bytes, data: bytes = b"", *, magic: bytes = initrd.MAGIC, name_size: int | None = None) -> bytes:
    """One entry written by hand, so that it can be wrong. `name` includes its NUL."""
    values = dict.fromkeys(initrd.FIELDS, 0)
    values.update(c_mode=TEXT, c_nlink=1, c_filesize=len(data))
    values["c_namesize"] = len(name) if name_size is None else name_size
    out = magic + b"".join(b"%08X" % values[field] for field in initrd.FIELDS) + name
    out += bytes(-len(out) % 4) + data
    return out + bytes(-len(out) % 4)


TRAILER = raw_entry(b"TRAILER!!!\0")


# --- pack and unpack ---------------------------------------------------------------------------


def test_the_modes_are_the_usual_ones() -> None:
    assert (initrd.EXECUTABLE_MODE, initrd.FILE_MODE, initrd.DIRECTORY_MODE) == (PROGRAM, TEXT, 0o40755)


def test_round_trip_adds_parents_and_sorts() -> None:
    assert initrd.unpack(initrd.pack(SAMPLE)) == SAMPLE_UNPACKED


def test_the_same_members_give_the_same_bytes_in_any_order() -> None:
    assert initrd.pack(SAMPLE) == initrd.pack(tuple(reversed(SAMPLE)))


def test_fields_carry_no_host_state() -> None:
    archive = initrd.pack(SAMPLE)
    offset, seen = 0, []
    while True:
        fields = fields_of(archive, offset)
        name_end = offset + initrd.HEADER_LEN + fields["c_namesize"]
        name = archive[offset + initrd.HEADER_LEN : name_end - 1].decode()
        seen.append((name, fields["c_ino"], fields["c_nlink"]))
        for unused in ("c_uid", "c_gid", "c_mtime", "c_devmajor", "c_devminor", "c_rdevmajor", "c_rdevminor", "c_check"):
            assert fields[unused] == 0, (name, unused)
        if name == initrd.TRAILER:
            break
        data_start = name_end + -name_end % 4
        offset = data_start + fields["c_filesize"]
        offset += -offset % 4
    assert seen == [
        ("bin", 1, 2),
        ("bin/args", 2, 1),
        ("bin/hello", 3, 1),
        ("etc", 4, 2),
        ("etc/empty", 5, 1),
        ("etc/motd", 6, 1),
        (initrd.TRAILER, 0, 1),
    ]
    assert offset + 124 == len(archive), "the trailer is last and the archive is not padded further"


def test_a_listed_directory_keeps_its_mode_and_deep_parents_are_added() -> None:
    members = [Member("usr", b"", stat.S_IFDIR | 0o700), Member("usr/lib/x/y", b"1", TEXT)]
    assert [(m.name, m.mode) for m in initrd.unpack(initrd.pack(members))] == [
        ("usr", stat.S_IFDIR | 0o700),
        ("usr/lib", initrd.DIRECTORY_MODE),
        ("usr/lib/x", initrd.DIRECTORY_MODE),
        ("usr/lib/x/y", TEXT),
    ]


def test_an_empty_archive_is_just_the_trailer() -> None:
    archive = initrd.pack([])
    assert len(archive) == initrd.HEADER_LEN + len(b"TRAILER!!!\0") + 3
    assert archive.startswith(initrd.MAGIC) and archive.endswith(b"TRAILER!!!\0\0\0\0")
    nonzero = {name: value for name, value in fields_of(archive).items() if value}
    assert nonzero == {"c_nlink": 1, "c_namesize": len("TRAILER!!!\0")}
    assert initrd.unpack(archive) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "empty"),
        ("/bin/hello", "absolute"),
        ("bin//hello", "empty component"),
        ("bin/", "empty component"),
        ("./bin/hello", "'.' component"),
        ("bin/../../etc/passwd", "'..' component"),
        ("x" * (initrd.MAX_PATH_LEN + 1), "longer than 255 bytes"),
        ("é" * 128, "longer than 255 bytes"),
        ("a\0b", "NUL"),
        ("TRAILER!!!", "trailer"),
    ],
)
def test_pack_refuses_bad_names(name: str, message: str) -> None:
    with pytest.raises(InvalidData, match=re.escape(message)):
        initrd.pack([Member(name, b"", TEXT)])


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([Member("a", b"1", TEXT), Member("a", b"2", TEXT)], "given twice"),
        ([Member("bin", b"", TEXT), Member("bin/hello", b"", PROGRAM)], "'bin' is a file"),
        ([Member("bin/hello", b"", 0o755)], "no file type (a program is 0o100755)"),
        ([Member("bin/link", b"hello", stat.S_IFLNK | 0o777)], "neither a regular file nor a directory"),
        ([Member("bin", b"data", initrd.DIRECTORY_MODE)], "directory cannot have data"),
        ([Member("a", b"", -1)], "does not fit"),
    ],
)
def test_pack_refuses_bad_members(members: list[Member], message: str) -> None:
    with pytest.raises(InvalidData, match=re.escape(message)):
        initrd.pack(members)


def test_the_longest_name_is_fine() -> None:
    name = "x" * initrd.MAX_PATH_LEN
    assert initrd.unpack(initrd.pack([Member(name, b"", TEXT)])) == [Member(name, b"", TEXT)]


GOOD = raw_entry(b"a\0", b"12345")  # 120 bytes, so the next entry starts at byte 120


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (b"", "byte 0 (0x0): the archive ends without a TRAILER!!! entry"),
        (GOOD, "byte 120 (0x78): the archive ends without a TRAILER!!! entry"),
        (GOOD + TRAILER[:50], "byte 120 (0x78): the archive ends inside a header"),
        (GOOD + raw_entry(b"b\0", magic=b"070707") + TRAILER, "byte 120 (0x78): a header does not start"),
        (GOOD + raw_entry(b"b\0", magic=b"070702") + TRAILER, "byte 120 (0x78): magic 070702"),
        (GOOD[:6] + b"+" + GOOD[7:] + TRAILER, "byte 6 (0x6): field c_ino is not 8 hexadecimal"),
        (GOOD[:109] + b"x" + GOOD[110:] + TRAILER, "byte 109 (0x6d): field c_check"),
        (GOOD + raw_entry(b"", name_size=0) + TRAILER, "byte 120 (0x78): an entry has an empty name"),
        (GOOD + raw_entry(b"\0") + TRAILER, "byte 120 (0x78): the name is empty"),
        (GOOD + raw_entry(b"bx") + TRAILER, "exactly one NUL"),
        (GOOD + raw_entry(b"b\0c\0") + TRAILER, "exactly one NUL"),
        (GOOD + raw_entry(b"b\xff\0") + TRAILER, "not valid UTF-8"),
        (GOOD + raw_entry(b"b\0", name_size=0xFFFF) + TRAILER, "a name runs past the end"),
        (GOOD + raw_entry(b"b\0", b"12345678")[:-2], "file data runs past the end"),
        (GOOD + raw_entry(b"/b\0") + TRAILER, "the name is absolute"),
        (GOOD + raw_entry(b"b/../c\0") + TRAILER, "'..' component"),
        (GOOD + raw_entry(b"A\0") + TRAILER, "byte 120 (0x78): a name sorts before the previous entry's"),
        (GOOD + GOOD + TRAILER, "byte 120 (0x78): a name repeats the previous entry's"),
        (GOOD + TRAILER + b"\0\0\0\0\0\x07", "byte 249 (0xf9): non-zero bytes follow the TRAILER!!! entry"),
        (GOOD + TRAILER + GOOD + TRAILER, "byte 244 (0xf4): non-zero bytes follow"),
    ],
)
def test_unpack_refuses_what_the_rust_reader_refuses(archive: bytes, message: str) -> None:
    with pytest.raises(InvalidData, match=re.escape(message)):
        initrd.unpack(archive)


def test_unpack_takes_zero_padding_and_upper_case_hex() -> None:
    archive = GOOD + TRAILER
    assert initrd.unpack(archive + bytes(512 - len(archive) + 1)) == [Member("a", b"12345", TEXT)]
    assert initrd.unpack(archive[: -1]) == [Member("a", b"12345", TEXT)], "the trailer's padding may be cut"


# --- agreement with the Rust crate and with GNU cpio -------------------------------------------


def test_the_fixture_is_what_pack_writes() -> None:
    assert FIXTURE.read_bytes() == initrd.pack(SAMPLE), (
        "pack() no longer writes sample.cpio; if that is intended, rewrite it (see this file's docstring) "
        "and check that crates/initrd/tests/fixture.rs still agrees"
    )
    assert initrd.unpack(FIXTURE.read_bytes()) == SAMPLE_UNPACKED


def test_limits_agree_with_the_rust_crate() -> None:
    text = (CRATE / "src" / "lib.rs").read_text()
    assert f"pub const MAX_PATH_LEN: usize = {initrd.MAX_PATH_LEN};" in text
    assert f'pub const TRAILER_NAME: &str = "{initrd.TRAILER}";' in text
    header = (CRATE / "src" / "header.rs").read_text()
    assert f'pub const MAGIC: &[u8; MAGIC_LEN] = b"{initrd.MAGIC.decode()}";' in header
    assert f"pub const FIELD_DIGITS: usize = {initrd.FIELD_DIGITS};" in header


@pytest.mark.skipif(shutil.which("cpio") is None, reason="GNU cpio is not installed (apt-get install cpio)")
def test_gnu_cpio_reads_the_fixture(tmp_path: Path) -> None:
    archive = FIXTURE.read_bytes()
    listed = subprocess.run(["cpio", "-t", "--quiet"], input=archive, capture_output=True, check=True)
    assert listed.stdout.decode().splitlines() == [m.name for m in SAMPLE_UNPACKED]
    subprocess.run(
        ["cpio", "-i", "--quiet", "--make-directories", "--no-absolute-filenames"],
        input=archive,
        cwd=tmp_path,
        capture_output=True,
        check=True,
    )
    for member in SAMPLE_UNPACKED:
        path = tmp_path / member.name
        assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(member.mode), member.name
        if not member.is_dir:
            assert path.read_bytes() == member.data, member.name


# --- check_static_elf --------------------------------------------------------------------------

EV_CURRENT = 1
PT_LOAD = 1
PF_R, PF_X = 4, 1
ELFCLASS32, ELFCLASS64 = 1, 2
ELFDATA2LSB, ELFDATA2MSB = 1, 2
ET_REL = 1
EM_386, EM_AARCH64 = 3, 183
ELF32_HEADER = struct.Struct("<16sHHIIIIIHHHHHH")
ELF32_PHDR_SIZE = 32
ELF64_SHDR_SIZE = 64
ELF32_SHDR_SIZE = 40
#: Where the synthesised programs are linked: Ferrite's user programs use this base.
BASE = 0x400000
PAGE = 0x1000


def elf32() -> bytes:
    """A 32-bit i386 executable's header, without program headers."""
    ident = initrd.ELF_MAGIC + bytes([ELFCLASS32, ELFDATA2LSB, EV_CURRENT]) + bytes(9)
    size = ELF32_HEADER.size
    return ELF32_HEADER.pack(
        ident, initrd.ET_EXEC, EM_386, EV_CURRENT, BASE + PAGE, size, 0, 0, size, ELF32_PHDR_SIZE, 0, ELF32_SHDR_SIZE, 0, 0
    )


def elf64(
    *,
    data: int = ELFDATA2LSB,
    e_type: int = initrd.ET_EXEC,
    machine: int = initrd.EM_X86_64,
    interpreter: bytes | None = None,
) -> bytes:
    """A minimal ELF64 header with one PT_LOAD, and a PT_INTERP if `interpreter` is given."""
    ident = initrd.ELF_MAGIC + bytes([ELFCLASS64, data, EV_CURRENT]) + bytes(9)
    phnum = 1 if interpreter is None else 2
    phoff = initrd.ELF64_HEADER.size
    extra = phoff + phnum * initrd.ELF64_PHDR.size
    header = initrd.ELF64_HEADER.pack(
        ident, e_type, machine, EV_CURRENT, BASE + PAGE, phoff, 0, 0, phoff, initrd.ELF64_PHDR.size, phnum, ELF64_SHDR_SIZE, 0, 0
    )
    phdrs = initrd.ELF64_PHDR.pack(PT_LOAD, PF_R | PF_X, 0, BASE, BASE, extra, extra, PAGE)
    if interpreter is not None:
        size = len(interpreter)
        phdrs += initrd.ELF64_PHDR.pack(initrd.PT_INTERP, PF_R, extra, BASE + extra, BASE + extra, size, size, 1)
    return header + phdrs + (interpreter or b"")


def check(tmp_path: Path, contents: bytes) -> None:
    program = tmp_path / "program"
    program.write_bytes(contents)
    initrd.check_static_elf(program)


def test_a_static_executable_passes(tmp_path: Path) -> None:
    check(tmp_path, elf64())


@pytest.mark.skipif(not Path("/bin/ls").is_file(), reason="no /bin/ls on this host")
def test_a_dynamic_host_program_is_refused_naming_pt_interp() -> None:
    with pytest.raises(InvalidData, match=r"^/bin/ls: dynamically linked \(PT_INTERP asks for /") as info:
        initrd.check_static_elf(Path("/bin/ls"))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        (b"#!/bin/sh\necho hello\n", "not an ELF file"),
        (b"\x7fELF", "truncated"),
        (elf32(), "not a 64-bit ELF"),
        (elf64(data=ELFDATA2MSB), "not little-endian"),
        (elf64(machine=EM_AARCH64), "machine 183, not x86-64"),
        (elf64(e_type=initrd.ET_DYN), "position-independent (ET_DYN)"),
        (elf64(e_type=ET_REL), "an object file (ET_REL)"),
        (elf64(interpreter=b"/lib/ld.so\0"), "dynamically linked (PT_INTERP asks for /lib/ld.so)"),
        (elf64()[:100], "program headers run past the end"),
    ],
)
def test_what_ferrite_cannot_run_is_refused(tmp_path: Path, contents: bytes, message: str) -> None:
    with pytest.raises(InvalidData, match=re.escape(message)) as info:
        check(tmp_path, contents)
    assert str(info.value).startswith(str(tmp_path / "program") + ": ")
    assert "\n" not in str(info.value)


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(FerriteError, match="cannot read it"):
        initrd.check_static_elf(tmp_path / "nothing")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write-fixture"]:
        sys.exit(f"usage: {sys.argv[0]} --write-fixture")
    write_fixture()
    print(f"wrote {FIXTURE}")


# --- the ramdisk `./x.py image --add` packs ----------------------------------------------------


def test_added_programs_go_into_bin_beside_ferrites_own(tmp_path: Path) -> None:
    own = tmp_path / "hello"
    own.write_bytes(elf64())
    mine = tmp_path / "mine"
    mine.write_bytes(elf64())
    out = image.make_ramdisk([own], [mine], out=tmp_path / "ramdisk.cpio")
    names = [member.name for member in initrd.unpack(out.read_bytes())]
    assert names == ["bin", "bin/hello", "bin/mine"]


def test_adding_a_dynamic_program_is_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(InvalidData, match="dynamically linked"):
        image.make_ramdisk([], [Path("/bin/ls")], out=tmp_path / "ramdisk.cpio")
    assert not (tmp_path / "ramdisk.cpio").exists(), "nothing is written for a refused program"


def test_adding_a_program_under_a_name_ferrite_uses_is_refused(tmp_path: Path) -> None:
    own = tmp_path / "own" / "hello"
    own.parent.mkdir()
    own.write_bytes(elf64())
    theirs = tmp_path / "hello"
    theirs.write_bytes(elf64())
    with pytest.raises(FerriteError, match="already in the ramdisk"):
        image.make_ramdisk([own], [theirs], out=tmp_path / "ramdisk.cpio")


def test_an_added_directory_brings_its_executable_files(tmp_path: Path) -> None:
    folder = tmp_path / "programs"
    folder.mkdir()
    for name in ("b", "a"):
        (folder / name).write_bytes(elf64())
        (folder / name).chmod(0o755)
    (folder / "README").write_text("not a program\n")
    (folder / "nested").mkdir()
    out = image.make_ramdisk([], [folder], out=tmp_path / "ramdisk.cpio")
    names = [member.name for member in initrd.unpack(out.read_bytes())]
    assert names == ["bin", "bin/a", "bin/b"]


def test_an_added_directory_without_programs_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("nothing to run\n")
    with pytest.raises(FerriteError, match="no executable files"):
        image.make_ramdisk([], [folder], out=tmp_path / "ramdisk.cpio")


def test_an_added_directory_with_a_dynamic_program_names_it(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "ls").write_bytes(Path("/bin/ls").read_bytes())
    (folder / "ls").chmod(0o755)
    with pytest.raises(InvalidData, match=re.escape(str(folder / "ls")) + ".*dynamically linked"):
        image.make_ramdisk([], [folder], out=tmp_path / "ramdisk.cpio")
