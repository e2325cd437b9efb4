"""`./x.py bench`: how long Ferrite takes to boot, as an exact count and as wall time.

Two figures answer different questions. The guest's count comes from a boot under
`-icount shift=0,align=off,sleep=off`, where QEMU's virtual clock advances one nanosecond per
guest instruction and the time-stamp counter follows it; the kernel reads the TSC and reports it
in a `BENCH` line (see `kernel/src/bench.rs`). That count does not depend on the host, so it is
the figure to compare between two versions of the kernel. Wall time, from starting QEMU to the
kernel's "boot complete" line, is what a person waits; it depends on the host and on the
accelerator, so it is reported beside the count, never instead of it.

The parsing is pure (`parse_lines`, `Summary`) and tested in `tests/test_bench.py`; the rest
boots QEMU and is exercised by running the command.
"""

from __future__ import annotations

import dataclasses
import json
import re
import statistics
import time
from collections.abc import Iterable
from pathlib import Path

from ferrite_tools import build, contract, image, paths
from ferrite_tools.errors import FerriteError, InvalidData
from ferrite_tools.qemu import Accel, Firmware, Machine, QemuConfig
from ferrite_tools.setup import Toolchain, find_ovmf

#: The kernel's line when `init` has finished; wall time is measured up to it.
BOOT_DONE = "boot complete"
#: How long one boot may take before the benchmark gives up (TCG, first boot of OVMF).
BOOT_TIMEOUT_S = 120.0
#: Runs per figure unless asked otherwise; the median is reported.
DEFAULT_RUNS = 3

