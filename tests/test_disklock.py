"""The image lock (`fs.lock`): a tool that writes an image refuses, touching nothing, while a QEMU
has it open, and a run's hold keeps writers out without keeping its own QEMU out.

Each test starts a real QEMU, paused (`-S`) so no guest runs, with the image as its disk: the
lock under test is the one QEMU itself takes, not a stand-in."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from ferrite_tools import cli, fs, qemu
from ferrite_tools.errors import FerriteError

SIZE = 2**22


@contextmanager
def qemu_using(image: Path, extra: Sequence[str] = ()) -> Iterator[subprocess.Popen[bytes]]:
    """A paused QEMU with `image` as its virtio disk, once it has opened (and locked) it.
    `extra`: more QEMU arguments."""
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:
        pytest.fail("qemu-system-x86_64 is missing; run ./x.py setup")
    process = subprocess.Popen(
        [qemu, "-S", "-display", "none", "-monitor", "none", "-serial", "none", "-nodefaults",
         "-drive", f"format=raw,file={image},if=none,id=disk,cache=writeback",
         "-device", "virtio-blk-pci,drive=disk", *extra],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while fs.lock.holder(image) is None:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "QEMU never locked the image"
            time.sleep(0.05)
        yield process
    finally:
        process.kill()
        process.wait()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_mkfs_refuses_an_image_qemu_has_open_and_leaves_it_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "disk.img"
    fs.mkfs(image, SIZE, directories=("tmp",))
    before = digest(image)
    with qemu_using(image):
        assert cli.main(["mkfs", str(image), "--size", "4M"]) == 1
        err = capsys.readouterr().err
        assert "is in use" in err and "qemu-system" in err and "Nothing was written" in err, err
        with pytest.raises(fs.lock.ImageInUse):
            fs.mkfs(image, SIZE, force=True)
        assert digest(image) == before
        assert list(tmp_path.iterdir()) == [image], "no half-made image is left beside it"
        # Reading is allowed, with a note that the image may be mid-change.
        assert cli.main(["fsck", str(image)]) == 0
        assert "a running QEMU has this image open" in capsys.readouterr().out
    fs.mkfs(image, SIZE)
    assert fs.fsck(image).clean


def test_a_run_keeps_writers_out_but_lets_its_own_qemu_in(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    fs.mkfs(image, SIZE)
    with fs.lock.held_for_run(image):
        assert fs.lock.holder(image) is not None
        with pytest.raises(fs.lock.ImageInUse):
            fs.mkfs(image, SIZE)
        with qemu_using(image) as qemu:
            assert qemu.poll() is None, "QEMU starts on a disk its run holds"
        with pytest.raises(fs.lock.ImageInUse):
            with fs.lock.held_for_run(image):
                pass
    assert fs.lock.holder(image) is None, "the hold ends with the run"
    with qemu_using(image):
        with pytest.raises(fs.lock.ImageInUse):
            with fs.lock.held_for_run(image):
                pass


def test_mkfs_asks_for_force_before_replacing_a_file_that_is_not_an_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    assert cli.main(["mkfs", str(notes), "--size", "4M"]) == 1
    err = capsys.readouterr().err
    assert "not a Ferrite image" in err and "--force" in err, err
    assert notes.read_text() == "my notes\n"
    assert cli.main(["mkfs", str(notes), "--size", "4M", "--force"]) == 0
    assert fs.fsck(notes).clean
    empty = tmp_path / "empty.img"
    empty.touch()
    fs.mkfs(empty, SIZE)
    assert fs.fsck(empty).clean


def test_a_failed_mkfs_leaves_the_old_image(tmp_path: Path) -> None:
    """Running out of blocks part way once removed the image it was replacing."""
    image = tmp_path / "disk.img"
    fs.mkfs(image, SIZE, directories=("keep",))
    before = digest(image)
    source = tmp_path / "big"
    source.mkdir()
    (source / "large").write_bytes(b"x" * (SIZE * 2))
    with pytest.raises(FerriteError, match="no free block"):
        fs.mkfs(image, SIZE, source=source)
    assert digest(image) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big", "disk.img"]


def test_qemu_is_stopped_through_qmp_and_lets_go_of_the_image(tmp_path: Path) -> None:
    """The tools end a QEMU with QMP `quit`, not a signal: it exits by itself (status 0, no
    "terminating on signal" line) and its lock on the image is gone when it has."""
    image = tmp_path / "disk.img"
    fs.mkfs(image, SIZE, directories=("tmp",))
    control = tmp_path / "control.sock"
    with qemu_using(image, qemu.control_socket_args(control)) as process:
        deadline = time.monotonic() + 20
        while not control.exists():
            assert time.monotonic() < deadline, "QEMU made no QMP socket"
            time.sleep(0.05)
        qemu.stop_process(process, control)
        assert process.returncode == 0
        stderr = process.stderr.read().decode() if process.stderr else ""
        assert "terminating on signal" not in stderr, stderr
        assert fs.lock.holder(image) is None


def test_a_qemu_that_does_not_answer_qmp_gets_the_signal(tmp_path: Path) -> None:
    """No QMP server on the socket: `stop_process` falls back to SIGTERM at once."""
    process = subprocess.Popen(["sleep", "60"])
    try:
        started = time.monotonic()
        qemu.stop_process(process, tmp_path / "nobody-listens.sock")
        assert process.returncode == -15
        assert time.monotonic() - started < qemu.QMP_TIMEOUT_S + 1
    finally:
        process.kill()
        process.wait()
