"""QEMU: its settings as data, and a running machine as a context manager that never leaks.

`QemuConfig` is a frozen dataclass; `argv()` is the one place that turns settings into a
command line, so every caller (run, test, debug, bench) boots the same machine the same way.

`Machine` starts QEMU and owns it until the `with` block ends, whatever happens inside: on the
way out it stops QEMU (see below), joins the reader thread and closes the log. The serial port
is QEMU's stdout: a thread copies every byte to the log file as it arrives (so a log survives a
crash of the tools too) and into memory, where tests wait for text or for exit.

Stopping QEMU goes through QMP, QEMU's machine protocol, and only falls back to signals. Every
QEMU the tools start gets a private QMP socket of its own (`control_socket_args`, besides any
`qmp_socket` a test asks for), and `stop_process` first sends `quit` there. Why not simply a
signal: a `quit` is QEMU's own, orderly way out. It flushes the disk image's write-back cache,
closes the image and releases the byte-range locks it holds on it (fs/lock.py reads those to
refuse a second writer), and says when it has done so, in its reply; a signal arrives at any
moment, and SIGKILL leaves no chance to do any of it. The signal stays, as the fallback, for a
QEMU that does not answer within `QMP_TIMEOUT_S` (hung, or stopped before its monitor started):
SIGTERM, then SIGKILL after `TERMINATE_GRACE_S`. `Machine.kill` is different on purpose: it is a
power cut (the disk tests want exactly the state a crash leaves), so it is SIGKILL alone.

The QMP client is `qemu.qmp`, from the virtual environment. It is imported where it is used, not
at the top: `./x.py mkfs` and its siblings import the command line, and through it this module,
with the bare standard library (before any virtual environment exists), and they never stop a
QEMU. Without the package, `stop_process` goes straight to the signal.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import os
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Sequence

from ferrite_tools import contract
from ferrite_tools.errors import FerriteError

QEMU = "qemu-system-x86_64"
#: Memory the guest gets unless a caller asks otherwise.
DEFAULT_MEMORY_MIB = 256
#: How long QEMU gets to exit after a QMP `quit`, or after SIGTERM, before the next step.
TERMINATE_GRACE_S = 5.0
#: How long QMP gets to connect and answer `quit` before the signal is used instead.
QMP_TIMEOUT_S = 2.0
#: The name QMP's client logs under. It logs a refused or dropped connection itself, which
#: Python would print to the terminal; `stop_process` reports what matters, so it is silenced.
QMP_LOGGER = "qemu.qmp"
logging.getLogger(QMP_LOGGER).addHandler(logging.NullHandler())


def control_socket_args(socket: Path) -> list[str]:
    """QEMU's arguments for a QMP server on the Unix socket `socket`, waiting for no client."""
    return ["-qmp", f"unix:{socket},server=on,wait=off"]


def ask_to_quit(socket: Path, timeout: float = QMP_TIMEOUT_S) -> bool:
    """Sends QMP `quit` to the QEMU listening on `socket`. True if QEMU took the command within
    `timeout` seconds (it then flushes, closes its images and exits, and may drop the connection
    before its reply arrives); False if it could not be asked: no socket, no answer, or no
    `qemu.qmp` package in this Python."""
    try:
        from qemu.qmp import QMPClient, QMPError  # the virtual environment's; see the module doc
    except ImportError:
        return False
    sent = False

    async def quit_() -> None:
        nonlocal sent
        client = QMPClient("ferrite-tools")
        await client.connect(str(socket))
        try:
            sent = True
            await client.execute("quit")
        finally:
            await client.disconnect()

    # A loop of its own, never made the thread's current one: a caller's own QMP client (the
    # tests' `qemu.qmp.legacy`) keeps the loop it has.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(quit_(), timeout))
    except (QMPError, OSError, EOFError, TimeoutError):
        pass
    finally:
        loop.close()
    return sent


def stop_process(process: subprocess.Popen[bytes], control: Path | None) -> None:
    """Ends a QEMU process that may still run: QMP `quit` on `control`, its socket, then SIGTERM,
    then SIGKILL, each step only if QEMU has not exited after the one before."""
    if process.poll() is not None:
        return
    if control is not None and ask_to_quit(control):
        try:
            process.wait(timeout=TERMINATE_GRACE_S)
            return
        except subprocess.TimeoutExpired:
            pass
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=TERMINATE_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Firmware(enum.Enum):
    """What starts the machine."""

    BIOS = "bios"
    UEFI = "uefi"


class Accel(enum.Enum):
    """How QEMU runs guest code."""

    KVM = "kvm"  # hardware virtualisation: fast, timing varies
    TCG = "tcg"  # QEMU's own translator: slower, works everywhere


class Display(enum.Enum):
    """Whether a window shows the framebuffer."""

    NONE = "none"
    WINDOW = "window"


