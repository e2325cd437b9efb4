"""The one exception root of the host tools, and how it reaches the user.

Every failure a user can cause or meet (a build that does not compile, a QEMU that will not
start, a bad option) becomes a `FerriteError` carrying what failed, the command that reproduces
it and the log that holds the details. `cli.main` prints it as one paragraph instead of a
traceback.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Sequence


class FerriteError(Exception):
    """Something the user should read: what failed, and how to look closer."""

    def __init__(
        self,
        what: str,
        *,
        command: Sequence[str] | None = None,
        log: Path | None = None,
        tail: str | None = None,
        cwd: Path | None = None,
    ) -> None:
        super().__init__(what)
        self.what = what
        self.command = list(command) if command is not None else None
        self.log = log
        self.tail = tail
        self.cwd = cwd

    def render(self) -> str:
        """The paragraph cli prints."""
        parts = [self.what]
        if self.tail:
            parts.append("Last output:\n" + "\n".join("  " + line for line in self.tail.splitlines()))
        if self.log is not None:
            parts.append(f"Full log: {self.log}")
        if self.command is not None:
            where = f"cd {shlex.quote(str(self.cwd))} && " if self.cwd is not None else ""
            parts.append(f"To reproduce: {where}{shlex.join(self.command)}")
        return "\n".join(parts)


class InvalidData(FerriteError, ValueError):
    """A file or a report the tools read is not what it should be (a font, a screenshot, a
    benchmark's output). Still a `ValueError` for code that validates data."""
