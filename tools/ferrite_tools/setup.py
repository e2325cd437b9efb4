"""Set-up and `doctor`: find or install everything Ferrite needs, using only the standard library.

`./x.py` imports this module before any third-party package exists, so it may use nothing but
the standard library. It imports no other module of the tools but errors.py: the build, the
images and the commands import it for the toolchain, and x.py's first step (bootstrap.py, which
once lived here and imported the command line back) sits above all of them. It answers three questions, each from data rather than scattered checks:

* Which Rust toolchain builds the kernel? Rust 1.85.0 with its library sources, either Debian's
  `rustc-web` packages (where rustup cannot download, as on our CI) or rustup's `1.85.0`
  toolchain. Both are stable compilers; `RUSTC_BOOTSTRAP=1` unlocks the `-Z build-std` flag.
* Is every requirement present? [`REQUIREMENTS`] lists each with a check and the exact fix.
* Can it fix what is missing? On Debian or Ubuntu as root (or with password-less sudo) it
  installs the packages itself; anywhere else it stops and prints the commands.

When everything is present this costs a few file checks and one `rustc --version`, well under
a second, so every `./x.py` command runs it, except those that need nothing it provides (the
disk image tools, and `doctor`, which only looks): the command table in cli.py says which.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Callable, Sequence

from ferrite_tools.errors import FerriteError

ROOT = Path(__file__).resolve().parents[2]
VENV_DIR = ROOT / ".venv"
REQUIREMENTS = ROOT / "tools" / "requirements.txt"
VENV_STAMP = VENV_DIR / "ferrite-requirements.sha256"

#: The Rust release the kernel is pinned to (see docs/targets.md for why).
RUST_VERSION = "1.85.0"
#: rustup's name for it.
RUSTUP_TOOLCHAIN = "1.85.0"
#: Debian's packages of that release, installed at one exact version together.
DEBIAN_RUST_PACKAGES = (
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "rust-web-clippy",
    "rustfmt-web",
    "libstd-rust-web-dev",
    "libstd-rust-web-1.85",
)
#: Other Debian packages: the linker and LLVM tools of rustc 1.85's LLVM, QEMU (with its window
#: front ends, for `run` on a desktop) and UEFI firmware.
DEBIAN_OTHER_PACKAGES = (
    "lld-19",
    "llvm-19",
    "qemu-system-x86",
    "qemu-system-gui",
    "ovmf",
    # The Linux headers the `abi` crate's test checks Ferrite's system-call numbers against.
    "linux-libc-dev",
    "libc6-dev",
    # musl-gcc, which builds the C programs of user/c/ as static Linux executables.
    "musl-tools",
)
#: Where linux-libc-dev puts the system-call numbers.
LINUX_UNISTD_HEADER = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")
#: LLVM 19's binaries on Debian.
LLVM_BIN = Path("/usr/lib/llvm-19/bin")
#: Tools rustup would ship inside the sysroot that Debian's rustc has to be pointed at.
#: `rust-lld` links kernels; the bootloader's build script finds `llvm-objcopy` (and checks for
#: `llvm-objdump`) through the sysroot.
SYSROOT_TOOL_LINKS = {"rust-lld": "lld", "llvm-objcopy": "llvm-objcopy", "llvm-objdump": "llvm-objdump"}
#: Where UEFI firmware builds live on common distributions, best first.
OVMF_CANDIDATES = (
    Path("/usr/share/OVMF/OVMF_CODE.fd"),
    Path("/usr/share/OVMF/OVMF_CODE_4M.fd"),
    Path("/usr/share/ovmf/OVMF.fd"),
    Path("/usr/share/edk2/ovmf/OVMF_CODE.fd"),
    Path("/usr/share/qemu/OVMF.fd"),
)
HOST_TRIPLE = "x86_64-unknown-linux-gnu"


class SetupError(FerriteError):
    """Set-up could not provide a requirement; the message says what to run."""


@dataclasses.dataclass(frozen=True)
class Toolchain:
    """A Rust toolchain that can build the kernel."""

    origin: str  # "debian" or "rustup"
    bin_dir: Path
    sysroot: Path

    @property
    def rustc(self) -> Path:
        return self.bin_dir / "rustc"

    @property
    def cargo(self) -> Path:
        return self.bin_dir / "cargo"

    @property
    def tool_dir(self) -> Path:
        """The sysroot folder where rustc looks for `rust-lld` and LLVM tools."""
        return self.sysroot / "lib" / "rustlib" / HOST_TRIPLE / "bin"

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment every cargo call gets: this toolchain first on PATH, for cargo and for
        the build scripts it runs (the bootloader's calls `rustc` and `cargo` by name)."""
        env = dict(os.environ if base is None else base)
        env["PATH"] = os.pathsep.join([str(self.bin_dir), env.get("PATH", "")])
        env["RUSTC"] = str(self.rustc)
        env["CARGO"] = str(self.cargo)
        env["RUSTC_BOOTSTRAP"] = "1"
        # rustup's proxies would otherwise switch toolchains behind our back.
        env.pop("RUSTUP_TOOLCHAIN", None)
        return env


