"""`./x.py book` serves the book on a local address, with the benchmark's charts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from ferrite_tools import paths

#: How long the server may take to build the site and answer.
SERVE_WITHIN_S = 90.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
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
        deadline = time.monotonic() + SERVE_WITHIN_S
        while True:
            try:
                status, body = _get(base)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                assert process.poll() is None, "x.py book stopped before serving"
                assert time.monotonic() < deadline, "the book was not served in time"
                time.sleep(0.5)
        assert status == 200 and b"Ferrite" in body
        status, page = _get(base + "performance/")
        assert status == 200 and b"figures/ferrite-vs-linux.svg" in page
        status, chart = _get(base + "figures/ferrite-vs-linux.svg")
        assert status == 200 and b"<svg" in chart
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode(errors="replace")
    assert f"serving the book at {base}" in output
