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
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use lineedit::{Key, SerialDecoder};
use spin::Mutex;
use uart_16550::SerialPort;
use x86_64::instructions::port::{PortReadOnly, PortWriteOnly};

/// I/O port base of COM1, fixed by the PC architecture.
pub const COM1_BASE: u16 = 0x3F8;

/// The COM1 port, for sending. The lock keeps two writers from interleaving their bytes. It is
/// taken with interrupts on, so no interrupt handler may take it: the receive handler
/// ([`on_interrupt`]) reads the receive registers without it, and handlers do not print.
// SAFETY: COM1_BASE is the standard COM1 port, and this static is the only `SerialPort` made for
// it outside the panic path (see `write_fmt_panicking`).
static COM1: Mutex<SerialPort> = Mutex::new(unsafe { SerialPort::new(COM1_BASE) });

/// Offset of the receive buffer register (reading it takes one received byte).
const RECEIVE_BUFFER: u16 = 0;
/// Offset of the interrupt enable register.
const INTERRUPT_ENABLE: u16 = 1;
/// Interrupt enable bit 0: interrupt when a received byte is waiting (the only one Ferrite uses).
const RECEIVED_DATA_INTERRUPT: u8 = 1 << 0;
/// Offset of the line status register.
const LINE_STATUS: u16 = 5;
/// Line status bit 0: a received byte is waiting.
const DATA_READY: u8 = 1 << 0;
/// Most bytes taken per interrupt (the FIFO holds 16; the bound keeps a flood from starving the
/// rest of the kernel).
const MAX_BYTES_PER_INTERRUPT: usize = 64;

/// Decodes the terminal's bytes into keys. Only the COM1 interrupt handler touches it.
static DECODER: Mutex<SerialDecoder> = Mutex::new(SerialDecoder::new());

/// Whether receiving is paused because the consumer's queue was full (see [`on_interrupt`]).
static RECEIVE_PAUSED: AtomicBool = AtomicBool::new(false);

/// Writes the interrupt enable register.
fn set_receive_interrupt(on: bool) {
    let mut enable = PortWriteOnly::<u8>::new(COM1_BASE + INTERRUPT_ENABLE);
    // SAFETY: COM1's interrupt enable register; only its receive bit is ever set by Ferrite, and
    // changing it only decides whether a waiting byte raises an interrupt.
    unsafe { enable.write(if on { RECEIVED_DATA_INTERRUPT } else { 0 }) };
}

/// The COM1 interrupt handler's work: every waiting byte through the decoder, keys onto the
/// input queue, for as long as `room` says the queue can take another key.
///
/// This reads the receive registers directly rather than through the [`COM1`] lock: the
/// interrupted code may be holding that lock in the middle of printing, and waiting for it here
/// would never end. Reading the line status and receive buffer does not disturb a transmission
/// in progress (transmitting only polls the line status and writes the transmit register).
///
/// **Back-pressure instead of loss.** When the queue is full, the handler stops reading and
/// turns the receive interrupt off. The bytes wait in the UART's 16-byte FIFO; once that is
/// full, the other end must wait too (QEMU stops reading its side of the line; a real terminal
/// would be held by flow control). [`resume_receive`] turns the interrupt back on when the
/// console has made room, and the UART interrupts at once for what is waiting. A paste of any
/// length arrives whole, just no faster than the console reads it.
pub fn on_interrupt(room: impl Fn() -> bool, push: impl Fn(Key)) {
    let mut status = PortReadOnly::<u8>::new(COM1_BASE + LINE_STATUS);
    let mut data = PortReadOnly::<u8>::new(COM1_BASE + RECEIVE_BUFFER);
    let mut decoder = DECODER.lock();
    // Bytes are arriving: no ESC is the Escape key until the line is quiet again.
    QUIET_TICKS.store(0, Ordering::Relaxed);
    for _ in 0..MAX_BYTES_PER_INTERRUPT {
        // SAFETY: COM1's line status register; reading it has no side effects.
        if unsafe { status.read() } & DATA_READY == 0 {
            // Nothing more has arrived yet. An ESC still waiting for its sequence may be the
            // Escape key itself, or a sequence whose next bytes have not reached the 16-byte
            // FIFO yet (a terminal sends a sequence at once, but a long paste arrives a FIFO at
            // a time): the timer decides, once the line has stayed quiet ([`on_tick`]).
            QUIET_TICKS.store(
                if decoder.waiting_after_escape() { 1 } else { 0 },
                Ordering::Relaxed,
            );
            break;
        }
        if !room() {
            RECEIVE_PAUSED.store(true, Ordering::Relaxed);
            set_receive_interrupt(false);
            break;
        }
        // SAFETY: COM1's receive buffer with DATA_READY set: this takes the waiting byte.
        let byte = unsafe { data.read() };
        let mut key = decoder.feed(byte);
        while let Some(next) = key {
            push(next);
            key = decoder.replayed();
        }
    }
}

