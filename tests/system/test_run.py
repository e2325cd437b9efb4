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

import pytest

from ferrite_tools import image, paths
from ferrite_tools.qemu import Accel

#: The issue's bound: banner within 30 s of starting, once the build is cached.
BANNER_WITHIN_S = 30.0


@pytest.mark.parametrize("uefi", [False, True], ids=["bios", "uefi"])
def test_run_prints_the_banner_and_stops_on_ctrl_c(kernel_images: image.Images, accel: Accel, uefi: bool) -> None:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    cmd = [str(paths.ROOT / "x.py"), "run", "--session", "kernel", "--accel", accel.value] + (["--uefi"] if uefi else [])
    started = time.monotonic()
    process = subprocess.Popen(
        cmd, cwd=paths.ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    seen = ""
    try:
        assert process.stdout is not None
        os.set_blocking(process.stdout.fileno(), False)
        while time.monotonic() - started < BANNER_WITHIN_S and "boot complete" not in seen:
            chunk = process.stdout.read()
            if chunk:
                seen += chunk.decode(errors="replace")
            elif process.poll() is not None:
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        assert "Ferrite " in seen and "boot complete" in seen, seen[-2000:]
        assert elapsed < BANNER_WITHIN_S
        assert ("via Uefi" if uefi else "via Bios") in seen
        # The console answers on the terminal: the prompt, then `uptime`.
        assert process.stdin is not None
        while "ferrite> " not in seen and time.monotonic() - started < BANNER_WITHIN_S:
            seen += (process.stdout.read() or b"").decode(errors="replace")
            time.sleep(0.1)
        process.stdin.write(b"uptime\r")
        process.stdin.flush()
        answered = time.monotonic() + 10
        while "up " not in seen.split("uptime", 1)[-1] and time.monotonic() < answered:
            seen += (process.stdout.read() or b"").decode(errors="replace")
            time.sleep(0.1)
        assert re.search(r"up \d+\.\d{6} s", seen), seen[-2000:]
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=15) == 130
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_run_reboots_in_place_and_ctrl_bracket_x_quits(kernel_images: image.Images, accel: Accel) -> None:
    """An interactive run restarts the machine on `reboot` (tests use -no-reboot; a person at the
    console expects a PC), passes control keys to the guest, and quits on QEMU's escape Ctrl-] x."""
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    cmd = [str(paths.ROOT / "x.py"), "run", "--session", "kernel", "--accel", accel.value]
    process = subprocess.Popen(
        cmd, cwd=paths.ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    seen = ""

    def wait_for(text: str, count: int = 1, within: float = BANNER_WITHIN_S) -> None:
        nonlocal seen
        assert process.stdout is not None
        deadline = time.monotonic() + within
        while seen.count(text) < count:
            assert time.monotonic() < deadline, f"no {text!r} (x{count}):\n{seen[-2000:]}"
            seen += (process.stdout.read() or b"").decode(errors="replace")
            time.sleep(0.1)

    try:
        assert process.stdout is not None and process.stdin is not None
        os.set_blocking(process.stdout.fileno(), False)
        wait_for("ferrite> ")
        # Ctrl-C and Ctrl-\ reach the guest (the line editor cancels the line), not QEMU.
        process.stdin.write(b"echo gone\x03\x1c")
        process.stdin.flush()
        wait_for("^C")
        process.stdin.write(b"reboot\r")
        process.stdin.flush()
        wait_for("boot complete", count=2)
        assert process.poll() is None, "QEMU kept running across the reboot"
        wait_for("ferrite> ", count=3)
        process.stdin.write(b"\x1dx")
        process.stdin.flush()
        assert process.wait(timeout=15) == 0
        seen += (process.stdout.read() or b"").decode(errors="replace")
        assert "Ctrl-] x was typed" in seen, seen[-500:]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_run_boots_into_the_shell_and_ctrl_c_reaches_the_program(kernel_images: image.Images, accel: Accel) -> None:
    """The issue's own check, through the real front end: `./x.py run` boots to the shell,
    `cat /tmp/hello.txt | wc -c` prints 6, and Ctrl-C stops `spin` with the shell answering."""
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    cmd = [str(paths.ROOT / "x.py"), "run", "--accel", accel.value]
    process = subprocess.Popen(
        cmd, cwd=paths.ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    seen = ""

    def wait_for(pattern: str, within: float = BANNER_WITHIN_S) -> None:
        nonlocal seen
        assert process.stdout is not None
        deadline = time.monotonic() + within
        while not re.search(pattern, seen):
            assert time.monotonic() < deadline, f"no {pattern!r}:\n{seen[-2000:]}"
            seen += (process.stdout.read() or b"").decode(errors="replace")
            time.sleep(0.1)

    def type_line(line: str) -> None:
        assert process.stdin is not None
        process.stdin.write(line.encode())
        process.stdin.flush()

    try:
        assert process.stdout is not None
        os.set_blocking(process.stdout.fileno(), False)
        wait_for(r"/ \$ ")
        type_line("echo hello > /tmp/hello.txt\r")
        type_line("cat /tmp/hello.txt | wc -c\r")
        wait_for(r"wc -c\r?\n6\r?\n")
        type_line("spin\r")
        wait_for(r"spinning")
        type_line("\x03")
        type_line("echo after $?\r")
        wait_for(r"\nafter 130\r?\n")
        type_line("\x1dx")
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
