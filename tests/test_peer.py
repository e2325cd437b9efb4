"""The Linux peer's pure parts: its initramfs (written by the tools' one newc writer,
`initrd.write_newc`), the apt output it reads, its reasons for having no Linux (raised as
`PeerUnavailable`), and the QEMU machine it describes. None of these tests needs the network or
QEMU (a stand-in script plays QEMU where a run's outcome is checked).

The archive is read back here by a reader written for the test from cpio(5), field by field, and
also by Ferrite's own `initrd.unpack`, so the writer is checked against two readers.
"""

from __future__ import annotations

import os
import shutil
import stat
import struct
from pathlib import Path

import pytest

from ferrite_tools import build, initrd, paths, peer
from ferrite_tools.errors import FerriteError, InvalidData
from ferrite_tools.initrd import Member, write_newc
from ferrite_tools.measurements import BENCH_DISK_SIZE
from ferrite_tools.qemu import Accel, QemuConfig
from ferrite_tools.setup import Toolchain

MAGIC = b"070701"
HEADER_LEN = 110
FIELD_NAMES = (
    "ino", "mode", "uid", "gid", "nlink", "mtime", "filesize",
    "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check",
)  # fmt: skip


def read_newc(data: bytes) -> list[tuple[dict[str, int], str, bytes]]:
    """Every entry of a newc archive, the trailer included: (header fields, name, data). Checks
    on the way that each header starts at a multiple of 4 and that every pad byte is zero."""
    entries = []
    offset = 0
    while True:
        assert offset % 4 == 0, f"a header at {offset} is not 4-byte aligned"
        header = data[offset : offset + HEADER_LEN]
        assert header[:6] == MAGIC
        fields = {name: int(header[6 + 8 * i : 14 + 8 * i], 16) for i, name in enumerate(FIELD_NAMES)}
        name_end = offset + HEADER_LEN + fields["namesize"]
        raw_name = data[offset + HEADER_LEN : name_end]
        assert raw_name.endswith(b"\0") and b"\0" not in raw_name[:-1]
        data_start = name_end + (-name_end % 4)
        assert data[name_end:data_start] == bytes(data_start - name_end), "name padding is not zeros"
        data_end = data_start + fields["filesize"]
        next_header = data_end + (-data_end % 4)
        assert data[data_end:next_header] == bytes(next_header - data_end), "data padding is not zeros"
        name = raw_name[:-1].decode()
        entries.append((fields, name, data[data_start:data_end]))
        offset = next_header
        if name == "TRAILER!!!":
            assert offset == len(data), "bytes follow the trailer"
            return entries


def test_the_archive_reads_back_with_every_header_field() -> None:
    entries = peer.initramfs_entries(b"bench program", b"hello!")
    archive = write_newc(entries)
    read = read_newc(archive)
    assert [name for _, name, _ in read] == [e.name for e in entries] + ["TRAILER!!!"]
    by_name = {name: (fields, data) for fields, name, data in read}
    init, init_data = by_name["init"]
    assert init_data == b"bench program"
    assert init["mode"] == stat.S_IFREG | 0o755 and init["nlink"] == 1 and init["filesize"] == len(b"bench program")
    assert by_name["bin/hello"][1] == b"hello!"
    console, _ = by_name["dev/console"]
    assert stat.S_ISCHR(console["mode"]) and (console["rdevmajor"], console["rdevminor"]) == (5, 1)
    tmp, _ = by_name["tmp"]
    assert stat.S_ISDIR(tmp["mode"]) and tmp["mode"] & 0o7777 == 0o1777 and tmp["nlink"] == 2
    # Owned by root, dated 0, no checksum: the same bytes on every machine.
    for fields, name, _ in read:
        assert fields["uid"] == fields["gid"] == fields["mtime"] == fields["check"] == 0, name
        assert fields["namesize"] == len(name) + 1
    inodes = [fields["ino"] for fields, name, _ in read if name != "TRAILER!!!"]
    assert len(set(inodes)) == len(inodes) and 0 not in inodes