def _version_of(binary: Path) -> str | None:
    """`X.Y.Z` from `binary --version`, or None if it does not run."""
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except OSError:
        return None
    words = out.split()
    return words[1] if len(words) > 1 else None


def find_toolchain() -> Toolchain | None:
    """The pinned toolchain, from Debian's packages or rustup, or None."""
    debian = Path("/usr/bin")
    if _version_of(debian / "rustc") == RUST_VERSION and (debian / "cargo").exists():
        return Toolchain("debian", debian, Path("/usr"))
    home = Path(os.environ.get("RUSTUP_HOME", Path.home() / ".rustup"))
    rustup_bin = home / "toolchains" / f"{RUSTUP_TOOLCHAIN}-{HOST_TRIPLE}" / "bin"
    if _version_of(rustup_bin / "rustc") == RUST_VERSION:
        return Toolchain("rustup", rustup_bin, rustup_bin.parent)
    return None


def find_ovmf() -> Path | None:
    """The UEFI firmware image QEMU boots with, or None."""
    return next((p for p in OVMF_CANDIDATES if p.is_file()), None)


@dataclasses.dataclass(frozen=True)
class Requirement:
    """One thing Ferrite needs, how to check it, and how a person fixes it."""

    name: str
    check: Callable[[], str | None]  # a description when found, None when missing
    fix: str


def _rust_src(tc: Toolchain | None) -> str | None:
    if tc is None:
        return None
    library = tc.sysroot / "lib" / "rustlib" / "src" / "rust" / "library"
    return str(library) if (library / "core").is_dir() else None


def _sysroot_tool(tc: Toolchain | None, name: str) -> str | None:
    if tc is None:
        return None
    path = tc.tool_dir / name
    return str(path) if path.exists() else None


def _component(tc: Toolchain | None, name: str) -> str | None:
    if tc is None:
        return None
    path = tc.bin_dir / name
    return str(path) if path.exists() else None


def _which(name: str) -> str | None:
    return shutil.which(name)


def _venv_ok() -> str | None:
    if venv_python().exists() and VENV_STAMP.exists():
        if VENV_STAMP.read_text().strip() == _requirements_hash():
            return str(VENV_DIR)
    return None


