"""`./x.py book`: the book (docs/) served on this machine by MkDocs, rebuilt as its files change.

The only work of its own is refusing a port that cannot be used, in one line that names a free
one, before MkDocs starts: MkDocs would say so in a traceback, after a "serving" line.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from ferrite_tools import paths
from ferrite_tools.errors import FerriteError

#: Where `./x.py book` serves: this machine only.
BOOK_HOST = "127.0.0.1"
#: The highest TCP port number.
MAX_PORT = 65535


def check_port(port: int) -> None:
    """Raises FerriteError, in one line with a port that is free now, if the book cannot be
    served on `port`."""
    if not 1 <= port <= MAX_PORT:
        raise FerriteError(f"--port {port} is not a TCP port (1 to {MAX_PORT}); try --port {free_port()}")
    with socket.socket() as probe:
        try:
            probe.bind((BOOK_HOST, port))
        except OSError as e:
            raise FerriteError(
                f"port {port} on {BOOK_HOST} cannot be used ({e.strerror}: another program is probably "
                f"serving there); try ./x.py book --port {free_port()}"
            ) from None


def free_port() -> int:
    """A port nobody is listening on now (the kernel picks it)."""
    with socket.socket() as probe:
        probe.bind((BOOK_HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def serve(port: int) -> int:
    """Serves the book with MkDocs on 127.0.0.1:`port` until Ctrl-C, rebuilding pages as their
    files change, so a reader sees the chapters and the benchmark's charts as rendered pages."""
    check_port(port)
    address = f"{BOOK_HOST}:{port}"
    print(f"serving the book at http://{address}/ (from {paths.DOCS_DIR}; Ctrl-C stops)", flush=True)
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    try:
        return subprocess.run(
            [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", address],
            cwd=paths.ROOT,
            env=env,
            check=False,
        ).returncode
    except KeyboardInterrupt:
        return 0
