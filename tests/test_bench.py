"""The benchmark's parsing of `BENCH` lines (measurements.py) and its summaries, and its Linux column."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferrite_tools import bench, peer
from ferrite_tools.measurements import Measurement, parse_lines, summarise
from ferrite_tools.setup import Toolchain


def test_parses_bench_lines_among_other_output() -> None:
    log = "\n".join(
        [
            "BENCH boot.tsc_at_banner=137512345 unit=tsc\r",
            "Ferrite 0.1.0 (x86_64), booted by bootloader 0.11.9 via Bios",
            "  BENCH timer.hz=1000000000 unit=hz  ",
        ]
    )
    assert parse_lines(log) == [
        Measurement("boot.tsc_at_banner", 137512345, "tsc"),
        Measurement("timer.hz", 1_000_000_000, "hz"),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "BENCH boot.tsc_at_banner=-5 unit=tsc",  # negative: the kernel only reports u64
        "BENCH boot.tsc_at_banner=12 unit=tsc trailing",
        "BENCH boot.tsc_at_banner=12",  # no unit
        "BENCHboot=1 unit=tsc",
        "echo BENCH boot=1 unit=tsc",  # not at the start of the line
        "BENCH boot=0x10 unit=tsc",
    ],
)
def test_ignores_malformed_lines(line: str) -> None:
    assert parse_lines(line) == []


def test_summary_reports_median_and_spread() -> None:
    summary = summarise("bios.boot", "tsc", [100, 102, 101])
    assert summary.median == 101
    assert summary.spread_percent == pytest.approx(100 * 2 / 101)
    assert "101" in summary.row() and "spread 1.98%" in summary.row()


def test_exactly_repeatable_figure_has_no_spread() -> None:
    assert summarise("uefi.boot", "tsc", [7, 7, 7]).spread_percent == 0.0


def test_a_figure_with_no_runs_is_an_error() -> None:
    with pytest.raises(ValueError):
        summarise("never", "tsc", [])


def test_the_boot_stages_come_from_the_milestones() -> None:
    measured = [
        Measurement("boot.tsc_at_kernel_entry", 90_000_000, "tsc"),
        Measurement("boot.tsc_at_banner", 90_500_000, "tsc"),
        Measurement("timer.tsc_hz", 1_000_000_000, "hz"),
        Measurement("boot.tsc_at_boot_complete", 94_000_000, "tsc"),
        Measurement("boot.tsc_at_first_user_instruction", 94_010_000, "tsc"),
        Measurement("boot.tsc_at_shell_prompt", 94_600_000, "tsc"),
    ]
    found = {m.name: m.value for m in bench.stages(measured)}
    assert found == {
        "boot.stage.firmware_and_bootloader": 90_000_000,
        "boot.stage.kernel_entry_to_banner": 500_000,
        "boot.stage.banner_to_boot_complete": 3_500_000,
        "boot.stage.boot_complete_to_init": 10_000,
        "boot.stage.init_to_shell_prompt": 590_000,
        "boot.kernel_share": 4_600_000,
        "boot.reset_to_shell_prompt": 94_600_000,
    }


def test_a_boot_without_a_shell_has_only_the_stages_it_reached() -> None:
    measured = [
        Measurement("boot.tsc_at_kernel_entry", 10, "tsc"),
        Measurement("boot.tsc_at_banner", 15, "tsc"),
    ]
    assert [m.name for m in bench.stages(measured)] == [
        "boot.stage.firmware_and_bootloader",
        "boot.stage.kernel_entry_to_banner",
    ]


def test_a_linux_peer_that_cannot_run_is_a_note_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """peer.py raises `PeerUnavailable`; the benchmark's Linux column is then empty, with why."""

    def unavailable(*_: object, **__: object) -> peer.LinuxRun:
        raise peer.PeerUnavailable("apt-get was not found")

    monkeypatch.setattr(peer, "linux_run", unavailable)
    tc = Toolchain("rustup", Path("/r/bin"), Path("/r"))
    assert bench.linux_column(tc, runs=2, verbose=False) == bench.LinuxColumn({}, "apt-get was not found")


def test_a_linux_run_without_disk_rows_keeps_the_others_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = iter(
        [
            peer.LinuxRun([Measurement("syscall.null_round_trip", 320, "instructions")], 1.0, Path("a.log"), None),
            peer.LinuxRun(
                [Measurement("syscall.null_round_trip", 330, "instructions")],
                1.0,
                Path("b.log"),
                "mkfs.ext4 was not found",
            ),
        ]
    )
    monkeypatch.setattr(peer, "linux_run", lambda *_, **__: next(runs))
    tc = Toolchain("rustup", Path("/r/bin"), Path("/r"))
    column = bench.linux_column(tc, runs=2, verbose=False)
    assert column == bench.LinuxColumn({"syscall.null_round_trip": 325}, None, "mkfs.ext4 was not found")
