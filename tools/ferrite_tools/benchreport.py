"""What `./x.py bench` makes of its figures: the table beside Linux, the regression gate, the charts.

A figure alone tells a reader little. Three things make it useful:

* **Linux beside it.** The same static benchmark program runs on Ferrite and, as `/init`, on
  Debian's Linux in the same QEMU machine (see `peer.py`), so each row of `PEER_ROWS` has two
  exact instruction counts, their ratio, and the goal the project set for the row.
* **A gate.** Guest counts under `-icount` are exact, so a change that makes a hot path slower
  shows up as a different number, every time. `tools/bench-baseline.json` keeps the figures as
  last accepted; `check` compares a run with it and names each figure that got worse by more than
  its tolerance: none for exact counts, some for what the host's disk timing moves (the BIOS
  loads the kernel through disk calls whose waits are host time; see docs/booting.md). Improving
  a figure passes, and says so; the baseline is updated on purpose, with
  `./x.py bench --update-baseline`, in the commit that explains why.
* **Pictures.** `write_charts` draws the comparison and the boot's stages with matplotlib, as
  PNG and SVG; the book's performance chapter shows them.

Everything but `write_charts` is pure and tested in tests/test_benchreport.py.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ferrite_tools import paths
from ferrite_tools.errors import InvalidData


@dataclasses.dataclass(frozen=True)
class Goal:
    """What a row should reach: at most a number, or at most a multiple of Linux's figure; a
    row with neither is there for information."""

    at_most: float | None = None
    linux_times: float | None = None

    def limit(self, linux: float | None) -> float | None:
        """The figure not to exceed, if it can be known (a goal relative to Linux needs Linux)."""
        if self.at_most is not None:
            return self.at_most
        if self.linux_times is not None and linux is not None:
            return self.linux_times * linux
        return None

    def text(self) -> str:
        """The goal as the table prints it."""
        if self.at_most is not None:
            return f"<= {self.at_most:,.0f}"
        if self.linux_times is None:
            return "-"
        if self.linux_times == 1:
            return "<= Linux"
        if self.linux_times == 0.5:
            return "<= half of Linux"
        return f"<= {self.linux_times} x Linux"


@dataclasses.dataclass(frozen=True)
class PeerRow:
    """One row of the comparison: a title, the figure's name on each side, and the goal."""

    title: str
    ferrite: str
    linux: str
    goal: Goal


#: The rows of the comparison with Linux (issue 13's table). Ferrite's names are those of its
#: summaries (a BIOS boot, and the release `user_bench` test kernel's `guest.` figures); Linux's
#: are the benchmark's own BENCH names.
PEER_ROWS = (
    PeerRow(
        "reset to the first user instruction (virtual ns)",
        "bios.boot.tsc_at_first_user_instruction",
        "boot.tsc_at_first_user_instruction",
        Goal(at_most=100_000_000),
    ),
    PeerRow("null system call, user to kernel to user", "guest.syscall.null_round_trip", "syscall.null_round_trip", Goal(at_most=150)),
    PeerRow("yield with nothing else runnable", "guest.sched.yield_alone", "sched.yield_alone", Goal(at_most=300)),
    PeerRow(
        "two processes yielding to each other, round trip",
        "guest.process.switch_round_trip",
        "process.switch_round_trip",
        Goal(at_most=1_000),
    ),
    PeerRow(
        "signal to itself, handler, rt_sigreturn",
        "guest.signal.kill_handler_return",
        "signal.kill_handler_return",
        Goal(linux_times=1.0),
    ),
    PeerRow(
        "thread create + join (clone, futex on the cleared id)",
        "guest.clone.thread_create_join",
        "clone.thread_create_join",
        Goal(linux_times=1.0),
    ),
    PeerRow(
        "futex wake/wait ping-pong between two threads, round trip",
        "guest.futex.ping_pong_round_trip",
        "futex.ping_pong_round_trip",
        Goal(linux_times=1.0),
    ),
    PeerRow(
        "first touch of an anonymous page (fault, zeroed frame)",
        "guest.mm.first_touch",
        "mm.first_touch",
        Goal(linux_times=1.0),
    ),
    PeerRow(
        "mmap + a load from each page + munmap of a 1 MiB file",
        "guest.mm.file_map_touch_unmap_1m",
        "mm.file_map_touch_unmap_1m",
        Goal(linux_times=1.0),
    ),
    PeerRow("pipe ping-pong round trip", "guest.pipe.ping_pong_round_trip", "pipe.ping_pong_round_trip", Goal(at_most=3_000)),
    PeerRow("poll of a pipe that holds a byte", "guest.poll.ready_pipe", "poll.ready_pipe", Goal(linux_times=1.0)),
    PeerRow(
        "clock_gettime(CLOCK_MONOTONIC) as a system call",
        "guest.time.clock_gettime",
        "time.clock_gettime",
        Goal(linux_times=1.0),
    ),
    PeerRow("fork + exit + wait", "guest.process.fork_exit_wait", "process.fork_exit_wait", Goal(linux_times=0.5)),
    PeerRow(
        "fork + exec of a small static program + exit + wait",
        "guest.process.spawn_hello",
        "process.spawn_hello",
        Goal(linux_times=0.5),
    ),
    PeerRow(
        "4 KiB write + read back on a RAM file system",
        "guest.file.tmpfs_write_read_4k",
        "file.tmpfs_write_read_4k",
        Goal(linux_times=1.0),
    ),
    # The disk rows: Ferrite's file system and Linux's ext4, each on the same virtio disk, with
    # the time the CPU sat halted waiting for it left out on both sides (bench.rs, `Busy`).
    PeerRow(
        "4 KiB write + fsync on the disk (Linux: ext4)",
        "guest.disk.write_fsync_4k",
        "disk.write_fsync_4k",
        Goal(linux_times=1.0),
    ),
    # For information: no goal yet.
    PeerRow(
        "1 MiB written to the disk + fsync, per KiB",
        "guest.disk.seq_write_per_kib",
        "disk.seq_write_per_kib",
        Goal(),
    ),
    PeerRow("1 MiB read back from the disk, per KiB", "guest.disk.seq_read_per_kib", "disk.seq_read_per_kib", Goal()),
)