def requirements(tc: Toolchain | None) -> list[Requirement]:
    """Everything `doctor` reports, in the order set-up provides it."""
    debian_fix = "./x.py setup   (as root, or with sudo, on Debian/Ubuntu)"
    rustup_fix = (
        f"rustup toolchain install {RUSTUP_TOOLCHAIN} --component rust-src "
        "--component llvm-tools --component clippy --component rustfmt"
    )
    toolchain_fix = f"{debian_fix}\n  or: {rustup_fix}"
    links = " && ".join(
        f"ln -sf {LLVM_BIN / target} {{tooldir}}/{link}" for link, target in SYSROOT_TOOL_LINKS.items()
    )
    return [
        Requirement(
            f"Rust {RUST_VERSION} (rustc, cargo)",
            lambda: f"{tc.origin}: {tc.bin_dir}" if tc else None,
            toolchain_fix,
        ),
        Requirement("Rust library sources (rust-src)", lambda: _rust_src(tc), toolchain_fix),
        Requirement("cargo clippy", lambda: _component(tc, "cargo-clippy"), toolchain_fix),
        Requirement("cargo fmt", lambda: _component(tc, "rustfmt"), toolchain_fix),
        *[
            Requirement(
                f"{link} in the sysroot",
                lambda link=link: _sysroot_tool(tc, link),  # type: ignore[misc]
                (
                    debian_fix
                    if tc is None or tc.origin == "debian"
                    else rustup_fix
                )
                + (f"\n  or: {links.format(tooldir=tc.tool_dir)}" if tc and tc.origin == "debian" else ""),
            )
            for link in SYSROOT_TOOL_LINKS
        ],
        Requirement(
            "QEMU (qemu-system-x86_64)",
            lambda: _which("qemu-system-x86_64"),
            "apt-get install qemu-system-x86   (Fedora: dnf install qemu-system-x86; macOS: brew install qemu)",
        ),
        Requirement(
            "UEFI firmware (OVMF)",
            lambda: str(find_ovmf()) if find_ovmf() else None,
            "apt-get install ovmf   (Fedora: dnf install edk2-ovmf)",
        ),
        Requirement(
            "Linux headers (system-call numbers)",
            lambda: str(LINUX_UNISTD_HEADER) if LINUX_UNISTD_HEADER.is_file() else None,
            "apt-get install linux-libc-dev libc6-dev",
        ),
        Requirement(
            "musl-gcc (C programs for the ramdisk)",
            lambda: _which("musl-gcc"),
            "apt-get install musl-tools",
        ),
        Requirement(
            "Python tools (.venv)",
            _venv_ok,
            f"{sys.executable} -m venv .venv && .venv/bin/pip install -r tools/requirements.txt",
        ),
    ]


def doctor() -> int:
    """Prints each requirement as found or missing, with its fix. Exit status 1 if any is missing."""
    tc = find_toolchain()
    missing = 0
    for req in requirements(tc):
        found = req.check()
        if found:
            print(f"  found    {req.name}: {found}")
        else:
            missing += 1
            print(f"  MISSING  {req.name}\n           fix: {req.fix}")
    kvm = Path("/dev/kvm")
    kvm_note = "present (./x.py checks that it works before using it)" if os.access(kvm, os.R_OK | os.W_OK) else "not usable; QEMU will emulate (TCG), which is slower"
    print(f"  note     /dev/kvm: {kvm_note}")
    print("all requirements found" if not missing else f"{missing} requirement(s) missing")
    return 1 if missing else 0


# --- installing -----------------------------------------------------------------------------


def _run(cmd: Sequence[str], what: str) -> None:
    print(f"setup: {what}: {shlex.join(cmd)}", flush=True)
    result = subprocess.run(list(cmd), check=False)
    if result.returncode != 0:
        raise SetupError(f"{what} failed (exit status {result.returncode}). The command was:\n  {shlex.join(cmd)}")