def virtio_disk_args(file: str) -> list[str]:
    """QEMU's options for the guest's own disk, the file `file` (a path, or a `blkdebug:` one),
    on virtio-blk: Ferrite's, and the Linux peer's (peer.py), which must be the same disk."""
    # Modern only: no legacy I/O BAR. Writes go to the file through the host's page cache, so a
    # killed QEMU loses none it completed.
    return [
        "-drive", f"format=raw,file={file},if=none,id=disk,cache=writeback",
        "-device", "virtio-blk-pci,drive=disk,disable-legacy=on",
    ]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class QemuConfig:
    """Everything that decides QEMU's command line."""

    image: Path
    firmware: Firmware = Firmware.BIOS
    ovmf: Path | None = None
    accel: Accel = Accel.TCG
    memory_mib: int = DEFAULT_MEMORY_MIB
    display: Display = Display.NONE
    #: Give the kernel QEMU's exit device, so tests can end QEMU with a status.
    exit_device: bool = True
    #: Turn a reset or triple fault into QEMU exiting (status 0) instead of rebooting.
    no_reboot: bool = True
    #: A QMP socket for screendump, send-key and the like.
    qmp_socket: Path | None = None
    #: Listen for GDB on this TCP port; with `gdb_wait`, do not start the CPU until it attaches.
    gdb_port: int | None = None
    gdb_wait: bool = False
    #: Count instructions deterministically (one instruction = 1 ns of virtual time).
    icount: bool = False
    #: A person at the terminal (`./x.py run`): the serial line gets every key, Ctrl-C and
    #: Ctrl-\\ included, and QEMU's own escape is Ctrl-] (see `INTERACTIVE_ESCAPE`).
    interactive: bool = False
    #: In an interactive run, a copy of everything the serial line printed (QEMU's chardev
    #: `logfile`), so the tools can read what the person sees on their terminal.
    serial_log: Path | None = None
    #: Small named strings for the guest, through QEMU's fw_cfg device (`opt/...` names).
    fw_cfg: tuple[tuple[str, str], ...] = ()
    #: A disk image for the guest's virtio-blk disk (written in place: it is the guest's disk).
    disk: Path | None = None
    #: A blkdebug rule file (QEMU's error injection) the disk's requests go through, so tests
    #: can make the disk fail.
    disk_faults: Path | None = None

    def argv(self) -> list[str]:
        """The command line."""
        args = [QEMU, "-m", f"{self.memory_mib}M", "-no-user-config", "-nodefaults", "-vga", "std"]
        # snapshot=on: the guest's writes (there are none yet) go to a temporary overlay, so the
        # image stays as built and several machines can boot it at once.
        args += ["-drive", f"format=raw,file={self.image},if=ide,index=0,media=disk,snapshot=on"]
        if self.disk is not None:
            file = f"blkdebug:{self.disk_faults}:{self.disk}" if self.disk_faults else str(self.disk)
            args += virtio_disk_args(file)
        if self.firmware is Firmware.UEFI:
            if self.ovmf is None:
                raise FerriteError("UEFI boot needs OVMF firmware; run ./x.py doctor")
            args += ["-drive", f"if=pflash,format=raw,readonly=on,file={self.ovmf}"]
        if self.accel is Accel.KVM:
            args += ["-accel", "kvm", "-cpu", "host"]
        else:
            # `max`: every feature TCG emulates, SMEP, SMAP and UMIP among them (the default
            # qemu64 model has none of the three).
            args += ["-accel", "tcg", "-cpu", "max"]
            if self.icount:
                args += ["-icount", "shift=0,align=off,sleep=off"]
        if self.display is Display.NONE:
            args += ["-display", "none"]
        # COM1 is QEMU's stdin/stdout: a pipe for the tools, or the user's terminal for `run`.
        if self.interactive:
            # A multiplexed stdio chardev: QEMU puts the terminal in raw mode and, with
            # signal=off, passes Ctrl-C and Ctrl-\\ to the guest as bytes. Its escape key
            # (Ctrl-A by default, which the console uses for Home) becomes Ctrl-]: Ctrl-] x quits.
            logfile = f",logfile={self.serial_log},logappend=off" if self.serial_log is not None else ""
            args += [
                "-chardev",
                f"stdio,id=terminal,mux=on,signal=off{logfile}",
                "-serial",
                "chardev:terminal",
                "-echr",
                str(INTERACTIVE_ESCAPE),
                "-monitor",
                "none",
            ]
        else:
            args += ["-serial", "stdio", "-monitor", "none"]
        if self.exit_device:
            args += [
                "-device",
                f"isa-debug-exit,iobase={contract.EXIT_PORT:#x},iosize={contract.EXIT_PORT_SIZE:#04x}",
            ]
        if self.no_reboot:
            args.append("-no-reboot")
        for name, value in self.fw_cfg:
            # QEMU's option parser would split the value at a comma.
            if "," in value or "," in name:
                raise FerriteError(f"fw_cfg {name}={value!r}: commas cannot be passed")
            args += ["-fw_cfg", f"name={name},string={value}"]
        if self.qmp_socket is not None:
            args += ["-qmp", f"unix:{self.qmp_socket},server=on,wait=off"]
        if self.gdb_port is not None:
            args += ["-gdb", f"tcp::{self.gdb_port}"]
            if self.gdb_wait:
                args.append("-S")
        return args

    def command(self) -> str:
        """The command line, shell-quoted, ready to paste."""
        return shlex.join(self.argv())


