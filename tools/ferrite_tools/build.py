"""Building: the kernel and its test kernels with cargo, and the image builder.

Cargo does the real work; this module picks the toolchain's environment, logs every build to
build/logs/, and turns a failed build into one paragraph with the log and the command. The
first build of the image builder compiles the bootloader's BIOS stages and UEFI loader from
source, which takes minutes; that step says so and streams cargo's progress.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

from ferrite_tools import paths
from ferrite_tools.errors import FerriteError
from ferrite_tools.setup import Toolchain


@dataclasses.dataclass(frozen=True)
class TestKernel:
    """One test kernel cargo built: the unit tests (`unit`) or one file of kernel/tests/."""

    name: str
    elf: Path


def run_logged(
    cmd: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log: Path,
    what: str,
    stream: bool,
) -> str:
    """Runs `cmd`, copying its output to `log` (and to the terminal when `stream`); returns its
    standard output. Raises FerriteError with the tail of the output if it fails."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as log_file:
        log_file.write(f"# cd {shlex.quote(str(cwd))} && {shlex.join(cmd)}\n")
        log_file.flush()
        process = subprocess.Popen(
            list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        stdout_chunks: list[str] = []
        stderr_lines: list[str] = []
        assert process.stderr is not None and process.stdout is not None
        # cargo reports progress on stderr and machine-readable output (if any) on stdout. Both
        # are read at once, standard output by a thread: read one after the other, a pipe not
        # being read fills (64 KiB) and cargo stops, waiting to write, for ever. (A clean build of
        # the test kernels prints more JSON than that before its progress ends.)
        stdout = process.stdout
        reader = threading.Thread(target=lambda: stdout_chunks.append(stdout.read()), daemon=True)
        reader.start()
        for line in process.stderr:
            log_file.write(line)
            stderr_lines.append(line)
            if stream:
                sys.stderr.write("    " + line)
                sys.stderr.flush()
        reader.join()
        log_file.write("".join(stdout_chunks))
        status = process.wait()
    if status != 0:
        errors = [line.rstrip() for line in stderr_lines if line.startswith(("error", "  -->", "warning: unused"))]
        tail = "\n".join((errors or [line.rstrip() for line in stderr_lines])[-15:])
        # The toolchain's environment matters to cargo; the paste-ready command carries the part
        # a shell would lack.
        shown = ["env", "RUSTC_BOOTSTRAP=1", *cmd] if env.get("RUSTC_BOOTSTRAP") == "1" else list(cmd)
        raise FerriteError(f"{what} failed (exit status {status}).", command=shown, log=log, tail=tail, cwd=cwd)
    return "".join(stdout_chunks)


def build_boot_tool(tc: Toolchain, *, verbose: bool) -> Path:
    """Builds the image builder (boot/) unless cargo finds it up to date."""
    tool = paths.boot_tool()
    first = not tool.exists()
    if first:
        print(
            "building the disk-image builder: the first build compiles the bootloader's four BIOS "
            "stages and its UEFI loader (from crates.io) and takes a few minutes...",
            flush=True,
        )
    started = time.monotonic()
    run_logged(
        [str(tc.cargo), "build", "--release", "-p", "ferrite-boot"],
        cwd=paths.ROOT,
        env=tc.env(),
        log=paths.LOG_DIR / "build-boot.log",
        what="Building the image builder (boot/)",
        stream=first or verbose,
    )
    if first:
        print(f"image builder ready in {time.monotonic() - started:.0f} s", flush=True)
    return tool


def build_kernel(tc: Toolchain, *, release: bool, verbose: bool) -> Path:
    """Builds the kernel; returns its ELF file."""
    print(f"building the kernel ({'release' if release else 'debug'})", flush=True)
    cmd = [str(tc.cargo), "build"] + (["--release"] if release else [])
    run_logged(
        cmd,
        cwd=paths.KERNEL_DIR,
        env=tc.env(),
        log=paths.LOG_DIR / "build-kernel.log",
        what="Building the kernel",
        stream=verbose,
    )
    return paths.kernel_elf(release)


def build_test_kernels(
    tc: Toolchain, *, verbose: bool, release: bool = False, only: str | None = None
) -> list[TestKernel]:
    """Builds every test kernel (unit tests and each kernel/tests/ file) without running them;
    with `only`, just that integration test's kernel."""
    print(f"building the test kernels{' (release)' if release else ''}", flush=True)
    cmd = [str(tc.cargo), "test", "--no-run", "--message-format=json-render-diagnostics"]
    cmd += ["--release"] if release else []
    cmd += ["--test", only] if only else []
    out = run_logged(
        cmd,
        cwd=paths.KERNEL_DIR,
        env=tc.env(),
        log=paths.LOG_DIR / "build-test-kernels.log",
        what="Building the test kernels",
        stream=verbose,
    )
    kernels = []
    for line in out.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("reason") != "compiler-artifact" or not message.get("executable"):
            continue
        if not message.get("profile", {}).get("test"):
            continue
        target = message["target"]
        name = "unit" if "lib" in target["kind"] else target["name"]
        kernels.append(TestKernel(name, Path(message["executable"])))
    if not kernels:
        raise FerriteError("cargo built no test kernels", log=paths.LOG_DIR / "build-test-kernels.log")
    return sorted(kernels, key=lambda k: (k.name != "unit", k.name))


#: The user-space workspace: the runtime and the programs (see user/Cargo.toml).
USER_DIR = paths.ROOT / "user"


def user_program_names() -> list[str]:
    """The user programs, by name: one per file in user/programs/src/bin/, and one per folder
    there with a main.rs (a program of several modules, as Cargo lays them out)."""
    bin_dir = USER_DIR / "programs" / "src" / "bin"
    files = [p.stem for p in bin_dir.glob("*.rs")]
    folders = [p.parent.name for p in bin_dir.glob("*/main.rs")]
    return sorted(files + folders)


def build_user(tc: Toolchain, *, verbose: bool) -> list[Path]:
    """Builds every user program (always optimised: small programs load faster, and nobody
    debugs them at source level yet); returns their ELF files."""
    print("building the user programs", flush=True)
    run_logged(
        [str(tc.cargo), "build", "--release"],
        cwd=USER_DIR,
        env=tc.env(),
        log=paths.LOG_DIR / "build-user.log",
        what="Building the user programs",
        stream=verbose,
    )
    out = USER_DIR / "target" / paths.KERNEL_TARGET / "release"
    programs = [out / name for name in user_program_names()]
    missing = [p.name for p in programs if not p.is_file()]
    if missing:
        raise FerriteError(f"cargo built no binary for {', '.join(missing)}", log=paths.LOG_DIR / "build-user.log")
    return programs


#: C programs that know nothing of Ferrite, built with musl's static toolchain: user/c/NAME.c.
C_DIR = USER_DIR / "c"
#: Where they are built.
C_OUT_DIR = paths.BUILD_DIR / "user-c"
#: The compiler driver of Debian's musl-tools.
MUSL_GCC = "musl-gcc"


def build_c_programs(*, verbose: bool) -> list[Path]:
    """Builds each user/c/NAME.c into a static Linux executable with `musl-gcc -static`; returns
    them. Without musl-gcc it says so once and returns none (the tests that need them fail with
    the fix)."""
    sources = sorted(C_DIR.glob("*.c"))
    compiler = shutil.which(MUSL_GCC)
    if compiler is None:
        if sources:
            print(f"note: {MUSL_GCC} not found, so the C programs are left out (apt-get install musl-tools)")
        return []
    C_OUT_DIR.mkdir(parents=True, exist_ok=True)
    # A program is rebuilt when its source or a header they share (ktap.h) is newer.
    headers = max((h.stat().st_mtime for h in C_DIR.glob("*.h")), default=0.0)
    programs = []
    for source in sources:
        out = C_OUT_DIR / source.stem
        if not out.exists() or out.stat().st_mtime < max(source.stat().st_mtime, headers):
            run_logged(
                [compiler, "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(out), str(source)],
                cwd=paths.ROOT,
                env=dict(os.environ),
                log=paths.LOG_DIR / f"build-c-{source.stem}.log",
                what=f"Building {source.name} with {MUSL_GCC}",
                stream=verbose,
            )
        programs.append(out)
    return programs


def build_programs(tc: Toolchain, *, verbose: bool) -> list[Path]:
    """Every program for the ramdisk: Ferrite's own (Rust) and the C ones (musl)."""
    return build_user(tc, verbose=verbose) + build_c_programs(verbose=verbose)


#: Where the ELF crate's malformed corpus is written for the ramdisk.
ELF_CORPUS_DIR = paths.BUILD_DIR / "elf-corpus"


def build_elf_corpus(tc: Toolchain, *, verbose: bool) -> list[Path]:
    """Writes the `elf` crate's corpus of malformed files (crates/elf/src/corpus) to
    build/elf-corpus/, one NAME.elf per case; returns them. The ramdisk carries them so that the
    kernel's exec is tested on exactly the files the parser's own tests refuse."""
    if ELF_CORPUS_DIR.exists():
        for old in ELF_CORPUS_DIR.glob("*.elf"):
            old.unlink()
    run_logged(
        [str(tc.cargo), "run", "--release", "-q", "-p", "elf", "--features", "corpus", "--example", "write_corpus",
         "--", str(ELF_CORPUS_DIR)],
        cwd=paths.ROOT,
        env=tc.env(),
        log=paths.LOG_DIR / "build-elf-corpus.log",
        what="Writing the ELF corpus",
        stream=verbose,
    )
    return sorted(ELF_CORPUS_DIR.glob("*.elf"))


#: Debian's statically linked BusyBox: a Linux program Ferrite must run unchanged.
BUSYBOX_PACKAGE = "busybox-static"
#: Where it is downloaded and unpacked (not installed: nothing on the host changes).
BUSYBOX_DIR = paths.BUILD_DIR / "busybox"


def fetch_busybox(*, verbose: bool) -> Path:
    """Downloads Debian's `busybox-static` package into build/busybox/ and unpacks it there
    (`apt-get download`, `dpkg-deb -x`); returns the `busybox` binary. Done once."""
    binary = BUSYBOX_DIR / "root" / "bin" / "busybox"
    if binary.is_file():
        return binary
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise FerriteError(f"{tool} is missing: BusyBox comes from Debian's {BUSYBOX_PACKAGE} package, so this needs Debian or Ubuntu")
    BUSYBOX_DIR.mkdir(parents=True, exist_ok=True)
    for old in BUSYBOX_DIR.glob("*.deb"):
        old.unlink()
    download = ["apt-get", "download", BUSYBOX_PACKAGE]
    if subprocess.run(download, cwd=BUSYBOX_DIR, capture_output=True).returncode != 0:
        # A fresh machine may not have the package lists yet.
        run_logged(
            ["apt-get", "update"],
            cwd=BUSYBOX_DIR,
            env=dict(os.environ),
            log=paths.LOG_DIR / "busybox-apt-update.log",
            what="Updating the package lists (apt-get update)",
            stream=verbose,
        )
        run_logged(
            download,
            cwd=BUSYBOX_DIR,
            env=dict(os.environ),
            log=paths.LOG_DIR / "busybox-download.log",
            what=f"Downloading {BUSYBOX_PACKAGE}",
            stream=verbose,
        )
    (package,) = sorted(BUSYBOX_DIR.glob("*.deb"))
    run_logged(
        ["dpkg-deb", "-x", str(package), str(BUSYBOX_DIR / "root")],
        cwd=BUSYBOX_DIR,
        env=dict(os.environ),
        log=paths.LOG_DIR / "busybox-unpack.log",
        what=f"Unpacking {package.name}",
        stream=verbose,
    )
    if not binary.is_file():
        raise FerriteError(f"{package.name} holds no bin/busybox", log=paths.LOG_DIR / "busybox-unpack.log")
    return binary
