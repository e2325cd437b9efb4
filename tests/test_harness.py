"""The harness's verdicts: only exit status 33 plus a complete, all-ok report passes."""

from __future__ import annotations

import re
from pathlib import Path

from ferrite_tools import contract, harness
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


def test_firmware_table() -> None:
    assert harness.firmwares_for("uefi_boot") == (Firmware.UEFI,)
    assert harness.firmwares_for("anything_else") == harness.DEFAULT_FIRMWARES


def test_concurrency_kernels_run_under_every_timing_and_others_once() -> None:
    timings = harness.timings_for("threads", (7, 8))
    assert [t.label() for t in timings] == ["exact", "real", "jitter=7", "jitter=8"]
    assert timings[0].icount and not timings[1].icount and timings[2].icount
    assert [t.label() for t in harness.timings_for("timer")] == ["exact"], "exact, no races to find"
    assert [t.label() for t in harness.timings_for("boot_banner")] == ["real"]
    assert harness.reproduce_command("stress", harness.Timing("jitter", 7)) == "./x.py test --seed 7 stress"
    assert harness.reproduce_command("threads", harness.REAL) == "./x.py test threads"


def test_the_kernel_parses_every_timing_the_harness_sends() -> None:
    # The kernel's parser (crates/fwcfg, Timing::parse) accepts exactly: exact, real, jitter=N.
    for timing in harness.timings_for("stress", (0, 12345)):
        text = timing.fw_cfg()
        assert text in ("exact", "real") or re.fullmatch(r"jitter=\d+", text), text
