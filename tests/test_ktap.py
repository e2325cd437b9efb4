"""The KTAP parser over recorded serial logs: a pass, a failure, crashes, hangs and garbage."""

from __future__ import annotations

from ferrite_tools import ktap
from ferrite_tools.ktap import CaseStatus

from conftest import FIXTURES


def parse_fixture(name: str) -> ktap.Report:
    return ktap.parse((FIXTURES / "ktap" / name).read_bytes().decode("utf-8", errors="replace"))


def test_a_complete_passing_report() -> None:
    report = parse_fixture("pass.log")
    assert report.plan == 3
    assert [c.name for c in report.cases] == ["ferrite::a", "ferrite::b", "ferrite::c"]
    assert [c.status for c in report.cases] == [CaseStatus.OK, CaseStatus.OK, CaseStatus.SKIP]
    assert report.cases[2].skip_reason == "needs two CPUs"
    assert report.complete and report.passed


def test_a_failure_keeps_its_diagnostics() -> None:
    report = parse_fixture("failure.log")
    assert report.complete, "a not-ok line still completes the plan"
    assert not report.passed
    failed = report.cases[1]
    assert failed.status is CaseStatus.NOT_OK
    assert "panicked: assertion `left == right` failed" in failed.diagnostics


def test_output_that_stops_mid_suite_is_incomplete() -> None:
    report = parse_fixture("crash.log")
    assert not report.complete and not report.passed
    assert any("only 1 reported" in p for p in report.problems)
    assert report.trailing_diagnostics == ("test: ferrite::b",)


def test_a_hang_leaves_the_running_test_named() -> None:
    report = parse_fixture("hang.log")
    assert not report.passed
    assert report.trailing_diagnostics[-1] == "test: ferrite::spins_forever"


def test_garbage_around_and_inside_the_report_is_ignored() -> None:
    report = parse_fixture("garbage.log")
    assert [c.name for c in report.cases] == ["ferrite::a", "ferrite::b"]
    assert report.passed


def test_a_restart_is_a_problem_even_if_results_look_fine() -> None:
    report = parse_fixture("restart.log")
    assert not report.passed
    assert any("restarted" in p for p in report.problems)


def test_no_report_at_all() -> None:
    report = parse_fixture("no_report.log")
    assert not report.started and not report.passed and report.cases == ()


def test_out_of_order_and_surplus_results() -> None:
    report = ktap.parse("KTAP version 1\n1..1\nok 2 b\nok 3 c\n")
    assert any("number 2 where 1" in p for p in report.problems)
    assert any("announced 1 tests but 2" in p for p in report.problems)
    assert not report.passed


def test_results_without_a_plan_do_not_pass() -> None:
    report = ktap.parse("KTAP version 1\nok 1 a\n")
    assert report.cases and not report.passed
    assert "no plan line (1..N)" in report.problems


def test_a_zero_test_plan_is_complete() -> None:
    assert ktap.parse("KTAP version 1\n1..0\n").passed
