"""The benchmark's comparison with Linux, its regression gate and its charts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferrite_tools import benchreport as br
from ferrite_tools.errors import InvalidData


def test_rows_compare_with_absolute_and_relative_goals() -> None:
    ferrite = {"guest.syscall.null_round_trip": 133.0, "guest.process.fork_exit_wait": 85_000.0}
    linux = {"syscall.null_round_trip": 323.0, "process.fork_exit_wait": 172_000.0}
    rows = {c.row.ferrite: c for c in br.compare(ferrite, linux)}
    syscall = rows["guest.syscall.null_round_trip"]
    assert syscall.ratio == pytest.approx(133 / 323)
    assert syscall.met is True
    fork = rows["guest.process.fork_exit_wait"]
    assert fork.met is True, "85,000 is under half of 172,000"
    assert rows["guest.process.spawn_hello"].met is None, "not measured on either side"


def test_a_relative_goal_needs_linux_and_a_miss_is_marked() -> None:
    ferrite = {"guest.process.spawn_hello": 555_000.0, "guest.file.tmpfs_write_read_4k": 13_235.0}
    without = {c.row.ferrite: c for c in br.compare(ferrite, {})}
    assert without["guest.process.spawn_hello"].met is None
    with_linux = {c.row.ferrite: c for c in br.compare(ferrite, {"process.spawn_hello": 425_000.0})}
    assert with_linux["guest.process.spawn_hello"].met is False
    lines = br.comparison_lines(list(with_linux.values()), "no apt-get here")
    spawn = next(line for line in lines if line.startswith("fork + exec"))
    assert "555,000" in spawn and "425,000" in spawn and "1.31" in spawn and spawn.endswith("NO")
    assert lines[-1] == "(no Linux column: no apt-get here)"


def test_tolerances_follow_how_exact_a_figure_is() -> None:
    assert br.tolerance_for("guest.syscall.null_round_trip") == 0.0
    assert br.tolerance_for("guest.disk.mount") == 5.0
    assert br.tolerance_for("bios.boot.stage.firmware_and_bootloader") == 20.0
    assert br.tolerance_for("bios.boot.stage.banner_to_boot_complete") == 2.0
    assert br.tolerance_for("host.something") is None


def test_only_costs_and_shares_are_gated() -> None:
    figures = {
        "guest.syscall.null_round_trip": (133.0, "inst"),
        "bios.timer.tsc_hz": (1e9, "hz"),
        "bios.boot.wall_to_banner (tcg)": (3.1, "s"),
        "guest.heap.small.ferrite_efficiency_permille": (950.0, "permille"),
    }
    limits = br.gated(figures)
    assert set(limits) == {"guest.syscall.null_round_trip", "guest.heap.small.ferrite_efficiency_permille"}
    assert limits["guest.heap.small.ferrite_efficiency_permille"].higher_is_better


def test_the_gate_names_each_figure_that_got_worse() -> None:
    baseline = {
        "guest.syscall.null_round_trip": br.Limit(133, 0),
        "guest.pipe.ping_pong_round_trip": br.Limit(2_576, 0),
        "bios.boot.stage.firmware_and_bootloader": br.Limit(85_000_000, 20),
        "guest.heap.small.ferrite_efficiency_permille": br.Limit(950, 0, higher_is_better=True),
        "guest.thread.not_measured_this_run": br.Limit(5, 0),
    }
    run = {
        "guest.syscall.null_round_trip": (134.0, "inst"),  # one instruction more: exact, so worse
        "guest.pipe.ping_pong_round_trip": (2_500.0, "inst"),  # better
        "bios.boot.stage.firmware_and_bootloader": (99_000_000.0, "tsc"),  # within 20 %
        "guest.heap.small.ferrite_efficiency_permille": (949.0, "permille"),  # lower share: worse
    }
    verdict = br.check(run, baseline)
    assert not verdict.passed
    assert [line.split(" ")[0] for line in verdict.worse] == [
        "guest.heap.small.ferrite_efficiency_permille",
        "guest.syscall.null_round_trip",
    ]
    assert "rose from 133 to 134" in verdict.worse[1]
    assert verdict.better == ["guest.pipe.ping_pong_round_trip: 2,576 -> 2,500"]
    assert verdict.unknown == []


def test_a_new_figure_must_join_the_baseline() -> None:
    verdict = br.check({"guest.sched.yield_alone": (191.0, "inst")}, {})
    assert not verdict.passed and "not in the baseline" in verdict.unknown[0]


def test_a_run_equal_to_the_baseline_passes() -> None:
    run = {"guest.syscall.null_round_trip": (133.0, "inst"), "bios.boot.kernel_share": (4_700_000.0, "tsc")}
    assert br.check(run, br.gated(run)).passed


def test_the_baseline_file_round_trips_and_keeps_what_a_run_did_not_measure() -> None:
    old = {"guest.thread.spawn_join": br.Limit(40_000, 0), "guest.syscall.null_round_trip": br.Limit(140, 0)}
    new = br.updated(old, {"guest.syscall.null_round_trip": (133.0, "inst")})
    assert new["guest.thread.spawn_join"] == old["guest.thread.spawn_join"]
    assert new["guest.syscall.null_round_trip"].value == 133
    assert br.parse_baseline(br.baseline_json(new)) == new
    # A count read back and written again stays a count, so an update changes only what changed.
    again = br.baseline_json(br.parse_baseline(br.baseline_json(new)))
    assert '"value": 40000,' in again and '"value": 133,' in again
    assert br.whole(2.5) == 2.5


@pytest.mark.parametrize("text", ["", "{}", '{"figures": {"x": {"value": "many"}}}', "[1, 2]"])
def test_a_malformed_baseline_is_refused_by_name(text: str) -> None:
    with pytest.raises(InvalidData, match="bench-baseline.json"):
        br.parse_baseline(text)


def test_the_committed_baseline_is_well_formed() -> None:
    limits = br.parse_baseline(br.BASELINE.read_text())
    assert limits, "the baseline holds figures"
    for name, limit in limits.items():
        assert limit.tolerance_percent == br.tolerance_for(name), name


def test_charts_are_written_as_png_and_svg(tmp_path: Path) -> None:
    compared = br.compare(
        {"guest.syscall.null_round_trip": 133.0, "bios.boot.tsc_at_first_user_instruction": 90e6},
        {"syscall.null_round_trip": 323.0, "boot.tsc_at_first_user_instruction": 6.09e9},
    )
    boots = {
        "bios": {"boot.stage.firmware_and_bootloader": 85e6, "boot.stage.kernel_entry_to_banner": 0.46e6},
        "uefi": {"boot.stage.firmware_and_bootloader": 2.94e9, "boot.stage.init_to_shell_prompt": 0.6e6},
    }
    written = br.write_charts(compared, boots, tmp_path)
    assert sorted(p.name for p in written) == [
        "boot-stages.png",
        "boot-stages.svg",
        "ferrite-vs-linux.png",
        "ferrite-vs-linux.svg",
    ]
    assert all(p.stat().st_size > 1000 for p in written)
    assert (tmp_path / "ferrite-vs-linux.png").read_bytes().startswith(b"\x89PNG")


def test_the_disk_rows_compare_fsync_with_linux_and_show_the_others() -> None:
    ferrite = {"guest.disk.write_fsync_4k": 78_000.0, "guest.disk.seq_read_per_kib": 4_400.0}
    linux = {"disk.write_fsync_4k": 160_000.0, "disk.seq_read_per_kib": 2_800.0}
    rows = {c.row.linux: c for c in br.compare(ferrite, linux)}
    assert rows["disk.write_fsync_4k"].met is True and rows["disk.write_fsync_4k"].row.goal.text() == "<= Linux"
    read = rows["disk.seq_read_per_kib"]
    assert read.met is None and read.ratio == pytest.approx(4_400 / 2_800), "for information: no goal"
    lines = br.comparison_lines(list(rows.values()), None, "mkfs.ext4 was not found")
    assert lines[-1] == "(no Linux disk rows: mkfs.ext4 was not found)"
    read_line = next(line for line in lines if line.startswith("1 MiB read back"))
    assert read_line.split()[-2:] == ["-", "-"]
    assert br.comparison_lines(list(rows.values()), "no apt-get", "ignored")[-1] == "(no Linux column: no apt-get)"
