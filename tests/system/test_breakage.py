"""Breaking a kernel test in each way it can break must fail it, by name.

The `selftest` test kernel is rebuilt with FERRITE_SELFTEST_BREAK set, which makes its middle
test fail an assertion, panic, hang or triple-fault. The harness must report that test as
failed (and not the whole run as passed) with the reason each breakage produces.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ferrite_tools import build, harness, image, paths
from ferrite_tools.qemu import Accel, Firmware
from ferrite_tools.results import Status
from ferrite_tools.setup import Toolchain
from ferrite_tools.waits import Waits


def build_selftest(tc: Toolchain, breakage: str) -> build.TestKernel:
    env = tc.env()
    env["FERRITE_SELFTEST_BREAK"] = breakage
    out = build.run_logged(
        [str(tc.cargo), "test", "--no-run", "--test", "selftest", "--message-format=json-render-diagnostics"],
        cwd=paths.KERNEL_DIR,
        env=env,
        log=paths.LOG_DIR / f"build-selftest-{breakage}.log",
        what=f"Building the selftest kernel broken by {breakage}",
        stream=False,
    )
    executables = [line for line in out.splitlines() if '"executable":"' in line and "selftest" in line]
    assert executables, "cargo built no selftest kernel"
    return build.TestKernel("selftest", Path(json.loads(executables[-1])["executable"]))


@pytest.mark.parametrize(
    "breakage, reason",
    [
        ("assert", "broken on purpose"),
        ("panic", "broken on purpose"),
        ("loop", "hung"),
        ("triple_fault", "triple fault"),
    ],
)
def test_a_broken_test_fails_by_name(
    toolchain: Toolchain, accel: Accel, waits: Waits, breakage: str, reason: str
) -> None:
    build.build_boot_tool(toolchain, verbose=False)
    kernel = build_selftest(toolchain, breakage)
    images = image.make_images(toolchain, kernel.elf, f"selftest-{breakage}", {Firmware.BIOS})
    # A hang is found by the timeout: `waits.hang`, shorter than a test kernel's usual time.
    results = harness.run_kernel_test(kernel, images, Firmware.BIOS, accel=accel, ovmf=None, timeout=waits.hang)
    by_name = {r.name.split(" ", 1)[1]: r for r in results}
    assert by_name["selftest::first_passes"].status is Status.PASS
    broken = by_name["selftest::second_breaks"]
    assert broken.status is Status.FAIL
    assert reason in broken.detail
    assert "selftest::third_runs_only_if_unbroken" not in by_name, "nothing runs after the breakage"
    assert broken.log is not None and broken.log.exists()
