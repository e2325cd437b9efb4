"""The summary's closing line is what CI reads; it must count exactly."""

from __future__ import annotations

from ferrite_tools import printer
from ferrite_tools.results import Status, TestResult


def test_summary_counts_and_closes_with_the_totals() -> None:
    results = [
        TestResult("kernel", "a", Status.PASS),
        TestResult("kernel", "b", Status.FAIL, "boom"),
        TestResult("host", "c", Status.PASS),
        TestResult("host", "d", Status.SKIP, "why"),
    ]
    text = printer.summary(results, {"kernel": 1.5, "host": 0.5, "docs": 0.1})
    lines = text.splitlines()
    assert lines[-1] == "2 passed, 1 failed, 1 skipped"
    assert any(line.startswith("kernel") and "1" in line for line in lines)
    assert "  kernel: b" in lines


def test_closing_line_without_skips() -> None:
    text = printer.summary([TestResult("lint", "fmt", Status.PASS)], {})
    assert text.splitlines()[-1] == "1 passed, 0 failed"


def test_result_lines() -> None:
    assert printer.result_line(TestResult("kernel", "x", Status.PASS)) == "  ok    kernel: x"
    assert "FAIL" in printer.result_line(TestResult("kernel", "x", Status.FAIL))
