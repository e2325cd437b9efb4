"""User space, end to end: programs from the ramdisk run in ring 3 under the kernel console's
`run`, print through system calls, and end with a status; each kind of crash ends only the
program that crashed, with one line naming it; `ps` and `kill` see and end processes.

All checks share one booted machine, as the console tests do.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from consolelib import PROMPT, Console, boot, boot_uefi

from ferrite_tools import build, image, ktap, paths
from ferrite_tools.qemu import Accel, Firmware
from ferrite_tools.waits import Waits


@pytest.fixture(scope="module")
def console(
    kernel_images: image.Images, accel: Accel, waits: Waits, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    machine, socket = boot(kernel_images, accel, tmp_path_factory.mktemp("user"), "user")
    with machine:
        assert machine.wait_for(PROMPT, waits.boot), machine.tail()
        yield Console(machine, socket, waits)


#: The fewest cases `usertests` must report (it grows with each system call).
USERTESTS_MINIMUM = 74


def test_init_runs_as_process_1_and_no_kill_ends_it(console: Console) -> None:
    # Under the kernel console init says nothing: its line once landed on the `ferrite>` prompt.
    assert "init: pid 1 running" not in console.machine.output
    init = r"^\s+1\s+0\s+1\s+\d+\s+init\s+(sleeping|ready|running|blocked)\s+\d+\s+\d+ ms$"
    assert re.search(init, console.run("ps"), re.MULTILINE)
    assert "kill: process 1 is init, which no signal ends" in console.run("kill 1")
    assert re.search(init, console.run("ps"), re.MULTILINE)


def test_init_s_thread_is_protected_as_init_is(console: Console) -> None:
    """`kill TID` of init's thread once stopped the thread alone: init became a zombie with no
    thread, and orphans were no longer collected."""
    row = re.compile(r"^\s+1\s+0\s+(\d+)\s+(\d+)\s+init\s+(\S+)", re.MULTILINE)
    match = row.search(console.run("ps"))
    assert match, console.run("ps")
    tid = match.group(2)
    assert f"thread {tid} runs init (process 1), which no signal ends" in console.run(f"kill {tid}")
    after = row.search(console.run("ps"))
    assert after and after.group(1) == "1" and after.group(3) != "zombie", console.run("ps")


def test_cpu_shows_the_protections_on(console: Console) -> None:
    # QEMU runs with -cpu max, which emulates all three.
    assert "protections: SMEP on, SMAP on, UMIP on" in console.run("cpu")


def program_cases(program: str) -> list[str]:
    """The names of a test program's cases, in order, read from its source (its `cases!` list)."""
    source = (paths.ROOT / "user" / "programs" / "src" / "bin" / f"{program}.rs").read_text()
    listing = source[source.index("cases![") :]
    return re.findall(r"^\s+(\w+),$", listing[: listing.index("];")], re.MULTILINE)


def run_test_program(console: Console, program: str) -> tuple[str, ktap.Report]:
    """One run of a KTAP test program: what the console printed, and its report."""
    reply = console.run_slow(f"run {program}", 120.0)
    return reply, ktap.parse(reply)


def check_complete_run(program: str, run: tuple[str, ktap.Report], minimum: int) -> None:
    reply, report = run
    assert report.complete, f"{report.problems}\n{reply[-2000:]}"
    assert len(report.cases) >= minimum
    assert [case.name for case in report.cases] == program_cases(program)
    assert re.search(rf"\[{program}: pid \d+ exited with status 0\]", reply), reply[-500:]


def check_case(program: str, run: tuple[str, ktap.Report], case: str) -> None:
    # Each case of a user-space suite is a result of its own here, as a kernel test's are.
    _, report = run
    found = [c for c in report.cases if c.name == case]
    assert found, f"{program} did not report {case}"
    assert found[0].status is ktap.CaseStatus.OK, " ".join(found[0].diagnostics)


@pytest.fixture(scope="module")
def usertests(console: Console) -> tuple[str, ktap.Report]:
    return run_test_program(console, "usertests")


def test_usertests_reports_a_complete_run(console: Console, usertests: tuple[str, ktap.Report]) -> None:
    check_complete_run("usertests", usertests, USERTESTS_MINIMUM)
    # The one call it makes that Ferrite lacks is named once, in the kernel log and not in the
    # program's output, so a learner who looks (`dmesg`) sees what it wanted.
    assert "is not implemented" not in usertests[0]
    found = re.findall(r"pid \d+ \(usertests\): system call 134 \(uselib\) is not implemented; it returns ENOSYS", console.run("dmesg"))
    assert len(found) == 1, found


