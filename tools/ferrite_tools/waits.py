"""How long the tests wait for a machine: a few base waits and one scale.

Every wait in a test is an assertion about the machine's speed. "The prompt appears within 60 s"
says that this computer, emulating that guest, boots in less than a minute; when it does not, the
test fails although nothing in Ferrite is wrong. Scattered over the tests as bare numbers, those
assumptions are invisible and can only be changed one by one. Here they are stated once: the base
waits below, tuned on the reference machine (TCG emulation, a debug kernel booted
through SeaBIOS, on a 2-core build machine), and one scale for the machine at hand, the product of

* a factor for the accelerator: TCG is the reference; KVM runs guest code natively;
* a factor for the build: the debug kernel is the reference; the release kernel is optimised;
* a factor for the firmware: SeaBIOS is the reference; OVMF (UEFI) takes longer to boot;
* `FERRITE_WAIT_SCALE` from the environment (a positive number, 1 when unset or empty), which a
  person on a slow or busy machine sets to stretch every wait at once: `FERRITE_WAIT_SCALE=3
  ./x.py test`.

A wait only costs time when something is wrong (the test goes on as soon as its condition holds),
so the factors lean long: too short a wait is a false failure, too long a one only a slower
report of a real hang. A window that proves a negative ("QEMU has not exited after a second")
would be the exception, costing its full length on every passing run; the tests have none left:
the stack-overflow test, which had one, now asks QEMU whether the CPU is halted for good.

The factors, and what they rest on. Boots measured on the reference machine, idle, QEMU 7.2
under TCG, the full ramdisk, from QEMU's start to the kernel console's first prompt, eight boots
of each (median, then the range):

    debug   SeaBIOS 2.4 s (2.0-2.6)   OVMF 3.4 s (3.3-3.7)   OVMF / SeaBIOS 1.4
    release SeaBIOS 1.9 s (1.8-2.4)   OVMF 3.4 s (3.3-3.8)   OVMF / SeaBIOS 1.8

* Firmware: UEFI gets 2.0, the larger measured ratio (1.8) rounded up. OVMF adds a second or
  so of its own before the bootloader runs; as a factor that is generous for long waits, which
  is the side to err on.
* Build: release gets 1.0. Its boot took 0.8 (SeaBIOS) to 1.0 (OVMF) of the debug kernel's:
  firmware, loading and QEMU's start dominate a boot, not the kernel's own code, so there is
  nothing to shorten safely.
* Accelerator: KVM gets 0.5, not measured here (KVM is not usable on the reference machine; its
  probe fails). KVM runs guest code many times faster than TCG, but the firmware's emulated
  devices, QEMU's start and the host's share of every wait do not speed up, so the factor is
  deliberately modest.

A wait that does not involve the guest at all (an `./x.py` command that builds nothing, a local
web server) is scaled by `FERRITE_WAIT_SCALE` alone: see `host`.

Only `Accel` and `Firmware` are taken from `qemu`; nothing here starts a machine.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping

from ferrite_tools.errors import FerriteError
from ferrite_tools.qemu import Accel, Firmware

#: The environment variable that multiplies every wait.
ENV = "FERRITE_WAIT_SCALE"

# The base waits, in seconds on the reference machine.
#: From QEMU's start to the console's (or the shell's) first prompt. A boot takes 2-4 s on the
#: idle reference machine, longer while the test suite runs two QEMUs on its two cores.
BOOT_S = 60.0
#: From a command typed to the prompt after its reply, for a command that does little.
REPLY_S = 15.0
#: From `./x.py run` started (the build cached) to the banner: the issue's bound for the front end.
BANNER_S = 30.0
#: A test kernel's whole run, boot included (the harness's timeout).
KERNEL_TEST_S = 60.0
#: A test kernel that is known to hang at some point (test_breakage.py): the hang is found by
#: this timeout, so it is shorter than `KERNEL_TEST_S`, and still several boots long.
HANG_S = 25.0

#: Per accelerator. TCG is the reference.
ACCEL_FACTOR: Mapping[Accel, float] = {Accel.TCG: 1.0, Accel.KVM: 0.5}
#: Per firmware. SeaBIOS is the reference.
FIRMWARE_FACTOR: Mapping[Firmware, float] = {Firmware.BIOS: 1.0, Firmware.UEFI: 2.0}
#: Per build: the debug kernel (False) is the reference, the release kernel is True.
RELEASE_FACTOR: Mapping[bool, float] = {False: 1.0, True: 1.0}


def override(environ: Mapping[str, str] | None = None) -> float:
    """`FERRITE_WAIT_SCALE` from `environ` (the process's environment by default): 1.0 when it is
    unset or empty, the number when it is a positive finite one, a `FerriteError` otherwise."""
    text = (os.environ if environ is None else environ).get(ENV, "").strip()
    if not text:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise FerriteError(
            f"{ENV}={text!r} is not a positive number. It multiplies every wait of the tests: "
            f"{ENV}=2 doubles them, {ENV}=0.5 halves them; unset, they are as measured."
        )
    return value


def host(base_s: float, environ: Mapping[str, str] | None = None) -> float:
    """A wait for work on the host alone (no guest involved): `base_s` times `FERRITE_WAIT_SCALE`."""
    return base_s * override(environ)


@dataclasses.dataclass(frozen=True)
class Waits:
    """The waits for one kind of machine: how it runs guest code, which kernel build, which
    firmware, and the person's own factor."""

    accel: Accel = Accel.TCG
    firmware: Firmware = Firmware.BIOS
    release: bool = False
    #: `FERRITE_WAIT_SCALE`, read once by `for_machine`.
    personal: float = 1.0

    @classmethod
    def for_machine(
        cls,
        accel: Accel,
        firmware: Firmware = Firmware.BIOS,
        *,
        release: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> Waits:
        """The waits for this machine, with `FERRITE_WAIT_SCALE` read from `environ` (the
        process's environment by default)."""
        return cls(accel, firmware, release, override(environ))

    def under(self, firmware: Firmware) -> Waits:
        """The same waits for a boot through `firmware`."""
        return dataclasses.replace(self, firmware=firmware)

    @property
    def scale(self) -> float:
        """The one factor every wait here is multiplied by."""
        return ACCEL_FACTOR[self.accel] * RELEASE_FACTOR[self.release] * FIRMWARE_FACTOR[self.firmware] * self.personal

    def of(self, base_s: float) -> float:
        """A wait of `base_s` seconds on the reference machine, on this one."""
        return base_s * self.scale

    def host(self, base_s: float) -> float:
        """A wait for work on the host alone: only `FERRITE_WAIT_SCALE` applies."""
        return base_s * self.personal

    @property
    def boot(self) -> float:
        return self.of(BOOT_S)

    @property
    def reply(self) -> float:
        return self.of(REPLY_S)

    @property
    def banner(self) -> float:
        return self.of(BANNER_S)

    @property
    def kernel_test(self) -> float:
        return self.of(KERNEL_TEST_S)

    @property
    def hang(self) -> float:
        return self.of(HANG_S)

    def __str__(self) -> str:
        """The scale and where it comes from, for messages: `waits x2 (TCG 1, debug 1, UEFI 2,
        FERRITE_WAIT_SCALE 1)`."""
        parts = [
            f"{self.accel.name} {ACCEL_FACTOR[self.accel]:g}",
            f"{'release' if self.release else 'debug'} {RELEASE_FACTOR[self.release]:g}",
            f"{self.firmware.name.replace('BIOS', 'SeaBIOS')} {FIRMWARE_FACTOR[self.firmware]:g}",
            f"{ENV} {self.personal:g}",
        ]
        return f"waits x{self.scale:g} ({', '.join(parts)})"
