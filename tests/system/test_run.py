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
    cmd = [str(paths.ROOT / "x.py"), "run", "--accel", accel.value] + (["--uefi"] if uefi else [])
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