@dataclasses.dataclass(frozen=True)
class Compared:
    """One row with its figures: `None` where a side was not measured."""

    row: PeerRow
    ferrite: float | None
    linux: float | None

    @property
    def ratio(self) -> float | None:
        """Ferrite over Linux: below 1 means Ferrite does the work in fewer instructions."""
        if self.ferrite is None or not self.linux:
            return None
        return self.ferrite / self.linux

    @property
    def met(self) -> bool | None:
        """Whether Ferrite reaches the goal; `None` when that cannot be told."""
        limit = self.row.goal.limit(self.linux)
        if self.ferrite is None or limit is None:
            return None
        return self.ferrite <= limit


def compare(ferrite: Mapping[str, float], linux: Mapping[str, float]) -> list[Compared]:
    """Every row of `PEER_ROWS` with what each side measured."""
    return [Compared(row, ferrite.get(row.ferrite), linux.get(row.linux)) for row in PEER_ROWS]


def comparison_lines(
    compared: Sequence[Compared], linux_note: str | None = None, disk_note: str | None = None
) -> list[str]:
    """The table as printed: one line a row, then why Linux's column is empty, if it is, or
    why only its disk rows are (`disk_note`)."""

    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:,.0f}"

    lines = [f"{'':52} {'Ferrite':>15} {'Linux':>15} {'ratio':>7}  {'goal':18} met"]
    for c in compared:
        ratio = "-" if c.ratio is None else f"{c.ratio:.2f}"
        met = {True: "yes", False: "NO", None: "-"}[c.met]
        lines.append(
            f"{c.row.title:52} {number(c.ferrite):>15} {number(c.linux):>15} {ratio:>7}  {c.row.goal.text():18} {met}"
        )
    if linux_note:
        lines.append(f"(no Linux column: {linux_note})")
    elif disk_note:
        lines.append(f"(no Linux disk rows: {disk_note})")
    return lines


# --- The regression gate -----------------------------------------------------------------------

#: The committed figures `./x.py bench --check` compares with.
BASELINE = paths.ROOT / "tools" / "bench-baseline.json"

#: Tolerances in percent, by name prefix, first match wins. Guest counts under icount are exact:
#: no tolerance at all. The firmware's and bootloader's part of a boot includes disk reads whose
#: waits are host time (docs/booting.md), so it moves between runs; the kernel's own stages move
#: a little with where the first timer tick lands after that.
TOLERANCES: tuple[tuple[str, float], ...] = (
    ("guest.disk.", 5.0),
    ("guest.", 0.0),
    ("bios.boot.stage.firmware_and_bootloader", 20.0),
    ("bios.boot.reset_to_", 20.0),
    ("bios.boot.tsc_at_", 20.0),
    ("uefi.boot.stage.firmware_and_bootloader", 10.0),
    ("uefi.boot.reset_to_", 10.0),
    ("uefi.boot.tsc_at_", 10.0),
    ("bios.boot.", 2.0),
    ("uefi.boot.", 2.0),
)
#: Units of figures that are costs (lower is better) or, for `HIGHER_IS_BETTER`, shares.
GATED_UNITS = ("inst", "tsc", "perm")
#: Name parts of figures where more is better (an allocator's efficiency).
HIGHER_IS_BETTER = ("efficiency",)


