#!/usr/bin/env python3
"""Ferrite's front end. `./x.py run` boots Ferrite; `./x.py test` runs every test.

This file only bootstraps: it checks the Python version, then hands over to
tools/ferrite_tools/bootstrap.py (standard library only), which runs set-up (setup.py: installs
what is missing) and then the real tools from the project's virtual environment. `./x.py --help`
lists the commands.
"""

import sys
from pathlib import Path

MIN_PYTHON = (3, 11)

if sys.version_info < MIN_PYTHON:
    sys.exit(
        f"x.py needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer; this is {sys.version.split()[0]}.\n"
        "On Debian/Ubuntu: apt-get install python3"
    )

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))

from ferrite_tools.bootstrap import bootstrap  # noqa: E402  (needs the path above)

if __name__ == "__main__":
    sys.exit(bootstrap(sys.argv[1:]))