@pytest.mark.parametrize("case", program_cases("usertests"))
def test_usertests_case(usertests: tuple[str, ktap.Report], case: str) -> None:
    check_case("usertests", usertests, case)


def c_program_cases(program: str) -> list[str]:
    """The cases of a C test program in user/c/, in order, from its `CASE(name)` table."""
    source = (paths.ROOT / "user" / "c" / f"{program}.c").read_text()
    return re.findall(r"^\s+CASE\((\w+)\),$", source, re.MULTILINE)


#: KTAP test programs in C (user/c/), built with musl-gcc and run unchanged; each also passes
#: on the host's Linux (tests/test_linux_differential.py).
C_TEST_PROGRAMS = ("sigtests", "polltests", "threadtests", "fstests", "limittests", "locktests", "ipctests", "mmaptests", "proctests")


@pytest.fixture(scope="module")
def c_test_run(console: Console) -> Callable[[str], tuple[str, ktap.Report]]:
    # One run of each program, on first use, shared by its cases.
    runs: dict[str, tuple[str, ktap.Report]] = {}

    def run(program: str) -> tuple[str, ktap.Report]:
        if program not in runs:
            reply = console.run_slow(f"run {program}", 120.0)
            runs[program] = (reply, ktap.parse(reply))
        return runs[program]

    return run


@pytest.mark.parametrize("program", C_TEST_PROGRAMS)
def test_a_c_test_program_reports_a_complete_run(c_test_run: Callable[[str], tuple[str, ktap.Report]], program: str) -> None:
    reply, report = c_test_run(program)
    assert report.complete, f"{report.problems}\n{reply[-2000:]}"
    assert [case.name for case in report.cases] == c_program_cases(program)
    assert re.search(rf"\[{program}: pid \d+ exited with status 0\]", reply), reply[-500:]


@pytest.mark.parametrize(("program", "case"), [(p, c) for p in C_TEST_PROGRAMS for c in c_program_cases(p)])
def test_c_test_program_case(c_test_run: Callable[[str], tuple[str, ktap.Report]], program: str, case: str) -> None:
    check_case(program, c_test_run(program), case)


def test_signals_and_waits_give_back_every_frame(console: Console, c_test_run: Callable[[str], tuple[str, ktap.Report]]) -> None:
    # Frames for handlers, alternate stacks, forked children, timers, pollers: after a first run
    # of each (which warmed the heap's slabs up), a second leaves memory as the first left it.
    for program in C_TEST_PROGRAMS:
        c_test_run(program)
    frames, blocks = free_frames(console), heap_blocks(console)
    for program in C_TEST_PROGRAMS:
        reply = console.run_slow(f"run {program}", 120.0)
        assert ktap.parse(reply).passed, reply[-1500:]
    assert free_frames(console) == frames, "the C test programs leaked frames"
    assert heap_blocks(console) == blocks, "the C test programs leaked kernel heap blocks"


#: The fewest cases `filetests` must report.
FILETESTS_MINIMUM = 21


@pytest.fixture(scope="module")
def filetests(console: Console) -> tuple[str, ktap.Report]:
    return run_test_program(console, "filetests")


def test_filetests_reports_a_complete_run(filetests: tuple[str, ktap.Report]) -> None:
    check_complete_run("filetests", filetests, FILETESTS_MINIMUM)


@pytest.mark.parametrize("case", program_cases("filetests"))
def test_filetests_case(filetests: tuple[str, ktap.Report], case: str) -> None:
    check_case("filetests", filetests, case)


def test_files_pipes_and_descriptors_are_all_given_back(console: Console, filetests: tuple[str, ktap.Report]) -> None:
    # The fixture's run warmed the heap's slabs up; a second run must leave every frame and
    # every kernel heap block as it found them: ten thousand tmpfs files, pipes, descriptors.
    frames, blocks = free_frames(console), heap_blocks(console)
    reply, report = run_test_program(console, "filetests")
    assert report.passed, reply[-1500:]
    assert free_frames(console) == frames, "filetests leaked frames"
    assert heap_blocks(console) == blocks, "filetests leaked kernel heap blocks"