def tolerance_for(name: str) -> float | None:
    """The tolerance of figure `name` in percent, or `None` if the gate does not keep it."""
    for prefix, tolerance in TOLERANCES:
        if name.startswith(prefix):
            return tolerance
    return None


@dataclasses.dataclass(frozen=True)
class Limit:
    """A baseline figure and how far a run may stray from it, in the bad direction."""

    value: float
    tolerance_percent: float
    higher_is_better: bool = False

    def allows(self, now: float) -> bool:
        """Whether `now` is no worse than the baseline beyond the tolerance."""
        slack = abs(self.value) * self.tolerance_percent / 100
        return now >= self.value - slack if self.higher_is_better else now <= self.value + slack

    def improved(self, now: float) -> bool:
        """Whether `now` is better than the baseline."""
        return now > self.value if self.higher_is_better else now < self.value


def gated(figures: Mapping[str, tuple[float, str]]) -> dict[str, Limit]:
    """The figures of a run that the gate keeps, as limits: `figures` maps name to (value, unit)."""
    limits = {}
    for name, (value, unit) in sorted(figures.items()):
        tolerance = tolerance_for(name)
        if tolerance is None or unit[:4] not in GATED_UNITS:
            continue
        limits[name] = Limit(value, tolerance, any(part in name for part in HIGHER_IS_BETTER))
    return limits


def whole(value: float) -> float | int:
    """`value` as an int when it is one: counts read back from the file stay `47089120`, not
    `47089120.0`, when the file is rewritten."""
    return int(value) if float(value).is_integer() else value


def baseline_json(limits: Mapping[str, Limit]) -> str:
    """The baseline file's text."""
    body = {
        "about": (
            "Ferrite's benchmark figures as last accepted. ./x.py bench --check fails when a figure gets "
            "worse than this by more than its tolerance; ./x.py bench --update-baseline rewrites it."
        ),
        "figures": {
            name: {"value": whole(limit.value), "tolerance_percent": limit.tolerance_percent}
            | ({"higher_is_better": True} if limit.higher_is_better else {})
            for name, limit in sorted(limits.items())
        },
    }
    return json.dumps(body, indent=2) + "\n"


