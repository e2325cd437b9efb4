"""Driving Ferrite's kernel console over serial (and its keyboard over QMP), for the system
tests: a booted machine, commands typed, replies read up to the next prompt."""

from __future__ import annotations

import re
import time
from pathlib import Path

from qemu.qmp.legacy import QEMUMonitorProtocol

from ferrite_tools import contract, image, paths
from ferrite_tools.qemu import Accel, Firmware, Machine, QemuConfig
from ferrite_tools.setup import find_ovmf

PROMPT = "ferrite> "
#: The fw_cfg entries every console test boots with: these tests drive the kernel's own console,
#: so they ask for it in the file where the kernel reads who owns the console
#: (`contract.SESSION_FILE`, the `fwcfg` crate's).
KERNEL_CONSOLE = ((contract.SESSION_FILE, "kernel"),)
BOOT_TIMEOUT_S = 60.0
REPLY_TIMEOUT_S = 15.0
#: The line editor's limit (MAX_LINE in crates/lineedit).
MAX_LINE = 120


class Console:
    """A booted machine, driven like a person at a serial terminal."""

    def __init__(self, machine: Machine, qmp_socket: Path, prompt: str = PROMPT) -> None:
        self.machine = machine
        self.qmp_socket = qmp_socket
        #: What ends each reply: the kernel console's prompt, or the shell's.
        self.prompt = prompt

    def run(self, line: str) -> str:
        """Types `line` and Enter; returns what the console printed up to the next prompt."""
        return self.type_and_wait(line + "\r")

    def run_slow(self, line: str, timeout_s: float) -> str:
        """As `run`, for a command that takes up to `timeout_s` seconds."""
        return self.type_and_wait(line + "\r", timeout_s)

    def type_and_wait(self, text: str, timeout_s: float = REPLY_TIMEOUT_S) -> str:
        before = self.machine.output
        prompts = before.count(self.prompt)
        self.machine.send(text)
        deadline = time.monotonic() + timeout_s
        while self.machine.output.count(self.prompt) <= prompts:
            assert time.monotonic() < deadline, f"no prompt after {text!r}:\n{self.machine.tail()}"
            assert self.machine.exit_status is None, f"QEMU exited:\n{self.machine.tail()}"
            time.sleep(0.05)
        reply = self.machine.output[len(before) :]
        return reply.rsplit(self.prompt, 1)[0]

    def type_until(self, text: str, pattern: str) -> str:
        """Types `text`; waits until the output after it matches the regular expression."""
        before = len(self.machine.output)
        self.machine.send(text)
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while not re.search(pattern, self.machine.output[before:]):
            assert time.monotonic() < deadline, f"no {pattern!r} after {text!r}:\n{self.machine.tail()}"
            time.sleep(0.05)
        return self.machine.output[before:]

    def send_keys(self, keys: list[list[str]]) -> None:
        """Presses keys on the PS/2 keyboard through QMP: each inner list is pressed together
        (QEMU's qcode names, such as ["shift", "k"])."""
        qmp = QEMUMonitorProtocol(str(self.qmp_socket))
        qmp.connect()
        try:
            for combo in keys:
                reply = qmp.cmd("send-key", keys=[{"type": "qcode", "data": key} for key in combo])
                assert reply in ({}, {"return": {}}), reply
        finally:
            qmp.close()


def boot(images: image.Images, accel: Accel, tmp_path: Path, name: str) -> tuple[Machine, Path]:
    socket = tmp_path / f"{name}.qmp"
    config = QemuConfig(
        image=images.for_firmware(Firmware.BIOS), accel=accel, qmp_socket=socket, fw_cfg=KERNEL_CONSOLE
    )
    return Machine(config, paths.LOG_DIR / f"console-{name}.log"), socket


#: What every shell prompt ends with (the shell prints the working directory before it).
SHELL_PROMPT = " $ "


def boot_shell(images: image.Images, accel: Accel, tmp_path: Path, name: str) -> tuple[Machine, Path]:
    """As `boot`, but into the user-space shell, as `./x.py run` boots."""
    socket = tmp_path / f"{name}.qmp"
    config = QemuConfig(image=images.for_firmware(Firmware.BIOS), accel=accel, qmp_socket=socket)
    return Machine(config, paths.LOG_DIR / f"shell-{name}.log"), socket


def boot_uefi(images: image.Images, accel: Accel, tmp_path: Path, name: str) -> tuple[Machine, Path]:
    """As `boot`, through UEFI firmware (OVMF)."""
    socket = tmp_path / f"{name}.qmp"
    config = QemuConfig(
        image=images.for_firmware(Firmware.UEFI),
        firmware=Firmware.UEFI,
        ovmf=find_ovmf(),
        accel=accel,
        qmp_socket=socket,
        fw_cfg=KERNEL_CONSOLE,
    )
    return Machine(config, paths.LOG_DIR / f"{name}.log"), socket
