"""Where things are in the repository and where the tools put what they make."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KERNEL_DIR = ROOT / "kernel"
KERNEL_TARGET_DIR = KERNEL_DIR / "target"
HOST_TARGET_DIR = ROOT / "target"
#: Everything the tools make that is not a cargo artefact: images, logs, screenshots.
BUILD_DIR = ROOT / "build"
LOG_DIR = BUILD_DIR / "logs"
IMAGE_DIR = BUILD_DIR / "images"
DOCS_DIR = ROOT / "docs"
FONT = KERNEL_DIR / "assets" / "fonts" / "Lat15-Terminus16.psf"
#: The bare-metal target the kernel builds for.
KERNEL_TARGET = "x86_64-unknown-none"


def kernel_elf(release: bool) -> Path:
    """The kernel binary cargo builds."""
    return KERNEL_TARGET_DIR / KERNEL_TARGET / ("release" if release else "debug") / "ferrite"


def boot_tool() -> Path:
    """The image builder host program (boot/)."""
    return HOST_TARGET_DIR / "release" / "ferrite-boot"
