"""How results look on the terminal: a line per test as it finishes, then a summary table.

The last line is always `N passed, N failed` (plus `, N skipped` when any were), the form CI
reads. Failures repeat at the end with their reason and log, so they are not lost in the scroll.
"""

from __future__ import annotations

import sys
from typing import Iterable, TextIO

from ferrite_tools.results import Status, TestResult

_MARK = {Status.PASS: "ok  ", Status.FAIL: "FAIL", Status.SKIP: "skip"}


def _indent(text: str, prefix: str = "        ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def result_line(result: TestResult) -> str:
    """One test, as printed when it finishes."""
    line = f"  {_MARK[result.status]}  {result.suite}: {result.name}"
    if result.status is Status.SKIP and result.detail:
        line += f"  (skipped: {result.detail})"
    return line


def print_result(result: TestResult, out: TextIO = sys.stdout) -> None:
    """Prints one result as it arrives; a failure with its reason and log."""
    print(result_line(result), file=out)
    if result.status is Status.FAIL:
        if result.detail:
            print(_indent(result.detail), file=out)
        if result.log is not None:
            print(f"        log: {result.log}", file=out)
    out.flush()


def summary(results: Iterable[TestResult], seconds: dict[str, float]) -> str:
    """The table and the closing line."""
    results = list(results)
    suites = list(dict.fromkeys(list(seconds) + [r.suite for r in results]))
    rows = [("suite", "passed", "failed", "skipped", "time")]
    for suite in suites:
        mine = [r for r in results if r.suite == suite]
        rows.append(
            (
                suite,
                str(sum(r.status is Status.PASS for r in mine)),
                str(sum(r.status is Status.FAIL for r in mine)),
                str(sum(r.status is Status.SKIP for r in mine)),
                f"{seconds.get(suite, 0.0):.1f} s",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    failures = [r for r in results if r.status is Status.FAIL]
    if failures:
        lines.append("")
        lines.append("failed:")
        lines += [f"  {r.suite}: {r.name}" + (f"  (log: {r.log})" if r.log else "") for r in failures]
    passed = sum(r.status is Status.PASS for r in results)
    skipped = sum(r.status is Status.SKIP for r in results)
    closing = f"{passed} passed, {len(failures)} failed"
    if skipped:
        closing += f", {skipped} skipped"
    lines.append(closing)
    return "\n".join(lines)
