"""Ferrite on this terminal: `./x.py run`, and every boot a person watches (debug, cargo run).

A person at the terminal is not a test. QEMU gets the terminal itself (raw mode, every key to
the guest, Ctrl-] x to quit: see `QemuConfig.interactive`); `reboot` restarts the machine as a
PC would, instead of ending QEMU; and the terminal's settings are put back however the run ends.
`boot_interactive` does that through the same `Machine` lifecycle as the tests, so a run that
is interrupted (SIGINT to this process) stops QEMU as every other path does: QMP `quit` first,
which flushes the disk and releases its locks, a signal only if QEMU does not answer (qemu.py).

A reset hides a crash: after a triple fault QEMU resets the machine, which on the terminal looks
like an ordinary reboot. So an interactive run asks QEMU to log CPU resets (`-d cpu_reset`, which
names a triple fault) and a watcher thread tells the person when one happens, unless the kernel
announced a reboot it asked for (`contract.REBOOT_LINE` on the serial line).

A panic prints its backtrace as addresses; a second watcher names them (`symbolize`) below the
kernel's lines as soon as the last frame has arrived.

It sits above disk.py (a run's disk) and image.py (what it boots), and below the debugger, which
boots through `boot_interactive` too.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import termios
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from ferrite_tools import build, contract, disk, image, kvm, paths, symbolize
from ferrite_tools.qemu import Display, Firmware, Machine, QemuConfig
from ferrite_tools.setup import Toolchain, find_ovmf

#: QEMU's log of CPU resets in an interactive run, which names a triple fault.
RUN_QEMU_LOG = "run-qemu.log"
#: The serial line's copy in an interactive run.
RUN_SERIAL_LOG = "run-serial.log"
#: The kernel's reboot announcement as a whole line of the serial log.
REBOOT_ANNOUNCEMENT = b"\n" + re.escape(contract.REBOOT_LINE.encode()) + b"\r?\n"
#: How often the watcher looks at the logs.
WATCH_INTERVAL_S = 0.2
#: The exit status of a run this process was interrupted out of (128 + SIGINT, as a shell says).
INTERRUPTED_STATUS = 130


def has_display() -> bool:
    """Whether a window can be shown (X11 or Wayland)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


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


#: How long a triple fault waits before it is reported: the kernel's `rebooting` line can reach
#: the serial log a moment after QEMU logged the reset it caused (the serial output is
#: buffered, the reset is not), and that line may yet excuse it.
TRIPLE_FAULT_HOLD_S = 1.0
#: How long after a `rebooting` line triple faults are the reboot's, not crashes.
REBOOT_GRACE_S = 10.0


def watch_for_triple_faults(log: Path, machine: Machine, serial: Path | None = None) -> None:
    """Tells the person at the terminal when the guest triple-faults: QEMU then resets the machine,
    which would otherwise look like an ordinary reboot. QEMU writes "Triple fault" to its log
    (`-d cpu_reset`) before the reset; the terminal is in raw mode, hence the `\\r\\n`.

    A reboot the guest asked for is not a crash, though it may reset through a triple fault, and
    through two: the kernel's fallback, when the keyboard controller's reset pulse has not taken
    effect yet, and SeaBIOS's own, when it turns the warm reset into a cold one. So a `rebooting`
    line on the serial line excuses every triple fault from shortly before it (the two logs are
    written independently, see `TRIPLE_FAULT_HOLD_S`) to `REBOOT_GRACE_S` after."""
    read = 0  # bytes of the QEMU log already looked at: each poll reads only what is new
    serial_read = 0
    pending: list[float] = []  # when each triple fault not yet reported or excused was seen
    excused_until = 0.0
    while machine.exit_status is None:
        time.sleep(WATCH_INTERVAL_S)
        now = time.monotonic()
        complete, read = _new_lines(log, read)
        pending += [now] * complete.count(b"Triple fault")
        if serial is not None:
            said, serial_read = _new_lines(serial, serial_read)
            if re.search(REBOOT_ANNOUNCEMENT, b"\n" + said):
                excused_until = now + REBOOT_GRACE_S
        if now < excused_until:
            pending.clear()
        for _ in [seen for seen in pending if now - seen >= TRIPLE_FAULT_HOLD_S]:
            pending.pop(0)
            sys.stderr.write(
                f"\r\n[x.py] the guest triple-faulted (a fault while handling a double fault); "
                f"QEMU resets the machine. CPU state: {log}\r\n"
            )
            sys.stderr.flush()


