"""A kernel panic's backtrace, named by the host's tools: the test kernel kernel/tests/backtrace.rs
panics three calls deep (`outer` calls `middle` calls `inner`), and the log the harness keeps must
name those three functions, innermost first, at the lines of that file that made each call.

Two halves are checked at once: the kernel's walk of its frame pointers (crates/framewalk; a
broken walk prints no frames, or stops early) and the host's lookup of the addresses in the
kernel's debug information (ferrite_tools.symbolize; a lookup of the return address itself
rather than of the call before it would name the wrong lines)."""

from __future__ import annotations

import re

from ferrite_tools import build, harness, image, paths, symbolize
from ferrite_tools.qemu import Accel, Firmware
from ferrite_tools.results import Status
from ferrite_tools.setup import Toolchain

#: The calls of kernel/tests/backtrace.rs, innermost first: the function and the line in that
#: file where it panicked or made the next call.
EXPECTED = [("backtrace::inner", "panic!"), ("backtrace::middle", "inner();"), ("backtrace::outer", "middle();")]


#: A backtrace frame's line, named or not.
FRAME_LINE = re.compile(r"^\s*#(\d+) 0x[0-9a-f]{16}")


def source_line(text: str) -> int:
    """The line of kernel/tests/backtrace.rs that holds `text` (1-based)."""
    lines = (paths.KERNEL_DIR / "tests" / "backtrace.rs").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def test_a_panic_names_its_calls_innermost_first(toolchain: Toolchain, accel: Accel) -> None:
    assert symbolize.find_symbolizer() is not None, "llvm-symbolizer is missing: ./x.py setup installs LLVM 19"
    (kernel,) = build.build_test_kernels(toolchain, verbose=False, only="backtrace")
    ramdisk = image.build_ramdisk(toolchain, verbose=False, out=image.TEST_RAMDISK, only=image.TEST_KERNEL_PROGRAMS)
    images = image.make_images(toolchain, kernel.elf, "test-backtrace", {Firmware.BIOS}, ramdisk)
    results = harness.run_kernel_test(kernel, images, Firmware.BIOS, accel=accel, ovmf=None)
    assert [r.status for r in results] == [Status.PASS], [r.detail for r in results]
    assert results[0].log is not None
    log = results[0].log.read_text(errors="replace")
    frames = [line for line in log.splitlines() if FRAME_LINE.match(line)]
    named = [line for line in frames if " at " in line]
    assert len(named) >= len(EXPECTED), log[-2000:]
    wanted = [f"{function} at kernel/tests/backtrace.rs:{source_line(text)}" for function, text in EXPECTED]
    found = [w for line in named for w in wanted if line.endswith(w)]
    assert found == wanted, "\n".join(frames)
    # The frames are numbered from 0 with no gap, and the calls come in order.
    numbers = [int(match[1]) for match in map(FRAME_LINE.match, frames) if match]
    assert numbers == list(range(len(numbers))), frames
