"""Parses KTAP version 1, the test report a Ferrite test kernel prints on its serial port.

The serial line carries more than the report: the bootloader's log, the kernel's banner, panic
messages, and on a bad day random bytes. So the parser is tolerant of what is not KTAP and strict
about what is:

* Lines before `KTAP version 1` are output, not results.
* After it, `1..N` is the plan; `ok N name`, `not ok N name` and `ok N name # SKIP why` are
  results; `# ...` lines are diagnostics for the next or the last result; anything else is
  kept as output (the kernel's log may interleave).
* The report is *complete* only if it has a plan, exactly as many results as planned, numbered
  1, 2, 3, ... in order, and no second version line (which would mean the machine restarted).

Each departure is recorded as a problem instead of raising, so the harness can say precisely
why a run that looked fine is not a pass. Nested (indented) subtests are kept as output; Ferrite's
kernels do not print them yet.
"""

from __future__ import annotations

import dataclasses
import enum
import re

from ferrite_tools.contract import KTAP_VERSION_LINE

_PLAN = re.compile(r"^1\.\.(\d+)\s*$")
_RESULT = re.compile(r"^(ok|not ok)\s+(\d+)(?:\s+(?:-\s+)?([^#]*?))?\s*(?:#\s*(.*))?$")
_SKIP = re.compile(r"^SKIP\b\s*(.*)$", re.IGNORECASE)


class CaseStatus(enum.Enum):
    """How one test case ended, as the kernel reported it."""

    OK = "ok"
    NOT_OK = "not ok"
    SKIP = "skip"


@dataclasses.dataclass(frozen=True)
class Case:
    """One result line, with the diagnostics printed before it."""

    number: int
    name: str
    status: CaseStatus
    diagnostics: tuple[str, ...] = ()
    skip_reason: str = ""


@dataclasses.dataclass(frozen=True)
class Report:
    """Everything the parser found in one serial log."""

    started: bool
    plan: int | None
    cases: tuple[Case, ...]
    problems: tuple[str, ...]
    #: Diagnostics after the last result (a panic message, say).
    trailing_diagnostics: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether the report is whole: planned, every result present and in order, no problems."""
        return self.plan is not None and not self.problems and len(self.cases) == self.plan

    @property
    def all_ok(self) -> bool:
        """Whether every reported case passed or was skipped."""
        return all(case.status is not CaseStatus.NOT_OK for case in self.cases)

    @property
    def passed(self) -> bool:
        """Complete, and nothing failed. The harness also requires QEMU's success status."""
        return self.complete and self.all_ok


def _clean(line: str) -> str:
    """Drops the carriage returns a serial terminal adds and trailing white space."""
    return line.replace("\r", "").rstrip()


def parse(text: str) -> Report:
    """Parses a whole serial log."""
    started = False
    plan: int | None = None
    cases: list[Case] = []
    problems: list[str] = []
    pending: list[str] = []
    for raw in text.split("\n"):
        line = _clean(raw)
        if line == KTAP_VERSION_LINE:
            if started:
                problems.append("a second 'KTAP version 1' line: the machine restarted mid-suite")
            started = True
            continue
        if not started or line[:1].isspace():
            continue
        if match := _PLAN.match(line):
            if plan is not None:
                problems.append(f"a second plan line {line!r}")
            elif cases:
                problems.append("the plan came after results")
            plan = int(match.group(1))
            continue
        if line.startswith("#"):
            pending.append(line[1:].strip())
            continue
        if match := _RESULT.match(line):
            status_word, number_text, name, directive = match.groups()
            number = int(number_text)
            status = CaseStatus.OK if status_word == "ok" else CaseStatus.NOT_OK
            skip_reason = ""
            if directive and (skip := _SKIP.match(directive)):
                status, skip_reason = CaseStatus.SKIP, skip.group(1)
            expected = len(cases) + 1
            if number != expected:
                problems.append(f"result number {number} where {expected} was expected")
            cases.append(Case(number, (name or "").strip(), status, tuple(pending), skip_reason))
            pending = []
            continue
        # Anything else is the kernel's own output; it may interleave with the report.
    if started and plan is None:
        problems.append("no plan line (1..N)")
    if plan is not None and len(cases) < plan and not any("restarted" in p for p in problems):
        problems.append(f"the plan announced {plan} tests but only {len(cases)} reported: output stopped mid-suite")
    if plan is not None and len(cases) > plan:
        problems.append(f"the plan announced {plan} tests but {len(cases)} reported")
    return Report(started, plan, tuple(cases), tuple(problems), tuple(pending))
