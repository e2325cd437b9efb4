"""Disk images: the kernel ELF, stripped, packed by the image builder for BIOS and UEFI.

The image builder (`ferrite-boot`, from boot/) does the packing. Before that the kernel is
copied without its debug information: the bootloader loads the whole file, and under BIOS it
reads the disk through 16-bit BIOS calls a few sectors at a time, which under emulation made a
debug kernel boot take 17 s instead of 5. The full ELF stays where cargo left it, for GDB.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path
from typing import Sequence

from ferrite_tools import build, initrd, paths
from ferrite_tools.errors import FerriteError
from ferrite_tools.qemu import Firmware
from ferrite_tools.setup import Toolchain


@dataclasses.dataclass(frozen=True)
class Images:
    """The images made from one kernel."""

    bios: Path | None
    uefi: Path | None

    def for_firmware(self, firmware: Firmware) -> Path:
        image = self.bios if firmware is Firmware.BIOS else self.uefi
        if image is None:
            raise FerriteError(f"no {firmware.value} image was made")
        return image


def _newer(target: Path, *sources: Path) -> bool:
    return target.exists() and all(target.stat().st_mtime >= s.stat().st_mtime for s in sources)


#: The ramdisk `./x.py image` and `run` pack: the user programs under bin/.
RAMDISK = paths.BUILD_DIR / "ramdisk.cpio"


#: The folder of the ramdisk that holds the malformed ELF files (see `build.build_elf_corpus`).
CORPUS_FOLDER = "elf-corpus"


#: The ramdisk of the test image that also carries the ELF corpus.
CORPUS_RAMDISK = paths.BUILD_DIR / "ramdisk-corpus.cpio"
#: The ramdisk of the test kernels: only the programs they run (a megabyte more would cost each
#: of their BIOS boots four seconds of emulated disk reads).
TEST_RAMDISK = paths.BUILD_DIR / "ramdisk-test.cpio"
#: The programs test kernels run (kernel/tests/user_bench.rs: the benchmark, which execs hello;
#: kernel/tests/user_pipes.rs: filetests and threadtests).
TEST_KERNEL_PROGRAMS = ("bench", "filetests", "hello", "threadtests")
#: The ramdisk of the image that also carries Debian's BusyBox (two megabytes: a test's own).
BUSYBOX_RAMDISK = paths.BUILD_DIR / "ramdisk-busybox.cpio"
#: The ramdisk of the disk tests' images: a shell, what the tests type, and the disk workloads
#: (small, so that the many boots of the crash test stay quick).
DISK_RAMDISK = paths.BUILD_DIR / "ramdisk-disk.cpio"
#: The programs in it.
DISK_TEST_PROGRAMS = (
    "cat", "chmod", "diskstress", "echo", "filetests", "init", "ln", "ls", "mkdir", "mmaptests", "reboot", "rm", "sh",
    "sync", "wc",
)


def build_ramdisk(
    tc: Toolchain,
    *,
    verbose: bool,
    added: Sequence[Path] = (),
    with_corpus: bool = False,
    out: Path = RAMDISK,
    only: Sequence[str] | None = None,
) -> Path:
    """Builds the programs and packs them, with `added`, into the ramdisk. `with_corpus` adds the
    ELF corpus (for the test that execs it) in a ramdisk of its own: its 60 files are nearly half
    a megabyte, which the BIOS loader reads slowly enough to double an emulated boot."""
    programs = build.build_programs(tc, verbose=verbose)
    if only is not None:
        programs = [p for p in programs if p.name in only]
    if not with_corpus:
        return make_ramdisk(programs, added, out=out)
    corpus = build.build_elf_corpus(tc, verbose=verbose)
    return make_ramdisk(programs, added, out=CORPUS_RAMDISK, corpus=corpus)


def expand_added(added: Sequence[Path]) -> list[Path]:
    """What `--add` names, as files: a directory stands for each executable file directly in it
    (a folder of static Linux programs, brought in one option), in name order. A directory with
    none is an error, as a missing file is (a typo should not boot a system without the programs
    someone meant to bring)."""
    files: list[Path] = []
    for path in added:
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(p for p in path.iterdir() if p.is_file() and os.access(p, os.X_OK))
        if not found:
            raise FerriteError(f"--add {path}: no executable files directly in this directory")
        files.extend(found)
    return files


def make_ramdisk(
    programs: Sequence[Path], added: Sequence[Path] = (), out: Path = RAMDISK, corpus: Sequence[Path] = ()
) -> Path:
    """Packs `programs` (Ferrite's own) and `added` (a learner's, checked first to be static
    x86-64 ELF executables) into a cpio archive, each as bin/NAME, and the malformed `corpus`
    files as elf-corpus/NAME (executable, so that exec reads them and must refuse them);
    rewrites `out` only when its bytes change, so an unchanged ramdisk does not make the images
    stale."""
    added = expand_added(added)
    for path in added:
        initrd.check_static_elf(path)
    members = {p.name: p for p in programs}
    for path in added:
        if path.name in members and path not in programs:
            raise FerriteError(f"--add {path}: a program named {path.name} is already in the ramdisk")
        members[path.name] = path
    entries = [initrd.Member(f"bin/{name}", path.read_bytes(), initrd.EXECUTABLE_MODE) for name, path in sorted(members.items())]
    entries += [initrd.Member(f"{CORPUS_FOLDER}/{path.name}", path.read_bytes(), initrd.EXECUTABLE_MODE) for path in corpus]
    data = initrd.pack(entries)
    if not out.exists() or out.read_bytes() != data:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return out


def make_images(
    tc: Toolchain, elf: Path, name: str, firmwares: set[Firmware], ramdisk: Path | None = None
) -> Images:
    """Writes build/images/NAME/{bios,uefi}.img for `elf` (with `ramdisk` if given), unless they
    are newer than both."""
    out_dir = paths.IMAGE_DIR / name
    out_dir.mkdir(parents=True, exist_ok=True)
    stripped = out_dir / "kernel.elf"
    tool = paths.boot_tool()
    if not _newer(stripped, elf):
        objcopy = tc.tool_dir / "llvm-objcopy"
        cmd = [str(objcopy), "--strip-debug", str(elf), str(stripped)]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise FerriteError(f"stripping the kernel failed: {result.stderr.strip()}", command=cmd)
    wanted = {
        Firmware.BIOS: out_dir / "bios.img" if Firmware.BIOS in firmwares else None,
        Firmware.UEFI: out_dir / "uefi.img" if Firmware.UEFI in firmwares else None,
    }
    cmd = [str(tool), str(stripped)]
    inputs = (stripped, tool) + ((ramdisk,) if ramdisk is not None else ())
    for firmware, image in wanted.items():
        if image is not None and not _newer(image, *inputs):
            cmd += [f"--{firmware.value}", str(image)]
    if ramdisk is not None:
        cmd += ["--ramdisk", str(ramdisk)]
    if any(arg in ("--bios", "--uefi") for arg in cmd):
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise FerriteError(f"making the disk image failed: {result.stderr.strip()}", command=cmd)
    return Images(wanted[Firmware.BIOS], wanted[Firmware.UEFI])


def kernel_images(tc: Toolchain, *, release: bool, verbose: bool, added: Sequence[Path] = ()) -> Images:
    """Everything `run`, `image` and `debug` boot or write: the image builder, the kernel (debug
    or `release`) and the ramdisk with `added`, packed as BIOS and UEFI images."""
    build.build_boot_tool(tc, verbose=verbose)
    elf = build.build_kernel(tc, release=release, verbose=verbose)
    ramdisk = build_ramdisk(tc, verbose=verbose, added=added)
    return make_images(tc, elf, "release" if release else "debug", {Firmware.BIOS, Firmware.UEFI}, ramdisk)
