"""What x.py runs first: parse the command line, then run the command here or hand it over.

x.py starts with whatever Python the user has, before the virtual environment may exist, so
this module, and everything it imports, uses the standard library alone (tests/test_diskfs.py
checks with `python -S`). A command either runs at once, with this Python, because it needs
nothing set-up provides (`doctor`, `setup` itself, the disk image tools: the command table in
cli.py marks them), or set-up runs first (setup.py: the toolchain, QEMU, the virtual
environment) and this process becomes the virtual environment's Python running the same command
line (`python -m ferrite_tools`), where cli.py dispatches it.

It is its own module, at the very top of the tools, because it is the one piece that needs both
set-up and the command line: when it lived in setup.py, set-up imported the command line, which
imports (through the build and the images) set-up, and eight modules made one import circle.
"""

from __future__ import annotations

import os

from ferrite_tools import cli, setup


def bootstrap(argv: list[str]) -> int:
    """Runs `./x.py ARGV`: at once when the command needs no set-up, otherwise after set-up, in
    the virtual environment (this call then does not return)."""
    # The command line is checked before anything runs, so `doctor --help` prints help, and a
    # mistyped option costs no set-up (argparse exits with its usage line).
    command = cli.COMMANDS[cli.parse_args(argv).command]
    if not command.needs_setup:
        return cli.main(argv)
    status = setup.provide()
    if status != 0:
        return status
    python = str(setup.venv_python())
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(setup.ROOT / "tools"), env.get("PYTHONPATH", "")]))
    os.execve(python, [python, "-m", "ferrite_tools", *argv], env)