def test_hello_prints_from_ring_3_and_exits_with_status_0(console: Console) -> None:
    reply = console.run("run hello")
    assert re.search(r"Hello from ring 3! I am process (\d+)\.", reply), reply
    assert re.search(r"\[hello: pid \d+ exited with status 0\]", reply), reply


def test_arguments_reach_the_program_on_the_start_up_stack(console: Console) -> None:
    reply = console.run("run args first  second third")
    assert "argc=4\n" in reply, reply
    for i, word in enumerate(["args", "first", "second", "third"]):
        assert f"argv[{i}]={word}\n" in reply, reply


#: Each crash kind, the exception the kernel must name, and the signal the program dies of.
CRASHES = [
    ("null", r"page fault \(#PF\) at 0x[0-9a-f]+, not present, write, user mode, data access at 0x0;", "SIGSEGV"),
    ("kernel", r"page fault \(#PF\) at 0x[0-9a-f]+, protection violation, read, user mode, data access at 0xffffffff80000000;", "SIGSEGV"),
    ("nx", r"page fault \(#PF\) at (0x[0-9a-f]+), protection violation, read, user mode, instruction fetch at \1;", "SIGSEGV"),
    ("ud2", r"invalid opcode \(#UD\) at 0x[0-9a-f]+;", "SIGILL"),
    ("divide", r"divide error \(#DE\) at 0x[0-9a-f]+;", "SIGFPE"),
    ("hlt", r"general protection fault \(#GP\) at 0x[0-9a-f]+;", "SIGSEGV"),
    ("cli", r"general protection fault \(#GP\) at 0x[0-9a-f]+;", "SIGSEGV"),
    ("stack", r"page fault \(#PF\) at 0x[0-9a-f]+, not present, write, user mode, data access at 0x[0-9a-f]+ \(the stack's guard page: a stack overflow\);", "SIGSEGV"),
    ("wild", r"general protection fault \(#GP\) at 0x8000000000000000;", "SIGSEGV"),
    # -cpu max has UMIP, so even reading the GDT's address is refused in ring 3.
    ("sgdt", r"general protection fault \(#GP\) at 0x[0-9a-f]+;", "SIGSEGV"),
]


@pytest.mark.parametrize(("kind", "diagnostic", "signal"), CRASHES, ids=[c[0] for c in CRASHES])
def test_each_crash_ends_only_that_program_with_one_line(console: Console, kind: str, diagnostic: str, signal: str) -> None:
    reply = console.run(f"run crash {kind}")
    pid = re.search(r"pid (\d+) \(crash\): ", reply)
    assert pid, reply
    assert re.search(rf"pid {pid.group(1)} \(crash\): {diagnostic} killed \({signal}\)", reply), reply
    assert re.search(rf"\[crash: pid {pid.group(1)} killed by signal \d+ \({signal}\)\]", reply), reply
    assert "PANIC" not in reply
    assert "still here\n" in console.run("echo still here")


def test_a_bad_crash_kind_prints_usage_and_exits_2(console: Console) -> None:
    reply = console.run("run crash lightning")
    assert "usage: crash KIND" in reply
    assert re.search(r"\[crash: pid \d+ exited with status 2\]", reply), reply


def test_a_missing_program_is_a_clear_error(console: Console) -> None:
    assert "run: /bin/nosuch: no such program" in console.run("run nosuch")
    assert "run: missing argument, expected a program name" in console.run("run")


def test_a_spinning_program_does_not_starve_the_console_and_kill_ends_it(console: Console) -> None:
    started = console.run("run spin &")
    match = re.search(r"\[spin: pid (\d+) started in the background\]", started)
    assert match, started
    pid = match.group(1)
    # The console answers while the program burns CPU in ring 3: the timer preempts it.
    for _ in range(3):
        assert "responsive\n" in console.run("echo responsive")
    listing = console.run("ps")
    # Preempted while the console runs `ps`, it is ready (or running, if `ps` itself was preempted).
    row = rf"^\s+{pid}\s+0\s+1\s+\d+\s+spin\s+(ready|running)\s+\d+\s+\d+ ms$"
    assert re.search(row, listing, re.MULTILINE), listing
    killed = console.run(f"kill {pid}")
    assert f"kill: process {pid} is ended" in killed
    # The end is reported before the next prompt once the program has stopped (which may
    # already be before the prompt after `kill`).
    reply = killed + console.run("echo after") + console.run("echo again")
    assert re.search(rf"\[spin: pid {pid} killed by signal 9 \(SIGKILL\)\]", reply), reply
    assert not re.search(rf"^\s+{pid}\s", console.run("ps"), re.MULTILINE), "the process is gone"


