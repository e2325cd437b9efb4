"""Driving Ferrite's kernel console over serial (and its keyboard over QMP), for the system
tests: a booted machine, commands typed, replies read up to the next prompt.

Nothing here waits a fixed time: every wait is for a condition (a prompt, a pattern, a state of
the machine), bounded by a deadline from the console's `Waits` (tools/ferrite_tools/waits.py),
so a slower machine gets a later deadline rather than a failure. The short sleeps inside the
loops are how often a condition is looked at, not assumptions about how long anything takes."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from qemu.qmp.legacy import QEMUMonitorProtocol

from ferrite_tools import contract, image, paths
from ferrite_tools.qemu import Accel, Firmware, Machine, QemuConfig
from ferrite_tools.setup import find_ovmf
from ferrite_tools.waits import REPLY_S, Waits

PROMPT = "ferrite> "
#: The fw_cfg entries every console test boots with: these tests drive the kernel's own console,
#: so they ask for it in the file where the kernel reads who owns the console
#: (`contract.SESSION_FILE`, the `fwcfg` crate's).
KERNEL_CONSOLE = ((contract.SESSION_FILE, "kernel"),)
#: How often a wait looks at its condition.
POLL_S = 0.05
#: How often a wait looks at a condition it has to ask the console (`ps`, say).
CONSOLE_POLL_S = 0.2
#: The line editor's limit (MAX_LINE in crates/lineedit).
MAX_LINE = 120


def wait_until(
    condition: Callable[[], bool], within_s: float, failure: Callable[[], str], interval_s: float = POLL_S
) -> None:
    """Looks at `condition` every `interval_s` seconds until it holds; after `within_s` seconds
    without it, fails with `failure()` (called only then, so it may ask the machine). A condition
    that types a command on the console is looked at less often (`CONSOLE_POLL_S`), so the
    polling does not flood the console it watches."""
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"not within {within_s:.0f} s: {failure()}"
        time.sleep(interval_s)


class Console:
    """A booted machine, driven like a person at a serial terminal. `waits` is for the machine
    it drives (accelerator, firmware): every reply is waited for that long."""

    def __init__(self, machine: Machine, qmp_socket: Path, waits: Waits, prompt: str = PROMPT) -> None:
        self.machine = machine
        self.qmp_socket = qmp_socket
        self.waits = waits
        #: What ends each reply: the kernel console's prompt, or the shell's.
        self.prompt = prompt

    def run(self, line: str) -> str:
        """Types `line` and Enter; returns what the console printed up to the next prompt."""
        return self.type_and_wait(line + "\r")

    def run_slow(self, line: str, base_s: float) -> str:
        """As `run`, for a command that takes up to `base_s` seconds on the reference machine
        (scaled here by the console's waits, like every other wait)."""
        return self.type_and_wait(line + "\r", base_s)

    def type_and_wait(self, text: str, base_s: float = REPLY_S) -> str:
        """Types `text`; returns what the console printed up to the next prompt, which must come
        within `base_s` seconds on the reference machine (scaled)."""
        before = self.machine.output
        self.machine.send(text)
        self.wait_for_prompt(before.count(self.prompt), f"after {text!r}", base_s)
        reply = self.machine.output[len(before) :]
        return reply.rsplit(self.prompt, 1)[0]

    def wait_for_prompt(self, prompts: int, what: str, base_s: float = REPLY_S) -> None:
        """Waits until more than `prompts` prompts have been printed in all, within `base_s`
        seconds on the reference machine (scaled)."""

        def more() -> bool:
            assert self.machine.exit_status is None, f"QEMU exited:\n{self.machine.tail()}"
            return self.machine.output.count(self.prompt) > prompts

        wait_until(more, self.waits.of(base_s), lambda: f"no prompt {what} ({self.waits}):\n{self.machine.tail()}")

    def type_until(self, text: str, pattern: str) -> str:
        """Types `text`; waits until the output after it matches the regular expression."""
        before = len(self.machine.output)
        self.machine.send(text)
        wait_until(
            lambda: re.search(pattern, self.machine.output[before:]) is not None,
            self.waits.reply,
            lambda: f"no {pattern!r} after {text!r} ({self.waits}):\n{self.machine.tail()}",
        )
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

    def monitor(self, command: str) -> str:
        """The answer of QEMU's human monitor to `command` (such as "info registers"), through
        QMP `human-monitor-command`."""
        qmp = QEMUMonitorProtocol(str(self.qmp_socket))
        qmp.connect()
        try:
            reply = qmp.cmd("human-monitor-command", **{"command-line": command})
        finally:
            qmp.close()
        assert isinstance(reply, str), reply
        return reply


#: The flags register's interrupt-enable bit (IF).
EFLAGS_IF = 1 << 9


def halted_for_good(registers: str) -> bool:
    """Whether QEMU's "info registers" shows the CPU stopped for good: halted (`HLT=1`) with
    interrupts off (IF clear in the flags, `RFL=` in long mode, `EFL=` before it), so nothing
    but an NMI wakes it, as the kernel's `halt_forever` leaves it. The idle loop halts too, but
    with interrupts on: `RFL=00000206 ... HLT=1` at the prompt, `RFL=00000086 ... HLT=1` after
    a panic (QEMU 7.2)."""
    halted = re.search(r"\bHLT=(\d)", registers)
    flags = re.search(r"\b[RE]FL=([0-9a-fA-F]+)", registers)
    assert halted and flags, registers
    return halted.group(1) == "1" and not int(flags.group(1), 16) & EFLAGS_IF


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
