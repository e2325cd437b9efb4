"""Runs a test kernel in QEMU and decides, strictly, what passed.

A test kernel reports KTAP on COM1 and ends QEMU through the exit device. The harness passes a
case only when all of these hold:

* QEMU exited with the success status (33). Status 0 means QEMU stopped on its own: a triple
  fault or a reset, which `-no-reboot` turns into an exit. Status 35 means the kernel reported
  failure. No exit before the timeout means a hang.
* The KTAP report is complete: a plan, as many results as planned, in order, no restart.
* The case's own line says `ok`.

Each test kernel says how it is booted (which firmware, which timings) in its own
`test_kernel!` line, which the macro writes into its binary; `config_of` reads it there, so a new
test kernel needs no entry here. Concurrency test kernels (`races = true`) boot several times, under several timings (see
`Timing`): icount makes figures exact but lands every timer tick on the same instruction, so it
proves one interleaving; real TCG timing and icount with seeded jitter on each tick try others.
A failure under jitter names its seed and the command that replays it exactly.

How long a boot may run is `waits.Waits.kernel_test` for the accelerator it really runs under
(icount is always TCG) and its firmware: one base time, scaled like every wait of the tests (see
waits.py), so a slow machine or `FERRITE_WAIT_SCALE` gives a test kernel longer instead of
calling it hung.

When a boot fails without a `not ok` line to blame (a hang, a triple fault), the harness names
the test that was running from the kernel's `# test: NAME` line printed before each test, and
reports the tail of the serial log and the log's path, which is kept.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import time
from dataclasses import dataclass
from pathlib import Path

from ferrite_tools import contract, ktap, paths, symbolize, waits
from ferrite_tools.build import TestKernel
from ferrite_tools.errors import FerriteError
from ferrite_tools.image import Images
from ferrite_tools.qemu import Accel, Firmware, Machine, QemuConfig
from ferrite_tools.results import Status, TestResult

#: The start of the line `test_kernel!` writes into a test kernel's binary (kernel/src/testing.rs,
#: `CONFIG_PREFIX`): ` firmware="bios uefi" timing="exact" races=true`, each part optional.
CONFIG_PREFIX = b"ferrite-test-kernel:"
#: The firmware a kernel boots under when its line does not say.
DEFAULT_FIRMWARES = (Firmware.BIOS,)


@dataclass(frozen=True)
class KernelConfig:
    """How a test kernel asks to be booted, read from its own binary (see `config_of`).

    `firmwares`: which firmware(s) boot it. `exact`: its first boot runs under
    `-icount shift=0,align=off,sleep=off`, where virtual time is a pure function of the
    instructions executed, so its figures are exact and the same on every machine (and KVM, whose
    clock is the host's, is never used). `races`: a concurrency kernel, which boots again under
    real timing and under icount with seeded jitter, one boot per seed."""

    firmwares: tuple[Firmware, ...] = DEFAULT_FIRMWARES
    exact: bool = False
    races: bool = False


def parse_config(name: str, binary: bytes) -> KernelConfig:
    """The configuration in a test kernel's `binary` (defaults if it carries no line). A line the
    harness cannot read is an error naming the kernel, never a silent default."""
    lines = set(re.findall(re.escape(CONFIG_PREFIX) + rb"[^\n]*", binary))
    if not lines:
        return KernelConfig()
    if len(lines) > 1:
        raise FerriteError(f"test kernel {name} carries {len(lines)} different test_kernel! lines")
    text = lines.pop()[len(CONFIG_PREFIX) :].decode(errors="replace")
    config = KernelConfig()
    for word in re.findall(r'(\w+)=("[^"]*"|\S+)', text):
        key, value = word[0], word[1].strip('"')
        if key == "firmware":
            try:
                firmwares = tuple(Firmware(f) for f in value.split())
            except ValueError:
                raise FerriteError(f'test kernel {name}: firmware = "{value}": each must be bios or uefi') from None
            config = dataclasses.replace(config, firmwares=firmwares or DEFAULT_FIRMWARES)
        elif key == "timing" and value in ("exact", "real"):
            config = dataclasses.replace(config, exact=value == "exact")
        elif key == "races" and value in ("true", "false"):
            config = dataclasses.replace(config, races=value == "true")
        else:
            raise FerriteError(
                f"test kernel {name}: test_kernel!({key} = {word[1]}) is not understood: "
                'the keys are firmware = "bios uefi", timing = "exact" or "real", races = true'
            )
    return config


def config_of(kernel: TestKernel) -> KernelConfig:
    """The configuration `kernel`'s `test_kernel!` line asks for (read once per build)."""
    return _config_cached(kernel.name, kernel.elf, kernel.elf.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _config_cached(name: str, elf: Path, _mtime: int) -> KernelConfig:
    return parse_config(name, elf.read_bytes())


#: The jitter seeds `./x.py test` uses unless told others (`--seed`, `--seeds`).
DEFAULT_SEEDS = (1, 2)
SUITE = "kernel"


@dataclass(frozen=True)
class Timing:
    """How a test kernel's timer ticks fall: `exact` (icount), `real` (no icount: whatever the
    host's scheduling gives), or `jitter` (icount, and each tick's handler spins for a seeded
    random time, so preemption lands elsewhere for each seed, the same for the same seed)."""

    kind: str
    seed: int | None = None

    @property
    def icount(self) -> bool:
        return self.kind != "real"

    def fw_cfg(self) -> str:
        """The text the kernel reads from `contract.TIMING_FILE`."""
        return f"jitter={self.seed}" if self.kind == "jitter" else self.kind

    def label(self) -> str:
        return self.fw_cfg()


EXACT = Timing("exact")
REAL = Timing("real")


def timings_for(config: KernelConfig, seeds: tuple[int, ...] = DEFAULT_SEEDS) -> list[Timing]:
    """Every timing a test kernel boots under, its first (the one its figures come from) first."""
    first = EXACT if config.exact else REAL
    if not config.races:
        return [first]
    others = [REAL] if first is EXACT else []
    return [first, *others, *(Timing("jitter", seed) for seed in seeds)]


def reproduce_command(kernel_name: str, timing: Timing) -> str:
    """The command that runs this test kernel under this timing again."""
    seed = f" --seed {timing.seed}" if timing.seed is not None else ""
    return f"./x.py test{seed} {kernel_name}"


def _running_test(report: ktap.Report) -> str | None:
    """The name from the last `# test: NAME` after the last result, if the kernel printed one."""
    for line in reversed(report.trailing_diagnostics):
        if line.startswith(contract.RUNNING_PREFIX):
            return line[len(contract.RUNNING_PREFIX) :]
    return None


def _why_boot_failed(status: int | None, timeout: float) -> str:
    if status is None:
        return (
            f"no exit within {timeout:.0f} s: the kernel hung "
            f"(if this machine is only slow, {waits.ENV}=2 ./x.py test doubles every wait)"
        )
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
        diagnostics = [d for d in case.diagnostics if not d.startswith(contract.RUNNING_PREFIX)]
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
    timing: Timing | None = None,
    timeout: float | None = None,
    verbose: bool = False,
) -> list[TestResult]:
    """Boots one test kernel under one firmware and one timing (by default its first) and
    judges the outcome. It may run for `timeout` seconds, by default the scaled
    `waits.KERNEL_TEST_S` for the machine it boots (test kernels are debug builds)."""
    kernel_config = config_of(kernel)
    timing = timing or timings_for(kernel_config)[0]
    first = timing == timings_for(kernel_config)[0]
    tag = firmware.value if first else f"{firmware.value},{timing.label()}"
    label = f"{kernel.name}[{tag}]"
    log = paths.LOG_DIR / "kernel-tests" / f"{kernel.name}-{tag.replace(',', '-').replace('=', '')}.log"
    config = QemuConfig(
        image=images.for_firmware(firmware),
        firmware=firmware,
        ovmf=ovmf,
        accel=Accel.TCG if timing.icount else accel,
        icount=timing.icount,
        fw_cfg=((contract.TIMING_FILE, timing.fw_cfg()),),
    )
    if timeout is None:
        timeout = waits.Waits.for_machine(config.accel, firmware).kernel_test
    if verbose:
        print(f"$ {config.command()}", flush=True)
    started = time.monotonic()
    with Machine(config, log) as machine:
        status = machine.wait_exit(timeout)
        output, tail = machine.output, machine.tail()
    if symbolize.has_addresses(output):
        # A panic's backtrace or a trap's RIP: the log and the report get the names.
        log.write_text(symbolize.annotate(log.read_text(errors="replace"), kernel.elf))
        tail = symbolize.annotate(tail, kernel.elf)
    results = judge(label, status, output, timeout, log, tail, time.monotonic() - started)
    if kernel_config.races:
        again = f"\nrun again: {reproduce_command(kernel.name, timing)}"
        results = [r if r.status is not Status.FAIL else dataclasses.replace(r, detail=r.detail + again) for r in results]
    return results
