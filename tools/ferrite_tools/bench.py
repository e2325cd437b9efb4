"""`./x.py bench`: what Ferrite costs, as exact guest counts and as wall time, beside Linux.

Two kinds of figure answer different questions. A guest count comes from a run under
`-icount shift=0,align=off,sleep=off`, where QEMU's virtual clock advances one nanosecond per
guest instruction and the time-stamp counter follows it; the kernel (or a program) reads the TSC
and reports it in a `BENCH` line (see `kernel/src/bench.rs`). That count does not depend on the
host, so it is the figure to compare between two versions of the kernel, and the one the
regression gate keeps. Wall time, from starting QEMU to the kernel's "boot complete" line (`contract.BOOT_COMPLETE`), is
what a person waits; it depends on the host and on the accelerator, so it is reported beside the
counts, never instead of them.

A run measures: the boot, stage by stage, for BIOS and UEFI (`boot_counts`); the measuring test
kernels (`guest_counts`: the heap, tasks, threads, and the user-space benchmark program); the
disk (`disk_counts`); with `--peer linux` the same benchmark program on Debian's Linux in the
same machine (`peer.py`); and the host allocator comparison. benchreport.py prints the
comparison, draws the charts and keeps the gate (`--check`, `--update-baseline`); `--quick` is
the guest counts alone, which the test suite checks on every run.

The parsing is pure (`stages` here; `parse_lines` and `Summary` in measurements.py, which the
Linux peer shares) and tested in `tests/test_bench.py`; the rest boots QEMU and is exercised by
running the command. This module imports `peer` for the Linux column and nothing imports it but
the test command and the command line: the types both need are below both, in measurements.py.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import statistics
import time
from collections.abc import Iterable
from pathlib import Path

from ferrite_tools import benchreport, build, contract, fs, image, paths, peer
from ferrite_tools.errors import FerriteError
from ferrite_tools.fs import layout
from ferrite_tools.measurements import BENCH_DISK_SIZE, Measurement, Summary, parse_lines, summarise
from ferrite_tools.qemu import Accel, Firmware, Machine, QemuConfig
from ferrite_tools.setup import Toolchain, find_ovmf

#: How long one boot may take before the benchmark gives up (TCG, first boot of OVMF).
BOOT_TIMEOUT_S = 120.0
#: Runs per figure unless asked otherwise; the median is reported.
DEFAULT_RUNS = 3


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
#: How often a boot's output is looked at for the last milestone's complete line.
MILESTONE_POLL_S = 0.05
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
        if not machine.wait_for(contract.BOOT_COMPLETE, BOOT_TIMEOUT_S):
            raise FerriteError(
                f"the kernel did not print {contract.BOOT_COMPLETE!r} within {BOOT_TIMEOUT_S:.0f} s",
                tail=machine.tail(),
                log=log,
                command=config.argv(),
            )
        elapsed = time.monotonic() - machine.started_at
        if config.fw_cfg == contract.BENCH_FW_CFG:
            # The kernel prints the milestones only when asked (the wall-time boots do not ask).
            # Wait for the last one's whole line, not just its start.
            deadline = time.monotonic() + BOOT_TIMEOUT_S
            while not any(m.name == MILESTONES[-1] for m in parse_lines(machine.output)):
                if time.monotonic() > deadline or machine.exit_status is not None:
                    break
                machine.wait_for(f"{MILESTONES[-1]}=", MILESTONE_POLL_S)
                time.sleep(MILESTONE_POLL_S)
        return elapsed, parse_lines(machine.output)


#: Test kernels that measure in guest instructions, and the prefixes of the BENCH lines each
#: contributes: the heap (kernel/tests/heap_bench.rs), async tasks (kernel/tests/async_tasks.rs),
#: threads (kernel/tests/threads.rs) and user space (kernel/tests/user_bench.rs, which runs
#: user/programs/src/bin/bench.rs).
GUEST_BENCH_KERNELS: dict[str, tuple[str, ...]] = {
    "heap_bench": ("heap.",),
    "async_tasks": ("task.",),
    "threads": ("thread.",),
    "user_bench": ("syscall.", "sched.", "signal.", "clone.", "futex.", "process.", "pipe.", "poll.", "time.", "file.", "mm."),
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


def with_committed_log(disk: Path) -> int:
    """Writes a committed transaction that fills the log of the empty file system in `disk`:
    one zeroed block for each of the last free data blocks (replaying it changes nothing a
    program sees, but costs a full replay). Returns how many blocks it holds."""
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


def disk_counts(images: image.Images, verbose: bool, runs: int = 1) -> list[Summary]:
    """The disk figures under icount: the mount of an empty disk, the replay of a full log, and
    `bench disk` (a 4 KiB write with fsync, 1 MiB written and read back) in the shell, `runs`
    boots of a fresh disk for all but the replay, the median reported. Several, because what
    `bench disk` counts includes the timer interrupts that land while the CPU waits for the
    disk, and how many do depends on how long the host takes (on one busy host the fsync
    figure was 722,869, 82,634 and 73,811 in the three boots of one run)."""
    work = paths.BUILD_DIR / "bench"
    work.mkdir(parents=True, exist_ok=True)
    disk = work / "disk.img"
    measured: list[Measurement] = []
    for n, replay in enumerate([False] * runs + [True]):
        fs.mkfs(disk, BENCH_DISK_SIZE, directories=("bin", "dev", "proc", "tmp"))
        if replay:
            blocks = with_committed_log(disk)
            print(f"  disk: a committed transaction of {blocks} blocks to replay", flush=True)
        config = QemuConfig(
            images.for_firmware(Firmware.BIOS), accel=Accel.TCG, icount=True, disk=disk, fw_cfg=contract.BENCH_FW_CFG
        )
        if verbose:
            print(f"$ {config.command()}", flush=True)
        suffix = "-replay" if replay else f"-{n + 1}" if n else ""
        log = paths.LOG_DIR / f"bench-disk{suffix}.log"
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
    values: dict[str, list[float]] = {}
    units: dict[str, str] = {}
    for m in measured:
        values.setdefault(m.name, []).append(m.value)
        units[m.name] = m.unit
    return [summarise(f"guest.{name}", units[name][:4], runs_of) for name, runs_of in values.items()]


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


def boot_counts(images: image.Images, *, runs: int, accel: Accel, verbose: bool) -> list[Summary]:
    """Boots the release images `runs` times each, BIOS and UEFI: the milestones and stages under
    icount, and the wall time to the banner with `accel`."""
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
    return summaries


@dataclasses.dataclass(frozen=True)
class LinuxColumn:
    """The benchmark's figures on Debian's Linux, as medians by name, and why what is missing
    is (the report's Linux column then says so instead of failing the benchmark)."""

    values: dict[str, float]
    #: Why there is no column at all.
    note: str | None = None
    #: Why the disk rows are missing (from the last run without them).
    disk_note: str | None = None


def linux_column(tc: Toolchain, *, runs: int, verbose: bool) -> LinuxColumn:
    """The benchmark on Debian's Linux, `runs` boots."""
    values: dict[str, list[float]] = {}
    disk_note = None
    for n in range(runs):
        try:
            run_ = peer.linux_run(tc, verbose)
        except peer.PeerUnavailable as e:
            return LinuxColumn({}, e.what)
        print(f"  linux run {n + 1}/{runs}: {run_.wall_s:.1f} s", flush=True)
        if run_.disk_note is not None:
            disk_note = run_.disk_note
            print(f"  linux run {n + 1}/{runs} has no disk rows: {disk_note}", flush=True)
        for m in run_.measurements:
            values.setdefault(m.name, []).append(m.value)
    return LinuxColumn({name: statistics.median(v) for name, v in values.items()}, None, disk_note)


@dataclasses.dataclass(frozen=True)
class Options:
    """What `./x.py bench` was asked for."""

    runs: int = DEFAULT_RUNS
    accel: Accel = Accel.TCG
    verbose: bool = False
    #: `linux` to run the benchmark on Debian's Linux too, `none` not to.
    peer: str = "none"
    #: Compare with the committed baseline and fail on a figure that got worse.
    check: bool = False
    #: Only the guest counts of the measuring test kernels (what the test suite gates on).
    quick: bool = False
    #: Rewrite the baseline with this run's figures.
    update_baseline: bool = False
    #: Also copy the charts into the book (docs/figures/).
    book: bool = False


#: Where the book keeps the charts (`--book` copies them there).
BOOK_FIGURES = paths.ROOT / "docs" / "figures"


def figures_of(summaries: Iterable[Summary]) -> dict[str, tuple[float, str]]:
    """Name to (median, unit), what the gate judges."""
    return {s.name: (s.median, s.unit) for s in summaries}


def run(tc: Toolchain, options: Options) -> int:
    """Measures, prints the figures and the comparison with Linux, writes JSON and charts, and
    with `--check` judges the run against the baseline (returning 1 if it fails)."""
    summaries: list[Summary] = []
    images = None
    if not options.quick:
        build.build_boot_tool(tc, verbose=options.verbose)
        elf = build.build_kernel(tc, release=True, verbose=options.verbose)
        ramdisk = image.build_ramdisk(tc, verbose=options.verbose)
        images = image.make_images(tc, elf, "release", set(Firmware), ramdisk)
        summaries += boot_counts(images, runs=options.runs, accel=options.accel, verbose=options.verbose)
    summaries += guest_counts(tc, options.verbose)
    if images is not None:
        summaries += disk_counts(images, options.verbose, options.runs)
    column = LinuxColumn({}, "not asked for (./x.py bench --peer linux)")
    if options.peer == "linux":
        print("running the benchmark on Debian's Linux in the same machine", flush=True)
        column = linux_column(tc, runs=options.runs, verbose=options.verbose)
    linux, note = column.values, column.note
    medians = {s.name: s.median for s in summaries}
    compared = benchreport.compare(medians, linux)
    print(f"\nrelease builds, median of {options.runs} runs; counts under -icount shift=0,align=off,sleep=off")
    for summary in summaries:
        print(summary.row())
    if not options.quick:
        print("\nFerrite beside Linux (guest instructions; the boot row in virtual ns)")
        print("\n".join(benchreport.comparison_lines(compared, note, column.disk_note)))
        print()
        print(host_heap(tc, options.verbose).rstrip())
    out = paths.BUILD_DIR / "bench" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "figures": [
                    {"name": s.name, "unit": s.unit, "median": s.median, "values": list(s.values)} for s in summaries
                ],
                "linux": linux,
                "linux_missing_because": note,
                "linux_disk_missing_because": column.disk_note,
                "comparison": [
                    {"row": c.row.title, "ferrite": c.ferrite, "linux": c.linux, "ratio": c.ratio, "met": c.met}
                    for c in compared
                ],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {out}")
    if not options.quick:
        boots = {f.value: benchreport.stage_figures(medians.items(), f.value) for f in Firmware}
        charts = benchreport.write_charts(compared, boots)
        print("charts: " + ", ".join(str(c) for c in charts))
        if options.book:
            BOOK_FIGURES.mkdir(parents=True, exist_ok=True)
            for chart in charts:
                if chart.suffix == ".svg":
                    shutil.copy(chart, BOOK_FIGURES / chart.name)
            print(f"copied the SVG charts to {BOOK_FIGURES}")
    return judge(figures_of(summaries), options)


def judge(figures: dict[str, tuple[float, str]], options: Options) -> int:
    """Updates the baseline or checks the run against it, as asked; returns the exit status."""
    baseline_path = benchreport.BASELINE
    if options.update_baseline:
        old = benchreport.parse_baseline(baseline_path.read_text()) if baseline_path.exists() else {}
        baseline_path.write_text(benchreport.baseline_json(benchreport.updated(old, figures)))
        print(f"baseline updated: {baseline_path}")
        return 0
    if not options.check:
        return 0
    if not baseline_path.exists():
        raise FerriteError(f"no baseline at {baseline_path}: make one with ./x.py bench --update-baseline")
    verdict = benchreport.check(figures, benchreport.parse_baseline(baseline_path.read_text()))
    for line in verdict.better:
        print(f"better than the baseline: {line}")
    for line in verdict.worse + verdict.unknown:
        print(f"FAIL {line}")
    judged = len(benchreport.gated(figures))
    if verdict.passed:
        print(f"bench check: {judged} figures no worse than {baseline_path.name}")
        return 0
    print(
        f"bench check: {len(verdict.worse)} worse, {len(verdict.unknown)} not in the baseline, of {judged}; "
        "if the change is meant, ./x.py bench --update-baseline and say why in the commit"
    )
    return 1


def kernel_log(figure: str) -> Path | None:
    """The log of the test kernel that measured guest figure `figure`."""
    for kernel, prefixes in GUEST_BENCH_KERNELS.items():
        if any(figure.startswith(f"guest.{prefix}") for prefix in prefixes):
            return paths.LOG_DIR / f"bench-{kernel}.log"
    return None


def gate(tc: Toolchain, verbose: bool) -> list[tuple[str, bool, str]]:
    """The test suite's gate: the quick guest counts against the baseline, one (figure, passed,
    detail) per figure judged."""
    summaries = guest_counts(tc, verbose)
    figures = figures_of(summaries)
    baseline = benchreport.parse_baseline(benchreport.BASELINE.read_text())
    verdict = benchreport.check(figures, baseline)
    failures = {line.split(" ", 1)[0]: line for line in verdict.worse + verdict.unknown}
    return [(name, name not in failures, failures.get(name, "")) for name in benchreport.gated(figures)]