_LINE = re.compile(re.escape(contract.BENCH_PREFIX) + r"(?P<name>[\w.]+)=(?P<value>\d+) unit=(?P<unit>\w+)\s*$")


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One `BENCH` line: a named integer in a unit."""

    name: str
    value: int
    unit: str


def parse_lines(output: str) -> list[Measurement]:
    """The measurements in a serial log, in order; other lines are ignored."""
    found = []
    for line in output.splitlines():
        match = _LINE.match(line.strip())
        if match:
            found.append(Measurement(match["name"], int(match["value"]), match["unit"]))
    return found


@dataclasses.dataclass(frozen=True)
class Summary:
    """Several runs of one figure."""

    name: str
    unit: str
    values: tuple[float, ...]

    @property
    def median(self) -> float:
        """The middle value: what the benchmark reports."""
        return statistics.median(self.values)

    @property
    def spread_percent(self) -> float:
        """(max - min) / median, in percent: 0 for an exactly repeatable figure."""
        return 100.0 * (max(self.values) - min(self.values)) / self.median if self.median else 0.0

    def row(self) -> str:
        """One line of the report table."""
        if self.unit == "s":
            return f"{self.name:34} {self.median:14.2f} s    min {min(self.values):.2f}  max {max(self.values):.2f}"
        return (
            f"{self.name:34} {self.median:14,.0f} {self.unit:4} "
            f"min {min(self.values):,.0f}  max {max(self.values):,.0f}  spread {self.spread_percent:.2f}%"
        )


def summarise(name: str, unit: str, values: Iterable[float]) -> Summary:
    """Collects runs into a summary; refuses an empty list (a figure that was never measured)."""
    values = tuple(values)
    if not values:
        raise InvalidData(f"no runs of {name}")
    return Summary(name, unit, values)


#: What the shell's prompt ends with; the boot is at the prompt once it appears.
SHELL_PROMPT = " $ "
#: The kernel's line for each milestone of the boot (kernel/src/time.rs, `Milestone`), in order:
#: the bootloader jumps to the kernel, the banner, `init` done, the first user instruction, and
#: the shell reading its first line.
MILESTONES = (
    "boot.tsc_at_kernel_entry",
    "boot.tsc_at_banner",
    "boot.tsc_at_boot_complete",
    "boot.tsc_at_first_user_instruction",
    "boot.tsc_at_shell_prompt",
)
#: The stages between milestones, named for the reader: (name, from, to); `None` is the reset.
STAGES = (
    ("boot.stage.firmware_and_bootloader", None, "boot.tsc_at_kernel_entry"),
    ("boot.stage.kernel_entry_to_banner", "boot.tsc_at_kernel_entry", "boot.tsc_at_banner"),
    ("boot.stage.banner_to_boot_complete", "boot.tsc_at_banner", "boot.tsc_at_boot_complete"),
    ("boot.stage.boot_complete_to_init", "boot.tsc_at_boot_complete", "boot.tsc_at_first_user_instruction"),
    ("boot.stage.init_to_shell_prompt", "boot.tsc_at_first_user_instruction", "boot.tsc_at_shell_prompt"),
    ("boot.kernel_share", "boot.tsc_at_kernel_entry", "boot.tsc_at_shell_prompt"),
    ("boot.reset_to_shell_prompt", None, "boot.tsc_at_shell_prompt"),
)


def stages(measured: Iterable[Measurement]) -> list[Measurement]:
    """The boot's stages from one boot's milestones; a stage whose ends are missing is left out."""
    at = {m.name: m.value for m in measured if m.unit == "tsc"}
    found = []
    for name, start, end in STAGES:
        if end in at and (start is None or start in at):
            found.append(Measurement(name, at[end] - (at[start] if start else 0), "tsc"))
    return found


def _boot(config: QemuConfig, log: Path) -> tuple[float, list[Measurement]]:
    """Boots once; returns the wall time to the "boot complete" line and the BENCH lines, up to
    the one the kernel prints when the shell first reads (if the shell comes up)."""
    with Machine(config, log) as machine:
        if not machine.wait_for(BOOT_DONE, BOOT_TIMEOUT_S):
            raise FerriteError(
                f"the kernel did not print {BOOT_DONE!r} within {BOOT_TIMEOUT_S:.0f} s",
                tail=machine.tail(),
                log=log,
                command=config.argv(),
            )
        elapsed = time.monotonic() - machine.started_at
        machine.wait_for(f"{MILESTONES[-1]}=", BOOT_TIMEOUT_S)
        return elapsed, parse_lines(machine.output)


#: Test kernels that measure in guest instructions, and the prefixes of the BENCH lines each
#: contributes: the heap (kernel/tests/heap_bench.rs), async tasks (kernel/tests/async_tasks.rs),
#: threads (kernel/tests/threads.rs) and user space (kernel/tests/user_bench.rs, which runs
#: user/programs/src/bin/bench.rs).
GUEST_BENCH_KERNELS: dict[str, tuple[str, ...]] = {
    "heap_bench": ("heap.",),
    "async_tasks": ("task.",),
    "threads": ("thread.",),
    "user_bench": ("syscall.", "process.", "pipe.", "file."),
}


def guest_counts(tc: Toolchain, verbose: bool) -> list[Summary]:
    """Boots release builds of the measuring test kernels under icount; their BENCH lines."""
    build.build_boot_tool(tc, verbose=verbose)
    summaries = []
    for name, prefix in GUEST_BENCH_KERNELS.items():
        (kernel,) = build.build_test_kernels(tc, verbose=verbose, release=True, only=name)
        ramdisk = image.build_ramdisk(tc, verbose=verbose, out=image.TEST_RAMDISK, only=image.TEST_KERNEL_PROGRAMS)
        images = image.make_images(tc, kernel.elf, f"bench-{name}", {Firmware.BIOS}, ramdisk)
        config = QemuConfig(images.for_firmware(Firmware.BIOS), accel=Accel.TCG, icount=True, fw_cfg=contract.BENCH_FW_CFG)
        log = paths.LOG_DIR / f"bench-{name}.log"
        with Machine(config, log) as machine:
            status = machine.wait_exit(BOOT_TIMEOUT_S)
            output = machine.output
        if status != contract.STATUS_SUCCESS:
            raise FerriteError(f"the {name} kernel did not pass", log=log, tail=output[-2000:])
        summaries += [
            summarise(f"guest.{m.name}", m.unit[:4], [m.value]) for m in parse_lines(output) if m.name.startswith(prefix)
        ]
    return summaries


#: The disk the disk figures use (made afresh for each run).
BENCH_DISK_SIZE = 32 * 2**20


def with_committed_log(disk: Path) -> int:
    """Writes a committed transaction that fills the log of the empty file system in `disk`:
    one zeroed block for each of the last free data blocks (replaying it changes nothing a
    program sees, but costs a full replay). Returns how many blocks it holds."""
    from ferrite_tools.fs import layout

    with disk.open("r+b") as f:
        sb = layout.Superblock.unpack(f.read(layout.BLOCK_SIZE))
        count = sb.log_blocks - 1
        targets = tuple(range(sb.block_count - count, sb.block_count))
        slot = bytes(layout.BLOCK_SIZE)
        header = layout.LogHeader(
            sequence=1, count=count, targets=targets, data_checksum=layout.crc32(slot * count)
        )
        for i in range(count):
            f.seek((sb.log_start + 1 + i) * layout.BLOCK_SIZE)
            f.write(slot)
        f.seek(sb.log_start * layout.BLOCK_SIZE)
        f.write(header.pack())
    return count


def disk_counts(images: image.Images, verbose: bool) -> list[Summary]:
    """The disk figures under icount: the mount of an empty disk, the replay of a full log, and
    `bench disk` (a 4 KiB write with fsync, 1 MiB written and read back) in the shell."""
    from ferrite_tools import fs

    work = paths.BUILD_DIR / "bench"
    work.mkdir(parents=True, exist_ok=True)
    disk = work / "disk.img"
    measured: list[Measurement] = []
    for replay in (False, True):
        fs.mkfs(disk, BENCH_DISK_SIZE, directories=("bin", "dev", "proc", "tmp"))
        if replay:
            blocks = with_committed_log(disk)
            print(f"  disk: a committed transaction of {blocks} blocks to replay", flush=True)
        config = QemuConfig(
            images.for_firmware(Firmware.BIOS), accel=Accel.TCG, icount=True, disk=disk, fw_cfg=contract.BENCH_FW_CFG
        )
        if verbose:
            print(f"$ {config.command()}", flush=True)
        log = paths.LOG_DIR / f"bench-disk{'-replay' if replay else ''}.log"
        with Machine(config, log) as machine:
            if not machine.wait_for(SHELL_PROMPT, BOOT_TIMEOUT_S):
                raise FerriteError("the shell did not start on the disk", log=log, tail=machine.tail())
            if not replay:
                # The status follows "done" only in the output, never in the typed line.
                machine.send("cd /; bench disk; echo bench done $?\r")
                if not machine.wait_for("bench done 0", 5 * BOOT_TIMEOUT_S):
                    raise FerriteError("bench disk failed", log=log, tail=machine.tail())
            found = [m for m in parse_lines(machine.output) if m.name.startswith("disk.")]
        measured += [m for m in found if replay == (m.name == "disk.log_replay")]
    return [summarise(f"guest.{m.name}", m.unit[:4], [m.value]) for m in measured]


def host_heap(tc: Toolchain, verbose: bool) -> str:
    """Runs the host allocator comparison (crates/heapbench) and returns its report."""
    print("running the host heap benchmark (about half a minute)", flush=True)
    return build.run_logged(
        [str(tc.cargo), "run", "--release", "-q", "-p", "heapbench"],
        cwd=paths.ROOT,
        env=tc.env(),
        log=paths.LOG_DIR / "bench-heapbench.log",
        what="The host heap benchmark",
        stream=verbose,
    )


def run(tc: Toolchain, *, runs: int, accel: Accel, verbose: bool) -> int:
    """Builds the release images and prints the boot figures for BIOS and UEFI, the heap's guest
    instruction counts, and the host allocator comparison."""
    build.build_boot_tool(tc, verbose=verbose)
    elf = build.build_kernel(tc, release=True, verbose=verbose)
    ramdisk = image.build_ramdisk(tc, verbose=verbose)
    images = image.make_images(tc, elf, "release", set(Firmware), ramdisk)
    ovmf = find_ovmf()
    summaries: list[Summary] = []
    for firmware in Firmware:
        counts: dict[str, list[float]] = {}
        units: dict[str, str] = {}
        walls: list[float] = []
        for n in range(runs):
            exact = QemuConfig(
                images.for_firmware(firmware),
                firmware=firmware,
                ovmf=ovmf,
                accel=Accel.TCG,
                icount=True,
                fw_cfg=contract.BENCH_FW_CFG,
            )
            if verbose:
                print(f"$ {exact.command()}", flush=True)
            _, measured = _boot(exact, paths.LOG_DIR / f"bench-{firmware.value}-icount-{n + 1}.log")
            for m in measured + stages(measured):
                counts.setdefault(m.name, []).append(m.value)
                units[m.name] = m.unit
            timed = QemuConfig(images.for_firmware(firmware), firmware=firmware, ovmf=ovmf, accel=accel)
            wall, _ = _boot(timed, paths.LOG_DIR / f"bench-{firmware.value}-wall-{n + 1}.log")
            walls.append(wall)
            print(f"  {firmware.value} run {n + 1}/{runs}: {wall:.2f} s to banner", flush=True)
        if not counts:
            raise FerriteError(f"the {firmware.value} boot printed no {contract.BENCH_PREFIX.strip()} lines")
        for name, values in counts.items():
            summaries.append(summarise(f"{firmware.value}.{name}", units[name], values))
        summaries.append(summarise(f"{firmware.value}.boot.wall_to_banner ({accel.value})", "s", walls))
    summaries += guest_counts(tc, verbose)
    summaries += disk_counts(images, verbose)
    print(f"\nrelease images, median of {runs} runs; counts under -icount shift=0,align=off,sleep=off")
    for summary in summaries:
        print(summary.row())
    print()
    print(host_heap(tc, verbose).rstrip())
    out = paths.BUILD_DIR / "bench" / "boot.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            [{"name": s.name, "unit": s.unit, "median": s.median, "values": list(s.values)} for s in summaries],
            indent=2,
        )
        + "\n"
    )
    print(f"written to {out}")
    return 0
