"""Names for the kernel's addresses: a backtrace's return addresses and a trap's RIP, turned into
functions, files and lines.

The kernel prints addresses only (it carries no symbol table: see kernel/src/panic.rs). The
kernel's ELF file on the host has the rest: its symbols and, in its DWARF debug information,
the line table that maps every instruction to a file and line. Reading DWARF is a job for a
library made for it, and LLVM's `llvm-symbolizer` is that library's command-line face: it takes
addresses on standard input and answers a function and `file:line:column` for each, inlined
calls included, fast enough for a kernel of 30 MB. It comes with LLVM 19, which the toolchain
installs anyway (`./x.py setup`).

A return address is the instruction *after* a call, which may belong to the next line (or, after
a call that never returns, to the next function), so each is looked up one byte earlier: inside
the call instruction, whose line is the line that made the call. A trap's RIP is the faulting
instruction itself and is looked up as it is.

`annotate` is pure apart from the one `llvm-symbolizer` run (tests/test_symbolize.py feeds it
recorded output); the harness, `./x.py run` and `./x.py test` call it on the logs they show.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from ferrite_tools.setup import LLVM_BIN

#: A frame of a backtrace: `  #3 0xffffffff8001a2b4` (see kernel/src/panic.rs).
FRAME = re.compile(r"^(?P<lead>\s*#\d+ )(?P<address>0x[0-9a-f]{16})\s*$")
#: A trap diagnostic's instruction pointer: `  RIP 0xffffffff8001a2b4  CS ...`.
TRAP_RIP = re.compile(r"\bRIP (?P<address>0x[0-9a-f]{16})\b")
#: The kernel's half of the address space: only those addresses are the kernel's code.
KERNEL_HALF = 0xFFFF_8000_0000_0000
#: The hash a legacy-mangled Rust name ends with (`::h0123456789abcdef`), noise to a reader.
RUST_HASH = re.compile(r"::h[0-9a-f]{16}$")

#: Looks addresses up in an ELF file: one answer per address, each a list of (function,
#: location) pairs, the innermost inlined call first.
Lookup = Callable[[Path, Sequence[int]], list[list[tuple[str, str]]]]


def find_symbolizer() -> Path | None:
    """LLVM's symbolizer: LLVM 19's (what `./x.py setup` installs), or any on PATH."""
    for candidate in (LLVM_BIN / "llvm-symbolizer", shutil.which("llvm-symbolizer-19"), shutil.which("llvm-symbolizer")):
        if candidate is not None and Path(candidate).exists():
            return Path(candidate)
    return None


def parse_answers(output: str, count: int) -> list[list[tuple[str, str]]]:
    """`llvm-symbolizer`'s output for `count` addresses: blocks separated by an empty line, each
    a function line and a location line per (inlined) frame."""
    blocks = output.strip("\n").split("\n\n") if output.strip() else []
    answers = []
    for block in blocks[:count]:
        lines = block.splitlines()
        frames = []
        for function, location in zip(lines[0::2], lines[1::2]):
            frames.append((RUST_HASH.sub("", function.strip()), location.strip()))
        answers.append(frames)
    return answers + [[] for _ in range(count - len(answers))]


def llvm_lookup(symbolizer: Path) -> Lookup:
    """A [`Lookup`] that runs `symbolizer` once for all the addresses."""

    def lookup(elf: Path, addresses: Sequence[int]) -> list[list[tuple[str, str]]]:
        if not addresses:
            return []
        process = subprocess.run(
            [str(symbolizer), f"--obj={elf}", "--demangle", "--functions=linkage", "--inlining"],
            input="".join(f"{address:#x}\n" for address in addresses),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return parse_answers(process.stdout, len(addresses))

    return lookup


def _name(frames: list[tuple[str, str]]) -> str | None:
    """How a looked-up address reads: `function at file:line`, then the calls it was inlined
    into."""
    parts = []
    for function, location in frames:
        if function == "??":
            continue
        # `path:line:column` (the column is noise here); `??:0` when there is no line.
        where = location.rsplit(":", 1)[0] if location.count(":") >= 2 else location
        parts.append(f"{function} at {short_path(where)}")
    return " <- inlined into ".join(parts) if parts else None


#: Where a source path starts to be worth showing: the repository's folders, or the standard
#: library's sources.
_PATH_ROOTS = ("/kernel/", "/crates/", "/rustlib/src/rust/")


#: A crate's sources in Cargo's registry: `.../registry/src/index.crates.io-HASH/NAME-VERSION/...`.
_REGISTRY = re.compile(r"/registry/src/[^/]+/(?P<rest>.*)$")


def short_path(path: str) -> str:
    """A source path from the repository's (or the standard library's, or a crate's) root, where
    it has one."""
    registry = _REGISTRY.search(path)
    if registry is not None:
        return registry["rest"]
    for root in _PATH_ROOTS:
        at = path.find(root)
        if at >= 0:
            keep = at + len(root) if root == "/rustlib/src/rust/" else at + 1
            return path[keep:]
    return path


def has_addresses(text: str) -> bool:
    """Whether `text` holds a backtrace frame or a trap's RIP to name."""
    return any(FRAME.match(line) or TRAP_RIP.search(line) for line in text.split("\n"))


def annotate(text: str, elf: Path, lookup: Lookup | None = None) -> str:
    """`text` with a name after every backtrace frame and trap RIP of the kernel's half that the
    ELF file knows. Without a symbolizer, `text` unchanged."""
    if lookup is None:
        symbolizer = find_symbolizer()
        if symbolizer is None:
            return text
        lookup = llvm_lookup(symbolizer)
    lines = text.split("\n")
    wanted: list[tuple[int, int]] = []  # (line index, address to look up)
    for index, line in enumerate(lines):
        frame = FRAME.match(line)
        if frame is not None:
            address = int(frame["address"], 16)
            if address >= KERNEL_HALF:
                wanted.append((index, address - 1))  # inside the call (see the module notes)
            continue
        rip = TRAP_RIP.search(line)
        if rip is not None and int(rip["address"], 16) >= KERNEL_HALF:
            wanted.append((index, int(rip["address"], 16)))
    if not wanted:
        return text
    answers = lookup(elf, [address for _, address in wanted])
    for (index, _), frames in zip(wanted, answers):
        name = _name(frames)
        if name is not None:
            lines[index] = f"{lines[index].rstrip()}  {name}"
    return "\n".join(lines)
