"""`./x.py test`: every suite, one summary, one closing line.

Suites, in order, cheapest failures first:

| suite  | what                                                       | one result per      |
|--------|------------------------------------------------------------|---------------------|
| build  | the image builder, the kernel and every test kernel        | failed build only   |
| lint   | `cargo fmt --check`, `cargo clippy -D warnings`, `mypy --strict` | check          |
| host   | `cargo test` of boot/ and crates/ on the host              | Rust test           |
| kernel | every test kernel booted in QEMU, KTAP parsed              | kernel test case    |
| pytest | the tools' tests and the system tests that boot Ferrite    | pytest test         |
| bench  | the measuring test kernels' exact counts (release, icount) against tools/bench-baseline.json | figure |
| docs   | `mkdocs build --strict`                                    | build               |

A filter (`./x.py test FILTER`) keeps the tests whose name contains it. A test kernel is booted
only if its label matches or the filter appears in its binary (Rust stores every test's name
there as a string), so `./x.py test heap` boots only kernels with a heap test.

`TestRun.boot_kernel` is the one loop that boots a test kernel under its firmwares and timings
and reports each result; `./x.py test` runs it for every kernel, and `cargo test` in kernel/
(through `./x.py runner`, see `run_kernel_elf`) for the one cargo built.

This module is at the top of the tools, beside the command line: it imports `bench` for the
regression gate, and nothing below imports it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Callable, Sequence

from ferrite_tools import bench, build, harness, image, kvm, paths, printer, waits
from ferrite_tools.build import TestKernel
from ferrite_tools.errors import FerriteError
from ferrite_tools.qemu import Accel
from ferrite_tools.results import Status, TestResult
from ferrite_tools.setup import Toolchain, find_ovmf

#: cargo test's line for one test: `test NAME ... ok`.
_CARGO_TEST = re.compile(r"^test (\S+) \.\.\. (ok|FAILED|ignored)")
#: cargo test's line before each test binary runs.
_CARGO_RUNNING = re.compile(r"^\s*Running (?:unittests )?(\S+) \(.*?deps/([A-Za-z0-9_\-]+?)-[0-9a-f]+\)")


class TestRun:
    """Collects results from every suite and prints them as they come."""

    def __init__(
        self,
        tc: Toolchain,
        *,
        filter_text: str | None,
        accel: Accel,
        verbose: bool,
        seeds: tuple[int, ...] = harness.DEFAULT_SEEDS,
    ) -> None:
        self.tc = tc
        self.seeds = seeds
        self.filter = filter_text
        self.accel = accel
        self.verbose = verbose
        self.results: list[TestResult] = []
        self.seconds: dict[str, float] = {}

    def wanted(self, name: str) -> bool:
        return self.filter is None or self.filter in name

    def add(self, result: TestResult) -> None:
        if not self.wanted(f"{result.suite}: {result.name}") and not self.wanted(result.name):
            return
        self.results.append(result)
        printer.print_result(result)

    def suite(self, name: str, body: Callable[[], object]) -> None:
        """Runs one suite; a tool error becomes a failed result instead of ending the run."""
        print(f"\n== {name}", flush=True)
        started = time.monotonic()
        try:
            body()
        except FerriteError as e:
            self.add(TestResult(name, "(suite)", Status.FAIL, e.render(), e.log))
        self.seconds[name] = self.seconds.get(name, 0.0) + time.monotonic() - started

    # --- the checks ------------------------------------------------------------------------

    def check(self, suite: str, name: str, cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        """Runs a command that passes or fails as a whole."""
        if not self.wanted(f"{suite}: {name}"):
            return
        log = paths.LOG_DIR / f"{suite}-{name.replace(' ', '-')}.log"
        started = time.monotonic()
        try:
            build.run_logged(cmd, cwd=cwd, env=env or self.tc.env(), log=log, what=name, stream=self.verbose)
            self.add(TestResult(suite, name, Status.PASS, seconds=time.monotonic() - started))
        except FerriteError as e:
            self.add(TestResult(suite, name, Status.FAIL, e.tail or e.what, log, time.monotonic() - started))

    def lint(self) -> None:
        cargo = str(self.tc.cargo)
        self.check("lint", "cargo fmt (host crates)", [cargo, "fmt", "--all", "--check"], paths.ROOT)
        self.check("lint", "cargo fmt (kernel)", [cargo, "fmt", "--check"], paths.KERNEL_DIR)
        self.check("lint", "cargo fmt (user)", [cargo, "fmt", "--all", "--check"], build.USER_DIR)
        # Host crates build in the release profile everywhere (here, in `host` and for the image
        # builder), so the bootloader's build script, which compiles its boot stages and takes
        # minutes, runs once and is shared.
        self.check(
            "lint",
            "cargo clippy (host crates)",
            [cargo, "clippy", "--release", "--workspace", "--all-targets", "--", "-D", "warnings"],
            paths.ROOT,
        )
        self.check("lint", "cargo clippy (kernel)", [cargo, "clippy", "--all-targets", "--", "-D", "warnings"], paths.KERNEL_DIR)
        # The user programs build in release (see build.build_user); lint the same profile.
        self.check(
            "lint", "cargo clippy (user)", [cargo, "clippy", "--release", "--", "-D", "warnings"], build.USER_DIR
        )
        self.check(
            "lint", "mypy --strict", [sys.executable, "-m", "mypy", "--strict", "tools", "tests", "x.py"], paths.ROOT
        )

    def host(self) -> None:
        cmd = [str(self.tc.cargo), "test", "--release", "--workspace", "--no-fail-fast"]
        log = paths.LOG_DIR / "host-cargo-test.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        process = subprocess.run(
            cmd, cwd=paths.ROOT, env=self.tc.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
        )
        log.write_text(process.stdout)
        crate = "?"
        seen = 0
        for line in process.stdout.splitlines():
            if running := _CARGO_RUNNING.match(line):
                crate = running.group(2).replace("_", "-")
            elif test := _CARGO_TEST.match(line):
                seen += 1
                name, outcome = f"{crate}: {test.group(1)}", test.group(2)
                status = {"ok": Status.PASS, "FAILED": Status.FAIL, "ignored": Status.SKIP}[outcome]
                self.add(TestResult("host", name, status, "see the log" if status is Status.FAIL else "", log))
        if process.returncode != 0 and not any(r.suite == "host" and r.status is Status.FAIL for r in self.results):
            tail = "\n".join(process.stdout.splitlines()[-15:])
            self.add(TestResult("host", "cargo test", Status.FAIL, f"exit status {process.returncode}\n{tail}", log))
        self.seconds["host"] = time.monotonic() - started
        if seen == 0 and self.filter is None:
            self.add(TestResult("host", "cargo test", Status.FAIL, "ran no tests", log))

    def kernel(self) -> None:
        kernels = build.build_test_kernels(self.tc, verbose=self.verbose)
        ramdisk = test_ramdisk(self.tc, self.verbose)
        for kernel in kernels:
            label_matches = self.wanted(f"kernel: {kernel.name}")
            if not label_matches and self.filter is not None and self.filter.encode() not in kernel.elf.read_bytes():
                continue
            self.boot_kernel(kernel, ramdisk, label_matches=label_matches)

    def boot_kernel(
        self, kernel: TestKernel, ramdisk: Path, *, label_matches: bool = True, every_timing: bool = True
    ) -> None:
        """Boots one test kernel under each of its firmwares and timings (only its first timing
        unless `every_timing`) and reports each result. All of a kernel's results count when its
        label matched the filter; otherwise each must match on its own name."""
        config = harness.config_of(kernel)
        firmwares = config.firmwares
        images = image.make_images(self.tc, kernel.elf, f"test-{kernel.name}", set(firmwares), ramdisk)
        timings = harness.timings_for(config, self.seeds)
        runs = [(f, t) for f in firmwares for t in (timings if every_timing else timings[:1])]
        for firmware, timing in runs:
            results = harness.run_kernel_test(
                kernel, images, firmware, accel=self.accel, ovmf=find_ovmf(), timing=timing, verbose=self.verbose
            )
            for result in results:
                if label_matches:
                    self.results.append(result)
                    printer.print_result(result)
                else:
                    self.add(result)

    def pytest(self) -> None:
        junit = paths.BUILD_DIR / "pytest-junit.xml"
        log = paths.LOG_DIR / "pytest.log"
        cmd = [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
        if self.filter is not None and not self.wanted("pytest"):
            cmd += ["-k", self.filter]
        env = self.tc.env()
        env["FERRITE_ACCEL"] = self.accel.value
        junit.unlink(missing_ok=True)
        process = subprocess.run(cmd, cwd=paths.ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(process.stdout)
        if process.returncode == 5:  # pytest: no tests collected (the filter matched none)
            return
        if not junit.exists():
            tail = "\n".join(process.stdout.splitlines()[-15:])
            self.add(TestResult("pytest", "(collection)", Status.FAIL, tail, log))
            return
        for case in ElementTree.parse(junit).getroot().iter("testcase"):
            name = f"{case.get('classname', '')}::{case.get('name', '')}".removeprefix("tests.")
            failure = case.find("failure")
            if failure is None:
                failure = case.find("error")
            skipped = case.find("skipped")
            seconds = float(case.get("time", "0"))
            if failure is not None:
                detail = (failure.get("message") or "")[:2000]
                self.results.append(TestResult("pytest", name, Status.FAIL, detail, log, seconds))
            elif skipped is not None:
                self.results.append(TestResult("pytest", name, Status.SKIP, skipped.get("message") or "", log, seconds))
            else:
                self.results.append(TestResult("pytest", name, Status.PASS, "", log, seconds))
            printer.print_result(self.results[-1])
        if process.returncode not in (0, 1):
            tail = "\n".join(process.stdout.splitlines()[-15:])
            self.add(TestResult("pytest", "(run)", Status.FAIL, f"pytest exit status {process.returncode}\n{tail}", log))

    def bench(self) -> None:
        """The regression gate: release builds of the measuring test kernels under icount, each
        exact count no worse than the committed baseline (see benchreport.py)."""
        if self.filter is not None and not self.wanted("bench: guest."):
            return
        started = time.monotonic()
        for name, passed, detail in bench.gate(self.tc, self.verbose):
            status = Status.PASS if passed else Status.FAIL
            self.add(TestResult("bench", name, status, detail, bench.kernel_log(name), time.monotonic() - started))
            started = time.monotonic()

    def docs(self) -> None:
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        self.check(
            "docs",
            "mkdocs build --strict",
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(paths.BUILD_DIR / "site")],
            paths.ROOT,
            env,
        )


def test_ramdisk(tc: Toolchain, verbose: bool) -> Path:
    """The ramdisk test kernels carry: the programs they run, and only those."""
    return image.build_ramdisk(tc, verbose=verbose, out=image.TEST_RAMDISK, only=image.TEST_KERNEL_PROGRAMS)


def run_kernel_elf(tc: Toolchain, elf: Path, verbose: bool) -> int:
    """`cargo test` in kernel/ (through `./x.py runner`): boots the test kernel cargo built at
    `elf` as `./x.py test` would, under its first timing, and prints its results and a summary.
    cargo names the unit tests' binary `ferrite-HASH` and each file of kernel/tests/ `NAME-HASH`."""
    build.build_boot_tool(tc, verbose=False)
    name = elf.name.rsplit("-", 1)[0]
    kernel = TestKernel("unit" if name == "ferrite" else name, elf)
    ramdisk = test_ramdisk(tc, verbose=False)
    run_ = TestRun(tc, filter_text=None, accel=kvm.announce_accel("auto"), verbose=verbose)
    run_.boot_kernel(kernel, ramdisk, every_timing=False)
    print(printer.summary(run_.results, {}))
    return 1 if any(r.status is Status.FAIL for r in run_.results) else 0