def free_frames(console: Console) -> int:
    """The free frame count `mem` reports, plus the frames the kernel heap has mapped (which it
    keeps once mapped), after `ps` has joined the ended programs' threads."""
    console.run("ps")
    reply = console.run("mem")
    free = re.search(r"frames: .*?(\d+) free", reply)
    heap = re.search(r"heap: (\d+) KiB mapped", reply)
    assert free and heap, f"mem reports free frames and the heap:\n{reply}"
    return int(free.group(1)) + int(heap.group(1)) // 4


def test_a_thousand_fork_exit_wait_cycles_leave_every_frame(console: Console) -> None:
    # Warm up with the same run: a hundred processes at once make the kernel map the page tables
    # of up to all 128 thread-stack slots, and its heap grow, and it keeps both for later.
    console.run_slow("run forktest 1000", 120.0)
    before = free_frames(console)
    reply = console.run_slow("run forktest 1000", 120.0)
    assert "forktest: 1000 children forked, exited and collected" in reply, reply[-800:]
    assert "forktest: the child wrote 9, the parent still sees 7" in reply, reply[-800:]
    assert re.search(r"\[forktest: pid \d+ exited with status 0\]", reply), reply[-500:]
    assert free_frames(console) == before, "1000 forks leaked frames"


def test_running_programs_returns_every_frame(console: Console) -> None:

    console.run("run hello")  # warm up: the heap and page tables the console itself needs
    before = free_frames(console)
    for _ in range(20):
        console.run("run hello")
        console.run("run crash null")
    assert free_frames(console) == before, "twenty programs and twenty crashes leaked frames"


def test_a_static_c_program_built_with_musl_runs_unchanged(console: Console) -> None:
    # user/c/hello-musl.c knows nothing of Ferrite; ./x.py builds it with `musl-gcc -static`.
    assert shutil.which("musl-gcc"), "musl-gcc is missing: apt-get install musl-tools (./x.py setup does)"
    reply = console.run("trace hello-musl one")
    assert "Hello from C, built with musl-gcc -static: hello-musl with 1 argument(s)\n" in reply, reply
    assert re.search(r"\[hello-musl: pid \d+ exited with status 0\]", reply), reply
    # Every system call it made, in order, as the trace names them.
    calls = re.findall(r"^\[pid \d+\] (\w+)\(", reply, re.MULTILINE)
    assert calls == MUSL_HELLO_CALLS, calls


#: What musl's start-up, stdio and exit ask of the kernel for a hello world (see
#: ../shared/LINUX_ABI.md): the thread pointer, the thread id, "is stdout a terminal?", the
#: output, the exit.
MUSL_HELLO_CALLS = ["arch_prctl", "set_tid_address", "ioctl", "writev", "exit_group"]


def test_trace_shows_each_call_with_its_result(console: Console) -> None:
    reply = console.run("trace hello")
    # getpid takes no arguments: the registers shown are whatever the program had in them.
    assert re.search(r"^\[pid (\d+)\] getpid\(0x[0-9a-f]+, 0x[0-9a-f]+, 0x[0-9a-f]+\) = \1$", reply, re.MULTILINE), reply
    assert re.search(r"^\[pid \d+\] write\(0x1, 0x[0-9a-f]+, 0x[0-9a-f]+\) = \d+$", reply, re.MULTILINE), reply
    assert re.search(r"^\[pid \d+\] exit_group\(0x0, ", reply, re.MULTILINE), reply


def heap_blocks(console: Console) -> int:
    """The kernel heap's live blocks, as `mem` reports them."""
    match = re.search(r"(\d+) blocks live", console.run("mem"))
    assert match, "mem reports the heap's live blocks"
    return int(match.group(1))


#: The seeds `sysfuzz` runs with in the suite; `run sysfuzz SEED` replays one.
SYSFUZZ_SEEDS = (1, 2, 3)


