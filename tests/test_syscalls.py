"""The book's table of system calls is made from the source (tools/ferrite_tools/syscalls.py):
these tests check that the reading is right, so the table is."""

from __future__ import annotations

from ferrite_tools import paths, syscalls


def test_every_call_the_dispatcher_answers_has_a_number_and_a_description() -> None:
    defined = syscalls.defined()
    missing = syscalls.dispatched() - set(defined)
    assert not missing, f"dispatched but not in nr.rs: {sorted(missing)}"
    for name in syscalls.dispatched():
        assert defined[name].summary, name


def test_the_table_has_the_calls_a_learner_would_look_for() -> None:
    calls = {call.name: call.number for call in syscalls.implemented()}
    # Linux's numbers, from unistd_64.h.
    expected = {"read": 0, "write": 1, "fork": 57, "execve": 59, "rt_sigaction": 13, "poll": 7, "exit_group": 231}
    # The file calls of issue 23 §5.
    expected |= {"symlink": 88, "readlink": 89, "chown": 92, "fchown": 93, "lchown": 94, "fchownat": 260}
    expected |= {"symlinkat": 266, "readlinkat": 267}
    expected |= {"mremap": 25, "madvise": 28, "sendfile": 40, "dup3": 292, "rseq": 334}
    for name, number in expected.items():
        assert calls.get(name) == number, name
    assert "uselib" not in calls, "a call Ferrite does not answer is not listed"


def test_the_table_is_in_number_order_with_one_row_per_call() -> None:
    table = syscalls.markdown_table().splitlines()
    rows = table[2:]
    assert len(rows) == len(syscalls.implemented()) >= 90
    numbers = [int(row.split("|")[1]) for row in rows]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_the_book_asks_for_the_table() -> None:
    page = (paths.ROOT / "docs" / "system-calls.md").read_text()
    assert "<!-- system-calls -->" in page
    assert "system-calls.md" in (paths.ROOT / "mkdocs.yml").read_text()
