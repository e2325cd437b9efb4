"""The command line of ./x.py: its parser, and a table that maps each command to a function.

`main(argv)` is a plain function so tests can call it. It parses, looks the command up in
`COMMANDS` and calls its function; that is all this module does. What a command does lives in a
module of its own: the terminal (`terminal`), the debugger (`debugger`), the disks and image
commands (`disk`), the test suites (`testcmd`), the benchmark (`bench`), the book (`book`),
set-up and `doctor` (`setup`). Each `Command` also says whether it needs set-up first, which
x.py's first step (bootstrap.py) reads from the same table, so every command is dispatched in
exactly one place.

Every error a user can meet arrives here as a `FerriteError` and is printed as one paragraph
(what failed, the log, the command to reproduce it); a traceback means a bug in the tools.

x.py imports this module with the bare standard library (to run the commands that need no
set-up), so nothing it imports may import a third-party package at the top.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ferrite_tools import bench, book, build, debugger, disk, harness, image, kvm, paths, setup, terminal, testcmd
from ferrite_tools.errors import FerriteError
from ferrite_tools.qemu import Firmware
from ferrite_tools.setup import Toolchain


def _parser() -> argparse.ArgumentParser:
    return _parsers()[0]


def _parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser, and each command's own (`fs ls` as "fs ls"), so an error in a
    command's arguments is answered with that command's usage."""
    parser = argparse.ArgumentParser(
        prog="./x.py",
        description="Build, boot, test and debug Ferrite. Set-up happens on first use.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show build output and QEMU command lines")
    # `-v` is also accepted after the command (`./x.py test -v`). SUPPRESS keeps a subcommand
    # that was not given -v from resetting the value the main parser set.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="as before the command")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands: dict[str, argparse.ArgumentParser] = {}

    def sub_parser(name: str, help: str) -> argparse.ArgumentParser:
        commands[name] = sub.add_parser(name, help=help, parents=[common])
        return commands[name]

    def boot_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--uefi", action="store_true", help="boot through UEFI firmware (OVMF) instead of BIOS")
        p.add_argument("--release", action="store_true", help="build the kernel with optimisations")
        p.add_argument("--accel", choices=["auto", "kvm", "tcg"], default="auto", help="KVM, emulation, or KVM when it works (default)")

    def add_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--add",
            type=Path,
            action="append",
            default=[],
            metavar="PATH",
            help="put a host program (a static x86-64 ELF), or every executable file of a directory, "
            "into the ramdisk's /bin (repeatable)",
        )

    run = sub_parser("run", help="build and boot Ferrite in QEMU")
    boot_options(run)
    add_option(run)
    run.add_argument("--display", choices=["auto", "window", "none"], default="auto", help="show the framebuffer in a window (default: when a display is available)")
    run.add_argument(
        "--session",
        choices=["shell", "kernel"],
        default="shell",
        help="who gets the console: the user-space shell (default) or the kernel's own console",
    )
    run.add_argument(
        "--fresh-disk",
        action="store_true",
        help="replace the persistent disk with a new, empty one first (refused while another run uses it)",
    )
    run.add_argument(
        "--disk",
        type=Path,
        default=disk.RUN_DISK,
        metavar="IMAGE",
        help=f"the disk image to attach (default {disk.RUN_DISK.relative_to(paths.ROOT)}; made if missing)",
    )
    run.add_argument("--no-disk", action="store_true", help="boot without a disk (the ramdisk is then the root)")

    test = sub_parser("test", help="run every test (or those whose name contains FILTER)")
    test.add_argument("filter", nargs="?", help="run only tests whose name contains this text")
    test.add_argument("--accel", choices=["auto", "kvm", "tcg"], default="auto", help="QEMU acceleration for kernel tests")
    test.add_argument(
        "--seed",
        type=int,
        action="append",
        metavar="N",
        help="run the concurrency test kernels with timer jitter seed N (repeatable; replaces the default seeds)",
    )
    test.add_argument(
        "--seeds",
        type=int,
        metavar="N",
        help=f"run them with jitter seeds 1..N (default: {', '.join(map(str, harness.DEFAULT_SEEDS))})",
    )

    b = sub_parser("build", help="build the kernel and the user programs")
    b.add_argument("--release", action="store_true", help="build with optimisations")

    img = sub_parser("image", help="write the BIOS and UEFI disk images")
    img.add_argument("--release", action="store_true", help="build the kernel with optimisations")
    add_option(img)

    dbg = sub_parser("debug", help="boot in QEMU paused, waiting for GDB")
    boot_options(dbg)

    sub_parser("env", help="print shell exports that make plain cargo use the pinned toolchain")
    sub_parser("doctor", help="report each requirement as found or missing, with its fix")
    sub_parser("setup", help="install what is missing, then stop")

    bench_cmd = sub_parser("bench", help="measure: exact guest counts under -icount, wall times, Linux beside Ferrite")
    bench_cmd.add_argument("--runs", type=int, default=bench.DEFAULT_RUNS, help="boots per figure (median reported)")
    bench_cmd.add_argument("--accel", choices=["auto", "kvm", "tcg"], default="auto", help="acceleration for the wall-time boots")
    bench_cmd.add_argument(
        "--peer", choices=["linux", "none"], default="none", help="also run the benchmark on Debian's Linux (default: none)"
    )
    bench_cmd.add_argument("--check", action="store_true", help="fail if a figure got worse than tools/bench-baseline.json")
    bench_cmd.add_argument("--quick", action="store_true", help="only the measuring test kernels' counts (what the tests gate)")
    bench_cmd.add_argument("--update-baseline", action="store_true", help="write this run's figures to the baseline")
    bench_cmd.add_argument("--book", action="store_true", help="also copy the charts into docs/figures/")

    book_cmd = sub_parser("book", help="serve the book (docs/) on a local web address, rebuilt as it changes")
    book_cmd.add_argument("--port", type=int, default=8000, help="the port on 127.0.0.1 (default 8000)")

    runner = sub_parser("runner", help="cargo's runner: boot a kernel ELF (used by cargo run/test)")
    runner.add_argument("elf", type=Path)
    runner.add_argument("args", nargs="*", default=[], help="ignored (cargo passes test-harness arguments)")

    mkfs = sub_parser("mkfs", help="write a new Ferrite file system into an image file")
    mkfs.add_argument("image", type=Path)
    mkfs.add_argument("--size", default="64M", help="the image's size in bytes, or with K, M, G: 64M, 1G (default 64M)")
    mkfs.add_argument(
        "--inodes", type=int, metavar="N", help="files and directories it can hold (default: one per 16 KiB, at least 64)"
    )
    mkfs.add_argument("--from", dest="source", type=Path, metavar="DIR", help="copy this host directory's tree in")
    mkfs.add_argument(
        "--force", action="store_true", help="replace an existing file even if it is not a Ferrite image"
    )

    fsck = sub_parser("fsck", help="check an image against docs/disk-format.md (without writing to it)")
    fsck.add_argument("image", type=Path)

    fs_parser = sub_parser("fs", help="look inside an image: ls, cat, extract")
    fs_actions = fs_parser.add_subparsers(dest="fs_action", required=True, metavar="ACTION")
    ls = commands["fs ls"] = fs_actions.add_parser("ls", help="list a directory's tree, like ls -l", parents=[common])
    ls.add_argument("image", type=Path)
    ls.add_argument("path", nargs="?", default="/", help="where in the image (default /)")
    cat = commands["fs cat"] = fs_actions.add_parser("cat", help="write a file's bytes to standard output", parents=[common])
    cat.add_argument("image", type=Path)
    cat.add_argument("path")
    extract = commands["fs extract"] = fs_actions.add_parser(
        "extract", help="copy a file or a directory tree out to the host", parents=[common]
    )
    extract.add_argument("image", type=Path)
    extract.add_argument("path")
    extract.add_argument("dest", type=Path)
    return parser, commands


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """`argv` as a namespace. Like argparse, exits with status 2 and a usage line on a mistake
    (status 0 after `--help`); but an argument a command does not take is reported with that
    command's usage, not the top level's, and every command, `doctor` and `setup` included,
    refuses arguments it does not take."""
    parser, commands = _parsers()
    args, extra = parser.parse_known_args(argv)
    if extra:
        name = args.command + (f" {args.fs_action}" if args.command == "fs" else "")
        commands[name].error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _seeds(args: argparse.Namespace) -> tuple[int, ...]:
    """The jitter seeds `test` was asked for."""
    if args.seed and args.seeds is not None:
        raise FerriteError("give either --seed (one or more times) or --seeds N, not both")
    if args.seeds is not None:
        if args.seeds < 1:
            raise FerriteError(f"--seeds must be at least 1, not {args.seeds}")
        return tuple(range(1, args.seeds + 1))
    if args.seed:
        if any(not 0 <= seed < 2**64 for seed in args.seed):
            raise FerriteError("a jitter seed is a number from 0 to 2^64 - 1 (the kernel keeps it in 64 bits)")
        return tuple(args.seed)
    return harness.DEFAULT_SEEDS


