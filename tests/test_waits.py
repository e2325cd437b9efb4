"""The tests' one scale for waiting (tools/ferrite_tools/waits.py): the factors multiply,
FERRITE_WAIT_SCALE stretches every wait, and a value that is not a positive number is refused
with a message that says what to write instead. Also the reading of QEMU's registers that lets
the stack-overflow test wait for "halted for good" instead of a fixed window."""

from __future__ import annotations

from pathlib import Path

import pytest
from consolelib import halted_for_good

from ferrite_tools import harness, waits
from ferrite_tools.errors import FerriteError
from ferrite_tools.qemu import Accel, Firmware
from ferrite_tools.waits import Waits


def test_the_reference_machine_waits_the_base_times() -> None:
    reference = Waits.for_machine(Accel.TCG, Firmware.BIOS, release=False, environ={})
    assert reference.scale == 1.0
    assert (reference.boot, reference.reply, reference.banner) == (waits.BOOT_S, waits.REPLY_S, waits.BANNER_S)
    assert (reference.kernel_test, reference.hang) == (waits.KERNEL_TEST_S, waits.HANG_S)
    assert reference.of(7.0) == 7.0


def test_the_factors_multiply() -> None:
    every = Waits(Accel.KVM, Firmware.UEFI, release=True, personal=3.0)
    expected = (
        waits.ACCEL_FACTOR[Accel.KVM] * waits.FIRMWARE_FACTOR[Firmware.UEFI] * waits.RELEASE_FACTOR[True] * 3.0
    )
    assert every.scale == pytest.approx(expected)
    assert every.boot == pytest.approx(waits.BOOT_S * expected)
    assert every.of(10.0) == pytest.approx(10.0 * expected)
    # Each factor on its own moves the scale by exactly itself.
    assert Waits(Accel.KVM).scale == waits.ACCEL_FACTOR[Accel.KVM]
    assert Waits(firmware=Firmware.UEFI).scale == waits.FIRMWARE_FACTOR[Firmware.UEFI]
    assert Waits(release=True).scale == waits.RELEASE_FACTOR[True]
    assert Waits(personal=2.5).scale == 2.5


def test_the_factors_say_what_the_machines_do() -> None:
    assert waits.ACCEL_FACTOR[Accel.KVM] < waits.ACCEL_FACTOR[Accel.TCG] == 1.0, "KVM is the faster"
    assert waits.FIRMWARE_FACTOR[Firmware.UEFI] > waits.FIRMWARE_FACTOR[Firmware.BIOS] == 1.0, "OVMF boots slower"
    assert waits.HANG_S < waits.KERNEL_TEST_S, "a known hang is found sooner than a kernel may run"


def test_under_changes_the_firmware_alone() -> None:
    bios = Waits(Accel.TCG, Firmware.BIOS, personal=2.0)
    uefi = bios.under(Firmware.UEFI)
    assert (uefi.accel, uefi.release, uefi.personal, uefi.firmware) == (Accel.TCG, False, 2.0, Firmware.UEFI)
    assert uefi.boot == pytest.approx(bios.boot * waits.FIRMWARE_FACTOR[Firmware.UEFI])


def test_the_environment_stretches_every_wait() -> None:
    slow = Waits.for_machine(Accel.TCG, Firmware.BIOS, environ={waits.ENV: "3"})
    assert slow.personal == 3.0 and slow.boot == 3 * waits.BOOT_S and slow.hang == 3 * waits.HANG_S
    assert Waits.for_machine(Accel.KVM, environ={waits.ENV: " 0.5 "}).scale == pytest.approx(
        0.5 * waits.ACCEL_FACTOR[Accel.KVM]
    )
    # Unset or empty: as measured.
    assert waits.override({}) == 1.0 and waits.override({waits.ENV: ""}) == 1.0


def test_a_host_wait_follows_the_environment_alone() -> None:
    assert waits.host(120.0, {waits.ENV: "2"}) == 240.0
    assert waits.host(120.0, {}) == 120.0
    kvm_uefi = Waits(Accel.KVM, Firmware.UEFI, personal=2.0)
    assert kvm_uefi.host(10.0) == 20.0, "no accelerator or firmware factor for the host's own work"


def test_the_process_environment_is_read_when_none_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(waits.ENV, "4")
    assert Waits.for_machine(Accel.TCG).boot == 4 * waits.BOOT_S
    monkeypatch.delenv(waits.ENV)
    assert Waits.for_machine(Accel.TCG).boot == waits.BOOT_S


@pytest.mark.parametrize("bad", ["fast", "0", "-2", "nan", "inf", "2s", "1,5"])
def test_a_bad_override_is_refused_by_name_with_an_example(bad: str) -> None:
    with pytest.raises(FerriteError) as refused:
        Waits.for_machine(Accel.TCG, environ={waits.ENV: bad})
    message = refused.value.render()
    assert f"{waits.ENV}={bad!r} is not a positive number" in message
    assert f"{waits.ENV}=2 doubles them" in message


def test_the_description_names_every_factor() -> None:
    text = str(Waits(Accel.TCG, Firmware.UEFI, personal=2.0))
    factor = waits.FIRMWARE_FACTOR[Firmware.UEFI]
    assert text == f"waits x{2 * factor:g} (TCG 1, debug 1, UEFI {factor:g}, {waits.ENV} 2)"


def test_a_hang_report_names_its_timeout_and_the_way_to_stretch_it() -> None:
    [result] = harness.judge("k[bios]", None, "KTAP version 1\n1..2\n", 90.0, Path("k.log"), "tail", 90.0)
    assert "no exit within 90 s: the kernel hung" in result.detail
    assert f"{waits.ENV}=2" in result.detail


# QEMU 7.2's "info registers" line for the flags, at the console's prompt (the idle loop halts
# with interrupts on) and after a kernel panic (halt_forever: interrupts off, then hlt).
IDLE = "RIP=ffffffff800aa9da RFL=00000206 [-----P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\n"
PANICKED = "RIP=ffffffff8003f171 RFL=00000086 [--S--P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\n"
RUNNING = "RIP=ffffffff8003f171 RFL=00000086 [--S--P-] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"


def test_halted_for_good_tells_a_panicked_cpu_from_an_idle_one() -> None:
    """The stack-overflow test waits for this instead of watching QEMU not exit for a second."""
    assert halted_for_good(PANICKED)
    assert not halted_for_good(IDLE), "halted, but an interrupt wakes it"
    assert not halted_for_good(RUNNING)
    assert halted_for_good(PANICKED.replace("RFL=", "EFL=")), "the 32-bit spelling"
