"""QEMU's command line is built from data in one place; check what each setting adds."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from ferrite_tools.errors import FerriteError
from ferrite_tools.qemu import Accel, Display, Firmware, QemuConfig

IMAGE = Path("/images/with space/bios.img")


def test_bios_defaults() -> None:
    argv = QemuConfig(image=IMAGE).argv()
    assert argv[0] == "qemu-system-x86_64"
    assert "-no-reboot" in argv, "a triple fault must end QEMU, not reboot it"
    assert "isa-debug-exit,iobase=0xf4,iosize=0x04" in argv
    assert argv[argv.index("-serial") + 1] == "stdio"
    assert argv[argv.index("-accel") + 1] == "tcg"
    assert argv[argv.index("-display") + 1] == "none"
    assert not any("pflash" in a for a in argv)


def test_uefi_adds_the_firmware_read_only() -> None:
    argv = QemuConfig(image=IMAGE, firmware=Firmware.UEFI, ovmf=Path("/ovmf/CODE.fd")).argv()
    assert "if=pflash,format=raw,readonly=on,file=/ovmf/CODE.fd" in argv


def test_uefi_without_firmware_is_a_clear_error() -> None:
    with pytest.raises(FerriteError, match="OVMF"):
        QemuConfig(image=IMAGE, firmware=Firmware.UEFI).argv()


def test_kvm_icount_gdb_qmp_and_window() -> None:
    kvm = QemuConfig(image=IMAGE, accel=Accel.KVM).argv()
    assert kvm[kvm.index("-accel") + 1] == "kvm" and "host" in kvm
    counted = QemuConfig(image=IMAGE, icount=True).argv()
    assert counted[counted.index("-icount") + 1] == "shift=0,align=off,sleep=off"
    gdb = QemuConfig(image=IMAGE, gdb_port=1234, gdb_wait=True).argv()
    assert "tcp::1234" in gdb and "-S" in gdb
    qmp = QemuConfig(image=IMAGE, qmp_socket=Path("/tmp/q.sock")).argv()
    assert "unix:/tmp/q.sock,server=on,wait=off" in qmp
    window = QemuConfig(image=IMAGE, display=Display.WINDOW).argv()
    assert "-display" not in window


def test_command_is_shell_quoted() -> None:
    config = QemuConfig(image=IMAGE)
    assert shlex.split(config.command()) == config.argv()
    assert "'format=raw,file=/images/with space/bios.img" in config.command()


def test_an_interactive_run_hands_every_key_to_the_guest_and_escapes_with_ctrl_bracket() -> None:
    argv = QemuConfig(image=IMAGE, interactive=True, no_reboot=False).argv()
    assert argv[argv.index("-chardev") + 1] == "stdio,id=terminal,mux=on,signal=off"
    assert argv[argv.index("-serial") + 1] == "chardev:terminal"
    assert argv[argv.index("-echr") + 1] == "29", "Ctrl-] (0x1D), not Ctrl-A, which the console uses"
    assert "-no-reboot" not in argv, "reboot restarts the machine"


def test_fw_cfg_strings_reach_the_guest_and_commas_are_refused() -> None:
    argv = QemuConfig(image=IMAGE, fw_cfg=(("opt/ferrite/timing", "jitter=7"),)).argv()
    assert argv[argv.index("-fw_cfg") + 1] == "name=opt/ferrite/timing,string=jitter=7"
    with pytest.raises(FerriteError, match="comma"):
        QemuConfig(image=IMAGE, fw_cfg=(("opt/x", "a,b"),)).argv()
