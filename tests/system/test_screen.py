"""What Ferrite shows: the framebuffer really carries the console text, under BIOS and UEFI.

Boots the kernel with a QMP socket, waits for the end of the boot on serial, asks QEMU for a
`screendump` of the display, and compares the banner's cells, pixel by pixel, with the same
text drawn from the same PSF font on the host (`ferrite_tools.screen`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from qemu.qmp.legacy import QEMUMonitorProtocol

from ferrite_tools import contract, image, paths, psf, screen
from ferrite_tools.qemu import Accel, Firmware, Machine, QemuConfig
from ferrite_tools.setup import find_ovmf
from ferrite_tools.waits import Waits

#: Share of pixels in the text's cells that must agree with the font. The console draws
#: exactly, so anything but a rare stray pixel means a different picture.
MATCH_THRESHOLD = 0.99


def screendump(config: QemuConfig, waits: Waits, log: Path, out: Path) -> tuple[str, screen.Image]:
    """Boots, waits for the boot to finish, returns the serial output and a screenshot."""
    out.unlink(missing_ok=True)
    with Machine(config, log) as machine:
        assert machine.wait_for("boot complete", waits.under(config.firmware).boot), machine.tail()
        assert config.qmp_socket is not None
        qmp = QEMUMonitorProtocol(str(config.qmp_socket))
        qmp.connect()
        try:
            reply = qmp.cmd("screendump", filename=str(out))
        finally:
            qmp.close()
        # The legacy client returns the command's result: an empty object for screendump.
        assert reply in ({}, {"return": {}}), reply
        return machine.output, screen.read_ppm(out)


@pytest.mark.parametrize("firmware", [Firmware.BIOS, Firmware.UEFI], ids=["bios", "uefi"])
def test_the_banner_is_on_the_screen(
    kernel_images: image.Images, accel: Accel, waits: Waits, firmware: Firmware, tmp_path: Path
) -> None:
    config = QemuConfig(
        image=kernel_images.for_firmware(firmware),
        firmware=firmware,
        ovmf=find_ovmf(),
        accel=accel,
        qmp_socket=tmp_path / "qmp.sock",
    )
    log = paths.LOG_DIR / f"screen-{firmware.value}.log"
    output, shot = screendump(config, waits, log, paths.BUILD_DIR / f"screen-{firmware.value}.ppm")
    font = psf.load(paths.FONT)

    mode = re.search(r"framebuffer: (\d+)x(\d+)", output)
    assert mode, "the banner states the framebuffer mode"
    assert (shot.width, shot.height) == (int(mode.group(1)), int(mode.group(2)))

    banner = next(line for line in output.splitlines() if line.startswith("Ferrite "))
    assert screen.text_match(shot, font, banner, row=0) >= MATCH_THRESHOLD
    # The same check must be able to fail: one changed letter, or the wrong row, scores lower.
    wrong = "X" + banner[1:]
    assert screen.cell_match(shot, font, wrong[0], 0, 0) < MATCH_THRESHOLD
    assert screen.text_match(shot, font, banner, row=1) < MATCH_THRESHOLD

    # Everything printed after the banner is on the screen too, except the serial-only BENCH lines.
    lines = output.splitlines()
    start = lines.index(banner)
    log_line = next(line for line in lines[start:] if "boot complete" in line)
    row = sum(1 for line in lines[start : lines.index(log_line)] if not line.startswith(contract.BENCH_PREFIX))
    assert screen.text_match(shot, font, log_line, row=row) >= MATCH_THRESHOLD

    bottom = shot.height // font.height - 1
    assert screen.text_match(shot, font, " " * 20, row=bottom) == 1.0, "the last row is blank"
