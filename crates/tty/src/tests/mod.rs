//! Host tests, driving the discipline as the kernel does: bytes in, reads out, and everything
//! sent to the screen collected as the terminal would receive it.

use std::vec::Vec;

use abi::tty::Termios;

use crate::{LineDiscipline, Read, Signal};

mod canonical;
mod echo;
mod fuzz;
mod output;
mod raw;
mod signals;

/// What a read got, with its bytes, so a failed assertion shows them.
#[derive(Debug, PartialEq, Eq)]
enum Got {
    /// Bytes (possibly none).
    Data(Vec<u8>),
    /// End of file.
    Eof,
    /// The reader would sleep.
    Block,
}

/// `Got::Data` of `bytes`.
fn data(bytes: &[u8]) -> Got {
    Got::Data(bytes.to_vec())
}

/// A terminal under test: the discipline, what its screen received, and the signals it asked for.
struct Term {
    /// The discipline.
    tty: LineDiscipline,
    /// Bytes sent to the screen since the last `screen()`.
    screen: Vec<u8>,
    /// Signals asked for, in order.
    signals: Vec<Signal>,
}

impl Term {
    /// A terminal with Linux's default settings.
    fn new() -> Term {
        Term {
            tty: LineDiscipline::new(),
            screen: Vec::new(),
            signals: Vec::new(),
        }
    }

    /// A terminal whose default settings `change` adjusts.
    fn with(change: impl FnOnce(&mut Termios)) -> Term {
        let mut term = Term::new();
        term.set(change);
        term
    }

    /// Adjusts the settings, as a `TCSETS` would.
    fn set(&mut self, change: impl FnOnce(&mut Termios)) {
        let mut termios = *self.tty.termios();
        change(&mut termios);
        self.tty.set_termios(termios);
    }

    /// Types `bytes`, one at a time.
    fn type_in(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            let screen = &mut self.screen;
            if let Some(signal) = self.tty.receive(byte, &mut |echo: &[u8]| {
                screen.extend_from_slice(echo);
            }) {
                self.signals.push(signal);
            }
        }
    }

    /// A program writes `bytes` to the terminal.
    fn write(&mut self, bytes: &[u8]) {
        let screen = &mut self.screen;
        self.tty
            .write(bytes, &mut |chunk: &[u8]| screen.extend_from_slice(chunk));
    }

    /// Takes what the screen received so far.
    fn screen(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.screen)
    }

    /// Reads with a buffer of `size` bytes.
    fn read(&mut self, size: usize) -> Got {
        let mut buf = std::vec![0; size];
        match self.tty.read(&mut buf) {
            Read::Data(n) => Got::Data(buf[..n].to_vec()),
            Read::EndOfFile => Got::Eof,
            Read::WouldBlock => Got::Block,
        }
    }
}

#[test]
fn a_discipline_fits_in_a_static() {
    // The kernel keeps one per terminal in a `static`: `new` must stay `const`, and the
    // whole thing small enough to sit there (a few kilobytes, no heap behind it).
    static TTY: LineDiscipline = LineDiscipline::new();
    assert_eq!(TTY.available(), 0);
    assert!(core::mem::size_of::<LineDiscipline>() < 3 * crate::CAPACITY);
}
