"""Debian's `busybox-static`, a Linux program built for Linux alone, runs unchanged on Ferrite.

The set-up downloads the package (not installed: unpacked under build/busybox/) and packs its
binary into a test image's ramdisk. Each applet here runs twice, on Ferrite and on the host, on
the same files, and the outputs must be the same. The system calls Ferrite does not have yet are
logged by the kernel (once per program and call) where `dmesg` reads them, never in the applet's
output; the last test reads that list for the report.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from consolelib import SHELL_PROMPT, Console

from ferrite_tools import build, image, paths
from ferrite_tools.qemu import Accel, Firmware, Machine, QemuConfig
from ferrite_tools.setup import Toolchain, find_ovmf
from ferrite_tools.waits import Waits

#: The file the applets work on, the same on both sides.
POEM = ["rust never sleeps", "iron and oxygen", "a rust belt of old towns", "nothing here"]
#: Where the guest keeps it.
GUEST_DIR = "/tmp/bb"
#: The kernel log's line for a call a program made that Ferrite lacks.
MISSING_CALL = re.compile(r"pid \d+ \(busybox\): system call \d+ \((\w+)\) is not implemented")


@pytest.fixture(scope="module")
def busybox() -> Path:
    return build.fetch_busybox(verbose=False)


@pytest.fixture(scope="module")
def shell(
    toolchain: Toolchain, accel: Accel, waits: Waits, busybox: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    # UEFI: the firmware reads BusyBox's two megabytes at once, where the BIOS path takes
    # several seconds.
    elf = build.build_kernel(toolchain, release=False, verbose=False)
    ramdisk = image.build_ramdisk(toolchain, verbose=False, added=[busybox], out=image.BUSYBOX_RAMDISK)
    images = image.make_images(toolchain, elf, "debug-busybox", {Firmware.UEFI}, ramdisk)
    socket = tmp_path_factory.mktemp("busybox") / "busybox.qmp"
    config = QemuConfig(
        image=images.for_firmware(Firmware.UEFI), firmware=Firmware.UEFI, ovmf=find_ovmf(), accel=accel, qmp_socket=socket
    )
    uefi = waits.under(Firmware.UEFI)
    with Machine(config, paths.LOG_DIR / "busybox.log") as machine:
        assert machine.wait_for("Ferrite shell.", uefi.boot), machine.tail()
        assert machine.wait_for(SHELL_PROMPT, uefi.boot), machine.tail()
        console = Console(machine, socket, uefi, prompt=SHELL_PROMPT)
        console.run(f"mkdir {GUEST_DIR}; cd {GUEST_DIR}")
        for line in POEM:
            console.run(f"echo '{line}' >> poem")
        yield console


@pytest.fixture(scope="module")
def host_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("busybox-host")
    (folder / "poem").write_text("".join(f"{line}\n" for line in POEM))
    return folder


def guest_lines(reply: str) -> list[str]:
    """The output lines of a command (between its echo and the next prompt)."""
    return reply.replace("\r\n", "\n").split("\n")[1:-1]


@pytest.mark.parametrize(
    "applet",
    [
        ["echo", "hello", "world"],
        ["cat", "poem"],
        ["wc", "poem"],
        ["wc", "-l", "poem"],
        ["ls", "-1"],
        ["grep", "rust", "poem"],
        ["grep", "-c", "o", "poem"],
        ["head", "-n", "2", "poem"],
        ["tail", "-n", "1", "poem"],
    ],
    ids=lambda applet: " ".join(applet),
)
def test_the_applet_prints_what_it_prints_on_the_host(shell: Console, busybox: Path, host_dir: Path, applet: list[str]) -> None:
    ours = guest_lines(shell.run("busybox " + " ".join(applet)))
    theirs = subprocess.run([str(busybox), *applet], cwd=host_dir, capture_output=True, text=True, check=True)
    assert ours == theirs.stdout.splitlines(), "the kernel log (dmesg) names the calls BusyBox missed"


def test_busybox_sh_runs_a_pipeline(shell: Console) -> None:
    ours = guest_lines(shell.run("busybox sh -c 'echo hi | busybox wc -c; busybox echo done'"))
    assert ours == ["3", "done"], "the kernel log (dmesg) names the calls BusyBox missed"


def test_missing_calls_are_in_the_kernel_log_and_busybox_dmesg_reads_it(shell: Console) -> None:
    """BusyBox's own `dmesg` reads the log through `syslog(2)` as on Linux, and shows the calls
    Ferrite lacks, each once per program."""
    # Applets that ask for calls Ferrite does not have (yet): the scheduling priority
    # (getpriority) and the I/O priority (ioprio_get).
    shell.run("busybox nice; busybox ionice")
    ours = "\n".join(guest_lines(shell.run("dmesg")))
    theirs = "\n".join(guest_lines(shell.run("busybox dmesg")))
    missing = sorted({m.group(1) for m in MISSING_CALL.finditer(ours)})
    assert missing, ours[-1500:]
    # BusyBox's dmesg is itself a BusyBox program, so it may add its own lines to the log.
    assert {m.group(1) for m in MISSING_CALL.finditer(theirs)} >= set(missing)
    print(f"system calls BusyBox made that Ferrite lacks: {missing}")