def test_sysfuzz_random_calls_neither_crash_nor_leak(console: Console) -> None:
    console.run_slow("run forktest 200", 60.0)  # warm up, as for the fork leak check
    console.run_slow("run sysfuzz 99 300", 60.0)  # and the heap's slabs for the fuzzed calls
    frames, blocks = free_frames(console), heap_blocks(console)
    for seed in SYSFUZZ_SEEDS:
        reply = console.run_slow(f"run sysfuzz {seed}", 180.0)
        assert f"sysfuzz: seed {seed}: 10000 calls in 100 children" in reply, f"seed {seed}:\n{reply[-1500:]}"
        assert re.search(r"\[sysfuzz: pid \d+ exited with status 0\]", reply), f"seed {seed}:\n{reply[-800:]}"
        assert "PANIC" not in reply
        # Missing calls go to the kernel log, not into the program's output.
        assert "is not implemented" not in reply, reply[-1500:]
    assert free_frames(console) == frames, f"sysfuzz with seeds {SYSFUZZ_SEEDS} leaked frames"
    assert heap_blocks(console) == blocks, f"sysfuzz with seeds {SYSFUZZ_SEEDS} leaked kernel heap blocks"


def test_sysfuzz_works_in_a_scratch_directory_and_enosys_live_shows_missing_calls(console: Console) -> None:
    """sysfuzz once left files with random binary names on the persistent disk. Now it works in
    /tmp/sysfuzz-PID and removes it; and `enosys live` brings back the live notes for learners."""
    assert "printed as programs make them" in console.run("enosys live")
    reply = console.run_slow("run sysfuzz 5 300", 60.0)
    assert "is not implemented; it returns ENOSYS" in reply, reply[-1500:]
    assert "only logged" in console.run("enosys log")
    assert "sysfuzz" not in console.run("run ls /tmp")
    assert re.search(r"\(sysfuzz\): system call \d+ \(\w+\) is not implemented", console.run("dmesg"))


def test_every_file_of_the_malformed_elf_corpus_is_refused_with_its_reason(
    corpus_images: image.Images, accel: Accel, waits: Waits, tmp_path: Path
) -> None:
    # This image's ramdisk carries the `elf` crate's corpus (crates/elf/src/corpus); exec must
    # refuse each file with the parser's named reason, and the console must carry on.
    machine, socket = boot(corpus_images, accel, tmp_path, "corpus")
    with machine:
        assert machine.wait_for(PROMPT, waits.boot), machine.tail()
        check_corpus(Console(machine, socket, waits))


def check_corpus(console: Console) -> None:
    """Runs every corpus file; each must be refused with a reason of its own."""
    corpus = sorted(build.ELF_CORPUS_DIR.glob("*.elf"))
    assert len(corpus) >= 30, f"the corpus has {len(corpus)} files"
    reasons = set()
    for path in corpus:
        reply = console.run(f"run /elf-corpus/{path.name}")
        refused = re.search(rf"run: /elf-corpus/{re.escape(path.name)}: not a program Ferrite can run: (.+)", reply)
        assert refused, f"{path.name}:\n{reply}"
        reasons.add(refused.group(1).strip())
    assert len(reasons) >= 30, f"only {len(reasons)} distinct reasons: {sorted(reasons)}"
    assert "still here\n" in console.run("echo still here")


def test_programs_run_under_uefi_too(kernel_images: image.Images, accel: Accel, waits: Waits, tmp_path: Path) -> None:
    # Under UEFI the bootloader loads the ramdisk through the firmware's file protocol and the
    # memory map differs: the same programs must run.
    uefi = waits.under(Firmware.UEFI)
    machine, socket = boot_uefi(kernel_images, accel, tmp_path, "user-uefi")
    with machine:
        assert machine.wait_for(PROMPT, uefi.boot), machine.tail()
        console = Console(machine, socket, uefi)
        assert re.search(r"\[hello: pid \d+ exited with status 0\]", console.run("run hello"))
        reply = console.run_slow("run forktest 20", 60.0)
        assert "forktest: ok" in reply, reply[-800:]
        # The musl programs whose cases lean hardest on the memory map: threads (stacks, TLS,
        # futexes on shared pages) and mappings (files, shared pages, faults).
        for program in ("threadtests", "mmaptests"):
            reply = console.run_slow(f"run {program}", 120.0)
            report = ktap.parse(reply)
            assert report.complete and report.passed, f"{program} under UEFI: {report.problems}\n{reply[-1500:]}"
            assert [case.name for case in report.cases] == c_program_cases(program)
