"""The disk: what Ferrite writes survives a reboot, a power cut cannot corrupt it, and a bad
disk is refused with its reason while the system keeps running.

Each test makes its own image with the Python mkfs and checks the result with the Python fsck
and reader, so the two implementations of the format check each other: Python writes and the
kernel reads, the kernel writes and Python reads.

The crash test is the one file-system engineers trust: a program (`diskstress crash SEED`)
appends, renames, truncates and unlinks files and now and then calls `fsync`, and QEMU is
killed (SIGKILL) at a seeded moment. After each kill fsck must find the disk clean, and the
files must be exactly as they were after some operation no earlier than the last `fsync` the
program reported: nothing it confirmed is lost, and no file holds a byte that was never written.
The program's operations come from its seed alone, so this file replays them to know every
state the disk may be in. A failing seed is named in the failure, and `FERRITE_CRASH_SEEDS=7,12
./x.py test test_crash` reruns just those seeds (the moment of the kill is drawn from the seed
too, so the run is the same but for the host's timing).
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import struct
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from consolelib import SHELL_PROMPT, Console, wait_until

from ferrite_tools import build, image, ktap, paths
from ferrite_tools.fs import fsck, list_tree, mkfs, read_file
from ferrite_tools.qemu import Accel, Firmware, Machine, QemuConfig
from ferrite_tools.setup import Toolchain
from ferrite_tools.waits import Waits

MIB = 1024 * 1024
#: The disks most tests use.
DISK_SIZE = 16 * MIB
#: Seeds of the crash test: at least twenty kills (or those FERRITE_CRASH_SEEDS lists).
CRASH_SEEDS = tuple(int(seed) for seed in os.environ.get("FERRITE_CRASH_SEEDS", "").split(",") if seed.strip()) or tuple(
    range(1, 21)
)
#: How long a crash run writes before the kill, at least and at most (seconds on the reference
#: machine, seeded; scaled like every wait, so a slower machine gets about as far before the kill).
CRASH_WINDOW_S = (0.3, 2.5)
#: Operations after the last reported `fsync` the checker looks through for a match.
CRASH_LOOKAHEAD = 4000
#: The mount points the kernel expects on a disk root (it makes missing ones itself).
MOUNT_POINTS = ("bin", "dev", "proc", "tmp")


@pytest.fixture(scope="module")
def images(toolchain: Toolchain) -> image.Images:
    elf = build.build_kernel(toolchain, release=False, verbose=False)
    ramdisk = image.build_ramdisk(toolchain, verbose=False, out=image.DISK_RAMDISK, only=image.DISK_TEST_PROGRAMS)
    return image.make_images(toolchain, elf, "debug-disk", {Firmware.BIOS}, ramdisk)


def machine(images: image.Images, accel: Accel, disk: Path, name: str, faults: Path | None = None) -> Machine:
    config = QemuConfig(
        image=images.for_firmware(Firmware.BIOS), accel=accel, disk=disk, disk_faults=faults, no_reboot=False
    )
    return Machine(config, paths.LOG_DIR / f"disk-{name}.log")


def boot(m: Machine, waits: Waits) -> Console:
    """Waits for the shell; returns a console on it."""
    assert m.wait_for(SHELL_PROMPT, waits.boot), m.tail()
    return Console(m, Path("unused.qmp"), waits, prompt=SHELL_PROMPT)


def reboot(console: Console) -> None:
    """Types `reboot` and waits for the shell of the next boot."""
    m = console.machine
    boots = m.output.count("Ferrite shell.")
    m.send("reboot\r")

    def booted() -> bool:
        assert m.exit_status is None, m.tail()
        return m.output.count("Ferrite shell.") > boots and m.output.endswith(SHELL_PROMPT)

    wait_until(booted, console.waits.boot, m.tail)


def assert_clean(disk: Path) -> None:
    report = fsck(disk)
    assert not report.violations, "\n".join(f"{v.name}: {v.message}" for v in report.violations)


def test_files_survive_a_reboot_and_python_reads_them(
    images: image.Images, accel: Accel, waits: Waits, tmp_path: Path
) -> None:
    disk = tmp_path / "disk.img"
    mkfs(disk, DISK_SIZE, directories=MOUNT_POINTS)
    with machine(images, accel, disk, "persist") as m:
        console = boot(m, waits)
        assert "mounted on /" in m.output, m.tail()
        mounts = [line.split() for line in console.run("cat /proc/mounts").splitlines() if line.count(" ") == 5]
        access = {fields[1]: fields[3] for fields in mounts}
        assert access.get("/") == "rw" and access.get("/bin") == "ro", access
        console.run("echo hello > /hello.txt")
        console.run("mkdir -p /docs/deep; echo one > /docs/a; echo two >> /docs/a")
        console.run("cat /bin/diskstress > /docs/deep/copy")
        console.run("echo gone > /gone; rm /gone")
        # A hard link and a mode survive too, and the host's fsck counts the link.
        console.run("echo linked > /l1; ln /l1 /docs/l2; chmod 600 /l1")
        # A symbolic link on the disk, followed through, kept, and read by the host's tools.
        console.run("ln -s docs /docs-link; ln -s ../l1 /docs/up")
        reboot(console)
        assert "hello" in console.run("cat /hello.txt").splitlines()
        assert "one\ntwo\n" in console.run("cat /docs/a")
        listing = console.run("ls /docs/deep")
        assert "copy" in listing
        assert "gone" not in console.run("ls /")
        assert "linked" in console.run("cat /docs-link/up").splitlines()
        # The file suite passes with the disk as the root, as `./x.py run` boots, and leaves
        # nothing on it (it once failed here and left /new-file behind).
        before = console.run("ls /")
        reply = console.run_slow("filetests", 240.0)
        report = ktap.parse(reply)
        assert report.complete and report.passed and len(report.cases) >= 21, reply[-2000:]
        assert console.run("ls /").splitlines()[1:] == before.splitlines()[1:]
        console.run("sync")
    assert_clean(disk)
    assert read_file(disk, "/hello.txt") == b"hello\n"
    assert read_file(disk, "/docs/a") == b"one\ntwo\n"
    program = (build.USER_DIR / "target" / paths.KERNEL_TARGET / "release" / "diskstress").read_bytes()
    assert read_file(disk, "/docs/deep/copy") == program
    names = {entry.path for entry in list_tree(disk)}
    assert "/gone" not in names and "/docs/deep" in names
    assert read_file(disk, "/l1") == read_file(disk, "/docs/l2") == b"linked\n"
    kinds = {entry.path: entry.kind for entry in list_tree(disk)}
    assert kinds["/docs-link"] == kinds["/docs/up"] == "link"
    modes = {entry.path: entry.mode for entry in list_tree(disk)}
    assert modes["/l1"] & 0o7777 == 0o600 and modes["/docs/l2"] == modes["/l1"]


#: The mmaptests cases about files (their names hold "file"): run on the disk, they map files of
#: the disk file system, shared and private, and read back what each store wrote.
MMAP_FILE_CASES = "file"


def test_file_mappings_work_on_the_disk(images: image.Images, accel: Accel, waits: Waits, tmp_path: Path) -> None:
    # The page cache's objects read and write through the file system they map: tmpfs in
    # test_user.py, the disk here, where a write-back goes through the log.
    disk = tmp_path / "disk.img"
    mkfs(disk, DISK_SIZE, directories=MOUNT_POINTS)
    with machine(images, accel, disk, "mmap") as m:
        console = boot(m, waits)
        assert "mounted on /" in m.output, m.tail()
        reply = console.run_slow(f"export MMAPTESTS_DIR=/; mmaptests {MMAP_FILE_CASES}", 240.0)
        report = ktap.parse(reply)
        names = [case.name for case in report.cases]
        assert report.complete and report.passed, reply[-2000:]
        assert "a_shared_file_mapping_is_the_file" in names and "two_processes_map_one_file" in names, names
        # Every file the cases made is gone again, and the disk is consistent.
        assert "mmaptests" not in console.run("ls /")
        console.run("sync")
    assert_clean(disk)


def test_the_kernel_reads_what_python_wrote(
    images: image.Images, accel: Accel, waits: Waits, tmp_path: Path
) -> None:
    source = tmp_path / "tree"
    (source / "notes" / "old").mkdir(parents=True)
    (source / "notes" / "todo.txt").write_text("write the book\n")
    (source / "notes" / "old" / "empty").write_bytes(b"")
    rng = random.Random(12)
    blob = bytes(rng.randrange(256) for _ in range(300_000))  # past the direct blocks
    (source / "blob").write_bytes(blob)
    disk = tmp_path / "disk.img"
    mkfs(disk, DISK_SIZE, source=source, directories=MOUNT_POINTS)
    with machine(images, accel, disk, "python-wrote") as m:
        console = boot(m, waits)
        assert "write the book" in console.run("cat /notes/todo.txt")
        assert "empty" in console.run("ls /notes/old")
        count = console.run("wc -c /blob")
        assert str(len(blob)) in count
        # A copy made by the kernel, read back by Python: every byte of the blob went through
        # the kernel's reader and writer.
        console.run("cat /blob > /blob2; sync")
    assert read_file(disk, "/blob2") == blob
    assert_clean(disk)


@pytest.mark.parametrize(
    "corruption, reason",
    [
        ("magic", "bad-magic"),
        ("bitmap", "block-bitmap-mismatch"),
        ("loop", "directory-loop"),
        ("range", "block-out-of-range"),
        ("log", "log-does-not-replay"),
    ],
)
def test_a_corrupt_disk_is_refused_and_the_system_runs_on(
    images: image.Images, accel: Accel, waits: Waits, tmp_path: Path, corruption: str, reason: str
) -> None:
    disk = tmp_path / "disk.img"
    source = tmp_path / "tree"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "file").write_bytes(b"x" * 5000)
    mkfs(disk, DISK_SIZE, source=source, directories=MOUNT_POINTS)
    corrupt(disk, corruption)
    report = fsck(disk)
    assert reason in {v.name for v in report.violations}, report
    with machine(images, accel, disk, f"refused-{corruption}") as m:
        console = boot(m, waits)
        assert f"disk refused: {reason}" in m.output, m.tail()
        assert "hello" in console.run("echo hello > /tmp/x; cat /tmp/x")
    # The kernel never wrote to a disk it refused.
    assert fsck(disk).violations == report.violations


def corrupt(disk: Path, how: str) -> None:
    """Breaks one rule of the format in `disk`, by editing bytes where the layout says."""
    from ferrite_tools.fs import layout

    data = bytearray(disk.read_bytes()[: layout.BLOCK_SIZE * 2048])
    sb = layout.Superblock.unpack(bytes(data[: layout.BLOCK_SIZE]))
    bs = layout.BLOCK_SIZE

    def inode_at(ino: int) -> int:
        return (sb.inode_table_start + (ino - 1) // 32) * bs + ((ino - 1) % 32) * 128

    if how == "magic":
        data[0:8] = b"NOTFERRI"
    elif how == "bitmap":
        # The root directory's block (the first data block) marked free.
        at = sb.block_bitmap_start * bs + sb.data_start // 8
        data[at] &= ~(1 << (sb.data_start % 8)) & 0xFF
    elif how == "range":
        # The root's first direct block pointing past the end of the disk.
        struct.pack_into("<I", data, inode_at(1) + 32, sb.block_count + 7)
    elif how == "loop":
        # A new entry in /sub naming the root: the root is then reached twice.
        root = layout.Inode.unpack(bytes(data), inode_at(1))
        entries = [layout.DirEntry.unpack(bytes(data), root.direct[0] * bs + 64 * i) for i in range(64)]
        sub = next(e.inode for e in entries if e.name == b"sub")
        block = layout.Inode.unpack(bytes(data), inode_at(sub)).direct[0]
        up = layout.DirEntry.named(1, b"up", layout.KIND_DIR)
        data[block * bs + 64 * 5 : block * bs + 64 * 6] = up.pack()
    elif how == "log":
        # A committed-looking transaction whose one target is the superblock.
        header = layout.LogHeader(sequence=1, count=1, targets=(0,))
        data[sb.log_start * bs : (sb.log_start + 1) * bs] = header.pack()
    with disk.open("r+b") as f:
        f.write(data)


def test_a_disk_that_fails_writes_is_reported_and_the_system_runs_on(
    images: image.Images, accel: Accel, waits: Waits, tmp_path: Path
) -> None:
    disk = tmp_path / "disk.img"
    mkfs(disk, DISK_SIZE, directories=MOUNT_POINTS)
    before = disk.read_bytes()
    # QEMU's blkdebug fails every write request with EIO (5); reads still work.
    faults = tmp_path / "faults.conf"
    faults.write_text('[inject-error]\nevent = "write_aio"\niotype = "write"\nerrno = "5"\n')
    with machine(images, accel, disk, "faulty", faults) as m:
        console = boot(m, waits)
        assert "mounted on /" in m.output, m.tail()
        mounts = [line.split() for line in console.run("cat /proc/mounts").splitlines() if line.count(" ") == 5]
        access = {fields[1]: fields[3] for fields in mounts}
        assert access.get("/") == "rw" and access.get("/bin") == "ro", access
        out = console.run_slow("diskstress big 1 /lost; echo status $?", 60)
        assert "diskstress: FAILED" in out and "status 1" in out, out
        assert "virtio-blk: request 1 at sector" in m.output, m.tail()
        # Reads still work, and so does everything that does not write the disk.
        assert "bin" in console.run("ls /")
        assert "alive" in console.run("echo alive > /tmp/a; cat /tmp/a")
        assert "panic" not in m.output.lower()
    # Nothing reached the disk, so it is exactly as mkfs left it.
    assert disk.read_bytes() == before


def test_a_full_disk_gives_enospc_and_stays_clean(
    images: image.Images, accel: Accel, waits: Waits, tmp_path: Path
) -> None:
    disk = tmp_path / "disk.img"
    mkfs(disk, 2 * MIB, directories=MOUNT_POINTS)
    with machine(images, accel, disk, "full") as m:
        console = boot(m, waits)
        out = console.run_slow("diskstress big 4 /big; echo status $?", 120)
        assert "No space left on device" in out or "no space" in out.lower(), out
        assert "status 1" in out
        # Space comes back when the file goes.
        console.run("rm /big")
        assert "status 0" in console.run("echo fits > /small; echo status $?")
        # A copy that cannot be written names the output, not the input it was reading.
        assert "diskstress: ok" in console.run_slow("diskstress big 1 /big1", 60)
        out = console.run_slow("cat /big1 /big1 > /big2; echo status $?", 60)
        assert "cat: standard output: " in out and "cat: /big1" not in out and "status 1" in out, out
        console.run("rm /big1 /big2")
        console.run("sync")
    assert_clean(disk)
    assert read_file(disk, "/small") == b"fits\n"


def test_a_64_mib_file_through_the_indirect_blocks(
    images: image.Images, accel: Accel, waits: Waits, tmp_path: Path
) -> None:
    disk = tmp_path / "disk.img"
    mkfs(disk, 96 * MIB, directories=MOUNT_POINTS)
    with machine(images, accel, disk, "big") as m:
        console = boot(m, waits)
        assert "diskstress: ok" in console.run_slow("diskstress big 64 /big", 300)
        reboot(console)
        assert "diskstress: ok" in console.run_slow("diskstress check-big 64 /big", 300)
    assert_clean(disk)
    data = read_file(disk, "/big")
    assert len(data) == 64 * MIB
    # The pattern diskstress writes: ((offset / 4096) * 13 mod 256) XOR (offset mod 256).
    for at in (0, 4095, 12 * 4096, 1036 * 4096 + 17, 64 * MIB - 1):
        assert data[at] == (((at // 4096) * 13) & 0xFF) ^ (at & 0xFF), at


def test_ten_thousand_files_in_a_directory(
    images: image.Images, accel: Accel, waits: Waits, tmp_path: Path
) -> None:
    disk = tmp_path / "disk.img"
    mkfs(disk, 64 * MIB, inodes=12_000, directories=MOUNT_POINTS)
    with machine(images, accel, disk, "many") as m:
        console = boot(m, waits)
        assert "diskstress: ok" in console.run_slow("diskstress files 10000 /many", 600)
        reboot(console)
        assert "diskstress: ok" in console.run_slow("diskstress check-files 10000 /many", 300)
    assert_clean(disk)
    names = [entry.path for entry in list_tree(disk, "/many")]
    assert len([n for n in names if n.startswith("/many/file-")]) == 10_000


# ---- the crash test ----


class Rng:
    """The xorshift64* generator of crates/xorshift, step for step."""

    MASK = (1 << 64) - 1

    def __init__(self, seed: int) -> None:
        self.state = ((seed * 0x9E3779B97F4A7C15) & self.MASK) | 1

    def next_u64(self) -> int:
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & self.MASK
        x ^= x >> 27
        self.state = x
        return (x * 0x2545F4914F6CDD1D) & self.MASK

    def below(self, n: int) -> int:
        return self.next_u64() % n


#: As in diskstress.rs.
SLOTS = 8
MAX_APPEND = 24 * 1024
RECORD_MAGIC = b"REC!"


def record(op: int, length: int) -> bytes:
    body = bytes((op * 31 + k * 7) % 251 for k in range(length))
    return RECORD_MAGIC + struct.pack("<II", op & 0xFFFFFFFF, length) + body


@dataclasses.dataclass(frozen=True)
class Op:
    """One operation of the workload: what, on which slot, and its draw (length or target)."""

    kind: str
    slot: int
    arg: int = 0


def operations(seed: int, count: int) -> list[Op]:
    """The first `count` operations `diskstress crash SEED` makes, drawn as it draws them."""
    rng = Rng(seed)
    ops = []
    for _ in range(count):
        slot = rng.below(SLOTS)
        kind = rng.below(100)
        if kind <= 54:
            ops.append(Op("append", slot, 1 + rng.below(MAX_APPEND)))
        elif kind <= 66:
            ops.append(Op("rename", slot, rng.below(SLOTS)))
        elif kind <= 76:
            ops.append(Op("unlink", slot))
        elif kind <= 84:
            ops.append(Op("truncate", slot))
        else:
            ops.append(Op("fsync", slot))
    return ops


#: A file's records: (the operation that appended it, its body's length).
Records = tuple[tuple[int, int], ...]


def states(seed: int, count: int) -> Iterator[tuple[int, dict[int, Records], tuple[int, int, int] | None]]:
    """The files after each of the operations 0 to `count` (slot → records), with the append
    the next operation makes, if it is one: (slot, operation, length)."""
    ops = operations(seed, count)
    files: dict[int, Records] = {}
    for done in range(count + 1):
        following = ops[done] if done < count else None
        append = None
        if following is not None and following.kind == "append":
            append = (following.slot, done + 1, following.arg)
        yield done, dict(files), append
        if following is None:
            break
        op = following
        if op.kind == "append":
            files[op.slot] = files.get(op.slot, ()) + ((done + 1, op.arg),)
        elif op.kind == "rename" and op.slot in files:
            files[op.arg] = files.pop(op.slot)
        elif op.kind == "unlink":
            files.pop(op.slot, None)
        elif op.kind == "truncate" and op.slot in files:
            files[op.slot] = ()


def parse_records(data: bytes) -> tuple[list[tuple[int, int]], bytes]:
    """A file's whole records and the bytes after them (a partial record, or garbage)."""
    records: list[tuple[int, int]] = []
    at = 0
    while at + 12 <= len(data) and data[at : at + 4] == RECORD_MAGIC:
        op, length = struct.unpack_from("<II", data, at + 4)
        whole = record(op, length)
        if data[at : at + len(whole)] != whole:
            break
        records.append((op, length))
        at += len(whole)
    return records, data[at:]