def _toolchain() -> Toolchain:
    """The toolchain x.py's set-up has just provided (or provides now, when called directly)."""
    return setup.find_toolchain() or setup.ensure()


def _test(args: argparse.Namespace) -> int:
    seeds = _seeds(args)
    return testcmd.run(_toolchain(), filter_text=args.filter, accel_request=args.accel, verbose=args.verbose, seeds=seeds)


def _run(args: argparse.Namespace) -> int:
    return terminal.run(
        _toolchain(),
        release=args.release,
        verbose=args.verbose,
        added=args.add,
        uefi=args.uefi,
        accel=args.accel,
        display=args.display,
        session=args.session,
        disk_image=None if args.no_disk else args.disk,
        fresh_disk=args.fresh_disk,
    )


def _build(args: argparse.Namespace) -> int:
    tc = _toolchain()
    started = time.monotonic()
    elf = build.build_kernel(tc, release=args.release, verbose=True)
    programs = build.build_programs(tc, verbose=True)
    print(f"kernel: {elf} ({elf.stat().st_size // 1024} KiB) in {time.monotonic() - started:.1f} s")
    sizes = ", ".join(f"{p.name} {p.stat().st_size // 1024} KiB" for p in programs)
    print(f"user programs: {sizes}")
    return 0


def _image(args: argparse.Namespace) -> int:
    images = image.kernel_images(_toolchain(), release=args.release, verbose=args.verbose, added=args.add)
    for firmware in Firmware:
        path = images.for_firmware(firmware)
        print(f"{firmware.value.upper():4} image: {path} ({path.stat().st_size / 2**20:.1f} MiB)")
    print(
        "\nTo boot a real PC from a USB stick, write one image to the whole stick (not a partition);\n"
        "this destroys what is on it. Find the stick's device with `lsblk`, then for example:\n"
        f"  sudo dd if={images.for_firmware(Firmware.UEFI)} of=/dev/sdX bs=4M conv=fsync status=progress\n"
        "Use the UEFI image for machines from about 2012 on, the BIOS image for older ones or CSM mode."
    )
    return 0


