"""The numbers and markers the kernel and the host tools must agree on, defined once on this side.

The kernel defines the same values in `kernel/src/drivers/qemu_exit.rs`, `kernel/src/drivers/serial.rs`,
`kernel/src/bench.rs`, `kernel/src/testing.rs`, `kernel/src/platform/power.rs`, `kernel/src/main.rs`
and the `fwcfg` and `ktap` crates; `tests/test_contract.py` reads them there and checks both sides
agree. See docs/testing.md for why each exists.

Only this module holds them, so a value the kernel changes is changed here once, and a test that
needs one imports it from here rather than from the tool that happens to use it. It imports
nothing: every other module may use it.
"""

from __future__ import annotations

#: I/O port of QEMU's isa-debug-exit device.
EXIT_PORT = 0xF4
#: Size of the exit device's port window, as QEMU's `iosize` option.
EXIT_PORT_SIZE = 0x04
#: Value the kernel writes for success.
EXIT_SUCCESS_VALUE = 0x10
#: Value the kernel writes for failure.
EXIT_FAILURE_VALUE = 0x11


def qemu_status(value: int) -> int:
    """QEMU's exit status after the guest wrote `value` to the exit device."""
    return (value << 1) | 1


#: QEMU's status when the kernel reported success (33).
STATUS_SUCCESS = qemu_status(EXIT_SUCCESS_VALUE)
#: QEMU's status when the kernel reported failure (35).
STATUS_FAILURE = qemu_status(EXIT_FAILURE_VALUE)
#: QEMU's own exit status when it stops by itself, e.g. after a triple fault with -no-reboot.
#: Never a pass.
STATUS_QEMU_SELF = 0

#: I/O port base of COM1.
COM1_BASE = 0x3F8
#: The line that opens a KTAP report.
KTAP_VERSION_LINE = "KTAP version 1"
#: Starts each measurement line the kernel prints for `./x.py bench`.
BENCH_PREFIX = "BENCH "
#: The fw_cfg file that asks the kernel for its BENCH lines (the `fwcfg` crate's `BENCH_FILE`).
BENCH_FILE = "opt/ferrite/bench"
#: The fw_cfg entries of a boot that wants BENCH lines.
BENCH_FW_CFG = ((BENCH_FILE, "1"),)

#: The fw_cfg file that sets a test kernel's timing (the `fwcfg` crate's `TIMING_FILE`).
TIMING_FILE = "opt/ferrite/timing"
#: The fw_cfg file that says who gets the console (the `fwcfg` crate's `SESSION_FILE`).
SESSION_FILE = "opt/ferrite/session"
#: The diagnostic prefix a test kernel prints before running each test (`testing.rs`).
RUNNING_PREFIX = "test: "
#: The line the kernel logs when `init` has finished (`main.rs`).
BOOT_COMPLETE = "boot complete"
#: The line the kernel prints before it resets the machine on request (`platform/power.rs`).
REBOOT_LINE = "rebooting"