def run(
    tc: Toolchain,
    *,
    filter_text: str | None,
    accel_request: str,
    verbose: bool,
    seeds: tuple[int, ...] = harness.DEFAULT_SEEDS,
) -> int:
    """Runs every suite; returns 0 only if nothing failed."""
    accel, accel_note = kvm.choose_accel(accel_request)
    # A bad FERRITE_WAIT_SCALE stops the run here, before anything is built, rather than in each
    # suite; pytest and the harness read it again from the environment.
    personal = waits.override()
    print(
        f"ferrite test: QEMU acceleration {accel_note}; jitter seeds {', '.join(map(str, seeds))}"
        + (f"; every wait x{personal:g} ({waits.ENV})" if personal != 1.0 else "")
        + (f"; filter {filter_text!r}" if filter_text else "")
    )
    started = time.monotonic()
    run_ = TestRun(tc, filter_text=filter_text, accel=accel, verbose=verbose, seeds=seeds)
    # The image builder first: on a fresh machine its build is the longest step (it compiles the
    # bootloader's stages), and it says so; every later suite then finds it done.
    run_.suite("build", lambda: build.build_boot_tool(tc, verbose=verbose))
    run_.suite("lint", run_.lint)
    run_.suite("host", run_.host)
    run_.suite("kernel", run_.kernel)
    run_.suite("pytest", run_.pytest)
    run_.suite("bench", run_.bench)
    run_.suite("docs", run_.docs)
    print(f"\n== summary ({time.monotonic() - started:.0f} s)")
    if not run_.results:
        print(f"no test matched {filter_text!r}" if filter_text else "no tests ran")
    print(printer.summary(run_.results, run_.seconds))
    if not run_.results:
        return 1
    return 1 if any(r.status is Status.FAIL for r in run_.results) else 0
