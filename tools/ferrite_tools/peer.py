"""Linux as a peer: Ferrite's user-space benchmark, run unchanged on Debian's kernel in the same QEMU.

Why: an instruction count means little alone. `bench` (user/programs/src/bin/bench.rs) is a static
x86-64 ELF that speaks only Linux's system-call ABI, so the very same file can run on Linux, and
under the very same `-icount shift=0,align=off,sleep=off` machine its `BENCH` lines become a second
column: what a production kernel spends on a `getpid`, a `fork` or a pipe round trip. Nothing
is rebuilt for Linux; what differs is only who boots the program.

How, in four steps (and a fifth for the disk), each a function here:

1. `fetch_linux`: the kernel is Debian's own. `linux-image-amd64` is a metapackage that depends
   on the current versioned kernel package (`linux-image-6.1.0-N-amd64` on Debian 12); its name
   comes from `apt-cache depends`, the package from `apt-get download` into build/peer/, and
   only the `vmlinuz` is unpacked from it here (the package also holds 400 MB of modules, of
   which step 1b takes the dozen the disk needs). No root is needed and nothing is installed. When
   this host has no package lists, a private `apt-get update` into build/peer/apt/ is tried
   (apt's lists and cache can live in any folder). When it cannot work (not Debian, no
   network), the step raises `PeerUnavailable` with the reason, which `bench` catches so that a
   report's Linux column can say why it is empty instead of failing the whole benchmark.
1b. `disk_modules` and `make_ext4`: the disk rows compare Ferrite's file system with Linux's
   ext4 on the same virtio disk, attached with the same QEMU options (`qemu.virtio_disk_args`).
   Debian builds virtio-pci, virtio-blk and ext4 as modules, not into the kernel, and an
   initramfs with no modprobe and no udev loads none of them, so the few the disk needs are
   taken from the same package into the initramfs, with a list in the order to load them, and
   `bench` loads them itself with `finit_module` before mounting the disk. The order must have
   each module after the modules it uses symbols of: modprobe reads that from modules.dep, which
   the package does not have (depmod writes it at install), so `load_order` works it out from
   the `depends=` line each module carries in its ELF `.modinfo` section (`modinfo`). The two
   crc32c modules come first for another reason: ext4 and jbd2 get their checksum through the
   crypto API by name, at mount, and only declare it as a soft dependency that modprobe would
   have followed (see `DISK_MODULE_ROOTS`). The file system is made fresh for each run by the
   host's mkfs.ext4, with the size of Ferrite's bench disk; without mkfs.ext4, or without the
   modules, Linux runs without a disk and the disk rows say why (`LinuxRun.disk_note`); the other
   rows are not affected.
2. `make_initramfs`: Linux unpacks a "newc" cpio archive (cpio(5), magic 070701; the kernel's
   Documentation/driver-api/early-userspace/buffer-format.rst) into its first file system and
   runs `/init` from it. The archive holds `bench` as `/init`, `hello` as `/bin/hello` (bench's
   spawn row execs it), a writable `/tmp` (the tmpfs row) and `/dev/console` (the kernel opens it
   as init's standard input and output), and for the disk rows the modules (2.8 MB, in
   /lib/modules), /mnt and /proc. It is not compressed: unpacking is part of the boot the
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
* the disk rows leave out the time the CPU sat halted waiting for the disk, on both kernels,
  since how long the host takes is no part of either; Linux's halted time is its idle loop's
  (`/proc/timer_list`). What stays counted is every instruction the kernel ran meanwhile,
  timer interrupts that land in those waits included, and their number grows with how long the
  host took: over 18 runs on one host `disk.write_fsync_4k` ranged from 72,000 to 237,000
  (median about 163,000), and the local timer interrupts of its 20 rounds (/proc/interrupts,
  LOC) from 59 to 435, each adding about 5,000 instructions. Compare medians of several runs.
  Each of Linux's 4 KiB write + fsync rounds is one jbd2 transaction (its
  `/proc/fs/jbd2/vda-8/info`): 3 write requests (the data block in place, then the descriptor
  and inode-table block into the journal, then the commit block) and 2 cache flushes;
* `boot.tsc_at_first_user_instruction` is virtual time: the instructions from reset, SeaBIOS,
  loading and XZ-decompressing the kernel included, plus the halts the clock skips; of Linux's
  ~6.1 billion, ~4.4 come before the kernel's own clock starts and ~0.74 are the crypto
  self-tests Debian's kernel runs at boot (`initcall_debug` shows `crypto_algapi_init`). The
  disk step adds about 11 million to it: measured on 6.1.0-57, 6,088-6,089 million without it,
  6,090 million with only the disk attached (one more PCI device to find), 6,099-6,101 million
  with the 2.8 MB of modules in the archive as well (unpacking them).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from ferrite_tools import build, initrd, paths, qemu
from ferrite_tools.errors import FerriteError, InvalidData
from ferrite_tools.initrd import Member
from ferrite_tools.measurements import BENCH_DISK_SIZE, Measurement, parse_lines
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
# 1b. The disk: Linux's modules for it, and an ext4 file system on it
# ---------------------------------------------------------------------------------------------

#: The modules the disk rows need, by the names Linux knows them by (a file's name with `-` made
#: `_`). Debian builds all of them as modules (CONFIG_VIRTIO_PCI, CONFIG_VIRTIO_BLK and
#: CONFIG_EXT4_FS are `m`), and the initramfs has no modprobe, so `bench` loads them itself in
#: the order `load_order` gives. The two crc32c ones come first: ext4 and jbd2 ask the kernel's
#: crypto API for "crc32c" (their metadata checksums) and declare it only as `softdep=pre:
#: crypto-crc32c`, which modprobe resolves to every module with that alias, here both; the
#: crypto API then picks the SSE4.2 one (`-cpu max` has SSE4.2), the generic one being the
#: fallback. The rest are found from each module's `depends=`.
DISK_MODULE_ROOTS = ("crc32c_generic", "crc32c_intel", "virtio_pci", "virtio_blk", "ext4")
#: A module's path inside the package.
MODULE_MEMBER = re.compile(r"^(?:\./)?lib/modules/[^/]+/kernel/(?:.+/)?(?P<file>[^/]+)\.ko$")
#: Where the modules go in the initramfs, `NAME.ko` each (bench.rs's `MODULE_DIR`).
INITRAMFS_MODULE_DIR = "lib/modules"
#: The file there that lists their names in load order, one a line (bench.rs's `LOAD_ORDER`).
LOAD_ORDER_FILE = "load-order"
#: The passes over the package's 400 MB of files `_unpack_modules` may make: a module's
#: dependencies are only known once it is read, and may come earlier in the archive.
MODULE_PASSES = 4

# The ELF64 header and section header fields `modinfo` reads (System V gABI, "ELF Header" and
# "Sections"): little-endian x86-64 only, which is what Debian's amd64 modules are.
_ELF_MAGIC = b"\x7fELF"
_ELFCLASS64 = 2
_ELFDATA2LSB = 1
#: e_shoff (8 bytes at 0x28); e_shentsize, e_shnum, e_shstrndx (2 bytes each at 0x3a).
_E_SHOFF = 0x28
_E_SHENTSIZE = 0x3A
#: A section header: sh_name, sh_type (4 bytes each), sh_flags, sh_addr, sh_offset, sh_size (8).
_SECTION_HEADER = "<IIQQQQ"


def module_name(file_stem: str) -> str:
    """The name Linux gives the module in `file_stem`.ko (`crc32c-intel` is `crc32c_intel`)."""
    return file_stem.replace("-", "_")


def modinfo(elf: bytes) -> dict[str, list[str]]:
    """The `key=value` strings of a kernel module's `.modinfo` section (what `modinfo` prints:
    `depends`, `alias`, `softdep`, `vermagic`...), by key, in order. The section is those strings,
    each ended by a NUL, between the padding NULs the linker puts around them. Raises
    InvalidData for what is not a 64-bit little-endian ELF file with that section."""
    if elf[:4] != _ELF_MAGIC or len(elf) < 0x40 or elf[4] != _ELFCLASS64 or elf[5] != _ELFDATA2LSB:
        raise InvalidData("not a 64-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<Q", elf, _E_SHOFF)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, _E_SHENTSIZE)
    try:
        sections = [struct.unpack_from(_SECTION_HEADER, elf, shoff + i * shentsize) for i in range(shnum)]
        names_offset = sections[shstrndx][4]
    except (struct.error, IndexError):
        raise InvalidData("its section headers lie outside the file") from None
    for name, _, _, _, offset, size in sections:
        end = elf.find(b"\0", names_offset + name)
        if elf[names_offset + name : end] != b".modinfo":
            continue
        info: dict[str, list[str]] = {}
        for field in elf[offset : offset + size].split(b"\0"):
            key, equals, value = field.decode(errors="replace").partition("=")
            if equals:
                info.setdefault(key, []).append(value)
        return info
    raise InvalidData("it has no .modinfo section (not a kernel module)")


def module_depends(info: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The modules a module's `modinfo` says must be loaded before it (`depends=a,b`; empty for
    none)."""
    return tuple(name for value in info.get("depends", ()) for name in value.split(",") if name)


