//! The COM1 serial port: a 16550 UART, the kernel's line to the host.
//!
//! Every PC since the 1980s has had a 16550-compatible UART at I/O port `0x3F8` (COM1), and QEMU
//! emulates one. It needs no memory map, no interrupts and no discovery, which makes it the first
//! device a kernel brings up: once it works, every later step can report what went wrong. QEMU
//! connects it to the host (`-serial stdio` or a log file), where it carries the console mirror
//! and the test results.
//!
//! Programming the chip is done by the `uart_16550` crate (0.3), and this module owns the one
//! instance and its lock. What the crate's `init` writes, register by register: interrupts off; the
//! divisor latch set to 3 (the chip's 1.8432 MHz clock, sampled 16 times per bit, gives 115200 baud
//! at divisor 1, so 3 means **38400 baud**); 8 data bits, no parity, 1 stop bit (8N1); FIFOs on and
//! cleared; DTR, RTS and OUT2 in the modem control register (OUT2 is the line that lets the UART's
//! interrupt reach the PC's interrupt controller); and finally the "received data available"
//! interrupt enabled. Nothing in the CPU accepts that interrupt until the kernel sets up an IDT and
//! unmasks it, so for now it has no effect. QEMU ignores the baud rate entirely; a real PC's serial
//! cable needs the terminal at the other end set to 38400 8N1.
//!
//! Terminals want `\r\n` at the end of a line (QEMU puts the host terminal into raw mode), so
//! [`SerialWriter`] turns each `\n` into `\r\n`. The host tools drop the `\r` again.

use core::fmt::{self, Write};
use spin::Mutex;
use uart_16550::SerialPort;

/// I/O port base of COM1, fixed by the PC architecture.
pub const COM1_BASE: u16 = 0x3F8;

/// The COM1 port. The lock guards the UART's registers: two writers interleaving bytes would
/// garble both lines. Interrupts are not enabled yet, so no handler can try to take it while it
/// is held; when they are, this lock must be taken with interrupts off.
// SAFETY: COM1_BASE is the standard COM1 port, and this static is the only `SerialPort` made for
// it outside the panic path (see `write_fmt_panicking`).
static COM1: Mutex<SerialPort> = Mutex::new(unsafe { SerialPort::new(COM1_BASE) });

/// Programs the UART (38400 8N1, FIFOs on). Call once, before the first write.
pub fn init() {
    COM1.lock().init();
}

/// Adds `\r` before each `\n` on its way to a UART.
struct SerialWriter<'a>(&'a mut SerialPort);

impl Write for SerialWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            if byte == b'\n' {
                self.0.send(b'\r');
            }
            self.0.send(byte);
        }
        Ok(())
    }
}

/// Writes text to COM1.
pub fn write_str(s: &str) {
    // Writing to a UART cannot fail; `SerialWriter` always returns Ok.
    let _ = SerialWriter(&mut COM1.lock()).write_str(s);
}

/// Writes formatted text to COM1.
pub fn write_fmt(args: fmt::Arguments<'_>) {
    // Writing to a UART cannot fail; `SerialWriter` always returns Ok.
    let _ = SerialWriter(&mut COM1.lock()).write_fmt(args);
}

/// Writes formatted text to COM1 from the panic handler, even if the lock is held.
///
/// A panic can happen while the interrupted code holds the lock (a panic inside a `Display`
/// implementation that is being printed, say). Waiting for it would hang forever, so if the lock
/// is taken this writes through a second handle to the same port.
pub fn write_fmt_panicking(args: fmt::Arguments<'_>) {
    if let Some(mut port) = COM1.try_lock() {
        let _ = SerialWriter(&mut port).write_fmt(args);
        return;
    }
    // SAFETY: a second handle to COM1 is sound here because the holder of the lock will never run
    // again: the kernel has one CPU running, with interrupts off, and the panic handler does not
    // return. The worst outcome is a line interleaved with the holder's half-written one.
    let mut port = unsafe { SerialPort::new(COM1_BASE) };
    let _ = SerialWriter(&mut port).write_fmt(args);
}
