//! Formatted output on descriptors 1 and 2: `print!`, `println!` and `eprintln!`.
//!
//! Output goes through a small buffer so that a line becomes one `write` system call rather
//! than one per formatted piece: faster, and lines from two processes do not interleave
//! mid-line. Standard output is flushed at each newline (a terminal wants whole lines
//! promptly) and at exit; standard error goes straight out.

use crate::cell::Exclusive;
use core::fmt::{self, Write};

/// Standard output's descriptor.
pub const STDOUT: i32 = 1;
/// Standard error's descriptor.
pub const STDERR: i32 = 2;

/// Bytes standard output buffers before it writes.
const BUFFER_SIZE: usize = 512;

/// The buffer of standard output. A user program is single-threaded, so the only contention
/// is re-entry (a panic while printing); [`Exclusive`] turns that into unbuffered output.
struct Buffer {
    bytes: [u8; BUFFER_SIZE],
    len: usize,
}

static STDOUT_BUFFER: Exclusive<Buffer> = Exclusive::new(Buffer {
    bytes: [0; BUFFER_SIZE],
    len: 0,
});

/// Writes all of `bytes` to `fd`, retrying short writes; errors are dropped (there is nowhere
/// to report them).
pub fn write_all(fd: i32, bytes: &[u8]) {
    let _ = crate::fs::write_all(fd, bytes);
}

/// Runs `f` with the buffer, or returns false if it is busy (re-entry).
fn with_buffer(f: impl FnOnce(&mut Buffer)) -> bool {
    STDOUT_BUFFER.try_with(f).is_some()
}

/// Writes out whatever standard output holds.
pub fn flush() {
    with_buffer(|buffer| {
        write_all(STDOUT, &buffer.bytes[..buffer.len]);
        buffer.len = 0;
    });
}

/// A `fmt::Write` for one descriptor.
pub struct Output(pub i32);

impl Write for Output {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let bytes = s.as_bytes();
        if self.0 != STDOUT {
            write_all(self.0, bytes);
            return Ok(());
        }
        let buffered = with_buffer(|buffer| {
            for &byte in bytes {
                if buffer.len == BUFFER_SIZE {
                    write_all(STDOUT, &buffer.bytes[..buffer.len]);
                    buffer.len = 0;
                }
                buffer.bytes[buffer.len] = byte;
                buffer.len += 1;
                if byte == b'\n' {
                    write_all(STDOUT, &buffer.bytes[..buffer.len]);
                    buffer.len = 0;
                }
            }
        });
        if !buffered {
            write_all(STDOUT, bytes);
        }
        Ok(())
    }
}

/// For the macros.
#[doc(hidden)]
pub fn _print(fd: i32, args: fmt::Arguments<'_>) {
    let _ = Output(fd).write_fmt(args);
}

/// Prints to standard output.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::print::_print($crate::print::STDOUT, format_args!($($arg)*)) };
}

/// Prints a line to standard output.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::print!("{}\n", format_args!($($arg)*)) };
}

/// Prints a line to standard error.
#[macro_export]
macro_rules! eprintln {
    ($($arg:tt)*) => {
        $crate::print::_print($crate::print::STDERR, format_args!("{}\n", format_args!($($arg)*)))
    };
}