def test_the_trailer_ends_the_archive_with_empty_fields() -> None:
    archive = write_newc([Member("a", b"x", initrd.EXECUTABLE_MODE)])
    fields, name, data = read_newc(archive)[-1]
    assert name == "TRAILER!!!" and data == b""
    assert fields["namesize"] == len("TRAILER!!!") + 1
    assert all(value == 0 for key, value in fields.items() if key not in ("namesize", "nlink")), fields
    assert archive.endswith(b"TRAILER!!!\0" + bytes(-(HEADER_LEN + len("TRAILER!!!\0")) % 4))
    assert len(archive) % 4 == 0


@pytest.mark.parametrize("name_len", range(1, 6))
@pytest.mark.parametrize("data_len", range(0, 6))
def test_names_and_data_are_padded_to_four_bytes(name_len: int, data_len: int) -> None:
    entry = Member("n" * name_len, bytes(range(1, data_len + 1)), initrd.EXECUTABLE_MODE)
    archive = write_newc([entry])
    # The data starts at the first multiple of 4 after header and name, the trailer after it.
    data_start = HEADER_LEN + name_len + 1
    data_start += -data_start % 4
    assert archive[data_start : data_start + data_len] == entry.data
    trailer = data_start + data_len + (-(data_start + data_len) % 4)
    assert archive[trailer : trailer + 6] == MAGIC
    assert read_newc(archive)[0][2] == entry.data


def test_ferrites_own_reader_agrees() -> None:
    """initrd.unpack reads the same format (it ignores device numbers)."""
    entries = peer.initramfs_entries(b"\x7fELF bench", b"\x7fELF hello")
    members = initrd.unpack(write_newc(entries))
    assert [(m.name, m.data, m.mode) for m in members] == [(e.name, e.data, e.mode) for e in entries]


def test_only_a_regular_file_carries_data() -> None:
    with pytest.raises(InvalidData, match="only a regular file"):
        write_newc([Member("dev", b"oops", initrd.DIRECTORY_MODE)])


def test_the_same_entries_give_the_same_bytes() -> None:
    entries = peer.initramfs_entries(b"b", b"h")
    assert write_newc(entries) == write_newc(list(entries))


#: `apt-cache depends linux-image-amd64` on Debian 12, as recorded.
DEPENDS_DEBIAN_12 = "linux-image-amd64\n  Depends: linux-image-6.1.0-57-amd64\n"


def test_the_kernel_package_is_read_from_apt_cache_depends() -> None:
    assert peer.kernel_package_name(DEPENDS_DEBIAN_12) == "linux-image-6.1.0-57-amd64"


def test_alternatives_virtual_packages_and_other_relations() -> None:
    output = (
        "linux-image-amd64\n"
        "  PreDepends: linux-base\n"
        "  Recommends: linux-image-6.1.0-1-amd64\n"
        "  Depends: <linux-image-virtual>\n"
        " |Depends: linux-image-6.12.0-2-amd64\n"
        "  Depends: linux-image-6.12.0-1-amd64\n"
    )
    assert peer.kernel_package_name(output) == "linux-image-6.12.0-2-amd64"


@pytest.mark.parametrize(
    "output",
    ["", "linux-image-amd64\n", "W: Unable to locate package linux-image-amd64\n", "x\n  Depends: kmod\n"],
)
def test_no_kernel_package_is_none(output: str) -> None:
    assert peer.kernel_package_name(output) is None


