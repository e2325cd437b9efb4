"""The command line of ./x.py (after set-up): parsing, and one function per command.

`main(argv)` is a plain function so tests can call it. Every error a user can meet arrives here
as a `FerriteError` and is printed as one paragraph (what failed, the log, the command to
reproduce it); a traceback means a bug in the tools.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import socket
import stat
import subprocess
import sys
import termios
import threading
import time
from typing import Sequence
from pathlib import Path

from ferrite_tools import bench as bench_tool
from ferrite_tools import build, fs, harness, image, paths, printer, testcmd
from ferrite_tools.errors import FerriteError
from ferrite_tools.qemu import Accel, Display, Firmware, Machine, QemuConfig
from ferrite_tools.results import Status
from ferrite_tools.setup import NO_SETUP_COMMANDS, Toolchain, ensure, find_ovmf, find_toolchain

#: GDB's port for `./x.py debug`.
GDB_PORT = 1234
#: The disk `./x.py run` attaches: made on first use, kept across runs, so files written in one
#: session are there in the next.
RUN_DISK = paths.BUILD_DIR / "disk.img"
#: Its size when it is made.
RUN_DISK_SIZE = 64 * 2**20
#: The directories the kernel mounts things on when the disk is the root (it makes missing ones
#: itself; making them here keeps a fresh disk's first boot from writing).
MOUNT_POINTS = ("bin", "dev", "proc", "tmp")


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
            metavar="FILE",
            help="put a host program (a static x86-64 ELF) into the ramdisk's /bin (repeatable)",
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
        default=RUN_DISK,
        metavar="IMAGE",
        help=f"the disk image to attach (default {RUN_DISK.relative_to(paths.ROOT)}; made if missing)",
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

    bench = sub_parser("bench", help="measure: exact guest counts under -icount, wall times, Linux beside Ferrite")
    bench.add_argument("--runs", type=int, default=bench_tool.DEFAULT_RUNS, help="boots per figure (median reported)")
    bench.add_argument("--accel", choices=["auto", "kvm", "tcg"], default="auto", help="acceleration for the wall-time boots")
    bench.add_argument(
        "--peer", choices=["linux", "none"], default="none", help="also run the benchmark on Debian's Linux (default: none)"
    )
    bench.add_argument("--check", action="store_true", help="fail if a figure got worse than tools/bench-baseline.json")
    bench.add_argument("--quick", action="store_true", help="only the measuring test kernels' counts (what the tests gate)")
    bench.add_argument("--update-baseline", action="store_true", help="write this run's figures to the baseline")
    bench.add_argument("--book", action="store_true", help="also copy the charts into docs/figures/")

    book = sub_parser("book", help="serve the book (docs/) on a local web address, rebuilt as it changes")
    book.add_argument("--port", type=int, default=8000, help="the port on 127.0.0.1 (default 8000)")

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


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _accel(request: str) -> Accel:
    accel, note = testcmd.choose_accel(request)
    print(f"QEMU acceleration: {note}", flush=True)
    return accel


def _images(tc: Toolchain, release: bool, verbose: bool, added: Sequence[Path] = ()) -> image.Images:
    build.build_boot_tool(tc, verbose=verbose)
    elf = build.build_kernel(tc, release=release, verbose=verbose)
    ramdisk = image.build_ramdisk(tc, verbose=verbose, added=added)
    return image.make_images(tc, elf, "release" if release else "debug", {Firmware.BIOS, Firmware.UEFI}, ramdisk)


#: QEMU's log of CPU resets in an interactive run, which names a triple fault.
RUN_QEMU_LOG = "run-qemu.log"
#: The serial line's copy in an interactive run.
RUN_SERIAL_LOG = "run-serial.log"
#: The line the kernel prints before it resets the machine on request (platform/power.rs).
REBOOT_ANNOUNCEMENT = b"\nrebooting\r?\n"


def _new_lines(path: Path, read: int) -> tuple[bytes, int]:
    """The complete lines `path` has gained after its first `read` bytes, and the new count. A
    line cut at the end is read again whole next time."""
    try:
        with path.open("rb") as file:
            if os.fstat(file.fileno()).st_size < read:
                read = 0  # made anew since the last look
            file.seek(read)
            new = file.read()
    except OSError:
        return b"", read
    complete = new[: new.rfind(b"\n") + 1]
    return complete, read + len(complete)


def _watch_for_triple_faults(log: Path, machine: Machine, serial: Path | None = None) -> None:
    """Tells the person at the terminal when the guest triple-faults: QEMU then resets the machine,
    which would otherwise look like an ordinary reboot. QEMU writes "Triple fault" to its log
    (`-d cpu_reset`) before the reset; the terminal is in raw mode, hence the `\\r\\n`.

    A reboot the guest asked for is not a crash, though it may reset through a triple fault (the
    kernel's fallback, or SeaBIOS's own when it turns a warm reset into a cold one). So every
    `rebooting` line the kernel printed on the serial line excuses the next triple fault."""
    read = 0  # bytes of the QEMU log already looked at: each poll reads only what is new
    serial_read = 0
    reboots_asked = 0
    while machine.exit_status is None:
        time.sleep(0.2)
        complete, read = _new_lines(log, read)
        if serial is not None:
            said, serial_read = _new_lines(serial, serial_read)
            reboots_asked += len(re.findall(REBOOT_ANNOUNCEMENT, b"\n" + said))
        for _ in range(complete.count(b"Triple fault")):
            if reboots_asked > 0:
                reboots_asked -= 1
                continue
            sys.stderr.write(
                f"\r\n[x.py] the guest triple-faulted (a fault while handling a double fault); "
                f"QEMU resets the machine. CPU state: {log}\r\n"
            )
            sys.stderr.flush()


#: Where the kernel reads who gets the console (the `fwcfg` crate's `SESSION_FILE`).
SESSION_FILE = "opt/ferrite/session"


def boot_interactive(config: QemuConfig, verbose: bool) -> int:
    """Runs QEMU with the serial console on this terminal until it exits (Ctrl-] x, shutdown) or
    this process gets SIGINT, through the same `Machine` lifecycle as the tests. The terminal's
    settings are restored on every way out."""
    qemu_log = paths.LOG_DIR / RUN_QEMU_LOG
    serial_log = config.serial_log
    extra: list[str] = []
    if config.interactive:
        qemu_log.parent.mkdir(parents=True, exist_ok=True)
        qemu_log.unlink(missing_ok=True)
        if serial_log is not None:
            # Left from the last run, it would be read before QEMU empties it.
            serial_log.unlink(missing_ok=True)
        extra = ["-d", "cpu_reset", "-D", str(qemu_log)]
    machine = Machine(config, paths.LOG_DIR / "run.log", console=True, extra=extra)
    if verbose:
        print(f"$ {shlex.join(machine.argv)}", flush=True)
    terminal = sys.stdin.fileno() if sys.stdin.isatty() else None
    saved = termios.tcgetattr(terminal) if terminal is not None else None
    try:
        with machine:
            if config.interactive:
                threading.Thread(
                    target=_watch_for_triple_faults, args=(qemu_log, machine, serial_log), daemon=True
                ).start()
            try:
                status = machine.wait_exit(None)
            except KeyboardInterrupt:
                machine.stop()
                print("\nQEMU stopped (SIGINT)")
                return 130
    finally:
        if terminal is not None and saved is not None:
            termios.tcsetattr(terminal, termios.TCSADRAIN, saved)
    if status == 0 and config.no_reboot:
        print("\nQEMU stopped by itself: the guest shut down, reset or triple-faulted (-no-reboot turns a reset into an exit)")
    elif status == 0:
        print("\nQEMU stopped: the guest powered off, or Ctrl-] x was typed")
    return 0 if status in (0, 33) else (status if status is not None else 1)


def run_disk(disk: Path, fresh: bool) -> Path:
    """The persistent disk of `./x.py run`, made if it is missing (or `fresh`). Refused, untouched,
    while another run or a QEMU has it (`fs.lock`)."""
    if fresh or not disk.exists():
        # A fresh disk replaces whatever is there: the user asked for exactly that.
        made = fs.mkfs(disk, RUN_DISK_SIZE, directories=MOUNT_POINTS, force=fresh)
        print(f"made a new {RUN_DISK_SIZE // 2**20} MiB disk: {disk} ({made.superblock.inode_count} inodes)")
    return disk


def cmd_run(tc: Toolchain, args: argparse.Namespace) -> int:
    if args.no_disk:
        return _run(tc, args, None)
    # Checked before the build, so a refused run costs nothing; and again under the lock.
    in_use = fs.lock.holder(args.disk)
    if in_use is not None:
        raise fs.lock.ImageInUse(in_use)
    disk = run_disk(args.disk, args.fresh_disk)
    with fs.lock.held_for_run(disk):
        return _run(tc, args, disk)


def _run(tc: Toolchain, args: argparse.Namespace, disk: Path | None) -> int:
    images = _images(tc, args.release, args.verbose, args.add)
    firmware = Firmware.UEFI if args.uefi else Firmware.BIOS
    display = args.display if args.display != "auto" else ("window" if _has_display() else "none")
    config = QemuConfig(
        image=images.for_firmware(firmware),
        firmware=firmware,
        ovmf=find_ovmf(),
        accel=_accel(args.accel),
        display=Display.WINDOW if display == "window" else Display.NONE,
        interactive=True,
        # `reboot` restarts the machine, as on a PC; tests keep -no-reboot to see resets.
        no_reboot=False,
        fw_cfg=((SESSION_FILE, args.session),),
        disk=disk,
        serial_log=paths.LOG_DIR / RUN_SERIAL_LOG,
    )
    print(
        f"booting {config.image.name} ({firmware.value}); serial console below. "
        "Every key goes to Ferrite (Ctrl-C included); Ctrl-] x quits QEMU.",
        flush=True,
    )
    return boot_interactive(config, args.verbose)


def cmd_build(tc: Toolchain, args: argparse.Namespace) -> int:
    started = time.monotonic()
    elf = build.build_kernel(tc, release=args.release, verbose=True)
    programs = build.build_programs(tc, verbose=True)
    print(f"kernel: {elf} ({elf.stat().st_size // 1024} KiB) in {time.monotonic() - started:.1f} s")
    sizes = ", ".join(f"{p.name} {p.stat().st_size // 1024} KiB" for p in programs)
    print(f"user programs: {sizes}")
    return 0


def cmd_image(tc: Toolchain, args: argparse.Namespace) -> int:
    images = _images(tc, args.release, args.verbose, args.add)
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


def gdb_script(elf: Path, port: int = GDB_PORT) -> str:
    """A GDB script that loads the kernel's symbols and connects to QEMU."""
    return "\n".join(
        [
            "# Generated by ./x.py debug. Start GDB with: gdb -x build/ferrite.gdb",
            f"file {elf}",
            f"target remote localhost:{port}",
            "# The CPU is stopped at the firmware's first instruction; the kernel is not loaded yet.",
            "# A software breakpoint writes an int3 byte into memory that the bootloader is about to",
            "# overwrite with the kernel, so it would be lost. A hardware breakpoint (hbreak) lives",
            "# in the CPU's debug registers and fires once that address executes.",
            "hbreak ferrite::kernel_main",
            "continue",
            "",
        ]
    )


