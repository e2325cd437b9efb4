"""The result of one test, whatever ran it: the shared currency of the test command."""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path


class Status(enum.Enum):
    """How a test ended."""

    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclasses.dataclass(frozen=True)
class TestResult:
    """One test's outcome. `detail` says why it failed or was skipped; `log` holds the rest."""

    __test__ = False  # not a pytest test class, despite its name

    suite: str
    name: str
    status: Status
    detail: str = ""
    log: Path | None = None
    seconds: float = 0.0