def parse_baseline(text: str, source: str = str(BASELINE)) -> dict[str, Limit]:
    """Reads a baseline file's text; a malformed one is an error that names the file."""
    try:
        figures = json.loads(text)["figures"]
        return {
            name: Limit(
                float(entry["value"]),
                float(entry["tolerance_percent"]),
                bool(entry.get("higher_is_better", False)),
            )
            for name, entry in figures.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise InvalidData(f"{source}: not a benchmark baseline ({e!r})") from e


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What the gate found in one run."""

    #: Figures worse than the baseline allows: one line each, naming the figure.
    worse: list[str]
    #: Figures better than the baseline (the baseline may be updated to keep the gain).
    better: list[str]
    #: Figures measured this run that the baseline does not have.
    unknown: list[str]

    @property
    def passed(self) -> bool:
        """No figure got worse, and none is missing from the baseline."""
        return not self.worse and not self.unknown


def check(figures: Mapping[str, tuple[float, str]], baseline: Mapping[str, Limit]) -> Verdict:
    """Compares a run's gated figures with the baseline. Figures the run did not measure are not
    judged (a quick run measures only some)."""
    worse, better, unknown = [], [], []
    for name, now in gated(figures).items():
        limit = baseline.get(name)
        if limit is None:
            unknown.append(f"{name} = {now.value:,.0f} is not in the baseline")
            continue
        if not limit.allows(now.value):
            direction = "fell" if limit.higher_is_better else "rose"
            worse.append(
                f"{name} {direction} from {limit.value:,.0f} to {now.value:,.0f} "
                f"(tolerance {limit.tolerance_percent:g}%)"
            )
        elif limit.improved(now.value):
            better.append(f"{name}: {limit.value:,.0f} -> {now.value:,.0f}")
    return Verdict(worse, better, unknown)


def updated(baseline: Mapping[str, Limit], figures: Mapping[str, tuple[float, str]]) -> dict[str, Limit]:
    """The baseline with this run's gated figures in place of the old ones; figures this run did
    not measure are kept."""
    return {**baseline, **gated(figures)}


# --- Charts --------------------------------------------------------------------------------------

#: Where the charts are written.
CHART_DIR = paths.BUILD_DIR / "bench"
#: The boot stages the chart stacks, in order, with their labels.
CHART_STAGES = (
    ("boot.stage.firmware_and_bootloader", "firmware and bootloader"),
    ("boot.stage.kernel_entry_to_banner", "kernel entry to banner"),
    ("boot.stage.banner_to_boot_complete", "banner to init done"),
    ("boot.stage.boot_complete_to_init", "init done to first user instruction"),
    ("boot.stage.init_to_shell_prompt", "first user instruction to prompt"),
)


def write_charts(
    compared: Sequence[Compared], boots: Mapping[str, Mapping[str, float]], out_dir: Path = CHART_DIR
) -> list[Path]:
    """Draws `ferrite-vs-linux` (each row's two figures, on a log scale) and `boot-stages` (each
    firmware's boot, stage by stage) as PNG and SVG in `out_dir`; returns the files written.
    `boots` maps a firmware's name to its stage figures."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(figure: object, name: str) -> None:
        for suffix in ("png", "svg"):
            path = out_dir / f"{name}.{suffix}"
            plt.savefig(path, dpi=110, bbox_inches="tight", metadata={"Date": None} if suffix == "svg" else None)
            written.append(path)
        plt.close(figure)  # type: ignore[arg-type]

    rows = [c for c in compared if c.ferrite is not None or c.linux is not None]
    if rows:
        figure, axes = plt.subplots(figsize=(9, 0.55 * len(rows) + 1.2))
        height = 0.38
        for i, c in enumerate(rows):
            y = len(rows) - 1 - i
            for offset, value, colour, label in (
                (height / 2, c.ferrite, "#c0392b", "Ferrite"),
                (-height / 2, c.linux, "#34495e", "Linux 6.1 (Debian)"),
            ):
                if value is None:
                    continue
                axes.barh(y + offset, value, height, color=colour, label=label if i == 0 else None)
                axes.text(value * 1.08, y + offset, f"{value:,.0f}", va="center", fontsize=8)
        axes.set_yticks(range(len(rows)), [c.row.title for c in reversed(rows)], fontsize=8)
        axes.set_xscale("log")
        axes.set_xlabel("guest instructions (virtual ns for the boot row), log scale; fewer is better")
        axes.set_title("Ferrite beside Linux, same QEMU machine, -icount shift=0", fontsize=10)
        axes.legend(loc="lower right", fontsize=8)
        axes.set_xlim(right=max(v for c in rows for v in (c.ferrite, c.linux) if v is not None) * 12)
        save(figure, "ferrite-vs-linux")

    firmwares = [name for name, stages in boots.items() if stages]
    if firmwares:
        figure, (whole, kernel) = plt.subplots(1, 2, figsize=(11, 0.9 * len(firmwares) + 1.6))
        colours = ("#95a5a6", "#e67e22", "#27ae60", "#2980b9", "#8e44ad")
        for panel, stages, scale, unit in (
            (whole, CHART_STAGES, 1e6, "million"),
            (kernel, CHART_STAGES[1:], 1e6, "million"),
        ):
            for y, name in enumerate(firmwares):
                left = 0.0
                for (stage, label), colour in zip(stages, colours[len(CHART_STAGES) - len(stages) :], strict=True):
                    value = boots[name].get(stage, 0.0) / scale
                    panel.barh(y, value, 0.5, left=left, color=colour, label=label if y == 0 else None)
                    left += value
                panel.text(left, y, f" {left:,.1f} M", va="center", fontsize=8)
            panel.set_yticks(range(len(firmwares)), [name.upper() for name in firmwares])
            panel.set_xlabel(f"{unit} instructions (virtual ns) from reset")
        whole.set_title("reset to shell prompt", fontsize=10)
        kernel.set_title("the kernel's share, entry to prompt", fontsize=10)
        kernel.set_xlim(right=max(sum(boots[n].get(s, 0.0) for s, _ in CHART_STAGES[1:]) for n in firmwares) / 1e6 * 1.3)
        # The left panel has every stage; one legend for both, under them.
        handles, labels = whole.get_legend_handles_labels()
        figure.legend(handles, labels, loc="upper center", ncol=3, fontsize=8, bbox_to_anchor=(0.5, 0.0))
        save(figure, "boot-stages")
    return written


def stage_figures(summaries: Iterable[tuple[str, float]], firmware: str) -> dict[str, float]:
    """The boot stages of one firmware from (name, median) pairs named `<firmware>.boot.stage...`."""
    prefix = f"{firmware}."
    return {name[len(prefix) :]: value for name, value in summaries if name.startswith(prefix + "boot.stage.")}
