"""The naming of kernel addresses (ferrite_tools.symbolize), on recorded text: which lines are
looked up, at which address, and how an answer reads. tests/system/test_backtrace.py does it on a
real panic with the real llvm-symbolizer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ferrite_tools import symbolize

#: llvm-symbolizer's answer for three addresses: one with an inlined call, one unknown, one plain.
ANSWER = """\
core::slice::index::get::h0123456789abcdef
/root/.rustup/toolchains/x/lib/rustlib/src/rust/library/core/src/slice/index.rs:12:5
ferrite::fs::read::h00112233aabbccdd
/work/main/kernel/src/fs/mod.rs:40:9

??
??:0

ferrite::panic::rust_begin_unwind
/work/main/kernel/src/panic.rs:45:5

"""


def test_an_answer_is_read_per_address_with_its_inlined_calls() -> None:
    answers = symbolize.parse_answers(ANSWER, 3)
    assert answers[0] == [
        ("core::slice::index::get", "/root/.rustup/toolchains/x/lib/rustlib/src/rust/library/core/src/slice/index.rs:12:5"),
        ("ferrite::fs::read", "/work/main/kernel/src/fs/mod.rs:40:9"),
    ]
    assert answers[1] == [("??", "??:0")]
    assert answers[2] == [("ferrite::panic::rust_begin_unwind", "/work/main/kernel/src/panic.rs:45:5")]
    # A short answer leaves the rest unnamed rather than misaligned.
    assert symbolize.parse_answers("", 2) == [[], []]


def test_frames_are_looked_up_inside_their_call_and_a_trap_at_its_instruction() -> None:
    text = "\n".join(
        [
            "KERNEL PANIC at src/x.rs:1: boom",
            "backtrace (return addresses, innermost first):",
            "  #0 0xffffffff80001005",
            "  #1 0xffffffff80002010",
            "  #2 0x0000000000401000",
            "  RIP 0xffffffff80003000  CS 0x0008  RFLAGS 0x00000002",
        ]
    )
    asked: list[int] = []

    def lookup(elf: Path, addresses: Sequence[int]) -> list[list[tuple[str, str]]]:
        asked.extend(addresses)
        return [
            [("ferrite::a", "/work/main/kernel/src/a.rs:3:1")],
            [("??", "??:0")],
            [("ferrite::trap", "/work/main/kernel/src/t.rs:9:2")],
        ]

    named = symbolize.annotate(text, Path("kernel.elf"), lookup).splitlines()
    # One byte back for return addresses, none for RIP; a user address is not the kernel's.
    assert asked == [0xFFFFFFFF80001004, 0xFFFFFFFF8000200F, 0xFFFFFFFF80003000]
    assert named[2] == "  #0 0xffffffff80001005  ferrite::a at kernel/src/a.rs:3"
    assert named[3] == "  #1 0xffffffff80002010"
    assert named[4] == "  #2 0x0000000000401000"
    assert named[5].endswith("RFLAGS 0x00000002  ferrite::trap at kernel/src/t.rs:9")


def test_inlined_calls_read_innermost_first_and_paths_start_at_a_known_root() -> None:
    frames = symbolize.parse_answers(ANSWER, 1)[0]
    assert symbolize.annotate(
        "  #0 0xffffffff80001001", Path("k"), lambda _elf, _addresses: [frames]
    ) == (
        "  #0 0xffffffff80001001  core::slice::index::get at library/core/src/slice/index.rs:12"
        " <- inlined into ferrite::fs::read at kernel/src/fs/mod.rs:40"
    )
    registry = "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/bootloader_api-0.11.9/src/lib.rs"
    assert symbolize.short_path(registry) == "bootloader_api-0.11.9/src/lib.rs"
    assert symbolize.short_path("/elsewhere/x.rs") == "/elsewhere/x.rs"


def test_text_without_addresses_is_left_alone() -> None:
    def lookup(elf: Path, addresses: Sequence[int]) -> list[list[tuple[str, str]]]:
        raise AssertionError("nothing to look up")

    text = "ok 1 heap::works\n# RIPE apples 0x12"
    assert not symbolize.has_addresses(text)
    assert symbolize.annotate(text, Path("k"), lookup) == text
