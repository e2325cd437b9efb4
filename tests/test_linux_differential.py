"""Differential testing: Ferrite's own test programs are static Linux executables, so the host's
Linux runs them too, and the system calls they check must answer there as they answer on Ferrite.

`usertests` runs here with its cases on time, identity, random bytes, limits, usage, symbolic links
and `chown` to one's own ids, whose checks (errors included) hold on any Linux, as root or not
(giving a file to another user is Ferrite's `EPERM` but root's right on Linux, so that case stays
in the guest). `filetests` runs here (on the host, in a scratch working directory) with the cases whose checks
hold on any Linux; the others depend on Ferrite's tree (a read-only `/bin`, `/bin/filetests` to
exec, a 64-descriptor limit, the order a tmpfs lists names in) and are left to the guest. A case
that passes in QEMU and fails here means Ferrite answers differently from Linux."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from ferrite_tools import build, paths
from ferrite_tools.setup import Toolchain

#: Words naming the filetests cases that hold on any Linux (`filetests --quiet WORD...`).
PORTABLE_CASES = (
    "create_write_seek",
    "a_write_past_the_end",
    "append_always",
    "o_trunc_empties",
    "rename_replaces",
    "a_hard_link",
    "chmod_changes",
    "utimensat_sets",
    "statfs_describes",
    "an_unlinked_file",
    "rename_moves_directories",
    "paths_resolve",
    "over_long_names",
    "dup_and_dup2",
    "fcntl_duplicates",
    "a_pipe_carries",
    "writing_to_a_pipe_without_readers",
    "pipes_refuse_seeks",
    "a_ping_pong",
    "two_writers_appending",
)


#: Words naming the usertests cases that hold on any Linux (`usertests --quiet WORD...`).
PORTABLE_USERTESTS = (
    "the_real_time_clock",
    "every_clock_reads",
    "bad_clocks",
    "clock_nanosleep_sleeps",
    "clock_nanosleep_checks",
    "uname_says_linux",
    "the_ids_agree",
    "root_may_become",
    "getrandom_fills",
    "the_random_devices",
    "resource_limits_are",
    "a_lowered_limit",
    "usage_times",
    "a_new_file_is_stamped",
    "sched_getaffinity",
    "symbolic_links_are_followed",
    "symlink_and_readlink_errors",
    "symbolic_link_loops",
    "a_dangling_link",
    "readlink_of_proc_self_exe",
    "chown_to_ones_own_ids",
    "dup3_sets",
    "sendfile_copies",
    "madvise_accepts",
    "mremap_grows",
)


@pytest.fixture(scope="module")
def programs(toolchain: Toolchain) -> dict[str, Path]:
    return {p.name: p for p in build.build_programs(toolchain, verbose=False)}


def case_names(program: str) -> list[str]:
    """The cases of a test program, from its `cases!` list."""
    source = (paths.ROOT / "user" / "programs" / "src" / "bin" / f"{program}.rs").read_text()
    listing = source[source.index("cases![") :]
    return re.findall(r"^\s+(\w+),$", listing[: listing.index("];")], re.MULTILINE)


@pytest.mark.parametrize(("program", "words"), [("filetests", PORTABLE_CASES), ("usertests", PORTABLE_USERTESTS)])
def test_each_portable_word_names_one_case(program: str, words: tuple[str, ...]) -> None:
    names = case_names(program)
    for word in words:
        assert sum(word in name for name in names) == 1, word


def run_quietly(program: Path, words: tuple[str, ...], cwd: Path) -> None:
    """Runs the cases `words` name; `--quiet` prints only the failures, one `# NAME: why` line
    each, and exits 0 if none."""
    process = subprocess.run(
        [str(program), "--quiet", *words], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-500:]


def test_the_portable_file_cases_pass_on_the_hosts_linux(programs: dict[str, Path], tmp_path: Path) -> None:
    run_quietly(programs["filetests"], PORTABLE_CASES, tmp_path)


def test_the_portable_start_up_call_cases_pass_on_the_hosts_linux(programs: dict[str, Path], tmp_path: Path) -> None:
    run_quietly(programs["usertests"], PORTABLE_USERTESTS, tmp_path)


@pytest.fixture(scope="module")
def c_programs() -> dict[str, Path]:
    programs = {p.name: p for p in build.build_c_programs(verbose=False)}
    if not programs:
        pytest.fail("musl-gcc is missing: apt-get install musl-tools (./x.py setup does)")
    return programs


@pytest.mark.parametrize(
    "program", ["sigtests", "polltests", "threadtests", "fstests", "limittests", "locktests", "ipctests", "mmaptests", "proctests"]
)
def test_every_case_of_a_c_test_program_passes_on_the_hosts_linux(
    c_programs: dict[str, Path], program: str, tmp_path: Path
) -> None:
    # The same binaries the guest runs (tests/system/test_user.py): every case holds on Linux.
    process = subprocess.run(
        [str(c_programs[program])], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    failures = [line for line in process.stdout.splitlines() if line.startswith(("not ok", "#"))]
    assert process.returncode == 0 and not failures, "\n".join(failures) + process.stderr[-500:]
    assert "ok 1 " in process.stdout