def _executables(folder: Path, names: tuple[str, ...]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        script = folder / name
        script.write_text("#!/bin/sh\nexit 1\n")
        script.chmod(0o755)
    return str(folder)


def test_without_apt_get_the_reason_says_what_is_missing(tmp_path: Path) -> None:
    path = _executables(tmp_path / "bin", ("apt-cache", "dpkg-deb"))
    with pytest.raises(peer.PeerUnavailable) as reason:
        peer.fetch_linux(path=path)
    assert reason.value.what.startswith("apt-get was not found") and "Debian or Ubuntu" in reason.value.what


def test_without_any_apt_tool_the_reason_is_a_ferrite_error(tmp_path: Path) -> None:
    """Like every tool's error: `bench` turns it into the Linux column's note, the command line
    would print it as one paragraph."""
    with pytest.raises(FerriteError, match="was not found"):
        peer.fetch_linux(path=str(tmp_path))


def _flag(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_linux_gets_ferrites_bench_machine() -> None:
    ferrite = QemuConfig(Path("ferrite.img"), accel=Accel.TCG, icount=True).argv()
    linux = peer.linux_argv(Path("vmlinuz"), Path("initramfs.cpio"), peer.kernel_command_line())
    for flag in ("-m", "-cpu", "-accel", "-icount", "-vga", "-serial"):
        assert _flag(linux, flag) == _flag(ferrite, flag), flag
    assert "-nodefaults" in linux and "-no-reboot" in linux
    # Ferrite names no machine type, which is `pc`; nor a CPU count, which is 1.
    assert "-machine" not in ferrite and _flag(linux, "-machine") == "pc"
    assert "-smp" not in ferrite and _flag(linux, "-smp") == "1"
    assert _flag(linux, "-kernel") == "vmlinuz" and _flag(linux, "-initrd") == "initramfs.cpio"


def test_the_command_line_asks_for_bench_init_and_keeps_debians_mitigations() -> None:
    line = peer.kernel_command_line()
    assert "console=ttyS0" in line.split() and line.endswith(" -- init")
    assert "mitigations" not in line
    assert peer.kernel_command_line([peer.MITIGATIONS_OFF]).split(" -- ")[0].endswith("mitigations=off")


def test_every_expected_row_is_printed_by_bench() -> None:
    source = (paths.ROOT / "user" / "programs" / "src" / "bin" / "bench.rs").read_text()
    for row in peer.EXPECTED_ROWS:
        assert f'"{row}"' in source or f"BENCH {row}=" in source, row


def _fake_qemu(folder: Path, output: str, status: int) -> None:
    """A qemu-system-x86_64 that prints `output` and exits with `status`."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "qemu-system-x86_64"
    script.write_text(f"#!/bin/sh\nprintf '%s' '{output}'\nexit {status}\n")
    script.chmod(0o755)


ALL_ROWS = "".join(f"BENCH {row}={n + 1} unit=instructions\r\n" for n, row in enumerate(peer.EXPECTED_ROWS))


def test_a_run_that_powers_off_gives_every_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_qemu(tmp_path / "bin", "[ 0.1] booting\r\n" + ALL_ROWS + "[ 1.7] reboot: Power down\r\n", 0)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    run = peer.run_linux(tmp_path / "vmlinuz", tmp_path / "initramfs", log=tmp_path / "linux.log")
    assert [m.name for m in run.measurements] == list(peer.EXPECTED_ROWS)
    assert run.measurements[0].value == 1 and run.wall_s >= 0


def test_a_run_missing_a_row_is_a_reason_with_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    panic = "[ 1.7] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000"
    _fake_qemu(tmp_path / "bin", f"BENCH syscall.null_round_trip=300 unit=instructions\n{panic}\n", 0)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(peer.PeerUnavailable) as raised:
        peer.run_linux(tmp_path / "vmlinuz", tmp_path / "initramfs", log=tmp_path / "linux.log")
    reason = raised.value.what
    # The row it printed is not among the missing.
    assert "no boot.tsc_at_first_user_instruction, sched.yield_alone," in reason
    assert "Attempted to kill init!" in reason


def test_a_run_with_no_rows_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_qemu(tmp_path / "bin", "[ 0.1] booting\n", 0)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(peer.PeerUnavailable, match="printed no BENCH rows"):
        peer.run_linux(tmp_path / "vmlinuz", tmp_path / "initramfs", log=tmp_path / "linux.log")


def test_a_qemu_failure_is_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_qemu(tmp_path / "bin", ALL_ROWS, 1)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(peer.PeerUnavailable, match="status 1"):
        peer.run_linux(tmp_path / "vmlinuz", tmp_path / "initramfs", log=tmp_path / "linux.log")


# --- The disk: modules, their order, the file system, the machine ------------------------------


def elf_module(modinfo: list[str], *, section: str = ".modinfo") -> bytes:
    """A minimal ELF64 relocatable file, as a kernel module is, with the strings `modinfo` in a
    section called `section`: the ELF header, the section's bytes, the section-name table, then
    three section headers (the null one, the section, the name table), per the System V gABI."""
    body = b"\0" + b"".join(f"{field}\0".encode() for field in modinfo)  # the linker pads with NULs
    names = b"\0" + section.encode() + b"\0.shstrtab\0"
    body_at = 64
    names_at = body_at + len(body)
    headers_at = names_at + len(names)
    headers_at += -headers_at % 8

    def header(name: int, offset: int, size: int) -> bytes:
        return struct.pack("<IIQQQQIIQQ", name, 1 if name else 0, 0, 0, offset, size, 0, 0, 1, 0)

    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    elf_header = ident + struct.pack("<HHIQQQIHHHHHH", 1, 62, 1, 0, 0, headers_at, 0, 64, 0, 0, 64, 3, 2)
    assert len(elf_header) == 64
    data = elf_header + body + names
    data += bytes(headers_at - len(data))
    data += header(0, 0, 0) + header(1, body_at, len(body)) + header(2 + len(section), names_at, len(names))
    return data


def test_modinfo_reads_the_modules_strings_by_key() -> None:
    info = peer.modinfo(elf_module(["alias=crypto-crc32c", "depends=jbd2,mbcache,crc16", "alias=fs-ext4", "name=ext4"]))
    assert info == {"alias": ["crypto-crc32c", "fs-ext4"], "depends": ["jbd2,mbcache,crc16"], "name": ["ext4"]}
    assert peer.module_depends(info) == ("jbd2", "mbcache", "crc16")
    assert peer.module_depends(peer.modinfo(elf_module(["depends=", "name=crc16"]))) == ()


def test_modinfo_refuses_what_is_not_a_module() -> None:
    with pytest.raises(InvalidData, match="not a 64-bit"):
        peer.modinfo(b"#!/bin/sh\n" + bytes(100))
    with pytest.raises(InvalidData, match="no .modinfo"):
        peer.modinfo(elf_module(["depends="], section=".rodata"))
    with pytest.raises(InvalidData, match="outside the file"):
        peer.modinfo(elf_module(["depends="])[:100])


#: `depends=` of each module the disk needs, as read from linux-image-6.1.0-57-amd64 (6.1.192-3).
DEBIAN_6_1_DEPENDS = {
    "crc32c_generic": (),
    "crc32c_intel": (),
    "virtio_pci": ("virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio"),
    "virtio_ring": (),
    "virtio_pci_modern_dev": (),
    "virtio_pci_legacy_dev": (),
    "virtio": ("virtio_ring",),
    "virtio_blk": ("virtio", "virtio_ring"),
    "ext4": ("jbd2", "mbcache", "crc16"),
    "jbd2": (),
    "mbcache": (),
    "crc16": (),
}


def test_debians_disk_modules_load_each_after_what_it_uses() -> None:
    order = peer.load_order(DEBIAN_6_1_DEPENDS, peer.DISK_MODULE_ROOTS)
    assert order == [
        "crc32c_generic", "crc32c_intel",
        "virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio", "virtio_pci", "virtio_blk",
        "jbd2", "mbcache", "crc16", "ext4",
    ]  # fmt: skip
    for name in order:
        assert all(order.index(dependency) < order.index(name) for dependency in DEBIAN_6_1_DEPENDS[name]), name


def test_a_missing_module_or_a_circle_is_a_reason() -> None:
    with pytest.raises(peer.PeerUnavailable, match="no module crc16 \\(needed by ext4\\)"):
        peer.load_order({"ext4": ("crc16",)}, ["ext4"])
    with pytest.raises(peer.PeerUnavailable, match="no module ext4$"):
        peer.load_order({}, ["ext4"])
    with pytest.raises(peer.PeerUnavailable, match="a -> b -> a"):
        peer.load_order({"a": ("b",), "b": ("a",)}, ["a"])


def test_module_files_are_named_as_linux_names_them() -> None:
    assert peer.module_name("crc32c-intel") == "crc32c_intel"
    match = peer.MODULE_MEMBER.match("./lib/modules/6.1.0-57-amd64/kernel/arch/x86/crypto/crc32c-intel.ko")
    assert match is not None and match["file"] == "crc32c-intel"
    assert peer.MODULE_MEMBER.match("./lib/modules/6.1.0-57-amd64/modules.order") is None


def test_the_modules_and_their_order_are_in_the_archive_where_bench_looks() -> None:
    modules = [("virtio", b"\x7fELF v"), ("ext4", b"\x7fELF e")]
    entries = peer.initramfs_entries(b"bench", b"hello", modules)
    read = read_newc(write_newc(entries))
    names = [name for _, name, _ in read]
    by_name = {name: data for _, name, data in read}
    assert by_name["lib/modules/virtio.ko"] == b"\x7fELF v" and by_name["lib/modules/ext4.ko"] == b"\x7fELF e"
    assert by_name["lib/modules/load-order"] == b"virtio\next4\n"
    for folder in ("lib", "lib/modules", "mnt", "proc"):
        fields = next(f for f, name, _ in read if name == folder)
        assert stat.S_ISDIR(fields["mode"]), folder
    # Linux creates each file in a folder it has already made.
    for name in names[:-1]:
        if "/" in name:
            assert name.rsplit("/", 1)[0] in names[: names.index(name)], name
    # Without modules, no disk step: the archive is as before.
    assert "lib/modules/load-order" not in [e.name for e in peer.initramfs_entries(b"bench", b"hello")]


def test_bench_looks_where_the_archive_puts_them_and_prints_the_disk_rows() -> None:
    source = (paths.ROOT / "user" / "programs" / "src" / "bin" / "bench.rs").read_text()
    assert f'const MODULE_DIR: &str = "/{peer.INITRAMFS_MODULE_DIR}";' in source
    assert f'const LOAD_ORDER: &str = "/{peer.INITRAMFS_MODULE_DIR}/{peer.LOAD_ORDER_FILE}";' in source
    for row in peer.DISK_ROWS:
        assert f'"{row}"' in source, row


def test_linux_gets_ferrites_disk_exactly() -> None:
    disk = Path("build/peer/disk.img")
    ferrite = QemuConfig(Path("ferrite.img"), accel=Accel.TCG, icount=True, disk=disk).argv()
    linux = peer.linux_argv(Path("vmlinuz"), Path("initramfs.cpio"), peer.kernel_command_line(), disk)

    def disk_options(argv: list[str]) -> list[tuple[str, str]]:
        pairs = zip(argv, argv[1:], strict=False)
        ours = ("id=disk", "drive=disk")
        return [(f, v) for f, v in pairs if f in ("-drive", "-device") and any(o in v for o in ours)]

    assert disk_options(linux) == disk_options(ferrite) and len(disk_options(linux)) == 2
    assert not disk_options(peer.linux_argv(Path("vmlinuz"), Path("initramfs.cpio"), peer.kernel_command_line()))


def test_without_mkfs_ext4_the_reason_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(peer.PeerUnavailable, match="mkfs.ext4 was not found.*apt-get install e2fsprogs"):
        peer.make_ext4(tmp_path / "disk.img", 1 << 20, path=str(tmp_path))


#: Where ext4's superblock is (1024 bytes in), and three of its fields (e2fsprogs' ext2_fs.h).
EXT4_SUPERBLOCK = 1024
S_BLOCKS_COUNT_LO = 4
S_LOG_BLOCK_SIZE = 24
S_MAGIC = 56
EXT4_MAGIC = 0xEF53


def test_the_disk_is_an_ext4_of_the_bench_disks_size_with_4_kib_blocks(tmp_path: Path) -> None:
    search = os.pathsep.join([os.environ.get("PATH", ""), *peer.SBIN_DIRS])
    if shutil.which(peer.MKFS_EXT4, path=search) is None:
        pytest.skip("no mkfs.ext4 here")
    image = peer.make_ext4(tmp_path / "disk.img", BENCH_DISK_SIZE)
    data = image.read_bytes()
    assert len(data) == BENCH_DISK_SIZE
    superblock = data[EXT4_SUPERBLOCK : EXT4_SUPERBLOCK + 1024]
    (magic,) = struct.unpack_from("<H", superblock, S_MAGIC)
    (log_block_size,) = struct.unpack_from("<I", superblock, S_LOG_BLOCK_SIZE)
    (blocks,) = struct.unpack_from("<I", superblock, S_BLOCKS_COUNT_LO)
    assert magic == EXT4_MAGIC and 1024 << log_block_size == 4096 and blocks * 4096 == BENCH_DISK_SIZE


def test_the_disk_note_is_what_bench_said() -> None:
    rows = "".join(f"BENCH {row}=1 unit=instructions\n" for row in peer.EXPECTED_ROWS)
    disk_rows = "".join(f"BENCH {row}=2 unit=instructions\n" for row in peer.DISK_ROWS)
    assert peer.disk_note(rows + disk_rows) is None
    failed = rows + "bench: mounting /dev/vda on /mnt as ext4 failed: no such device\nbench: no disk figures on Linux\n"
    said = "mounting /dev/vda on /mnt as ext4 failed: no such device; no disk figures on Linux"
    assert peer.disk_note(failed) == said
    assert peer.disk_note(rows) == "bench printed no disk rows and no reason"


def test_a_run_with_a_disk_that_failed_still_gives_the_other_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = "bench: loading the module /lib/modules/ext4.ko failed: invalid argument\r\n"
    _fake_qemu(tmp_path / "bin", ALL_ROWS + failed, 0)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    run = peer.run_linux(tmp_path / "vmlinuz", tmp_path / "initramfs", log=tmp_path / "linux.log", disk=tmp_path / "d")
    assert [m.name for m in run.measurements] == list(peer.EXPECTED_ROWS)
    assert run.disk_note == "loading the module /lib/modules/ext4.ko failed: invalid argument"


def test_without_mkfs_ext4_linux_runs_without_the_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk's absence is a note on its rows, never the whole column's failure."""
    for name in ("bench", "hello"):
        (tmp_path / name).write_bytes(name.encode())
    monkeypatch.setattr(peer, "fetch_linux", lambda **_: tmp_path / "vmlinuz")
    monkeypatch.setattr(build, "build_user", lambda *_, **__: [tmp_path / "bench", tmp_path / "hello"])
    monkeypatch.setattr(peer, "disk_modules", lambda *_, **__: [])
    monkeypatch.setattr(peer, "INITRAMFS", tmp_path / "initramfs.cpio")

    def no_mkfs(*_: object, **__: object) -> Path:
        raise peer.PeerUnavailable("mkfs.ext4 was not found")

    asked: list[Path | None] = []

    def boots(vmlinuz: Path, initramfs: Path, *, disk: Path | None = None, **_: object) -> peer.LinuxRun:
        asked.append(disk)
        return peer.LinuxRun([], 1.0, tmp_path / "linux.log", "no disk was attached")

    monkeypatch.setattr(peer, "make_ext4", no_mkfs)
    monkeypatch.setattr(peer, "run_linux", boots)
    tc = Toolchain("rustup", Path("/r/bin"), Path("/r"))
    run = peer.linux_run(tc, False)
    assert asked == [None] and run.disk_note == "mkfs.ext4 was not found"
    archive = [name for _, name, _ in read_newc((tmp_path / "initramfs.cpio").read_bytes())]
    assert "lib/modules/load-order" not in archive