def matches(model: dict[int, Records], append: tuple[int, int, int] | None, found: dict[int, tuple[list[tuple[int, int]], bytes]]) -> bool:
    """Whether the files found are the model's, allowing the next append to be under way (its
    file made, part of its record written)."""
    for slot in set(model) | set(found):
        if slot not in found:
            return False
        if slot not in model and (append is None or append[0] != slot):
            return False  # a file the next operation does not make
        got, tail = found[slot]
        expected = list(model.get(slot, ()))
        if got != expected or not partial_of(tail, append, slot):
            return False
    return True


def check_crash(disk: Path, seed: int, synced: int) -> tuple[int, int]:
    """Checks the disk after a kill; returns the operation whose state it holds, and how many
    blocks fsck replayed from the log."""
    report = fsck(disk)
    replayed = report.log.replayed if report.log is not None else 0
    assert not report.violations, f"seed {seed}: fsck: " + "; ".join(f"{v.name}: {v.message}" for v in report.violations)
    found: dict[int, tuple[list[tuple[int, int]], bytes]] = {}
    for entry in list_tree(disk, "/stress"):
        if entry.path == "/stress":
            continue
        name = entry.path.rsplit("/", 1)[1]
        assert name.startswith("f") and name[1:].isdigit(), f"seed {seed}: stray file {entry.path}"
        found[int(name[1:])] = parse_records(read_file(disk, entry.path))
    for done, model, append in states(seed, synced + CRASH_LOOKAHEAD):
        if done >= synced and matches(model, append, found):
            return done, replayed
    raise AssertionError(
        f"seed {seed}: the disk matches no state after operation {synced} (the last fsync reported): "
        + ", ".join(f"f{slot}: {len(r)} records + {len(t)} bytes" for slot, (r, t) in sorted(found.items()))
    )


