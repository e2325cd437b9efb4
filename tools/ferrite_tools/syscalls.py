"""The Linux system calls Ferrite implements, read from the source: the numbers and one-line
descriptions in the `abi` crate (crates/abi/src/nr.rs) and the calls the kernel's dispatcher
answers (kernel/src/proc/syscall.rs). The book's table of system calls is made from this, when
the book is built, so it can never disagree with the kernel."""

from __future__ import annotations

import dataclasses
import re

from ferrite_tools import paths

#: Where the numbers and their descriptions are.
NUMBERS = paths.ROOT / "crates" / "abi" / "src" / "nr.rs"
#: Where the kernel answers them.
DISPATCHER = paths.ROOT / "kernel" / "src" / "proc" / "syscall.rs"

#: One constant of nr.rs's `numbers!` list: its doc comment, then `NAME = NUMBER,`.
_CONSTANT = re.compile(r"((?:[ \t]*///[^\n]*\n)+)[ \t]*([A-Z0-9_]+) = (\d+),")


@dataclasses.dataclass(frozen=True)
class Call:
    """One system call: Linux's number, its name as C knows it, and what it does."""

    number: int
    name: str
    summary: str


def defined() -> dict[str, Call]:
    """Every constant of the abi crate's `numbers!` list, by its upper-case name."""
    text = NUMBERS.read_text()
    block = text[text.index("numbers! {") :]
    calls = {}
    for doc, name, number in _CONSTANT.findall(block):
        summary = " ".join(line.strip().removeprefix("///").strip() for line in doc.strip().splitlines())
        calls[name] = Call(int(number), name.lower(), summary)
    return calls


def dispatched() -> set[str]:
    """The upper-case names of the calls the dispatcher (`handle` and `dispatch`) answers."""
    text = DISPATCHER.read_text()
    start = text.index("pub fn handle(")
    end = text.index("\n}\n", text.index("fn dispatch("))
    return set(re.findall(r"nr::([A-Z0-9_]+)", text[start:end]))


def implemented() -> list[Call]:
    """The calls Ferrite implements, by number. A name the dispatcher uses but nr.rs lacks would
    not compile, so every one is found."""
    calls = defined()
    return sorted((calls[name] for name in dispatched() if name in calls), key=lambda c: c.number)


def markdown_table() -> str:
    """The table the book shows: number, name, what it does."""
    rows = ["| number | call | what it does |", "|---:|---|---|"]
    rows += [f"| {c.number} | `{c.name}` | {c.summary} |" for c in implemented()]
    return "\n".join(rows)