def cmd_debug(tc: Toolchain, args: argparse.Namespace) -> int:
    images = _images(tc, args.release, args.verbose)
    elf = paths.kernel_elf(args.release)
    script = paths.BUILD_DIR / "ferrite.gdb"
    script.write_text(gdb_script(elf))
    firmware = Firmware.UEFI if args.uefi else Firmware.BIOS
    config = QemuConfig(
        image=images.for_firmware(firmware),
        firmware=firmware,
        ovmf=find_ovmf(),
        accel=_accel(args.accel),
        gdb_port=GDB_PORT,
        gdb_wait=True,
    )
    print(
        f"QEMU is waiting for GDB on localhost:{GDB_PORT}. In another terminal run:\n"
        f"  gdb -x {script}\n"
        "It loads the kernel's symbols, connects, stops at kernel_main and continues.\n"
        "Serial output appears below; Ctrl-C here ends QEMU.",
        flush=True,
    )
    return boot_interactive(config, args.verbose)


#: Where `./x.py book` serves: this machine only.
BOOK_HOST = "127.0.0.1"
#: The highest TCP port number.
MAX_PORT = 65535


def _check_port(port: int) -> None:
    """Raises FerriteError, in one line with a port that is free now, if the book cannot be
    served on `port` (MkDocs would otherwise say so in a traceback, after a "serving" line)."""
    if not 1 <= port <= MAX_PORT:
        raise FerriteError(f"--port {port} is not a TCP port (1 to {MAX_PORT}); try --port {_free_port()}")
    with socket.socket() as probe:
        try:
            probe.bind((BOOK_HOST, port))
        except OSError as e:
            raise FerriteError(
                f"port {port} on {BOOK_HOST} cannot be used ({e.strerror}: another program is probably "
                f"serving there); try ./x.py book --port {_free_port()}"
            ) from None


