"""What a benchmark produces: `BENCH` lines read into `Measurement`s, and runs collected into
`Summary`s.

Two tools measure: `bench` boots Ferrite, and `peer` boots Linux with the same benchmark program,
and both read the same `BENCH name=value unit=...` lines from a serial log. The types and the
parser they share live here, below both, so that neither has to import the other for them: `peer`
once imported `bench` for `Measurement` while `bench` imported `peer` for its Linux column, which
made the two (and through them six more modules) one import circle. This module imports only the
contract (for the line's prefix) and the error type, and is pure, so `tests/test_bench.py` checks
it on recorded lines.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
from collections.abc import Iterable

from ferrite_tools import contract
from ferrite_tools.errors import InvalidData

#: The size of the disk the disk figures are measured on, Ferrite's file system by `bench` and
#: Linux's ext4 by `peer` (each made afresh for a run).
BENCH_DISK_SIZE = 32 * 2**20

_LINE = re.compile(re.escape(contract.BENCH_PREFIX) + r"(?P<name>[\w.]+)=(?P<value>\d+) unit=(?P<unit>\w+)\s*$")


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One `BENCH` line: a named integer in a unit."""

    name: str
    value: int
    unit: str


def parse_lines(output: str) -> list[Measurement]:
    """The measurements in a serial log, in order; other lines are ignored."""
    found = []
    for line in output.splitlines():
        match = _LINE.match(line.strip())
        if match:
            found.append(Measurement(match["name"], int(match["value"]), match["unit"]))
    return found


@dataclasses.dataclass(frozen=True)
class Summary:
    """Several runs of one figure."""

    name: str
    unit: str
    values: tuple[float, ...]

    @property
    def median(self) -> float:
        """The middle value: what the benchmark reports."""
        return statistics.median(self.values)

    @property
    def spread_percent(self) -> float:
        """(max - min) / median, in percent: 0 for an exactly repeatable figure."""
        return 100.0 * (max(self.values) - min(self.values)) / self.median if self.median else 0.0

    def row(self) -> str:
        """One line of the report table."""
        if self.unit == "s":
            return f"{self.name:34} {self.median:14.2f} s    min {min(self.values):.2f}  max {max(self.values):.2f}"
        return (
            f"{self.name:34} {self.median:14,.0f} {self.unit:4} "
            f"min {min(self.values):,.0f}  max {max(self.values):,.0f}  spread {self.spread_percent:.2f}%"
        )


def summarise(name: str, unit: str, values: Iterable[float]) -> Summary:
    """Collects runs into a summary; refuses an empty list (a figure that was never measured)."""
    values = tuple(values)
    if not values:
        raise InvalidData(f"no runs of {name}")
    return Summary(name, unit, values)
