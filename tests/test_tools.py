"""Smaller pieces of the tools: set-up's doctor, the KVM probe, the GDB script, the CLI, the
terminal's triple-fault watcher, and how QEMU is stopped (QMP first, a signal only as the fallback)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ferrite_tools import book, cli, contract, debugger, image, kvm, paths, setup, terminal
from ferrite_tools.errors import FerriteError


def test_doctor_names_the_fix_when_the_toolchain_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(setup, "find_toolchain", lambda: None)
    assert setup.doctor() == 1
    out = capsys.readouterr().out
    assert "MISSING  Rust 1.85.0" in out
    assert "rustup toolchain install 1.85.0 --component rust-src" in out


def test_doctor_passes_here(capsys: pytest.CaptureFixture[str]) -> None:
    assert setup.doctor() == 0, capsys.readouterr().out


def test_toolchain_environment_puts_the_pinned_compiler_first() -> None:
    tc = setup.Toolchain("rustup", Path("/opt/rust/bin"), Path("/opt/rust"))
    env = tc.env({"PATH": "/usr/bin", "RUSTUP_TOOLCHAIN": "stable"})
    assert env["PATH"].split(":")[0] == "/opt/rust/bin"
    assert env["RUSTC"] == "/opt/rust/bin/rustc" and env["RUSTC_BOOTSTRAP"] == "1"
    assert "RUSTUP_TOOLCHAIN" not in env


def test_kvm_probe_rom_starts_at_the_reset_vector() -> None:
    rom = kvm.probe_rom()
    assert len(rom) == kvm.ROM_SIZE
    code = rom[kvm.RESET_VECTOR_OFFSET :]
    assert code[:3] == bytes([0xDB, 0xE3, 0x9B]), "fninit; fwait first: that is what broken KVM fails on"
    assert code[3:7] == bytes([0xB0, contract.EXIT_SUCCESS_VALUE, 0xE6, contract.EXIT_PORT])


def test_gdb_script_uses_a_hardware_breakpoint() -> None:
    script = debugger.gdb_script(Path("/k/ferrite"))
    assert "file /k/ferrite" in script
    assert f"target remote localhost:{debugger.GDB_PORT}" in script
    assert "hbreak ferrite::kernel_main" in script


def test_error_paragraph_has_log_and_command() -> None:
    error = FerriteError(
        "Building failed.", command=["cargo", "build", "a b"], log=Path("/l.log"), tail="error[E1]", cwd=Path("/k")
    )
    text = error.render()
    assert "Building failed." in text and "Full log: /l.log" in text
    assert "To reproduce: cd /k && cargo build 'a b'" in text and "  error[E1]" in text


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "verbose"),
    [
        (["test"], False),
        (["-v", "test"], True),
        (["test", "-v"], True),
        (["test", "--verbose", "boot"], True),
        (["-v", "run", "--uefi"], True),
    ],
)
def test_verbose_goes_before_or_after_the_command(argv: list[str], verbose: bool) -> None:
    assert cli._parser().parse_args(argv).verbose is verbose


def test_bench_refuses_zero_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "--runs", "0"]) == 1
    assert "--runs must be at least 1" in capsys.readouterr().err


def test_a_file_the_tools_cannot_write_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def read_only(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied", "build/images/debug/bios.img")

    monkeypatch.setattr(image, "kernel_images", read_only)
    assert cli.main(["image"]) == 1
    err = capsys.readouterr().err
    assert err == "x.py image: Permission denied: build/images/debug/bios.img\n"


def test_every_tool_error_is_a_ferrite_error() -> None:
    from ferrite_tools import psf
    from ferrite_tools.errors import InvalidData

    assert issubclass(setup.SetupError, FerriteError)
    assert issubclass(psf.FontError, InvalidData) and issubclass(InvalidData, FerriteError)
    assert issubclass(InvalidData, ValueError), "still a ValueError for data validation"


def test_seeds_come_from_one_option_or_the_other(capsys: pytest.CaptureFixture[str]) -> None:
    args = cli._parser().parse_args(["test", "--seeds", "3"])
    assert cli._seeds(args) == (1, 2, 3)
    args = cli._parser().parse_args(["test", "--seed", "9", "--seed", "4"])
    assert cli._seeds(args) == (9, 4)
    assert cli.main(["test", "--seed", "1", "--seeds", "2"]) == 1
    assert "either --seed" in capsys.readouterr().err
    assert cli.main(["test", "--seed", str(2**64)]) == 1, "the kernel keeps a seed in 64 bits"
    assert "2^64" in capsys.readouterr().err


def test_an_interactive_run_reports_a_triple_fault(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """QEMU resets the machine after a triple fault, which looks like a reboot; `./x.py run` reads
    QEMU's reset log (`-d cpu_reset`, which writes "Triple fault" first) and says so."""
    import threading
    import time
    from typing import cast

    from ferrite_tools.qemu import Machine

    class Running:
        exit_status: int | None = None

    machine = Running()
    log = tmp_path / "run-qemu.log"
    log.write_text("CPU Reset (CPU 0)\n")
    watcher = threading.Thread(target=terminal.watch_for_triple_faults, args=(log, cast(Machine, machine)))
    watcher.start()
    time.sleep(0.5)
    log.write_text("CPU Reset (CPU 0)\nTriple fault\nCPU Reset (CPU 0)\n")
    time.sleep(terminal.TRIPLE_FAULT_HOLD_S + 0.6)
    machine.exit_status = 0
    watcher.join(timeout=5)
    err = capsys.readouterr().err
    assert err.count("the guest triple-faulted") == 1, err
    assert str(log) in err


