"""The harness's verdicts: only exit status 33 plus a complete, all-ok report passes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ferrite_tools import contract, harness, paths
from ferrite_tools.errors import FerriteError
from ferrite_tools.qemu import Firmware
from ferrite_tools.results import Status, TestResult

from conftest import FIXTURES

LOG = Path("/tmp/ferrite-example.log")


def judge(fixture: str, status: int | None) -> list[TestResult]:
    output = (FIXTURES / "ktap" / fixture).read_text(errors="replace")
    return harness.judge("unit[bios]", status, output, 60.0, LOG, "tail", 1.0)


def test_pass_needs_the_success_status() -> None:
    results = judge("pass.log", contract.STATUS_SUCCESS)
    assert [r.status for r in results] == [Status.PASS, Status.PASS, Status.SKIP]


def test_a_complete_report_with_the_wrong_status_fails() -> None:
    results = judge("pass.log", contract.STATUS_QEMU_SELF)
    failed = [r for r in results if r.status is Status.FAIL]
    assert len(failed) == 1
    assert "triple fault" in failed[0].detail


def test_a_not_ok_line_names_the_test() -> None:
    results = judge("failure.log", contract.STATUS_FAILURE)
    failed = [r for r in results if r.status is Status.FAIL]
    assert [r.name for r in failed] == ["unit[bios] ferrite::b"]
    assert "panicked" in failed[0].detail
    assert failed[0].log == LOG


def test_a_hang_names_the_running_test() -> None:
    results = judge("hang.log", None)
    failed = [r for r in results if r.status is Status.FAIL]
    assert [r.name for r in failed] == ["unit[bios] ferrite::spins_forever"]
    assert "hung" in failed[0].detail and "tail" in failed[0].detail


def test_a_triple_fault_mid_suite_names_the_running_test() -> None:
    results = judge("crash.log", contract.STATUS_QEMU_SELF)
    failed = [r for r in results if r.status is Status.FAIL]
    assert [r.name for r in failed] == ["unit[bios] ferrite::b"]
    assert "triple fault" in failed[0].detail
    assert "stopped mid-suite" in failed[0].detail


def test_success_status_with_an_incomplete_report_fails() -> None:
    results = judge("crash.log", contract.STATUS_SUCCESS)
    assert any(r.status is Status.FAIL for r in results)


def test_a_kernel_that_never_reports() -> None:
    results = judge("no_report.log", None)
    assert [r.name for r in results] == ["unit[bios] (boot)"]
    assert "no KTAP report" in results[0].detail


def macro_line(args: str) -> bytes:
    """What `test_kernel!(ARGS)` writes into the binary (kernel/src/testing.rs): the prefix, then
    ` key=value` for each argument, then a newline."""
    words = "".join(f" {key}={value}" for key, value in re.findall(r'(\w+)\s*=\s*("[^"]*"|\w+)', args))
    return harness.CONFIG_PREFIX + words.encode() + b"\n"


def test_a_test_kernel_says_how_it_boots_in_its_own_binary() -> None:
    binary = b"\x7fELF..." + macro_line('firmware = "bios uefi", timing = "exact", races = true') + b"\x00more"
    config = harness.parse_config("k", binary)
    assert config == harness.KernelConfig((Firmware.BIOS, Firmware.UEFI), exact=True, races=True)
    assert harness.parse_config("k", b"no line at all") == harness.KernelConfig()
    assert harness.parse_config("k", macro_line("")) == harness.KernelConfig()
    assert harness.parse_config("k", macro_line('firmware = "uefi"')).firmwares == (Firmware.UEFI,)


def test_a_line_the_harness_cannot_read_names_the_kernel() -> None:
    for args in ('firmware = "coreboot"', 'timing = "fast"', "races = maybe", 'colour = "red"'):
        with pytest.raises(FerriteError, match="test kernel k"):
            harness.parse_config("k", macro_line(args))


def test_every_test_kernel_source_asks_for_what_it_needs() -> None:
    """Each kernel/tests/ file's `test_kernel!` line parses, and the kernels that measure time or
    hunt races say so (the lines that once lived in tables here)."""
    configs = {}
    for source in sorted((paths.KERNEL_DIR / "tests").glob("*.rs")):
        match = re.search(r"ferrite::test_kernel!\(([^)]*)\);", source.read_text())
        if match:
            configs[source.stem] = harness.parse_config(source.stem, macro_line(match.group(1)))
    assert configs["uefi_boot"].firmwares == (Firmware.UEFI,)
    assert configs["boot_banner"].firmwares == (Firmware.BIOS, Firmware.UEFI)
    assert {k for k, c in configs.items() if c.races} == {"async_tasks", "threads", "stress", "user_pipes"}
    assert {k for k, c in configs.items() if c.exact} >= {"timer", "heap_bench", "user_bench", "threads"}


def test_concurrency_kernels_run_under_every_timing_and_others_once() -> None:
    races = harness.KernelConfig(exact=True, races=True)
    timings = harness.timings_for(races, (7, 8))
    assert [t.label() for t in timings] == ["exact", "real", "jitter=7", "jitter=8"]
    assert timings[0].icount and not timings[1].icount and timings[2].icount
    assert [t.label() for t in harness.timings_for(harness.KernelConfig(exact=True))] == ["exact"], "no races"
    assert [t.label() for t in harness.timings_for(harness.KernelConfig())] == ["real"]
    assert harness.reproduce_command("stress", harness.Timing("jitter", 7)) == "./x.py test --seed 7 stress"
    assert harness.reproduce_command("threads", harness.REAL) == "./x.py test threads"


def test_the_kernel_parses_every_timing_the_harness_sends() -> None:
    # The kernel's parser (crates/fwcfg, Timing::parse) accepts exactly: exact, real, jitter=N.
    for timing in harness.timings_for(harness.KernelConfig(exact=True, races=True), (0, 12345)):
        text = timing.fw_cfg()
        assert text in ("exact", "real") or re.fullmatch(r"jitter=\d+", text), text
