"""Whether KVM really works here, found out by running a few instructions under it.

`/dev/kvm` existing is not enough. Inside some virtual machines it opens fine, but the nested
hypervisor cannot run everything: on one of our build machines the first FPU instruction ends
in "KVM internal error". So the probe boots a 64 KiB firmware image of its own under KVM whose
reset vector runs `fninit`, `fwait`, then writes the success value to QEMU's exit device. Exit
status 33 within a few seconds means KVM works; anything else means emulate (TCG).

The answer is cached in build/ per machine boot (`/proc/sys/kernel/random/boot_id`), so the
probe costs its second or two once, not on every command.

`choose_accel` turns a command's `--accel auto|kvm|tcg` into the accelerator to use; every
command that boots asks it here (it once lived in testcmd.py, which the command line and the
test fixtures imported for it alone).

The probe's QEMU runs a few instructions with no disk attached; one that has not exited after
`PROBE_TIMEOUT_S` is a broken KVM and is killed when `subprocess.run` times out. There is nothing
for a QMP `quit` to flush or unlock there, so this is the one QEMU the tools end with a signal
directly.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from ferrite_tools import contract
from ferrite_tools.errors import FerriteError
from ferrite_tools.paths import BUILD_DIR
from ferrite_tools.qemu import QEMU, Accel

KVM_DEVICE = Path("/dev/kvm")
PROBE_TIMEOUT_S = 5.0
#: Size of the probe firmware image. QEMU maps a firmware image so that it ends at 4 GiB, where
#: the CPU's first instruction is fetched (the reset vector, physical 0xFFFF_FFF0), and mirrors
#: its last 128 KiB just below 1 MiB; either way the CPU starts 16 bytes before its end.
ROM_SIZE = 0x10000
RESET_VECTOR_OFFSET = 0xFFF0
_CACHE = BUILD_DIR / "kvm-probe.json"


def probe_rom() -> bytes:
    """The probe's firmware: fninit; fwait; mov al, 0x10; out 0xF4, al; hlt."""
    code = bytes(
        [
            0xDB, 0xE3,  # fninit
            0x9B,  # fwait
            0xB0, contract.EXIT_SUCCESS_VALUE,  # mov al, success value
            0xE6, contract.EXIT_PORT,  # out 0xF4, al
            0xF4,  # hlt
        ]
    )
    rom = bytearray(b"\xf4" * ROM_SIZE)  # hlt everywhere else
    rom[RESET_VECTOR_OFFSET : RESET_VECTOR_OFFSET + len(code)] = code
    return bytes(rom)


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def run_probe() -> tuple[bool, str]:
    """Runs the probe; returns whether KVM works and why not if it does not."""
    if not os.access(KVM_DEVICE, os.R_OK | os.W_OK):
        return False, f"{KVM_DEVICE} is missing or not accessible"
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    rom = BUILD_DIR / "kvm-probe.rom"
    rom.write_bytes(probe_rom())
    argv = [
        QEMU, "-accel", "kvm", "-cpu", "host", "-machine", "pc", "-nodefaults", "-display", "none",
        "-bios", str(rom), "-device",
        f"isa-debug-exit,iobase={contract.EXIT_PORT:#x},iosize={contract.EXIT_PORT_SIZE:#04x}",
    ]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return False, "a KVM guest did not finish a few instructions (KVM internal error?)"
    except FileNotFoundError:
        return False, f"{QEMU} not found"
    if result.returncode == contract.STATUS_SUCCESS:
        return True, "works"
    return False, f"probe exited {result.returncode}: {result.stderr.strip()[:200]}"


def kvm_usable() -> tuple[bool, str]:
    """Whether to use KVM, from the cache when this machine boot already probed."""
    boot = _boot_id()
    try:
        cached = json.loads(_CACHE.read_text())
        if cached.get("boot_id") == boot:
            return bool(cached["usable"]), str(cached["why"])
    except (OSError, ValueError, KeyError):
        pass
    usable, why = run_probe()
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    _CACHE.write_text(json.dumps({"boot_id": boot, "usable": usable, "why": why}))
    return usable, why


def choose_accel(requested: str) -> tuple[Accel, str]:
    """KVM when asked for or when `auto` and it works; otherwise TCG. Also says why, in words."""
    if requested == "tcg":
        return Accel.TCG, "TCG (asked for)"
    usable, why = kvm_usable()
    if usable:
        return Accel.KVM, "KVM"
    if requested == "kvm":
        raise FerriteError(f"KVM was asked for but does not work here: {why}")
    return Accel.TCG, f"TCG (KVM not usable: {why})"


def announce_accel(requested: str) -> Accel:
    """`choose_accel`, with the choice printed for the person watching a boot."""
    accel, note = choose_accel(requested)
    print(f"QEMU acceleration: {note}", flush=True)
    return accel
