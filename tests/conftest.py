"""Shared fixtures: the toolchain, the QEMU acceleration, the waits, and built kernel images.

The system tests boot Ferrite, so they need the kernel and its images. They build them through
the same functions `./x.py` uses (cargo makes that a no-op when `./x.py test` already built
them). The acceleration comes from `./x.py test` in FERRITE_ACCEL, or is probed. Every wait a
system test makes comes from `waits` (tools/ferrite_tools/waits.py): the base waits scaled for
this accelerator, the debug kernel, and FERRITE_WAIT_SCALE; a UEFI boot asks for
`waits.under(Firmware.UEFI)`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from ferrite_tools import build, image  # noqa: E402
from ferrite_tools.qemu import Accel, Firmware  # noqa: E402
from ferrite_tools.setup import Toolchain, find_toolchain  # noqa: E402
from ferrite_tools.kvm import choose_accel  # noqa: E402
from ferrite_tools.waits import Waits  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def toolchain() -> Toolchain:
    tc = find_toolchain()
    if tc is None:
        pytest.fail("the pinned Rust toolchain is missing; run ./x.py setup")
    return tc


@pytest.fixture(scope="session")
def accel() -> Accel:
    requested = os.environ.get("FERRITE_ACCEL", "auto")
    return choose_accel(requested)[0]


@pytest.fixture(scope="session")
def waits(accel: Accel) -> Waits:
    """How long to wait for a machine booted from `kernel_images` (the debug kernel) through
    SeaBIOS on this accelerator; a bad FERRITE_WAIT_SCALE fails here, with its reason."""
    return Waits.for_machine(accel, Firmware.BIOS, release=False)


@pytest.fixture(scope="session")
def kernel_images(toolchain: Toolchain) -> image.Images:
    """BIOS and UEFI images of the debug kernel."""
    build.build_boot_tool(toolchain, verbose=False)
    elf = build.build_kernel(toolchain, release=False, verbose=False)
    ramdisk = image.build_ramdisk(toolchain, verbose=False)
    return image.make_images(toolchain, elf, "debug", {Firmware.BIOS, Firmware.UEFI}, ramdisk)


@pytest.fixture(scope="session")
def corpus_images(toolchain: Toolchain, kernel_images: image.Images) -> image.Images:
    """A BIOS image of the debug kernel whose ramdisk also carries the malformed ELF corpus."""
    elf = build.build_kernel(toolchain, release=False, verbose=False)
    ramdisk = image.build_ramdisk(toolchain, verbose=False, with_corpus=True)
    return image.make_images(toolchain, elf, "debug-corpus", {Firmware.BIOS}, ramdisk)
