"""The benchmark's parsing of `BENCH` lines and its summaries."""

from __future__ import annotations

import pytest

from ferrite_tools import bench


def test_parses_bench_lines_among_other_output() -> None:
    log = "\n".join(
        [
            "BENCH boot.tsc_at_banner=137512345 unit=tsc\r",
            "Ferrite 0.1.0 (x86_64), booted by bootloader 0.11.9 via Bios",
            "  BENCH timer.hz=1000000000 unit=hz  ",
        ]
    )
    assert bench.parse_lines(log) == [
        bench.Measurement("boot.tsc_at_banner", 137512345, "tsc"),
        bench.Measurement("timer.hz", 1_000_000_000, "hz"),
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
    assert bench.parse_lines(line) == []


def test_summary_reports_median_and_spread() -> None:
    summary = bench.summarise("bios.boot", "tsc", [100, 102, 101])
    assert summary.median == 101
    assert summary.spread_percent == pytest.approx(100 * 2 / 101)
    assert "101" in summary.row() and "spread 1.98%" in summary.row()


def test_exactly_repeatable_figure_has_no_spread() -> None:
    assert bench.summarise("uefi.boot", "tsc", [7, 7, 7]).spread_percent == 0.0


def test_a_figure_with_no_runs_is_an_error() -> None:
    with pytest.raises(ValueError):
        bench.summarise("never", "tsc", [])


def test_the_shell_prompt_milestone_is_read_from_proc_boot() -> None:
    output = "/ $ cat /proc/boot\r\ninit_started_tsc 151000000\r\nfirst_terminal_read_tsc 163500000\r\n/ $ "
    assert bench.prompt_milestone(output.replace("\r", "")) == bench.Measurement("boot.tsc_at_shell_prompt", 163500000, "tsc")
    assert bench.prompt_milestone("first_terminal_read_tsc 0\n") is None
    assert bench.prompt_milestone("no milestones here") is None