def load_order(depends: Mapping[str, Sequence[str]], roots: Sequence[str]) -> list[str]:
    """`roots` and everything they depend on, each after its dependencies (what modprobe does
    from modules.dep, which Debian's package lacks: depmod writes it at install), otherwise in
    the order the roots are given. Raises PeerUnavailable for a module not in `depends` or a
    dependency cycle (the kernel could load neither)."""
    order: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise PeerUnavailable(f"the modules depend on each other in a circle: {' -> '.join([*visiting, name])}")
        if name not in depends:
            needed = f" (needed by {visiting[-1]})" if visiting else ""
            raise PeerUnavailable(f"the kernel package has no module {name}{needed}")
        visiting.append(name)
        for dependency in depends[name]:
            visit(dependency)
        visiting.pop()
        order.append(name)

    for root in roots:
        visit(root)
    return order


def _unpack_modules(package: Path | None, into: Path, env: Mapping[str, str]) -> list[Path]:
    """Copies the modules `DISK_MODULE_ROOTS` need from the package into `into`, once; returns
    them in load order. The order is kept in `into`/load-order, written last, so a folder with
    that file is complete. Raises PeerUnavailable when the package (None: gone) lacks one."""
    listed = into / LOAD_ORDER_FILE
    if listed.exists():
        names = listed.read_text().split()
        if all((into / f"{name}.ko").exists() for name in names):
            return [into / f"{name}.ko" for name in names]
    if package is None:
        raise PeerUnavailable(f"the kernel package is no longer in {PEER_DIR}, so its modules are not either")
    into.mkdir(parents=True, exist_ok=True)
    wanted = set(DISK_MODULE_ROOTS)
    depends: dict[str, tuple[str, ...]] = {}
    for _ in range(MODULE_PASSES):
        if wanted <= depends.keys():
            break
        command = ["dpkg-deb", "--fsys-tarfile", str(package)]
        process = subprocess.Popen(command, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert process.stdout is not None
        try:
            with tarfile.open(fileobj=process.stdout, mode="r|") as tree:
                for member in tree:
                    match = MODULE_MEMBER.match(member.name)
                    if match is None or not member.isfile():
                        continue
                    name = module_name(match["file"])
                    if name not in wanted or name in depends:
                        continue
                    source = tree.extractfile(member)
                    if source is None:
                        continue
                    data = source.read()
                    try:
                        depends[name] = module_depends(modinfo(data))
                    except InvalidData as e:
                        raise PeerUnavailable(f"{member.name} in {package.name}: {e.what}") from None
                    # A dependency found here may still come later in this same pass.
                    wanted.update(depends[name])
                    (into / f"{name}.ko").write_bytes(data)
        except tarfile.TarError as e:
            raise PeerUnavailable(f"{package.name} is not a package dpkg-deb can read: {e}") from e
        finally:
            process.kill()
            process.wait()
    order = load_order(depends, DISK_MODULE_ROOTS)
    listed.write_text("".join(f"{name}\n" for name in order))
    return [into / f"{name}.ko" for name in order]


def disk_modules(vmlinuz: Path, *, path: str | None = None) -> list[Path]:
    """The disk's modules for the kernel `vmlinuz` (which `fetch_linux` unpacked), in load
    order, taken from the package it came from into a `modules` folder beside it, once. Raises
    PeerUnavailable when they cannot be had."""
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    packages = sorted(PEER_DIR.glob(f"{vmlinuz.parent.name}_*.deb"))
    return _unpack_modules(packages[-1] if packages else None, vmlinuz.parent / "modules", env)


#: What makes the disk's file system (Debian's e2fsprogs), and where a non-root PATH may lack.
MKFS_EXT4 = "mkfs.ext4"
SBIN_DIRS = ("/usr/sbin", "/sbin")
#: mkfs.ext4's options, and why:
#: * -T default -b 4096: the settings mke2fs.conf gives an ordinary file system (4 KiB blocks,
#:   256-byte inodes). Without them a 32 MiB one is typed "small" and gets 1 KiB blocks, which
#:   would make a 4 KiB write four blocks, and no real ext4 looks like that;
#: * -E lazy_itable_init=0,lazy_journal_init=0: the inode tables and the journal are zeroed
#:   now, not by the kernel's ext4lazyinit thread while the benchmark measures;
#: * -q -F: quiet, and a regular file is fine.
#: Everything else (the journal's size, metadata checksums...) is e2fsprogs' default.
MKFS_OPTIONS = ("-q", "-F", "-T", "default", "-b", "4096", "-E", "lazy_itable_init=0,lazy_journal_init=0")
#: How long mkfs.ext4 may take (it takes well under a second for 32 MiB).
MKFS_TIMEOUT_S = 60.0


def make_ext4(out: Path, size: int, *, path: str | None = None) -> Path:
    """Writes a fresh, empty ext4 file system of `size` bytes to `out`; returns `out`. Raises
    PeerUnavailable when mkfs.ext4 is missing or fails. `path` replaces PATH and the sbin
    folders, which are searched after PATH (tests use it)."""
    search = path if path is not None else os.pathsep.join([os.environ.get("PATH", ""), *SBIN_DIRS])
    mkfs = shutil.which(MKFS_EXT4, path=search)
    if mkfs is None:
        raise PeerUnavailable(f"{MKFS_EXT4} was not found, so Linux has no ext4 disk (apt-get install e2fsprogs)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as f:
        f.truncate(size)
    try:
        made = subprocess.run(
            [mkfs, *MKFS_OPTIONS, str(out)], capture_output=True, text=True, timeout=MKFS_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise PeerUnavailable(f"{MKFS_EXT4} could not make {out}: {e}") from None
    if made.returncode != 0:
        raise PeerUnavailable(f"{MKFS_EXT4} failed on {out}: {_last_error(made)}")
    return out


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


#: A module file's mode: read-only (finit_module reads it; nothing runs it).
MODULE_MODE = stat.S_IFREG | 0o444


def initramfs_entries(bench: bytes, hello: bytes, modules: Sequence[tuple[str, bytes]] = ()) -> list[Member]:
    """What Linux needs to run `bench` as its first process, in the order it creates them.
    `modules` are the disk's, (name, contents) in load order; with them come the folders the
    disk step mounts on (/mnt for the disk, /proc, whose timer list gives the idle time)."""
    entries = [
        Member("bin", b"", initrd.DIRECTORY_MODE),
        Member(HELLO_PATH, hello, initrd.EXECUTABLE_MODE),
        Member("dev", b"", initrd.DIRECTORY_MODE),
        Member("dev/console", b"", CONSOLE_MODE, rdev=(CONSOLE_MAJOR, CONSOLE_MINOR)),
        Member(INIT_PATH, bench, initrd.EXECUTABLE_MODE),
    ]
    if modules:
        order = "".join(f"{name}\n" for name, _ in modules).encode()
        entries += [
            Member("lib", b"", initrd.DIRECTORY_MODE),
            Member(INITRAMFS_MODULE_DIR, b"", initrd.DIRECTORY_MODE),
            *(Member(f"{INITRAMFS_MODULE_DIR}/{name}.ko", data, MODULE_MODE) for name, data in modules),
            Member(f"{INITRAMFS_MODULE_DIR}/{LOAD_ORDER_FILE}", order, MODULE_MODE),
            Member("mnt", b"", initrd.DIRECTORY_MODE),
            Member("proc", b"", initrd.DIRECTORY_MODE),
        ]
    return [*entries, Member("tmp", b"", TMP_MODE)]


def make_initramfs(bench: Path, hello: Path, out: Path, modules: Sequence[Path] = ()) -> Path:
    """Writes the initramfs to `out` (only when its bytes change); returns `out`. `modules`
    are the disk's module files in load order (none: no disk step)."""
    loaded = [(p.stem, p.read_bytes()) for p in modules]
    data = initrd.write_newc(initramfs_entries(bench.read_bytes(), hello.read_bytes(), loaded))
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


#: The disk rows, which `bench init` prints after the others when it has a disk (see
#: `linux_run`); a run without them still counts, with the reason kept in `LinuxRun.disk_note`.
DISK_ROWS = ("disk.write_fsync_4k", "disk.seq_write_per_kib", "disk.seq_read_per_kib")
#: What starts the lines in which `bench` says what failed.
BENCH_COMPLAINT = "bench: "


def kernel_command_line(extra: Sequence[str] = ()) -> str:
    """Linux's command line: `KERNEL_ARGS`, `extra`, then init's arguments."""
    return " ".join([*KERNEL_ARGS, *extra, "--", *INIT_ARGS])


def linux_argv(vmlinuz: Path, initramfs: Path, command_line: str, disk: Path | None = None) -> list[str]:
    """QEMU's command line: Ferrite's bench machine (`QemuConfig(..., accel=TCG, icount=True)`:
    memory, CPU model, accelerator, icount, no default devices, standard VGA), with a kernel and
    an initramfs instead of a boot disk image, and without the exit device (Linux powers off).
    `disk` is attached as Ferrite's own disk is (`qemu.virtio_disk_args`)."""
    disk_args = qemu.virtio_disk_args(str(disk)) if disk is not None else []
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
        *disk_args,
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
    #: Why the disk rows are missing (None when they are there).
    disk_note: str | None = None


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


def disk_note(output: str) -> str | None:
    """Why a run's output lacks the disk rows: what `bench` said went wrong (None when every row
    is there)."""
    found = {m.name for m in parse_lines(output)}
    if all(row in found for row in DISK_ROWS):
        return None
    lines = [line.strip() for line in output.splitlines()]
    said = [line[len(BENCH_COMPLAINT) :] for line in lines if line.startswith(BENCH_COMPLAINT)]
    return "; ".join(said) if said else "bench printed no disk rows and no reason"


def run_linux(
    vmlinuz: Path,
    initramfs: Path,
    *,
    log: Path,
    disk: Path | None = None,
    extra_args: Sequence[str] = (),
    verbose: bool = False,
) -> LinuxRun:
    """Boots Linux with the benchmark as init, under icount, until it powers off, and returns its
    figures; with `disk`, the ext4 disk for the disk rows. Raises PeerUnavailable, with the last
    lines of output, when there are none (missing disk rows only leave a `disk_note`)."""
    argv = linux_argv(vmlinuz, initramfs, kernel_command_line(extra_args), disk)
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
    return LinuxRun(measurements, wall, log, disk_note(output) if disk is not None else "no disk was attached")


# ---------------------------------------------------------------------------------------------
# 4. The entry point
# ---------------------------------------------------------------------------------------------

#: The initramfs, beside the kernel.
INITRAMFS = PEER_DIR / "initramfs.cpio"


#: The ext4 disk, made afresh for each run.
DISK_IMAGE = PEER_DIR / "disk.img"


def linux_run(tc: Toolchain, verbose: bool, *, extra_args: Sequence[str] = ()) -> LinuxRun:
    """Fetches Linux, builds the benchmark, packs the initramfs and boots it once, with the disk
    when its modules and mkfs.ext4 can be had (else without, the reason in `disk_note`). Raises
    PeerUnavailable when Linux cannot be had or run here."""
    vmlinuz = fetch_linux(verbose=verbose)
    programs = {p.name: p for p in build.build_user(tc, verbose=verbose)}
    modules: list[Path] = []
    disk: Path | None = None
    why_no_disk = None
    try:
        modules = disk_modules(vmlinuz)
        disk = make_ext4(DISK_IMAGE, BENCH_DISK_SIZE)
    except PeerUnavailable as e:
        modules, why_no_disk = [], e.what
        if verbose:
            print(f"peer: no disk rows: {why_no_disk}", flush=True)
    initramfs = make_initramfs(programs["bench"], programs["hello"], INITRAMFS, modules)
    suffix = "".join(f"-{arg.replace('=', '-')}" for arg in extra_args)
    log = paths.LOG_DIR / f"bench-linux{suffix}.log"
    run = run_linux(vmlinuz, initramfs, log=log, disk=disk, extra_args=extra_args, verbose=verbose)
    return run if why_no_disk is None else dataclasses.replace(run, disk_note=why_no_disk)


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
    if run.disk_note is not None:
        print(f"no disk rows: {run.disk_note}")
    print(f"one run, QEMU start to power-off: {run.wall_s:.1f} s (log {run.log})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
