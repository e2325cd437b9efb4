//! The terminal line discipline: what happens to a key between the keyboard and `read(2)`.
//!
//! A program that reads from a terminal does not see keystrokes as they are typed. Unix puts a
//! layer in between, the *line discipline*, which the program configures with a `Termios`
//! (the `TCSETS` ioctl; `stty` from a shell). In *canonical* mode, the default, it collects a
//! line, lets the user fix it with Backspace, Ctrl-U and Ctrl-W, shows it as it is typed, and
//! hands it over only when Enter is pressed, so `cat` or the shell's `read` never see the typos.
//! In *non-canonical* ("raw") mode, which full-screen programs and line editors choose, bytes go
//! through at once and the program does its own editing. In both modes Ctrl-C, Ctrl-\ and
//! Ctrl-Z become signals for the foreground job instead of input. Ferrite runs unmodified Linux
//! programs, and they depend on these details (busybox's shell switches mode around every
//! command line), so this crate follows POSIX's General Terminal Interface (XBD chapter 11) and
//! Linux's `n_tty` discipline, and its module headers say where it differs.
//!
//! This crate is the logic only: bytes in ([`LineDiscipline::receive`]), bytes out to a program
//! ([`LineDiscipline::read`]) and bytes out to the screen (a closure the caller passes, so the
//! kernel can send the echo to the framebuffer and the serial line alike). Waiting, waking
//! readers, timers and sending signals are the kernel's; it learns what to do from return values.
//!
//! Design rules:
//!
//! 1. **No heap, one bound.** Input lives in one [`CAPACITY`]-byte ring, so a discipline fits
//!    in a `static` ([`LineDiscipline::new`] is `const`) and a flood of input costs no memory:
//!    past the bound, bytes are dropped and the bell rings.
//! 2. **Complete input is never lost, and a full line can always be finished.** In canonical
//!    mode the last free byte is kept for the end of the line, and the editing and signal keys
//!    need no room at all.
//! 3. **Nothing here waits.** A read that cannot complete answers [`Read::WouldBlock`]; the
//!    kernel sleeps, with a timer when [`LineDiscipline::read_timer`] asks for one.
//! 4. **Characters, not bytes, on the screen.** Input is UTF-8: erase takes a whole character
//!    and wipes as many columns as its echo took (two for `^C`, two for a CJK character).
//! 5. **Settings act at once.** Every byte is judged by the `Termios` of the moment, so a
//!    program may switch mode between two keystrokes and nothing typed is lost.
//!
//! How the kernel drives it (each terminal owns one discipline behind a lock):
//!
//! ```text
//! input interrupt:  for each byte: if let Some(s) = tty.receive(byte, &mut echo) { send s }
//!                   then wake the readers
//! read(2):          loop on tty.read(buf): Data(n) → n, EndOfFile → 0, WouldBlock → sleep
//!                   (with tty.read_timer(); on expiry return tty.read_after_timeout(buf))
//! write(2):         tty.write(bytes, &mut display)
//! poll, FIONREAD:   tty.can_read(), tty.available()
//! TCGETS, TCSETS:   tty.termios(), tty.set_termios(t); TCSETSF flushes first: tty.flush_input()
//! ```
//!
//! Not implemented: flow control (IXON, IXOFF: Ctrl-S and Ctrl-Q are ordinary input), parity
//! and ISTRIP, IUCLC and XCASE, IMAXBEL, ECHOPRT, VDISCARD and FLUSHO, PENDIN, VSWTC, and every
//! output flag but OPOST with ONLCR.

#![no_std]
#![forbid(unsafe_code)]

mod echo;
mod input;
mod read;
mod ring;
mod utf8;

// The tests run on the host and use its standard library (vectors to collect the screen).
#[cfg(test)]
extern crate std;
#[cfg(test)]
mod tests;

use abi::signal::{SIGINT, SIGQUIT, SIGTSTP};
use abi::tty::{Termios, ICANON, IEXTEN, VEOL, VEOL2};

pub use echo::process_output;

use echo::{Cursor, NL};
use ring::{Mark, Ring};

/// Bytes of input a terminal holds: unread lines and the line being edited, together (Linux's
/// `N_TTY_BUF_SIZE`, so a line may be as long as on Linux).
pub const CAPACITY: usize = 4096;

pub use abi::tty::{DISABLED, IGNCR, INLCR, NOFLSH};

/// A signal that a key asks for; the kernel sends it to the terminal's foreground process group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// The `VINTR` key (Ctrl-C): `SIGINT`.
    Interrupt,
    /// The `VQUIT` key (Ctrl-\): `SIGQUIT`.
    Quit,
    /// The `VSUSP` key (Ctrl-Z): `SIGTSTP`.
    Suspend,
}

impl Signal {
    /// The signal's Linux number, as `kill` takes it.
    pub const fn number(self) -> i32 {
        match self {
            Signal::Interrupt => SIGINT,
            Signal::Quit => SIGQUIT,
            Signal::Suspend => SIGTSTP,
        }
    }
}

/// What one call of [`LineDiscipline::read`] produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// This many bytes were copied to the buffer: 0 only for an empty buffer, or when VMIN and
    /// VTIME are both 0 and there is no input (a poll).
    Data(usize),
    /// The user typed VEOF (Ctrl-D) at the start of a line: `read(2)` returns 0, once.
    EndOfFile,
    /// Nothing can be returned yet: the reader sleeps until more input arrives.
    WouldBlock,
}

