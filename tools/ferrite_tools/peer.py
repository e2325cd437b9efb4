"""Linux as a peer: Ferrite's user-space benchmark, run unchanged on Debian's kernel in the same QEMU.

Why: an instruction count means little alone. `bench` (user/programs/src/bin/bench.rs) is a static
x86-64 ELF that speaks only Linux's system-call ABI, so the very same file can run on Linux, and
under the very same `-icount shift=0,align=off,sleep=off` machine its `BENCH` lines become a second
column: what a production kernel spends on a `getpid`, a `fork` or a pipe round trip. Nothing
is rebuilt for Linux; what differs is only who boots the program.

How, in four steps, each a function here:

1. `fetch_linux`: the kernel is Debian's own. `linux-image-amd64` is a metapackage that depends
   on the current versioned kernel package (`linux-image-6.1.0-N-amd64` on Debian 12); its name
   comes from `apt-cache depends`, the package from `apt-get download` into build/peer/, and
   only the `vmlinuz` is unpacked from it (the package also holds 400 MB of modules, which an
   initramfs without `modprobe` never loads). No root is needed and nothing is installed. When
   this host has no package lists, a private `apt-get update` into build/peer/apt/ is tried
   (apt's lists and cache can live in any folder). When it cannot work (not Debian, no
   network), the step raises `PeerUnavailable` with the reason, which `bench` catches so that a
   report's Linux column can say why it is empty instead of failing the whole benchmark.
2. `make_initramfs`: Linux unpacks a "newc" cpio archive (cpio(5), magic 070701; the kernel's
   Documentation/driver-api/early-userspace/buffer-format.rst) into its first file system and
   runs `/init` from it. The archive holds `bench` as `/init`, `hello` as `/bin/hello` (bench's
   spawn row execs it), a writable `/tmp` (the tmpfs row) and `/dev/console` (the kernel opens it
   as init's standard input and output). It is not compressed: unpacking is part of the boot the
   `boot.` row counts, and a gzip'd archive would add the inflate to it. The archive is written
   by `initrd.write_newc`, the tools' one newc writer.
3. `run_linux`: boots the kernel and the archive under QEMU with the machine `./x.py bench` gives
   Ferrite (see `linux_argv` and tests/test_peer.py, which checks the two agree), serial output to
   a log, until the guest powers off or a timeout passes. `bench init` powers the machine off
   itself when it is done (Linux panics when its first process exits). A run past its timeout
   is ended as every QEMU of the tools is: asked through QMP to quit, a signal only if it does
   not (see `qemu.stop_process`).
4. `linux_counts`: the three steps above, with the benchmark built first; the entry point for
   `./x.py bench`. `python -m ferrite_tools.peer` runs it on its own and prints the rows.

Every way this can fail raises `PeerUnavailable`, a `FerriteError`, like every other tool; only
`bench` turns it into the Linux column's note. The figures are `measurements.Measurement`s, the
type `bench` uses for Ferrite's: both modules import it from below, and this one imports nothing
of `bench`.

The kernel command line keeps Debian's defaults for everything that changes what is measured
(mitigations, preemption, timer frequency) and only adds what avoids waste or states the
set-up: see `KERNEL_ARGS`.

Reading the Linux column (Debian 12's 6.1 kernel, measured with this module):

* the per-call rows are exact run to run, except `fork`, `spawn` and `pipe`, which move by 1-2%
  (KASLR and the guest's random numbers differ per boot), so compare medians;
* `process.switch_round_trip` is not two switches on Linux. CFS's `sched_yield` keeps running the
  caller while the other process's virtual runtime is ahead, and a forked child starts ahead, so
  the parent's 2,000 yields are over before the child runs at all: the row comes out close to
  `sched.yield_alone`. `pipe.ping_pong_round_trip` is the row where both kernels switch each time;
* `boot.tsc_at_first_user_instruction` is virtual time: the instructions from reset, SeaBIOS,
  loading and XZ-decompressing the kernel included, plus the halts the clock skips; of Linux's
  ~6.1 billion, ~4.4 come before the kernel's own clock starts and ~0.74 are the crypto
  self-tests Debian's kernel runs at boot (`initcall_debug` shows `crypto_algapi_init`).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from ferrite_tools import build, initrd, paths, qemu
from ferrite_tools.errors import FerriteError
from ferrite_tools.initrd import Member
from ferrite_tools.measurements import Measurement, parse_lines
from ferrite_tools.setup import Toolchain, find_toolchain


class PeerUnavailable(FerriteError):
    """Linux could not be fetched or did not run the benchmark here; the message says why (no
    apt, no network, a panic, a timeout...), with the last lines of output where there are any."""


# ---------------------------------------------------------------------------------------------
# 1. Getting Debian's kernel
# ---------------------------------------------------------------------------------------------

#: The metapackage that always depends on Debian's current kernel for x86-64.
META_PACKAGE = "linux-image-amd64"
#: The prefix of the versioned kernel packages it depends on.
KERNEL_PACKAGE_PREFIX = "linux-image-"
#: Where the package, the unpacked kernel and the initramfs go (the logs go to build/logs/).
PEER_DIR = paths.BUILD_DIR / "peer"
#: Private apt lists and cache, for a host whose own lists are missing (no root needed).
PRIVATE_APT_DIR = PEER_DIR / "apt"
#: The programs step 1 needs, all from Debian's apt and dpkg packages.
APT_TOOLS = ("apt-cache", "apt-get", "dpkg-deb")
#: The kernel image's path inside the package, `{release}` being e.g. 6.1.0-57-amd64.
VMLINUZ_MEMBER = re.compile(r"^(?:\./)?boot/vmlinuz-(?P<release>[^/]+)$")
#: How long one apt command may take (the package is about 70 MB).
APT_TIMEOUT_S = 600.0

#: A dependency line of `apt-cache depends`: "  Depends: NAME", "  |Depends: NAME" for the first
#: of alternatives, and "<NAME>" for a virtual package (which cannot be downloaded).
_DEPENDS_LINE = re.compile(r"^\s*\|?Depends:\s*(?P<name><?[^\s>]+>?)")


def kernel_package_name(depends_output: str) -> str | None:
    """The versioned kernel package in the output of `apt-cache depends linux-image-amd64`, or
    None when it names none (e.g. an empty output on a host without package lists)."""
    for line in depends_output.splitlines():
        match = _DEPENDS_LINE.match(line)
        if match is None:
            continue
        name = match["name"]
        if name.startswith("<"):
            continue
        if name.startswith(KERNEL_PACKAGE_PREFIX):
            return name
    return None


def _check_tools(path: str | None) -> None:
    """Raises PeerUnavailable if step 1 cannot run with the programs on `path` (None: this
    process's PATH)."""
    for tool in APT_TOOLS:
        if shutil.which(tool, path=path) is None:
            raise PeerUnavailable(
                f"{tool} was not found: the Linux peer is Debian's {META_PACKAGE} kernel, fetched with "
                "apt-get and dpkg-deb, so it needs a Debian or Ubuntu host"
            )


def _apt(command: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Runs an apt command and returns its result, whatever its status; raises PeerUnavailable
    if it could not be started or finish."""
    try:
        return subprocess.run(
            list(command), cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=APT_TIMEOUT_S, check=False
        )
    except OSError as e:
        raise PeerUnavailable(f"{command[0]} could not be started: {e}") from e
    except subprocess.TimeoutExpired:
        raise PeerUnavailable(f"{' '.join(command)} took more than {APT_TIMEOUT_S:.0f} s (no network?)") from None


def _last_error(result: subprocess.CompletedProcess[str]) -> str:
    """The last line apt printed on standard error, for a reason string."""
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {result.returncode}"


#: The private lists and cache (apt's Dir::State::Lists and Dir::Cache).
PRIVATE_LISTS = PRIVATE_APT_DIR / "lists"
PRIVATE_CACHE = PRIVATE_APT_DIR / "cache"
#: apt options that use them instead of the host's, in /var, which only root may update.
PRIVATE_APT_OPTIONS = ("-o", f"Dir::State::Lists={PRIVATE_LISTS}", "-o", f"Dir::Cache={PRIVATE_CACHE}")


def _find_kernel_package(env: Mapping[str, str], verbose: bool) -> tuple[str, tuple[str, ...]]:
    """The kernel package's name and the apt options that know it: the host's own lists first,
    then private ones in build/peer/apt/, made by `apt-get update` the first time."""
    made = any(PRIVATE_LISTS.glob("*Packages*"))
    no_options: tuple[str, ...] = ()
    for options in (no_options, PRIVATE_APT_OPTIONS) if made else (no_options,):
        try:
            depends = _apt(["apt-cache", *options, "depends", META_PACKAGE], cwd=PEER_DIR, env=env)
        except PeerUnavailable:
            continue  # these lists cannot answer; the next, or a private update, may
        name = kernel_package_name(depends.stdout)
        if name is not None:
            return name, options
    if verbose:
        print(f"peer: the apt lists do not know {META_PACKAGE}; updating private lists", flush=True)
    # apt wants the folders it downloads into to exist.
    for folder in (PRIVATE_LISTS / "partial", PRIVATE_CACHE / "archives" / "partial"):
        folder.mkdir(parents=True, exist_ok=True)
    options = PRIVATE_APT_OPTIONS
    update = _apt(["apt-get", "-q", *options, "update"], cwd=PEER_DIR, env=env)
    if update.returncode != 0:
        raise PeerUnavailable(f"apt-get update (private lists in {PRIVATE_APT_DIR}) failed: {_last_error(update)}")
    depends = _apt(["apt-cache", *options, "depends", META_PACKAGE], cwd=PEER_DIR, env=env)
    name = kernel_package_name(depends.stdout)
    if name is None:
        raise PeerUnavailable(f"apt knows no {META_PACKAGE} package here: this host's archive has no Debian kernel")
    return name, options


def _unpack_vmlinuz(package: Path, into: Path, env: Mapping[str, str]) -> Path:
    """Copies the package's boot/vmlinuz-* to `into`; returns it. `dpkg-deb --fsys-tarfile`
    streams the package's file tree as a tar archive, and only that one member is written."""
    command = ["dpkg-deb", "--fsys-tarfile", str(package)]
    process = subprocess.Popen(command, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    found: Path | None = None
    try:
        with tarfile.open(fileobj=process.stdout, mode="r|") as tree:
            for member in tree:
                match = VMLINUZ_MEMBER.match(member.name)
                if match is None or not member.isfile():
                    continue
                source = tree.extractfile(member)
                if source is None:
                    continue
                into.mkdir(parents=True, exist_ok=True)
                found = into / f"vmlinuz-{match['release']}"
                partial = found.with_suffix(".partial")
                partial.write_bytes(source.read())
                partial.replace(found)
                break
    except tarfile.TarError as e:
        process.kill()
        process.wait()
        raise PeerUnavailable(f"{package.name} is not a package dpkg-deb can read: {e}") from e
    # Stop reading at the kernel: the modules after it are not wanted. (dpkg-deb, not a QEMU:
    # it holds nothing that a signal could leave half-written.)
    process.kill()
    process.wait()
    if found is None:
        raise PeerUnavailable(f"{package.name} holds no boot/vmlinuz-*")
    return found


def fetch_linux(*, path: str | None = None, verbose: bool = False) -> Path:
    """Debian's current kernel image, downloaded and unpacked into build/peer/ once. Raises
    PeerUnavailable with the reason when that cannot be done here. `path` replaces PATH for
    finding apt (tests use it)."""
    _check_tools(path)
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    try:
        name, options = _find_kernel_package(env, verbose)
    except PeerUnavailable:
        # Offline, a kernel fetched before still serves.
        cached = sorted(PEER_DIR.glob(f"{KERNEL_PACKAGE_PREFIX}*/vmlinuz-*"), key=lambda p: p.stat().st_mtime)
        if cached:
            return cached[-1]
        raise
    unpacked = PEER_DIR / name
    kernels = sorted(unpacked.glob("vmlinuz-*"))
    if kernels:
        return kernels[-1]
    packages = sorted(PEER_DIR.glob(f"{name}_*.deb"))
    if not packages:
        if verbose:
            print(f"peer: apt-get download {name}", flush=True)
        download = _apt(["apt-get", "-q", *options, "download", name], cwd=PEER_DIR, env=env)
        packages = sorted(PEER_DIR.glob(f"{name}_*.deb"))
        if download.returncode != 0 or not packages:
            raise PeerUnavailable(f"apt-get download {name} failed: {_last_error(download)}")
    return _unpack_vmlinuz(packages[-1], unpacked, env)


# ---------------------------------------------------------------------------------------------
# 2. The initramfs
# ---------------------------------------------------------------------------------------------
#
# The archive is written by `initrd.write_newc`, the same writer as Ferrite's own ramdisk, given
# the members in the order Linux creates them (a directory before what is in it) and with the
# device node that Ferrite's stricter `initrd.pack` would refuse.

#: Device numbers of /dev/console (Documentation/admin-guide/devices.txt: char 5, minor 1).
CONSOLE_MAJOR = 5
CONSOLE_MINOR = 1
#: /tmp: anyone may create files, only their owner remove them (the sticky bit).
TMP_MODE = stat.S_IFDIR | stat.S_ISVTX | 0o777
CONSOLE_MODE = stat.S_IFCHR | 0o600


#: Where the kernel looks for the first program in an initramfs (its default `rdinit=`).
INIT_PATH = "init"
#: Where bench's spawn row finds the program it execs.
HELLO_PATH = "bin/hello"


def initramfs_entries(bench: bytes, hello: bytes) -> list[Member]:
    """What Linux needs to run `bench` as its first process, in the order it creates them."""
    return [
        Member("bin", b"", initrd.DIRECTORY_MODE),
        Member(HELLO_PATH, hello, initrd.EXECUTABLE_MODE),
        Member("dev", b"", initrd.DIRECTORY_MODE),
        Member("dev/console", b"", CONSOLE_MODE, rdev=(CONSOLE_MAJOR, CONSOLE_MINOR)),
        Member(INIT_PATH, bench, initrd.EXECUTABLE_MODE),
        Member("tmp", b"", TMP_MODE),
    ]


def make_initramfs(bench: Path, hello: Path, out: Path) -> Path:
    """Writes the initramfs to `out` (only when its bytes change); returns `out`."""
    data = initrd.write_newc(initramfs_entries(bench.read_bytes(), hello.read_bytes()))
    if not out.exists() or out.read_bytes() != data:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return out


# ---------------------------------------------------------------------------------------------
# 3. Booting it
# ---------------------------------------------------------------------------------------------

#: What the Linux command line says, and why each word:
#: * console=ttyS0: the kernel's messages and init's /dev/console on COM1, which QEMU writes
#:   to the log, as Ferrite's serial port;
#: * quiet: only warnings and errors are printed, so the log shows the figures, not 370 lines
#:   of boot messages (whose output costs about 3 million instructions, 0.05% of the boot row);
#: * panic=-1: if something goes wrong (init dies), restart at once, which -no-reboot turns
#:   into QEMU exiting: a failed run ends now, not at the timeout;
#: * `-- init`: everything after "--" is init's argv; `bench init` is the mode that reports
#:   the boot row and powers off at the end.
#: Mitigations, preemption, the timer and KASLR stay as Debian ships them.
KERNEL_ARGS = ("console=ttyS0", "quiet", "panic=-1")
#: init's arguments after the "--".
INIT_ARGS = ("init",)
#: The command line with mitigations off, for information only (`--mitigations-off`).
MITIGATIONS_OFF = "mitigations=off"
#: QEMU's machine type. Ferrite's QemuConfig names none, which is `pc` (i440FX) in
#: qemu-system-x86_64; naming it keeps a newer QEMU's default from changing the peer alone.
MACHINE = "pc"
#: One CPU, as Ferrite (which is uniprocessor) gets by default.
CPUS = 1
#: How long one Linux run may take (TCG under icount; one run takes under a minute here).
RUN_TIMEOUT_S = 900.0

#: What starts the line in which Linux says why it panicked.
PANIC_MARK = "Kernel panic - not syncing:"
#: The rows `bench init` prints, in order; a run missing one failed.
EXPECTED_ROWS = (
    "boot.tsc_at_first_user_instruction",
    "syscall.null_round_trip",
    "sched.yield_alone",
    "process.switch_round_trip",
    "process.fork_exit_wait",
    "process.spawn_hello",
    "pipe.ping_pong_round_trip",
    "file.tmpfs_write_read_4k",
)


def kernel_command_line(extra: Sequence[str] = ()) -> str:
    """Linux's command line: `KERNEL_ARGS`, `extra`, then init's arguments."""
    return " ".join([*KERNEL_ARGS, *extra, "--", *INIT_ARGS])


def linux_argv(vmlinuz: Path, initramfs: Path, command_line: str) -> list[str]:
    """QEMU's command line: Ferrite's bench machine (`QemuConfig(..., accel=TCG, icount=True)`:
    memory, CPU model, accelerator, icount, no default devices, standard VGA), with a kernel and
    an initramfs instead of a disk image, and without the exit device (Linux powers off)."""
    return [
        qemu.QEMU,
        "-machine", MACHINE,
        "-m", f"{qemu.DEFAULT_MEMORY_MIB}M",
        "-smp", str(CPUS),
        "-no-user-config",
        "-nodefaults",
        "-vga", "std",
        "-accel", "tcg",
        "-cpu", "max",
        "-icount", "shift=0,align=off,sleep=off",
        "-display", "none",
        "-serial", "stdio",
        "-monitor", "none",
        "-no-reboot",
        "-kernel", str(vmlinuz),
        "-initrd", str(initramfs),
        "-append", command_line,
    ]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class LinuxRun:
    """One boot of Linux with the benchmark as init."""

    #: The BENCH lines, in order.
    measurements: list[Measurement]
    #: From starting QEMU to its exit, in seconds.
    wall_s: float
    #: The serial output.
    log: Path


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def _boot(argv: Sequence[str], log: Path) -> int | None:
    """Runs QEMU with serial output to `log` until it exits (its status) or `RUN_TIMEOUT_S`
    passes (None; QEMU is then stopped as every QEMU of the tools is, see `qemu.stop_process`,
    so it never outlives this call)."""
    with tempfile.TemporaryDirectory(prefix="ferrite-qmp-") as control_dir:
        control = Path(control_dir) / "control.sock"
        with log.open("wb") as out:
            try:
                # stdin closed: the guest's console reads nothing.
                process = subprocess.Popen(
                    [*argv, *qemu.control_socket_args(control)],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            except FileNotFoundError:
                raise PeerUnavailable(f"{qemu.QEMU} was not found (apt-get install qemu-system-x86)") from None
            try:
                return process.wait(timeout=RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                return None
            finally:
                qemu.stop_process(process, control)


def run_linux(
    vmlinuz: Path, initramfs: Path, *, log: Path, extra_args: Sequence[str] = (), verbose: bool = False
) -> LinuxRun:
    """Boots Linux with the benchmark as init, under icount, until it powers off, and returns its
    figures. Raises PeerUnavailable, with the last lines of output, when there are none."""
    argv = linux_argv(vmlinuz, initramfs, kernel_command_line(extra_args))
    if verbose:
        print(f"$ {' '.join(argv)}", flush=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    status = _boot(argv, log)
    if status is None:
        output = log.read_bytes().decode(errors="replace")
        raise PeerUnavailable(f"Linux did not power off within {RUN_TIMEOUT_S:.0f} s (log {log}):\n{_tail(output)}")
    wall = time.monotonic() - started
    output = log.read_bytes().decode(errors="replace").replace("\r", "")
    measurements = parse_lines(output)
    found = {m.name for m in measurements}
    missing = [row for row in EXPECTED_ROWS if row not in found]
    if status != 0 or missing:
        if status != 0:
            why = f"QEMU exited with status {status}"
        elif len(missing) == len(EXPECTED_ROWS):
            why = "it printed no BENCH rows"
        else:
            why = f"no {', '.join(missing)}"
        # A panic's first line says why; the tail is mostly its backtrace.
        panic = next((line.strip() for line in output.splitlines() if PANIC_MARK in line), None)
        if panic is not None:
            why += f"; {panic}"
        raise PeerUnavailable(f"the benchmark did not finish on Linux ({why}; log {log}):\n{_tail(output)}")
    return LinuxRun(measurements, wall, log)


# ---------------------------------------------------------------------------------------------
# 4. The entry point
# ---------------------------------------------------------------------------------------------

#: The initramfs, beside the kernel.
INITRAMFS = PEER_DIR / "initramfs.cpio"


def linux_run(tc: Toolchain, verbose: bool, *, extra_args: Sequence[str] = ()) -> LinuxRun:
    """Fetches Linux, builds the benchmark, packs the initramfs and boots it once. Raises
    PeerUnavailable when Linux cannot be had or run here."""
    vmlinuz = fetch_linux(verbose=verbose)
    programs = {p.name: p for p in build.build_user(tc, verbose=verbose)}
    initramfs = make_initramfs(programs["bench"], programs["hello"], INITRAMFS)
    suffix = "".join(f"-{arg.replace('=', '-')}" for arg in extra_args)
    return run_linux(vmlinuz, initramfs, log=paths.LOG_DIR / f"bench-linux{suffix}.log", extra_args=extra_args, verbose=verbose)


def linux_counts(tc: Toolchain, verbose: bool) -> list[Measurement]:
    """The benchmark's figures on Debian's Linux, under the same icount machine as Ferrite's.
    Measurement names are bench's own (`syscall.null_round_trip`, ...). Raises PeerUnavailable
    when there are none."""
    return linux_run(tc, verbose).measurements


def main(argv: Sequence[str]) -> int:
    """`python -m ferrite_tools.peer [--mitigations-off] [-v]`: one run, printed as a table."""
    parser = argparse.ArgumentParser(
        prog="python -m ferrite_tools.peer", description="Run Ferrite's user-space benchmark on Debian's Linux."
    )
    parser.add_argument("--mitigations-off", action="store_true", help=f"add {MITIGATIONS_OFF} (for information)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    tc = find_toolchain()
    if tc is None:
        print("no Rust toolchain that can build the benchmark: run ./x.py setup", file=sys.stderr)
        return 1
    extra = (MITIGATIONS_OFF,) if args.mitigations_off else ()
    try:
        run = linux_run(tc, args.verbose, extra_args=extra)
    except FerriteError as e:
        print(f"Linux: {e.render()}", file=sys.stderr)
        return 1
    for m in run.measurements:
        print(f"linux.{m.name:40} {m.value:>16,} {m.unit}")
    print(f"one run, QEMU start to power-off: {run.wall_s:.1f} s (log {run.log})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