#: QEMU's escape key in interactive runs: Ctrl-] (0x1D), as in telnet. Ctrl-] x quits QEMU.
INTERACTIVE_ESCAPE = 0x1D


class Machine:
    """A running QEMU whose serial output is collected; use it as a context manager."""

    def __init__(self, config: QemuConfig, log: Path, *, console: bool = False, extra: Sequence[str] = ()) -> None:
        """`console`: QEMU talks to this process's terminal directly (`./x.py run`), and the
        log holds only the command line; otherwise the serial output is collected and logged.
        `extra`: more QEMU arguments."""
        self.config = config
        self.console = console
        # The machine's own QMP socket, which only `stop` uses (a short path: Unix sockets allow
        # about 100 bytes). A test's `qmp_socket` stays the test's.
        self._control_dir = Path(tempfile.mkdtemp(prefix="ferrite-qmp-"))
        self.control_socket = self._control_dir / "control.sock"
        self.argv = [*config.argv(), *control_socket_args(self.control_socket), *extra]
        self.log_path = log
        self._output = bytearray()
        self._changed = threading.Condition()
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._log_file: BinaryIO | None = None
        self.started_at = 0.0

    def __enter__(self) -> Machine:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self._log_file = log
        log.write(f"# {shlex.join(self.argv)}\n".encode())
        log.flush()
        self.started_at = time.monotonic()
        pipe = None if self.console else subprocess.PIPE
        try:
            self._process = subprocess.Popen(
                self.argv,
                stdin=pipe,
                stdout=pipe,
                stderr=None if self.console else subprocess.STDOUT,
            )
        except FileNotFoundError as e:
            log.close()
            shutil.rmtree(self._control_dir, ignore_errors=True)
            raise FerriteError(
                f"{QEMU} was not found. On Debian/Ubuntu: apt-get install qemu-system-x86 (or ./x.py setup)",
                command=self.argv,
            ) from e
        if not self.console:
            self._reader = threading.Thread(target=self._read, name="qemu-serial", daemon=True)
            self._reader.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stream = self._process.stdout
        log = self._log_file
        assert log is not None
        while True:
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                break
            log.write(chunk)
            log.flush()
            with self._changed:
                self._output += chunk
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        """Everything the machine printed so far, decoded leniently, without `\\r`."""
        with self._changed:
            data = bytes(self._output)
        return data.decode("utf-8", errors="replace").replace("\r", "")

    @property
    def exit_status(self) -> int | None:
        """QEMU's exit status, or None while it runs."""
        return None if self._process is None else self._process.poll()

    def wait_exit(self, timeout: float | None) -> int | None:
        """Waits up to `timeout` seconds (None: for as long as it runs) for QEMU to end; returns
        its status or None."""
        assert self._process is not None
        try:
            status = self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        if self._reader is not None:
            self._reader.join(timeout=TERMINATE_GRACE_S)
        return status

    def wait_for(self, text: str, timeout: float) -> bool:
        """Waits until `text` appears in the output (True), or timeout or exit (False)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if text in self._output.decode("utf-8", errors="replace").replace("\r", ""):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.exit_status is not None:
                    return text in self._output.decode("utf-8", errors="replace").replace("\r", "")
                self._changed.wait(min(remaining, 0.2))

    def send(self, text: str) -> None:
        """Types `text` into the serial port."""
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(text.encode())
        self._process.stdin.flush()

    def kill(self) -> None:
        """Kills QEMU at once (SIGKILL): the machine stops between two instructions, as at a
        power cut, with whatever its disk had written so far. Not QMP, on purpose: a power cut
        is what the caller wants to see the effect of (see the module doc)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def stop(self) -> None:
        """Ends QEMU if it still runs (QMP `quit`, a signal only if that goes unanswered: see
        `stop_process`), and releases everything. Safe to call twice."""
        process = self._process
        if process is not None:
            stop_process(process, self.control_socket)
        shutil.rmtree(self._control_dir, ignore_errors=True)
        if self._reader is not None:
            self._reader.join(timeout=TERMINATE_GRACE_S)
        if process is not None and process.stdin is not None and not process.stdin.closed:
            try:
                process.stdin.close()
            except BrokenPipeError:
                pass
        log = self._log_file
        if log is not None:
            log.close()
            self._log_file = None

    def tail(self, lines: int = 20) -> str:
        """The last lines of output, for error messages."""
        return "\n".join(self.output.rstrip("\n").split("\n")[-lines:])