def _free_port() -> int:
    """A port nobody is listening on now (the kernel picks it)."""
    with socket.socket() as probe:
        probe.bind((BOOK_HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def cmd_book(port: int) -> int:
    """Serves the book with MkDocs on 127.0.0.1:`port` until Ctrl-C, rebuilding pages as their
    files change, so a reader sees the chapters and the benchmark's charts as rendered pages."""
    _check_port(port)
    address = f"{BOOK_HOST}:{port}"
    print(f"serving the book at http://{address}/ (from {paths.ROOT / 'docs'}; Ctrl-C stops)", flush=True)
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


def cmd_env(tc: Toolchain) -> int:
    env = tc.env({})
    for key in ("RUSTC", "CARGO", "RUSTC_BOOTSTRAP"):
        print(f"export {key}={shlex.quote(env[key])}")
    print(f"export PATH={shlex.quote(str(tc.bin_dir))}:\"$PATH\"")
    return 0


def cmd_runner(tc: Toolchain, args: argparse.Namespace) -> int:
    """What `cargo run` and `cargo test` in kernel/ call with each kernel ELF."""
    elf: Path = args.elf.resolve()
    build.build_boot_tool(tc, verbose=False)
    is_test = elf.parent.name == "deps"
    if not is_test:
        images = image.make_images(tc, elf, "cargo-run", {Firmware.BIOS})
        config = QemuConfig(image=images.for_firmware(Firmware.BIOS), accel=_accel("auto"),
                            display=Display.WINDOW if _has_display() else Display.NONE)
        return boot_interactive(config, args.verbose)
    name = elf.name.rsplit("-", 1)[0]
    kernel = build.TestKernel("unit" if name == "ferrite" else name, elf)
    firmwares = harness.firmwares_for(kernel.name)
    ramdisk = image.build_ramdisk(tc, verbose=False, out=image.TEST_RAMDISK, only=image.TEST_KERNEL_PROGRAMS)
    images = image.make_images(tc, elf, f"test-{kernel.name}", set(firmwares), ramdisk)
    accel = _accel("auto")
    results = []
    for firmware in firmwares:
        for result in harness.run_kernel_test(
            kernel, images, firmware, accel=accel, ovmf=find_ovmf(), verbose=args.verbose
        ):
            printer.print_result(result)
            results.append(result)
    print(printer.summary(results, {}))
    return 1 if any(r.status is Status.FAIL for r in results) else 0


def cmd_mkfs(args: argparse.Namespace) -> int:
    size = fs.parse_size(args.size)
    made = fs.mkfs(args.image, size, inodes=args.inodes, source=args.source, force=args.force)
    sb = made.superblock
    print(
        f"{args.image}: {size / 2**20:g} MiB, {sb.block_count} blocks, {sb.inode_count} inodes, a log of "
        f"{sb.log_blocks} blocks; {made.files} files and {made.directories} directories, "
        f"{made.blocks_used} blocks used"
    )
    return 0


def cmd_fsck(args: argparse.Namespace) -> int:
    where = args.image
    if fs.lock.holder(args.image) is not None:
        print(f"{where}: note: a running QEMU has this image open; what fsck reads may be half of a change")
    report = fs.fsck(args.image)
    log = report.log
    if log is not None and log.replayed:
        replayed = f"transaction {log.sequence} ({log.replayed} blocks)"
        print(f"{where}: log: replayed {replayed} in memory; the image is unchanged")
    if log is not None and log.stale:
        print(f"{where}: log: ignored a transaction that never committed (its data checksum does not match)")
    for violation in report.violations:
        print(f"{where}: {violation.name}: {violation.message}")
    if report.omitted:
        print(f"{where}: ... and {report.omitted} more violations")
    for orphan in report.orphans:
        print(f"{where}: orphan: {orphan}")
    if report.clean and report.counts is not None:
        counts = report.counts
        print(
            f"{where}: clean: {counts.files} files, {counts.directories} directories, "
            f"{counts.blocks_used} of {counts.blocks} blocks used"
        )
        return 0
    total = len(report.violations) + report.omitted
    print(f"{where}: {total} violation{'' if total == 1 else 's'}")
    return 1


def cmd_fs(args: argparse.Namespace) -> int:
    if args.fs_action == "ls":
        for item in fs.list_tree(args.image, args.path):
            print(f"{stat.filemode(item.mode)} {item.size:>12} {item.path}")
    elif args.fs_action == "cat":
        sys.stdout.buffer.write(fs.read_file(args.image, args.path))
        sys.stdout.buffer.flush()
    else:
        written = fs.extract(args.image, args.path, args.dest)
        print(f"{args.path}: {written} files and directories extracted to {args.dest}")
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        if args.command in NO_SETUP_COMMANDS:
            return {"mkfs": cmd_mkfs, "fsck": cmd_fsck, "fs": cmd_fs}[args.command](args)
        # x.py's bootstrap has just run set-up; find the toolchain it provided.
        tc = find_toolchain() or ensure()
        if args.command == "test":
            return testcmd.run(
                tc, filter_text=args.filter, accel_request=args.accel, verbose=args.verbose, seeds=_seeds(args)
            )
        if args.command == "run":
            return cmd_run(tc, args)
        if args.command == "build":
            return cmd_build(tc, args)
        if args.command == "image":
            return cmd_image(tc, args)
        if args.command == "debug":
            return cmd_debug(tc, args)
        if args.command == "env":
            return cmd_env(tc)
        if args.command == "runner":
            return cmd_runner(tc, args)
        if args.command == "bench":
            if args.runs < 1:
                raise FerriteError(f"--runs must be at least 1, not {args.runs}")
            options = bench_tool.Options(
                runs=args.runs,
                accel=_accel(args.accel),
                verbose=args.verbose,
                peer=args.peer,
                check=args.check,
                quick=args.quick,
                update_baseline=args.update_baseline,
                book=args.book,
            )
            return bench_tool.run(tc, options)
        if args.command == "book":
            return cmd_book(args.port)
        if args.command == "setup":
            # x.py's bootstrap ran set-up before handing over; reaching here means it succeeded.
            print("Set-up is complete: the toolchain, QEMU, OVMF and the Python environment are in place.")
            return 0
        if args.command == "doctor":
            from ferrite_tools.setup import doctor

            return doctor()
    except FerriteError as e:
        print(f"x.py {args.command}: {e.render()}", file=sys.stderr)
        return 1
    except OSError as e:
        # A file the tools must write or read (a read-only build/, a full disk): one clear line.
        where = f": {e.filename}" if e.filename else ""
        print(f"x.py {args.command}: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    raise AssertionError(f"unhandled command {args.command}")