def test_an_interactive_run_names_a_panics_backtrace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A panic's frames arrive on the serial line as addresses; once the last has come,
    `./x.py run` prints them again with their names, once."""
    import threading
    import time
    from typing import cast

    from ferrite_tools import symbolize
    from ferrite_tools.qemu import Machine

    def named(text: str, elf: Path) -> str:
        assert elf == tmp_path / "kernel.elf"
        return text.replace("0xffffffff80001000", "0xffffffff80001000  ferrite::f at kernel/src/f.rs:1")

    monkeypatch.setattr(symbolize, "annotate", named)

    class Running:
        exit_status: int | None = None

    machine = Running()
    serial = tmp_path / "run-serial.log"
    serial.write_text("/ $ \r\n")
    watcher = threading.Thread(
        target=terminal.watch_for_backtraces, args=(serial, cast(Machine, machine), tmp_path / "kernel.elf")
    )
    watcher.start()
    time.sleep(0.3)
    serial.write_text(
        "/ $ \r\nKERNEL PANIC at src/f.rs:1: boom\r\nbacktrace (return addresses, innermost first):\r\n"
        "  #0 0xffffffff80001000\r\n  #1 0xffffffff80002000\r\n"
    )
    time.sleep(terminal.BACKTRACE_HOLD_S + 0.8)
    machine.exit_status = 0
    watcher.join(timeout=5)
    err = capsys.readouterr().err
    assert err.count("the backtrace, with names") == 1, err
    assert "  #0 0xffffffff80001000  ferrite::f at kernel/src/f.rs:1\r\n  #1 0xffffffff80002000" in err, err


@pytest.mark.parametrize(
    ("argv", "usage", "error"),
    [
        (["doctor", "extra"], "usage: ./x.py doctor", "unrecognized arguments: extra"),
        (["setup", "now"], "usage: ./x.py setup", "unrecognized arguments: now"),
        (["run", "--bogus"], "usage: ./x.py run", "unrecognized arguments: --bogus"),
        (["fs", "ls", "a.img", "/", "--zz"], "usage: ./x.py fs ls", "unrecognized arguments: --zz"),
        (["runner"], "usage: ./x.py runner", "required: elf\n"),
    ],
)
def test_a_command_answers_a_mistake_with_its_own_usage(
    argv: list[str], usage: str, error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.parse_args(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage) and error in err, err


@pytest.mark.parametrize("command", ["doctor", "setup"])
def test_help_of_doctor_and_setup_is_help(command: str) -> None:
    """`./x.py doctor --help` once ran doctor; the front end now parses before it runs anything."""
    process = subprocess.run(
        [sys.executable, str(paths.ROOT / "x.py"), command, "--help"], capture_output=True, text=True, check=False
    )
    assert process.returncode == 0 and process.stdout.startswith(f"usage: ./x.py {command}"), process.stdout
    assert "present" not in process.stdout and "missing" not in process.stdout


def test_the_book_refuses_a_busy_or_impossible_port_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind((book.BOOK_HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["book", "--port", str(port)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"port {port}" in err and "--port " in err, err
        suggested = int(err.rsplit("--port ", 1)[1])
        assert suggested != port
    assert cli.main(["book", "--port", "99999"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a TCP port" in err, err


def test_a_requested_reboot_is_not_reported_as_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under BIOS a `reboot` resets through a triple fault (SeaBIOS turns the warm reset into a
    cold one that way), and through two when the kernel's own fallback fires first; the two logs
    are written independently, so QEMU's may show the fault before the serial log shows the
    kernel's `rebooting` line. All of that is the reboot's; a triple fault later is a crash."""
    import threading
    import time
    from typing import cast

    from ferrite_tools.qemu import Machine

    monkeypatch.setattr(terminal, "TRIPLE_FAULT_HOLD_S", 0.5)
    monkeypatch.setattr(terminal, "REBOOT_GRACE_S", 1.5)

    class Running:
        exit_status: int | None = None

    machine = Running()
    log, serial = tmp_path / "run-qemu.log", tmp_path / "run-serial.log"
    log.write_text("CPU Reset (CPU 0)\n")
    serial.write_text("ferrite> reboot\r\n")
    watcher = threading.Thread(target=terminal.watch_for_triple_faults, args=(log, cast(Machine, machine), serial))
    watcher.start()
    time.sleep(0.3)
    # The kernel's fallback and SeaBIOS's own, logged before the serial line shows `rebooting`.
    log.write_text("CPU Reset (CPU 0)\nTriple fault\nCPU Reset (CPU 0)\nTriple fault\n")
    time.sleep(0.25)
    serial.write_text("ferrite> reboot\r\nrebooting\r\nFerrite 0.1.0\r\n")
    time.sleep(1.0)
    assert "triple-faulted" not in capsys.readouterr().err
    # After the grace, a triple fault with no reboot asked for is a crash again.
    time.sleep(1.0)
    log.write_text("CPU Reset (CPU 0)\nTriple fault\nCPU Reset (CPU 0)\nTriple fault\nTriple fault\n")
    time.sleep(1.0)
    machine.exit_status = 0
    watcher.join(timeout=5)
    assert capsys.readouterr().err.count("the guest triple-faulted") == 1


def test_every_command_is_in_the_table_once() -> None:
    """`cli.COMMANDS` is the one dispatch: every command the parser knows has a function there,
    and x.py's first step reads from it which commands run without set-up."""
    _, parsers = cli._parsers()
    commands = {name for name in parsers if " " not in name}
    assert commands == set(cli.COMMANDS)
    assert {name for name, c in cli.COMMANDS.items() if not c.needs_setup} == {"doctor", "setup", "mkfs", "fsck", "fs"}


def test_doctor_runs_from_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(setup, "doctor", lambda: 7)
    assert cli.main(["doctor"]) == 7
