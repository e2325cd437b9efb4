"""Runs a test kernel in QEMU and decides, strictly, what passed.

A test kernel reports KTAP on COM1 and ends QEMU through the exit device. The harness passes a
case only when all of these hold:

* QEMU exited with the success status (33). Status 0 means QEMU stopped on its own: a triple
  fault or a reset, which `-no-reboot` turns into an exit. Status 35 means the kernel reported
  failure. No exit before the timeout means a hang.
* The KTAP report is complete: a plan, as many results as planned, in order, no restart.
* The case's own line says `ok`.

When a boot fails without a `not ok` line to blame (a hang, a triple fault), the harness names
the test that was running from the kernel's `# test: NAME` line printed before each test, and
reports the tail of the serial log and the log's path, which is kept.
"""

from __future__ import annotations

import time
from pathlib import Path

from ferrite_tools import contract, ktap, paths
from ferrite_tools.build import TestKernel
from ferrite_tools.image import Images
from ferrite_tools.qemu import Accel, Firmware, Machine, QemuConfig
from ferrite_tools.results import Status, TestResult

#: Test kernels that boot under other firmware than BIOS alone.
FIRMWARES: dict[str, tuple[Firmware, ...]] = {
    "boot_banner": (Firmware.BIOS, Firmware.UEFI),
    "uefi_boot": (Firmware.UEFI,),
    "memory": (Firmware.BIOS, Firmware.UEFI),
}
DEFAULT_FIRMWARES = (Firmware.BIOS,)
#: Test kernels that measure time: they run emulated with `-icount shift=0,align=off,sleep=off`,
#: where virtual time is a pure function of the instructions executed, so their figures are
#: exact and the same on every machine (and KVM, whose clock is the host's, is never used).
EXACT_TIME = frozenset({"timer", "heap_bench", "async_tasks", "threads"})
#: Seconds a test kernel may run, boot included. An emulated boot takes 5-6 s on 2 cores.
DEFAULT_TIMEOUT_S = 60.0
#: The diagnostic prefix the kernel prints before running each test.
RUNNING_PREFIX = "test: "
SUITE = "kernel"


def firmwares_for(kernel_name: str) -> tuple[Firmware, ...]:
    """Which firmware(s) a test kernel boots under."""
    return FIRMWARES.get(kernel_name, DEFAULT_FIRMWARES)


def _running_test(report: ktap.Report) -> str | None:
    """The name from the last `# test: NAME` after the last result, if the kernel printed one."""
    for line in reversed(report.trailing_diagnostics):
        if line.startswith(RUNNING_PREFIX):
            return line[len(RUNNING_PREFIX) :]
    return None


def _why_boot_failed(status: int | None, timeout: float) -> str:
    if status is None:
        return f"no exit within {timeout:.0f} s: the kernel hung"
    if status == contract.STATUS_QEMU_SELF:
        return "QEMU stopped by itself (status 0): a triple fault or a reset"
    if status == contract.STATUS_FAILURE:
        return f"the kernel reported failure (exit status {status})"
    if status == contract.STATUS_SUCCESS:
        return "the kernel reported success but its KTAP report is incomplete"
    return f"QEMU exited with status {status}"


def judge(
    label: str, status: int | None, output: str, timeout: float, log: Path, tail: str, seconds: float
) -> list[TestResult]:
    """Turns one boot's exit status and serial output into results. Pure, so it is tested on
    recorded logs (tests/test_harness.py)."""
    report = ktap.parse(output)
    results = []
    per_case = seconds / max(1, len(report.cases))
    for case in report.cases:
        name = f"{label} {case.name}"
        diagnostics = [d for d in case.diagnostics if not d.startswith(RUNNING_PREFIX)]
        if case.status is ktap.CaseStatus.NOT_OK:
            results.append(TestResult(SUITE, name, Status.FAIL, "\n".join(diagnostics) or "not ok", log, per_case))
        elif case.status is ktap.CaseStatus.SKIP:
            results.append(TestResult(SUITE, name, Status.SKIP, case.skip_reason, log, per_case))
        else:
            results.append(TestResult(SUITE, name, Status.PASS, "", log, per_case))
    boot_ok = status == contract.STATUS_SUCCESS and report.complete
    if not boot_ok and not any(r.status is Status.FAIL for r in results):
        reasons = [_why_boot_failed(status, timeout)] if status != contract.STATUS_SUCCESS else []
        reasons += list(report.problems)
        if not report.started:
            reasons.append("no KTAP report at all (the kernel never reached its tests)")
        running = _running_test(report)
        name = f"{label} {running}" if running else f"{label} (boot)"
        detail = "; ".join(reasons) + "\nlast output:\n" + tail
        results.append(TestResult(SUITE, name, Status.FAIL, detail, log, seconds))
    return results


def run_kernel_test(
    kernel: TestKernel,
    images: Images,
    firmware: Firmware,
    *,
    accel: Accel,
    ovmf: Path | None,
    timeout: float = DEFAULT_TIMEOUT_S,
    verbose: bool = False,
) -> list[TestResult]:
    """Boots one test kernel under one firmware and judges the outcome."""
    label = f"{kernel.name}[{firmware.value}]"
    log = paths.LOG_DIR / "kernel-tests" / f"{kernel.name}-{firmware.value}.log"
    exact = kernel.name in EXACT_TIME
    config = QemuConfig(
        image=images.for_firmware(firmware),
        firmware=firmware,
        ovmf=ovmf,
        accel=Accel.TCG if exact else accel,
        icount=exact,
    )
    if verbose:
        print(f"$ {config.command()}", flush=True)
    started = time.monotonic()
    with Machine(config, log) as machine:
        status = machine.wait_exit(timeout)
        output, tail = machine.output, machine.tail()
    return judge(label, status, output, timeout, log, tail, time.monotonic() - started)
