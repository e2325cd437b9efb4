"""`./x.py debug`'s GDB script really stops at `kernel_main`, with symbols, under BIOS and UEFI.

QEMU starts paused with its GDB stub; GDB runs the generated script in batch mode, which sets a
hardware breakpoint on the kernel's entry function before the kernel is even loaded, continues,
and must report the stop at `ferrite::kernel_main` at the address the ELF file says.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from ferrite_tools import debugger, image, paths
from ferrite_tools.qemu import Accel, Firmware, Machine, QemuConfig
from ferrite_tools.setup import find_ovmf
from ferrite_tools.waits import Waits

#: From GDB's start to its stop at `kernel_main` and its exit, on the reference machine: the
#: boot, under the GDB stub, and GDB's own start.
GDB_S = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb is not installed")
@pytest.mark.parametrize("firmware", [Firmware.BIOS, Firmware.UEFI], ids=["bios", "uefi"])
def test_gdb_stops_at_kernel_main(
    kernel_images: image.Images, accel: Accel, waits: Waits, firmware: Firmware, tmp_path: Path
) -> None:
    port = free_port()
    script = tmp_path / "ferrite.gdb"
    script.write_text(debugger.gdb_script(paths.kernel_elf(release=False), port))
    config = QemuConfig(
        image=kernel_images.for_firmware(firmware),
        firmware=firmware,
        ovmf=find_ovmf(),
        accel=accel,
        gdb_port=port,
        gdb_wait=True,
    )
    with Machine(config, paths.LOG_DIR / f"debug-{firmware.value}.log"):
        result = subprocess.run(
            ["gdb", "-nx", "-batch", "-x", str(script), "-ex", "info symbol $pc"],
            capture_output=True, text=True, timeout=waits.under(firmware).of(GDB_S), check=False,
        )
    out = result.stdout + result.stderr
    assert "Breakpoint 1, ferrite::kernel_main" in out, out
    assert "in section .text" in out and "ferrite::kernel_main" in out.split("Breakpoint 1,")[1], out