def partial_of(tail: bytes, append: tuple[int, int, int] | None, slot: int) -> bool:
    """Whether `tail` is a beginning of the record the next operation appends to `slot`."""
    if not tail:
        return True
    if append is None or append[0] != slot:
        return False
    return record(append[1], append[2]).startswith(tail)


def crash_once(
    images: image.Images, accel: Accel, waits: Waits, disk: Path, seed: int
) -> tuple[int, tuple[int, int]]:
    mkfs(disk, DISK_SIZE, directories=MOUNT_POINTS)
    window = waits.of(random.Random(seed).uniform(*CRASH_WINDOW_S))
    with machine(images, accel, disk, f"crash-{seed}") as m:
        boot(m, waits)
        m.send(f"diskstress crash {seed}\r")
        assert m.wait_for("diskstress: started", waits.boot), m.tail()
        # Not a synchronisation: the seeded moment of the power cut, the experiment itself.
        time.sleep(window)
        m.kill()
        output = m.output
    assert "FAILED" not in output, f"seed {seed}: {output[-2000:]}"
    # Only whole lines count: the kill can land in the middle of one ("diskstress: sync").
    synced = max((int(n) for n in re.findall(r"^diskstress: synced (\d+)\r?\n", output, re.MULTILINE)), default=0)
    return synced, check_crash(disk, seed, synced)


def test_crash_consistency_under_seeded_kills(
    images: image.Images, accel: Accel, waits: Waits, tmp_path: Path
) -> None:
    # Two machines at a time: the test is twenty boots, and each QEMU uses one core.
    def run(seed: int) -> tuple[int, int, int, int]:
        synced, (state, replayed) = crash_once(images, accel, waits, tmp_path / f"crash-{seed}.img", seed)
        return seed, synced, state, replayed

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, CRASH_SEEDS))
    summary = ", ".join(
        f"seed {seed}: last fsync after operation {synced}, disk holds operation {state}"
        + (f" ({replayed} log blocks replayed)" if replayed else "")
        for seed, synced, state, replayed in results
    )
    print(f"crash test: {summary}")
    # The runs must have done something worth checking: most reported an fsync.
    assert sum(1 for _, synced, _, _ in results if synced > 0) >= len(CRASH_SEEDS) // 2, summary
    (paths.LOG_DIR / "disk-crash-summary.txt").write_text(summary.replace(", seed", "\nseed") + "\n")