def _debug(args: argparse.Namespace) -> int:
    return debugger.debug(_toolchain(), release=args.release, uefi=args.uefi, accel=args.accel, verbose=args.verbose)


def _env(args: argparse.Namespace) -> int:
    tc = _toolchain()
    env = tc.env({})
    for key in ("RUSTC", "CARGO", "RUSTC_BOOTSTRAP"):
        print(f"export {key}={shlex.quote(env[key])}")
    print(f"export PATH={shlex.quote(str(tc.bin_dir))}:\"$PATH\"")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    return setup.doctor()


def _setup(args: argparse.Namespace) -> int:
    status = setup.provide()
    if status == 0:
        print("setup: everything Ferrite needs is present")
    return status


def _bench(args: argparse.Namespace) -> int:
    if args.runs < 1:
        raise FerriteError(f"--runs must be at least 1, not {args.runs}")
    tc = _toolchain()
    options = bench.Options(
        runs=args.runs,
        accel=kvm.announce_accel(args.accel),
        verbose=args.verbose,
        peer=args.peer,
        check=args.check,
        quick=args.quick,
        update_baseline=args.update_baseline,
        book=args.book,
    )
    return bench.run(tc, options)


def _book(args: argparse.Namespace) -> int:
    return book.serve(args.port)


def _runner(args: argparse.Namespace) -> int:
    """What `cargo run` and `cargo test` in kernel/ call with each kernel ELF: a test kernel
    (cargo puts those in deps/) is run as a test, any other booted on this terminal."""
    elf: Path = args.elf.resolve()
    if elf.parent.name == "deps":
        return testcmd.run_kernel_elf(_toolchain(), elf, args.verbose)
    return terminal.boot_elf(_toolchain(), elf, args.verbose)


def _mkfs(args: argparse.Namespace) -> int:
    return disk.mkfs(args.image, args.size, inodes=args.inodes, source=args.source, force=args.force)


def _fsck(args: argparse.Namespace) -> int:
    return disk.fsck(args.image)


def _fs(args: argparse.Namespace) -> int:
    return disk.fs_command(args.fs_action, args.image, getattr(args, "path", "/"), getattr(args, "dest", None))


@dataclasses.dataclass(frozen=True)
class Command:
    """One `./x.py` command: the function that runs it, and whether set-up runs first."""

    run: Callable[[argparse.Namespace], int]
    #: False for the commands x.py runs at once, with the Python that started it: those that
    #: need no toolchain, QEMU or virtual environment (the disk image tools), `doctor`, which
    #: only looks, and `setup`, which is set-up.
    needs_setup: bool = True


#: Every command, by the name `_parsers` gives it.
COMMANDS: dict[str, Command] = {
    "run": Command(_run),
    "test": Command(_test),
    "build": Command(_build),
    "image": Command(_image),
    "debug": Command(_debug),
    "env": Command(_env),
    "doctor": Command(_doctor, needs_setup=False),
    "setup": Command(_setup, needs_setup=False),
    "bench": Command(_bench),
    "book": Command(_book),
    "runner": Command(_runner),
    "mkfs": Command(_mkfs, needs_setup=False),
    "fsck": Command(_fsck, needs_setup=False),
    "fs": Command(_fs, needs_setup=False),
}


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except FerriteError as e:
        print(f"x.py {args.command}: {e.render()}", file=sys.stderr)
        return 1
    except OSError as e:
        # A file the tools must write or read (a read-only build/, a full disk): one clear line.
        where = f": {e.filename}" if e.filename else ""
        print(f"x.py {args.command}: {e.strerror or e}{where}", file=sys.stderr)
        return 1
