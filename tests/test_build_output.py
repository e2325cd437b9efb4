"""`build.run_logged`, the one way the tools run cargo: both of a command's output pipes are read
at once, so a command that writes a lot to standard output while its standard error is still
open finishes (cargo's JSON messages for a clean build of the test kernels exceed a pipe's 64 KiB
before its progress lines end; read one pipe after the other, that hung `.ci/run`)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from ferrite_tools import build

#: Writes 1 MiB to standard output, then a line to standard error, then exits.
CHATTY = "import sys; sys.stdout.write('x' * (1 << 20)); sys.stdout.flush(); sys.stderr.write('done\\n')"


def test_a_full_standard_output_does_not_stop_the_command(tmp_path: Path) -> None:
    result: list[str] = []

    def run() -> None:
        result.append(
            build.run_logged(
                [sys.executable, "-c", CHATTY],
                cwd=tmp_path,
                env=dict(os.environ),
                log=tmp_path / "chatty.log",
                what="A chatty command",
                stream=False,
            )
        )

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "run_logged hung: a pipe was left unread"
    assert result == ["x" * (1 << 20)]
    assert "done" in (tmp_path / "chatty.log").read_text()
