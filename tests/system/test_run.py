"""`./x.py run` on a machine without a display: the banner and a working console prompt on the
terminal, then a clean stop.

This runs the real front end as a user would, in a subprocess, and stops it with Ctrl-C
(SIGINT) once the banner has appeared.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ferrite_tools import image, paths
from ferrite_tools.qemu import Accel, Firmware
from ferrite_tools.waits import Waits


@pytest.mark.parametrize("uefi", [False, True], ids=["bios", "uefi"])
def test_run_prints_the_banner_and_stops_on_ctrl_c(
    kernel_images: image.Images, accel: Accel, waits: Waits, uefi: bool, tmp_path: Path
) -> None:
    waits = waits.under(Firmware.UEFI if uefi else Firmware.BIOS)
    started = time.monotonic()
    run = FrontEnd(
        waits, "run", "--session", "kernel", "--accel", accel.value, "--disk", str(tmp_path / "disk.img"),
        *(["--uefi"] if uefi else []),
    )
    try:
        # The bound: the banner within 30 s of starting, once the build is cached (on
        # the reference machine; `waits.banner` is that bound scaled to this one).
        run.wait_for("boot complete")
        assert time.monotonic() - started < waits.banner
        assert "Ferrite " in run.seen
        assert ("via Uefi" if uefi else "via Bios") in run.seen
        # The console answers on the terminal: the prompt, then `uptime`.
        run.wait_for("ferrite> ")
        run.type("uptime\r")
        run.wait_for(r"uptime[\s\S]*up \d+\.\d{6} s", within=waits.reply)
        os.killpg(run.process.pid, signal.SIGINT)
        assert run.process.wait(timeout=waits.reply) == 130
    finally:
        run.kill()


def test_run_reboots_in_place_and_ctrl_bracket_x_quits(
    kernel_images: image.Images, accel: Accel, waits: Waits, tmp_path: Path
) -> None:
    """An interactive run restarts the machine on `reboot` (tests use -no-reboot; a person at the
    console expects a PC), passes control keys to the guest, and quits on QEMU's escape Ctrl-] x.
    A requested reboot is not reported as a crash, although under BIOS it passes through a
    triple fault (SeaBIOS's way of turning the warm reset into a cold one)."""
    run = FrontEnd(waits, "run", "--session", "kernel", "--accel", accel.value, "--disk", str(tmp_path / "disk.img"))
    try:
        run.wait_for("ferrite> ")
        # Ctrl-C and Ctrl-\ reach the guest (the line editor cancels the line), not QEMU.
        run.type("echo gone\x03\x1c")
        run.wait_for(r"\^C")
        run.type("reboot\r")
        run.wait_for(r"boot complete[\s\S]*boot complete")
        assert run.process.poll() is None, "QEMU kept running across the reboot"
        run.wait_for(r"ferrite> [\s\S]*ferrite> [\s\S]*ferrite> ")
        run.quit()
        run.seen += (run.process.stdout.read() or b"").decode(errors="replace") if run.process.stdout else ""
        assert "Ctrl-] x was typed" in run.seen, run.seen[-500:]
        assert "triple-faulted" not in run.seen, run.seen[-2000:]
    finally:
        run.kill()


class FrontEnd:
    """One real `./x.py ...` process on pipes, as a person's terminal would run it. What it
    waits for (a pattern, by default within the banner's bound; its exit) is waited for as long
    as `waits` says."""

    def __init__(self, waits: Waits, *args: str) -> None:
        self.waits = waits
        env = dict(os.environ)
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        self.process = subprocess.Popen(
            [str(paths.ROOT / "x.py"), *args], cwd=paths.ROOT, env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
        assert self.process.stdout is not None
        os.set_blocking(self.process.stdout.fileno(), False)
        self.seen = ""

    def wait_for(self, pattern: str, within: float | None = None) -> None:
        """Waits until what the terminal showed matches `pattern`, for `within` seconds (by
        default the banner's bound)."""
        assert self.process.stdout is not None
        within = self.waits.banner if within is None else within
        deadline = time.monotonic() + within
        while not re.search(pattern, self.seen):
            assert time.monotonic() < deadline, (
                f"no {pattern!r} within {within:.0f} s ({self.waits}):\n{self.seen[-2000:]}"
            )
            self.seen += (self.process.stdout.read() or b"").decode(errors="replace")
            time.sleep(0.1)

    def type(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode())
        self.process.stdin.flush()

    def quit(self) -> None:
        """Ctrl-] x, QEMU's escape, as a person quits."""
        self.type("\x1dx")
        assert self.process.wait(timeout=self.waits.reply) == 0

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def x_py(waits: Waits, *args: str) -> subprocess.CompletedProcess[str]:
    """A short `./x.py` command that boots nothing, run to its end: a host wait."""
    return subprocess.run(
        [str(paths.ROOT / "x.py"), *args],
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
        timeout=waits.host(120.0),
        check=False,
    )


def test_run_boots_into_the_shell_and_ctrl_c_reaches_the_program(
    kernel_images: image.Images, accel: Accel, waits: Waits, tmp_path: Path
) -> None:
    """The issue's own check, through the real front end: `./x.py run` boots to the shell,
    `cat /tmp/hello.txt | wc -c` prints 6, and Ctrl-C stops `spin` with the shell answering.

    While it runs, a second `./x.py run --fresh-disk` and an `./x.py mkfs` on the same disk are
    refused before they write a byte (they once rewrote it under the guest): the file the guest
    wrote is still there afterwards, and the disk is clean."""
    disk = tmp_path / "disk.img"
    run = FrontEnd(waits, "run", "--accel", accel.value, "--disk", str(disk))
    try:
        run.wait_for(r"/ \$ ")
        run.type("echo hello > /tmp/hello.txt\r")
        run.type("cat /tmp/hello.txt | wc -c\r")
        run.wait_for(r"wc -c\r?\n6\r?\n")
        run.type("echo kept > /kept; sync; echo synced\r")
        run.wait_for(r"\nsynced\r?\n")
        before = disk.read_bytes()
        second = x_py(waits, "run", "--fresh-disk", "--disk", str(disk))
        assert second.returncode == 1, second.stdout + second.stderr
        assert "is in use" in second.stderr and "qemu-system" in second.stderr, second.stderr
        assert "./x.py run (pid" in second.stderr, second.stderr
        assert "made a new" not in second.stdout
        again = x_py(waits, "mkfs", str(disk))
        assert again.returncode == 1 and "is in use" in again.stderr, again.stdout + again.stderr
        assert disk.read_bytes() == before
        run.type("spin\r")
        run.wait_for(r"spinning")
        run.type("\x03")
        run.type("echo after $?\r")
        run.wait_for(r"\nafter 130\r?\n")
        run.quit()
    finally:
        run.kill()
    assert x_py(waits, "fs", "cat", str(disk), "/kept").stdout == "kept\n"
    checked = x_py(waits, "fsck", str(disk))
    assert checked.returncode == 0 and "clean" in checked.stdout, checked.stdout
