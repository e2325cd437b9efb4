//! The kernel log: what the kernel has to say that belongs to no program's output.
//!
//! Every `log::info!` (and warning, and error) goes here as well as to the console, and so does
//! the note that a program called a system call Ferrite lacks, which goes *only* here unless a
//! learner asks to see those live (`enosys live` at the kernel console). Printed on the console,
//! such a note lands in the middle of whatever the program prints, even inside a pipeline's
//! output; kept here, it waits for `dmesg`, as on Linux.
//!
//! The text lives in a fixed ring ([`ringlog::Ring`]) in the kernel's static memory, so logging
//! never allocates and never fails; when it is full the oldest lines go. Each line starts with
//! the time since boot, as Linux's `dmesg` shows it. Programs read it with the `syslog` system
//! call (Linux's `klogctl`), which is what BusyBox's `dmesg` and Ferrite's own use.

use crate::sync::IrqMutex;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};
use ringlog::Ring;

/// The log's size: a few hundred lines.
pub const BYTES: usize = 32 * 1024;

/// The ring. An `IrqMutex`, because an interrupt handler may log while a thread holds it.
static RING: IrqMutex<Ring<BYTES>> = IrqMutex::new(Ring::new());

/// Whether the notes about missing system calls are also printed on the console as they happen.
static ENOSYS_LIVE: AtomicBool = AtomicBool::new(false);

/// Adds one line (a line break is added) stamped with the time since boot.
pub fn line(args: core::fmt::Arguments<'_>) {
    let ns = crate::time::uptime_ns();
    let mut ring = RING.lock();
    let mut writer = Writer(&mut ring);
    let _ = writeln!(
        writer,
        "[{:5}.{:06}] {args}",
        ns / 1_000_000_000,
        ns % 1_000_000_000 / 1000
    );
}

/// Writes into the ring through `core::fmt`.
struct Writer<'a>(&'a mut Ring<BYTES>);

impl Write for Writer<'_> {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        self.0.write(text.as_bytes());
        Ok(())
    }
}

/// Copies the newest text, at most `out.len()` bytes, into `out`; returns how many.
pub fn read_newest(out: &mut [u8]) -> usize {
    RING.lock().read_newest(out)
}

/// Bytes a full read returns now.
pub fn len() -> usize {
    RING.lock().len()
}

/// Forgets what is in the log (`dmesg -c`).
pub fn clear() {
    RING.lock().clear();
}

/// Whether missing system calls are printed live as well as logged.
pub fn enosys_live() -> bool {
    ENOSYS_LIVE.load(Ordering::Relaxed)
}

/// Turns the live printing of missing system calls on or off.
pub fn set_enosys_live(live: bool) {
    ENOSYS_LIVE.store(live, Ordering::Relaxed);
}
