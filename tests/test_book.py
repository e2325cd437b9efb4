"""`./x.py book` serves the book on a local address, with the benchmark's charts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from ferrite_tools import paths, waits

#: How long the server may take to build the site and answer (all of this file's waits are the
#: host's alone: FERRITE_WAIT_SCALE stretches them, no accelerator is involved).
SERVE_WITHIN_S = 90.0
#: How long one page may take to arrive.
PAGE_WITHIN_S = 5.0
#: How long the server may take to stop after SIGTERM.
STOP_WITHIN_S = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=waits.host(PAGE_WITHIN_S)) as response:
        status: int = response.status
        return status, response.read()


def test_the_book_is_served_with_its_charts() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [str(paths.ROOT / "x.py"), "book", "--port", str(port)],
        cwd=paths.ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + waits.host(SERVE_WITHIN_S)
        while True:
            try:
                status, body = _get(base)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                assert process.poll() is None, "x.py book stopped before serving"
                assert time.monotonic() < deadline, "the book was not served in time"
                time.sleep(0.5)  # how often to ask, not how long to wait
        assert status == 200 and b"Ferrite" in body
        status, page = _get(base + "performance/")
        assert status == 200 and b"figures/ferrite-vs-linux.svg" in page
        status, chart = _get(base + "figures/ferrite-vs-linux.svg")
        assert status == 200 and b"<svg" in chart
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=waits.host(STOP_WITHIN_S))[0].decode(errors="replace")
    assert f"serving the book at {base}" in output