/// The timer a sleeping non-canonical read needs, from VMIN and VTIME (XBD §11.1.7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadTimer {
    /// No timer: sleep until [`LineDiscipline::read`] stops answering [`Read::WouldBlock`].
    None,
    /// VMIN is 0: the read ends at the latest this long after it began, with
    /// [`LineDiscipline::read_after_timeout`] (which may return 0).
    Overall {
        /// The limit, in tenths of a second (VTIME).
        tenths: u8,
    },
    /// VMIN is above 0: after the first byte, the read ends when no byte came for this long,
    /// with [`LineDiscipline::read_after_timeout`]; the timer restarts at every byte.
    InterByte {
        /// The gap, in tenths of a second (VTIME).
        tenths: u8,
    },
}

/// One terminal's line discipline: its settings, its unread input, and what its screen shows.
pub struct LineDiscipline {
    /// The settings, as `TCSETS` last set them.
    termios: Termios,
    /// Unread input: completed lines first, then (in canonical mode) the line being edited.
    ring: Ring,
    /// In canonical mode, how many bytes at the front of `ring` are completed lines; the rest
    /// is the line being edited. Always 0 in non-canonical mode, where every byte is readable.
    committed: usize,
    /// VLNEXT was typed: the next byte is data, whatever it is.
    literal_next: bool,
    /// The first byte of a UTF-8 character was dropped because the line was full: drop the
    /// rest of the character too, so the line never holds half of one.
    dropping_char: bool,
    /// Where the terminal's cursor is, from everything echoed and written.
    cursor: Cursor,
    /// The cursor's column when the edit line's first character was echoed: where a kill or
    /// a tab erase must go back to.
    line_column: usize,
}

impl LineDiscipline {
    /// A terminal with Linux's initial settings (canonical, echo, signal keys) and no input.
    pub const fn new() -> Self {
        LineDiscipline {
            termios: Termios::linux_default(),
            ring: Ring::new(),
            committed: 0,
            literal_next: false,
            dropping_char: false,
            cursor: Cursor::new(),
            line_column: 0,
        }
    }

    /// The current settings (for `TCGETS`).
    pub fn termios(&self) -> &Termios {
        &self.termios
    }

    /// Replaces the settings (for `TCSETS`); input already there is kept, as on Linux.
    pub fn set_termios(&mut self, termios: Termios) {
        let was_canonical = self.canonical();
        self.termios = termios;
        match (was_canonical, self.canonical()) {
            (true, false) => self.leave_canonical(),
            (false, true) => self.enter_canonical(),
            _ => {}
        }
    }

    /// Discards all unread input, completed lines and the edit line alike (`TCFLSH`, `TCSETSF`).
    pub fn flush_input(&mut self) {
        self.ring.clear();
        self.committed = 0;
        self.literal_next = false;
        self.dropping_char = false;
    }

    /// Whether canonical (line at a time) mode is on.
    fn canonical(&self) -> bool {
        self.lflag(ICANON)
    }

    /// Whether every bit of `flag` is set in the local modes.
    fn lflag(&self, flag: u32) -> bool {
        self.termios.c_lflag & flag == flag
    }

    /// Whether every bit of `flag` is set in the input modes.
    fn iflag(&self, flag: u32) -> bool {
        self.termios.c_iflag & flag == flag
    }

    /// Whether `byte` is the control character in `c_cc[index]`, which must not be switched off.
    fn is_key(&self, byte: u8, index: usize) -> bool {
        let key = self.termios.c_cc[index];
        key != DISABLED && key == byte
    }

    /// Whether `byte` ends a line in canonical mode: newline, VEOL, or VEOL2 (an extension).
    fn is_line_end(&self, byte: u8) -> bool {
        byte == NL || self.is_key(byte, VEOL) || (self.lflag(IEXTEN) && self.is_key(byte, VEOL2))
    }

    /// Canonical mode was switched off: the whole edit line becomes readable at once, as on
    /// Linux, so a program that goes raw sees what the user typed ahead.
    fn leave_canonical(&mut self) {
        // VEOF marks mean nothing to a raw reader and were never data: they go.
        self.ring.strip_marks();
        self.committed = 0;
        self.literal_next = false;
        self.dropping_char = false;
    }

    /// Canonical mode was switched on: complete lines among the unread bytes become readable
    /// lines, and what follows the last one becomes the edit line, where the user can finish or
    /// erase it. (Linux instead makes every unread byte readable at once, as one "line" with
    /// newlines inside; that would break the rule that a canonical read returns one line.)
    fn enter_canonical(&mut self) {
        self.committed = 0;
        for i in 0..self.ring.len() {
            if self.is_line_end(self.ring.byte(i)) {
                self.ring.set_mark(i, Mark::LineEnd);
                self.committed = i + 1;
            }
        }
        // Those bytes were echoed (if at all) before anyone knew where the line began; the
        // cursor is the best guess, and only the erasing of a tab depends on it.
        self.line_column = self.cursor.column();
    }
}

impl Default for LineDiscipline {
    /// Same as [`LineDiscipline::new`].
    fn default() -> Self {
        Self::new()
    }
}