def _privilege() -> list[str] | None:
    """The prefix that runs a command as root: nothing, `sudo -n`, or None if neither works."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False).returncode == 0:
        return ["sudo", "-n"]
    return None


def _is_debian() -> bool:
    return shutil.which("apt-get") is not None and Path("/etc/debian_version").exists()


def _debian_rust_version() -> str | None:
    """The exact Debian version string of rustc-web 1.85.0 the archive offers, if it offers it."""
    out = subprocess.run(["apt-cache", "madison", "rustc-web"], capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        fields = [f.strip() for f in line.split("|")]
        if len(fields) >= 2 and fields[1].startswith(RUST_VERSION + "+"):
            return fields[1]
    return None


def install_system_packages() -> None:
    """Installs the pinned toolchain, LLVM 19, QEMU and OVMF on Debian/Ubuntu, and links the
    LLVM tools into the sysroot. Raises SetupError with the commands to run where it cannot."""
    as_root = _privilege()
    if not _is_debian() or as_root is None:
        where = "this is not a Debian/Ubuntu system" if not _is_debian() else "this needs root (or password-less sudo)"
        raise SetupError(
            f"Ferrite's requirements are missing and {where}. Run ./x.py doctor for the list; in short:\n"
            f"  rustup toolchain install {RUSTUP_TOOLCHAIN} --component rust-src --component llvm-tools "
            "--component clippy --component rustfmt\n"
            "  and install QEMU (qemu-system-x86_64) and OVMF with your package manager;\n"
            "  on Debian/Ubuntu, `sudo ./x.py setup` does all of it."
        )
    env_note = "installing system packages (first run only; a few minutes)"
    print(f"setup: {env_note}", flush=True)
    _run([*as_root, "apt-get", "update", "-q"], "refreshing the package lists")
    # The Rust packages only when no 1.85.0 toolchain is found (rustup's counts). Ubuntu's archive
    # has no rustc-web 1.85.0: there the rest is installed and the error names rustup's command.
    rust_missing = find_toolchain() is None
    version = _debian_rust_version() if rust_missing else None
    pinned = [f"{pkg}={version}" for pkg in DEBIAN_RUST_PACKAGES] if version else []
    _run(
        [*as_root, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q",
         "--allow-downgrades", "--no-install-recommends", *pinned, *DEBIAN_OTHER_PACKAGES],
        f"installing {'Rust ' + RUST_VERSION + ', ' if pinned else ''}LLVM 19, QEMU and OVMF",
    )
    if rust_missing and not pinned:
        raise SetupError(
            f"the package archive offers no rustc-web {RUST_VERSION} (apt-cache madison rustc-web); "
            "LLVM, QEMU and OVMF are installed now.\n"
            f"Install rustup's toolchain, then run ./x.py again: rustup toolchain install {RUSTUP_TOOLCHAIN} "
            "--component rust-src --component llvm-tools --component clippy --component rustfmt"
        )
    installed = find_toolchain()
    if installed is not None and installed.origin == "debian":
        # rustup's sysroot brings its own linker and LLVM tools (the llvm-tools component).
        link_sysroot_tools(as_root)


def link_sysroot_tools(as_root: list[str]) -> None:
    """Points Debian's sysroot at LLVM 19's lld and tools, as rustup's sysroot would have them."""
    tc = Toolchain("debian", Path("/usr/bin"), Path("/usr"))
    missing = {link: target for link, target in SYSROOT_TOOL_LINKS.items() if not (tc.tool_dir / link).exists()}
    if not missing:
        return
    _run([*as_root, "mkdir", "-p", str(tc.tool_dir)], "creating the sysroot tool folder")
    for link, target in missing.items():
        _run([*as_root, "ln", "-sf", str(LLVM_BIN / target), str(tc.tool_dir / link)], f"linking {link}")


def venv_python() -> Path:
    return VENV_DIR / "bin" / "python"


def _requirements_hash() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def ensure_venv() -> Path:
    """Creates .venv and installs the pinned requirements if they changed. Returns its python."""
    if _venv_ok():
        return venv_python()
    if not venv_python().exists():
        print("setup: creating the Python virtual environment .venv/", flush=True)
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV_DIR)
        except (OSError, subprocess.CalledProcessError) as e:
            raise SetupError(
                f"could not create .venv ({e}). On Debian/Ubuntu: apt-get install python3-venv"
            ) from e
    _run(
        [str(venv_python()), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
        "installing the Python tools' requirements",
    )
    VENV_STAMP.write_text(_requirements_hash() + "\n")
    return venv_python()


def ensure() -> Toolchain:
    """Makes sure every requirement is present, installing what it can. Returns the toolchain."""
    tc = find_toolchain()
    system_ok = (
        tc is not None
        and all(req.check() for req in requirements(tc)[:-1])
    )
    if not system_ok:
        install_system_packages()
        tc = find_toolchain()
        still_missing = [req for req in requirements(tc)[:-1] if not req.check()]
        if tc is None or still_missing:
            names = ", ".join(req.name for req in still_missing) or f"Rust {RUST_VERSION}"
            raise SetupError(f"set-up ran but these are still missing: {names}. Run ./x.py doctor.")
    ensure_venv()
    assert tc is not None
    return tc


def provide() -> int:
    """Set-up as a step: provides every requirement (`ensure`), or prints why it could not and
    returns 2. `./x.py setup` is this step alone; every command that needs the toolchain runs it
    first (bootstrap.py)."""
    try:
        ensure()
    except SetupError as e:
        print(f"x.py: set-up failed: {e}", file=sys.stderr)
        return 2
    return 0