/// Timer ticks the line has been quiet with an ESC waiting, plus one (0: no ESC waiting).
static QUIET_TICKS: AtomicU8 = AtomicU8::new(0);

/// Ticks of quiet after an ESC before it counts as the Escape key: at 100 Hz, 10 to 20 ms,
/// far longer than the gap between the bytes of one sequence and far shorter than a person's
/// next key (terminal programs wait about as long: busybox vi 50 ms).
const ESCAPE_QUIET_TICKS: u8 = 2;

/// The timer's part of decoding (called on each tick, interrupts off): an ESC the line has
/// stayed quiet after is the Escape key, given to `push`. One load when no ESC waits.
pub fn on_tick(push: impl Fn(Key)) {
    let waited = QUIET_TICKS.load(Ordering::Relaxed);
    if waited == 0 {
        return;
    }
    if waited <= ESCAPE_QUIET_TICKS {
        QUIET_TICKS.store(waited + 1, Ordering::Relaxed);
        return;
    }
    QUIET_TICKS.store(0, Ordering::Relaxed);
    if let Some(key) = DECODER.lock().flush() {
        push(key);
    }
}

/// Turns receiving back on if [`on_interrupt`] paused it; called by the consumer of the keys
/// once it has room again.
pub fn resume_receive() {
    if RECEIVE_PAUSED.load(Ordering::Relaxed) {
        ::x86_64::instructions::interrupts::without_interrupts(|| {
            RECEIVE_PAUSED.store(false, Ordering::Relaxed);
            set_receive_interrupt(true);
        });
    }
}

/// Whether receiving is paused for back-pressure (for the console's `ticks`).
pub fn receive_paused() -> bool {
    RECEIVE_PAUSED.load(Ordering::Relaxed)
}

/// Programs the UART (38400 8N1, FIFOs on). Call once, before the first write.
pub fn init() {
    COM1.lock().init();
}

/// Lines written to COM1 so far (line feeds sent), for tests that check nothing was lost.
static LINES: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// How many lines have been written to COM1.
pub fn lines_written() -> u64 {
    LINES.load(core::sync::atomic::Ordering::Relaxed)
}

/// Whether the last byte written to COM1 ended a line (or nothing was written yet).
static AT_LINE_START: AtomicBool = AtomicBool::new(true);

/// Writes text to COM1 on a line of its own: first a line feed, if the last text written did not
/// end its line. For lines a program on the host reads, which must not follow a shell's prompt.
pub fn write_fmt_own_line(args: fmt::Arguments<'_>) {
    let mut port = COM1.lock();
    let mut writer = SerialWriter(&mut port);
    if !AT_LINE_START.load(Ordering::Relaxed) {
        let _ = writer.write_str("\n");
    }
    let _ = writer.write_fmt(args);
}

/// Adds `\r` before each `\n` on its way to a UART.
struct SerialWriter<'a>(&'a mut SerialPort);

impl Write for SerialWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if let Some(&last) = s.as_bytes().last() {
            AT_LINE_START.store(last == b'\n', Ordering::Relaxed);
        }
        for byte in s.bytes() {
            if byte == b'\n' {
                self.0.send_raw(b'\r');
                LINES.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
            }
            // `send_raw`, not `send`: the crate's `send` turns a backspace into "\x08 \x08",
            // and a terminal's erase is already that, so every erased character took two.
            self.0.send_raw(byte);
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
