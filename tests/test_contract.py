"""The kernel and the host tools define shared numbers once each; these tests make them agree."""

from __future__ import annotations

import re

from ferrite_tools import contract, harness, paths

SRC = paths.KERNEL_DIR / "src"


def rust_const(path: str, name: str) -> str:
    text = (SRC / path).read_text()
    match = re.search(rf"pub const {name}: [^=]+= (.+?);", text)
    assert match, f"{name} not found in {path}"
    return match.group(1)


def rust_enum_value(path: str, variant: str) -> int:
    text = (SRC / path).read_text()
    match = re.search(rf"^\s*{variant} = (0x[0-9A-Fa-f]+|\d+),", text, re.MULTILINE)
    assert match, f"{variant} not found in {path}"
    return int(match.group(1), 0)


def test_exit_device_port() -> None:
    assert int(rust_const("drivers/qemu_exit.rs", "EXIT_PORT"), 0) == contract.EXIT_PORT


def test_exit_codes() -> None:
    assert rust_enum_value("drivers/qemu_exit.rs", "Success") == contract.EXIT_SUCCESS_VALUE
    assert rust_enum_value("drivers/qemu_exit.rs", "Failure") == contract.EXIT_FAILURE_VALUE
    assert contract.STATUS_SUCCESS == 33 and contract.STATUS_FAILURE == 35


def test_serial_port() -> None:
    assert int(rust_const("drivers/serial.rs", "COM1_BASE"), 0) == contract.COM1_BASE


def test_running_test_prefix() -> None:
    assert rust_const("testing.rs", "RUNNING_PREFIX") == f'"{contract.RUNNING_PREFIX}"'


def test_ktap_version_line() -> None:
    text = (paths.ROOT / "crates" / "ktap" / "src" / "lib.rs").read_text()
    assert f'pub const VERSION_LINE: &str = "{contract.KTAP_VERSION_LINE}";' in text


def test_bench_prefix() -> None:
    assert rust_const("bench.rs", "PREFIX") == f'"{contract.BENCH_PREFIX}"'


def test_bench_file_name() -> None:
    text = (paths.ROOT / "crates" / "fwcfg" / "src" / "lib.rs").read_text()
    match = re.search(r'pub const BENCH_FILE: &str = "([^"]+)";', text)
    assert match and match.group(1) == contract.BENCH_FILE


def test_timing_file_name() -> None:
    text = (paths.ROOT / "crates" / "fwcfg" / "src" / "lib.rs").read_text()
    match = re.search(r'pub const TIMING_FILE: &str = "([^"]+)";', text)
    assert match and match.group(1) == contract.TIMING_FILE


def test_session_file_name() -> None:
    text = (paths.ROOT / "crates" / "fwcfg" / "src" / "lib.rs").read_text()
    match = re.search(r'pub const SESSION_FILE: &str = "([^"]+)";', text)
    assert match and match.group(1) == contract.SESSION_FILE


def test_boot_complete_line() -> None:
    text = (SRC / "main.rs").read_text()
    assert f'log::info!("{contract.BOOT_COMPLETE}");' in text


def test_reboot_line() -> None:
    text = (SRC / "platform" / "power.rs").read_text()
    assert f'println!("{contract.REBOOT_LINE}");' in text


def test_test_kernel_config_prefix() -> None:
    """The line `test_kernel!` writes into a test kernel (its macros spell the prefix out, since
    `concat!` takes only literals) is the line the harness looks for."""
    prefix = rust_const("testing.rs", "CONFIG_PREFIX").strip('"')
    assert prefix.encode() == harness.CONFIG_PREFIX
    assert (SRC / "testing.rs").read_text().count(f'"{prefix}') >= 3, "both macros and the constant"
