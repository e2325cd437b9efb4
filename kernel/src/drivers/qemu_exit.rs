//! QEMU's `isa-debug-exit` device: how a test kernel ends QEMU with a status.
//!
//! A real PC has no way for software to choose the exit status of the machine, but a test needs
//! one: the host must learn "passed" or "failed" without parsing a screen. QEMU offers a tiny ISA
//! device for this. Started with `-device isa-debug-exit,iobase=0xf4,iosize=0x04`, it makes QEMU
//! exit as soon as the guest writes a value `v` to the port, with host status `(v << 1) | 1`.
//!
//! The shift means a guest can never produce status 0, and QEMU exits with 0 when it ends on
//! its own (for example after a triple fault with `-no-reboot`). So the host can tell a kernel
//! that reported success (status 33 from `0x10`) from one that crashed (status 0) and from one
//! that reported failure (status 35 from `0x11`).
//!
//! This module is the only one that knows the port. The host side defines the same numbers in
//! `tools/ferrite_tools/contract.py`, and `tests/test_contract.py` checks that the two agree.

use x86_64::instructions::port::PortWriteOnly;

/// I/O port of the `isa-debug-exit` device (`iobase` on QEMU's command line).
pub const EXIT_PORT: u16 = 0xF4;

/// The values a kernel writes to [`EXIT_PORT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum ExitCode {
    /// Every test passed: QEMU exits with status `(0x10 << 1) | 1 = 33`.
    Success = 0x10,
    /// A test failed or the kernel panicked: QEMU exits with status `(0x11 << 1) | 1 = 35`.
    Failure = 0x11,
}

/// Ends QEMU with `code`. On a machine without the exit device (a real PC, or QEMU started
/// without it) the write does nothing, so this then halts the CPU instead.
pub fn exit(code: ExitCode) -> ! {
    let mut port = PortWriteOnly::<u32>::new(EXIT_PORT);
    // SAFETY: writing to port 0xF4 has no effect on any device but QEMU's debug-exit device
    // (nothing else decodes that port on the machines Ferrite runs on), and that device's only
    // effect is to end the virtual machine, which is what the caller asked for.
    unsafe { port.write(code as u32) };
    crate::arch::x86_64::halt_forever()
}