#: How long a backtrace's lines must have stopped coming before it is named (the kernel prints
#: them one by one; the panic handler halts after the last).
BACKTRACE_HOLD_S = 0.5


def watch_for_backtraces(serial: Path, machine: Machine, elf: Path) -> None:
    """Names a kernel backtrace for the person at the terminal: the kernel prints addresses only,
    so once its frames have all arrived on the serial line, their functions, files and lines are
    printed below them (`symbolize`), in raw mode's `\r\n`."""
    read = 0
    frames: list[str] = []
    last_seen = 0.0
    while machine.exit_status is None:
        time.sleep(WATCH_INTERVAL_S)
        complete, read = _new_lines(serial, read)
        for line in complete.decode(errors="replace").splitlines():
            if symbolize.FRAME.match(line.rstrip("\r")):
                frames.append(line.rstrip("\r"))
                last_seen = time.monotonic()
        if frames and time.monotonic() - last_seen >= BACKTRACE_HOLD_S:
            named = symbolize.annotate("\n".join(frames), elf)
            sys.stderr.write("\r\n[x.py] the backtrace, with names:\r\n" + named.replace("\n", "\r\n") + "\r\n")
            sys.stderr.flush()
            frames = []


def boot_interactive(config: QemuConfig, verbose: bool, elf: Path | None = None) -> int:
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
                    target=watch_for_triple_faults, args=(qemu_log, machine, serial_log), daemon=True
                ).start()
            if serial_log is not None and elf is not None:
                threading.Thread(target=watch_for_backtraces, args=(serial_log, machine, elf), daemon=True).start()
            try:
                status = machine.wait_exit(None)
            except KeyboardInterrupt:
                machine.stop()
                print("\nQEMU stopped (SIGINT)")
                return INTERRUPTED_STATUS
    finally:
        if terminal is not None and saved is not None:
            termios.tcsetattr(terminal, termios.TCSADRAIN, saved)
    if status == contract.STATUS_QEMU_SELF and config.no_reboot:
        print("\nQEMU stopped by itself: the guest shut down, reset or triple-faulted (-no-reboot turns a reset into an exit)")
    elif status == contract.STATUS_QEMU_SELF:
        print("\nQEMU stopped: the guest powered off, or Ctrl-] x was typed")
    if status in (contract.STATUS_QEMU_SELF, contract.STATUS_SUCCESS):
        return 0
    return status if status is not None else 1


def run(
    tc: Toolchain,
    *,
    release: bool,
    verbose: bool,
    added: Sequence[Path],
    uefi: bool,
    accel: str,
    display: str,
    session: str,
    disk_image: Path | None,
    fresh_disk: bool,
) -> int:
    """`./x.py run`: builds, then boots Ferrite on this terminal with the persistent disk
    `disk_image` (None: no disk), held for the run so that no other tool writes it meanwhile."""
    with disk.held_for_run(disk_image, fresh_disk) as attached:
        images = image.kernel_images(tc, release=release, verbose=verbose, added=added)
        firmware = Firmware.UEFI if uefi else Firmware.BIOS
        window = display == "window" or (display == "auto" and has_display())
        config = QemuConfig(
            image=images.for_firmware(firmware),
            firmware=firmware,
            ovmf=find_ovmf(),
            accel=kvm.announce_accel(accel),
            display=Display.WINDOW if window else Display.NONE,
            interactive=True,
            # `reboot` restarts the machine, as on a PC; tests keep -no-reboot to see resets.
            no_reboot=False,
            fw_cfg=((contract.SESSION_FILE, session),),
            disk=attached,
            serial_log=paths.LOG_DIR / RUN_SERIAL_LOG,
        )
        print(
            f"booting {config.image.name} ({firmware.value}); serial console below. "
            "Every key goes to Ferrite (Ctrl-C included); Ctrl-] x quits QEMU.",
            flush=True,
        )
        return boot_interactive(config, verbose, paths.kernel_elf(release))


def boot_elf(tc: Toolchain, elf: Path, verbose: bool) -> int:
    """`cargo run` in kernel/ (through `./x.py runner`): a BIOS image of `elf`, booted here."""
    build.build_boot_tool(tc, verbose=False)
    images = image.make_images(tc, elf, "cargo-run", {Firmware.BIOS})
    config = QemuConfig(
        image=images.for_firmware(Firmware.BIOS),
        accel=kvm.announce_accel("auto"),
        display=Display.WINDOW if has_display() else Display.NONE,
    )
    return boot_interactive(config, verbose)
