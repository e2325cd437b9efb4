//! The keyboard side: what each input byte does.
//!
//! A byte passes through the steps POSIX lays out (XBD §11.2), in this order, and the first
//! that claims it ends its journey:
//!
//! 1. after VLNEXT (Ctrl-V), the byte is data whatever it is, so a user can type a Ctrl-C into
//!    a file;
//! 2. with ISIG, VINTR, VQUIT and VSUSP become signals; the input is flushed (unless NOFLSH),
//!    because what was typed for a program being interrupted should not reach the next one;
//! 3. IGNCR, ICRNL and INLCR rewrite carriage return and newline (Enter sends CR; programs
//!    expect NL);
//! 4. in canonical mode: the editing keys (VERASE, VKILL, VWERASE, VREPRINT) and the line ends
//!    (NL, VEOF, VEOL, VEOL2) act on the edit line;
//! 5. whatever is left is data: appended to the edit line in canonical mode, readable at once
//!    otherwise.
//!
//! Keys are looked up in `c_cc` as each byte arrives, so `stty erase ^H` acts on the next key;
//! a slot holding [`DISABLED`](crate::DISABLED) matches nothing.
//!
//! Where this differs from Linux: VWERASE erases blanks and then non-blanks, as POSIX says
//! (Linux stops at punctuation once it has erased letters or digits); a kill wipes the line on
//! screen whenever ECHOKE is on (Linux also wants ECHOE and ECHOK); and erasing a wide
//! character wipes two columns (Linux wipes one per character). The `^C` echoed for a signal
//! is not followed by a newline: the shell prints one when it gets control back.

use abi::tty::{
    ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ICRNL, IEXTEN, ISIG, VEOF, VEOL, VEOL2, VERASE,
    VINTR, VKILL, VLNEXT, VQUIT, VREPRINT, VSUSP, VWERASE,
};

use crate::echo::{self, BACKSPACE, CARET, CR, NL, TAB, WIPE_COLUMN};
use crate::ring::Mark;
use crate::utf8::{self, MAX_LEN};
use crate::{LineDiscipline, Signal, CAPACITY, IGNCR, INLCR, NOFLSH};

/// Bytes kept free in canonical mode for the byte that ends the line, so a full line can
/// always be finished with Enter.
const LINE_END_RESERVE: usize = 1;

/// How much an editing key takes off the end of the edit line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Erase {
    /// VERASE: the last character.
    Char,
    /// VWERASE: trailing blanks, then the word before them.
    Word,
    /// VKILL: the whole line.
    Line,
}

impl LineDiscipline {
    /// Takes one input byte; echo goes to `out`. Returns the signal the kernel must send to the
    /// terminal's foreground process group, if the byte was a signal key.
    pub fn receive(&mut self, byte: u8, out: &mut impl FnMut(&[u8])) -> Option<Signal> {
        if self.literal_next {
            self.literal_next = false;
            // Its echo overwrites the `^` shown for VLNEXT, since a backspace followed that.
            self.store_in_line(byte, out);
            return None;
        }
        if self.lflag(ISIG) {
            if let Some(signal) = self.signal_for(byte) {
                if !self.lflag(NOFLSH) {
                    self.flush_input();
                }
                self.echo_char(byte, out);
                return Some(signal);
            }
        }
        let byte = match byte {
            CR if self.iflag(IGNCR) => return None,
            CR if self.iflag(ICRNL) => NL,
            NL if self.iflag(INLCR) => CR,
            other => other,
        };
        if self.canonical() {
            self.receive_canonical(byte, out);
        } else if self.ring.push(byte, Mark::Data) {
            // A newline is shown as one even with ECHOCTL: it is where the user pressed Enter.
            if byte == NL && self.lflag(ECHO) {
                self.emit(&[NL], out);
            } else {
                self.echo_char(byte, out);
            }
        } else {
            self.bell(out);
        }
        None
    }

    /// The signal `byte` asks for, if it is one of the signal keys.
    fn signal_for(&self, byte: u8) -> Option<Signal> {
        if self.is_key(byte, VINTR) {
            Some(Signal::Interrupt)
        } else if self.is_key(byte, VQUIT) {
            Some(Signal::Quit)
        } else if self.is_key(byte, VSUSP) {
            Some(Signal::Suspend)
        } else {
            None
        }
    }

    /// Canonical mode: an editing key, a line end, or data for the edit line.
    fn receive_canonical(&mut self, byte: u8, out: &mut impl FnMut(&[u8])) {
        let extended = self.lflag(IEXTEN);
        if self.is_key(byte, VERASE) {
            self.erase(Erase::Char, byte, out);
        } else if self.is_key(byte, VKILL) {
            self.erase(Erase::Line, byte, out);
        } else if extended && self.is_key(byte, VWERASE) {
            self.erase(Erase::Word, byte, out);
        } else if extended && self.is_key(byte, VLNEXT) {
            self.literal_next = true;
            // Show `^` under the cursor until the literal byte's echo replaces it.
            if self.lflag(ECHO) && self.lflag(ECHOCTL) {
                self.emit(&[CARET, BACKSPACE], out);
            }
        } else if extended && self.lflag(ECHO) && self.is_key(byte, VREPRINT) {
            self.reprint(byte, out);
        } else if byte == NL {
            if !self.end_line(byte, Mark::LineEnd) {
                self.bell(out);
            } else if self.lflag(ECHO) || self.lflag(ECHONL) {
                self.emit(&[NL], out);
            }
        } else if self.is_key(byte, VEOF) {
            // VEOF is never shown: the line just goes to the reader.
            if !self.end_line(byte, Mark::Eof) {
                self.bell(out);
            }
        } else if self.is_key(byte, VEOL) || (extended && self.is_key(byte, VEOL2)) {
            if self.end_line(byte, Mark::LineEnd) {
                self.echo_char(byte, out);
            } else {
                self.bell(out);
            }
        } else {
            self.store_in_line(byte, out);
        }
    }

    /// Ends the edit line with `byte`, which `mark` says how to read, making the line readable.
    /// False if there was no room.
    fn end_line(&mut self, byte: u8, mark: Mark) -> bool {
        if self.ring.push(byte, mark) {
            self.committed = self.ring.len();
            return true;
        }
        // The ring is full, which canonical typing never causes (it keeps a byte free) but
        // bytes left by non-canonical mode can. The line still ends, at its last byte: its
        // text is delivered without the terminator rather than held for ever.
        if self.ring.len() > self.committed {
            self.ring.set_mark(self.ring.len() - 1, Mark::LineEnd);
            self.committed = self.ring.len();
            return true;
        }
        false
    }

    /// Appends a data byte to the edit line and echoes it, or rings the bell if the line is full.
    fn store_in_line(&mut self, byte: u8, out: &mut impl FnMut(&[u8])) {
        if self.dropping_char && utf8::is_continuation(byte) {
            return;
        }
        self.dropping_char = false;
        // A character's first byte takes room for all of its bytes, so a full line never
        // ends in half a character; its later bytes then always fit.
        let needed = utf8::sequence_len(byte);
        if self.ring.len() + needed > CAPACITY - LINE_END_RESERVE {
            self.dropping_char = needed > 1;
            self.bell(out);
            return;
        }
        if self.ring.len() == self.committed {
            self.line_column = self.cursor.column();
        }
        self.ring.push(byte, Mark::Data);
        self.echo_char(byte, out);
    }

    /// VREPRINT (Ctrl-R): shows the edit line again on a new screen line, for when program
    /// output has scribbled over it.
    fn reprint(&mut self, key: u8, out: &mut impl FnMut(&[u8])) {
        self.echo_char(key, out);
        self.emit(&[NL], out);
        self.line_column = self.cursor.column();
        for index in self.committed..self.ring.len() {
            let byte = self.ring.byte(index);
            self.echo_char(byte, out);
        }
    }

    /// Carries out an editing `key` of the given kind on the edit line, echoing as the flags say.
    fn erase(&mut self, kind: Erase, key: u8, out: &mut impl FnMut(&[u8])) {
        // Nothing to erase: say nothing, and never reach into a completed line.
        if self.ring.len() == self.committed {
            return;
        }
        let echo = self.lflag(ECHO);
        match kind {
            Erase::Char if echo && !self.lflag(ECHOE) => {
                // Without ECHOE the erase key is shown (as `^?`) instead of wiping.
                self.echo_char(key, out);
                let start = self.last_char_start();
                self.ring.truncate(start);
            }
            Erase::Char => self.rub_out(out),
            Erase::Word => {
                while self.last_byte_is_blank() == Some(true) {
                    self.rub_out(out);
                }
                while self.last_byte_is_blank() == Some(false) {
                    self.rub_out(out);
                }
            }
            Erase::Line => {
                if echo && self.lflag(ECHOKE) {
                    let columns = self.column_after(self.ring.len()) - self.line_column;
                    self.wipe(columns, WIPE_COLUMN, out);
                } else if echo {
                    self.echo_char(key, out);
                    if self.lflag(ECHOK) {
                        self.emit(&[NL], out);
                    }
                }
                self.ring.truncate(self.committed);
            }
        }
    }

    /// Removes the edit line's last character and, with ECHO, wipes it from the screen.
    fn rub_out(&mut self, out: &mut impl FnMut(&[u8])) {
        let start = self.last_char_start();
        if self.lflag(ECHO) {
            if self.ring.byte(start) == TAB {
                // A tab's columns hold nothing to wipe: moving back is enough.
                let columns = self.column_after(start + 1) - self.column_after(start);
                self.wipe(columns, &[BACKSPACE], out);
            } else {
                let (bytes, len) = self.char_bytes(start, self.ring.len());
                let columns = echo::echo_columns(&bytes[..len], self.lflag(ECHOCTL));
                self.wipe(columns, WIPE_COLUMN, out);
            }
        }
        self.ring.truncate(start);
    }

    /// Sends `pattern` once per column.
    fn wipe(&mut self, columns: usize, pattern: &[u8], out: &mut impl FnMut(&[u8])) {
        for _ in 0..columns {
            self.emit(pattern, out);
        }
    }

    /// Whether the edit line's last byte is a blank (space or tab); `None` if the line is empty.
    fn last_byte_is_blank(&self) -> Option<bool> {
        let len = self.ring.len();
        (len > self.committed).then(|| matches!(self.ring.byte(len - 1), b' ' | TAB))
    }

    /// Where the edit line's last character starts: walking back over continuation bytes to
    /// a first byte that begins exactly them, or else the last byte alone.
    fn last_char_start(&self) -> usize {
        let end = self.ring.len();
        let longest = MAX_LEN.min(end - self.committed);
        for back in 1..=longest {
            let start = end - back;
            if !utf8::is_continuation(self.ring.byte(start)) {
                let (bytes, len) = self.char_bytes(start, end);
                let whole = len == back && utf8::decode(&bytes[..len]).is_some();
                return if whole { start } else { end - 1 };
            }
        }
        end - 1
    }

    /// The bytes of the character at `start` (one byte if it does not begin a valid character
    /// ending by `end`), copied out of the ring, with their count.
    fn char_bytes(&self, start: usize, end: usize) -> ([u8; MAX_LEN], usize) {
        let mut bytes = [0; MAX_LEN];
        let len = utf8::sequence_len(self.ring.byte(start));
        if start + len <= end {
            for (offset, slot) in bytes[..len].iter_mut().enumerate() {
                *slot = self.ring.byte(start + offset);
            }
            if utf8::decode(&bytes[..len]).is_some() {
                return (bytes, len);
            }
        }
        bytes[0] = self.ring.byte(start);
        (bytes, 1)
    }

    /// The screen column after echoing the edit line up to position `end`, replaying its echo
    /// from the column the line began in.
    fn column_after(&self, end: usize) -> usize {
        let echoctl = self.lflag(ECHOCTL);
        let mut column = self.line_column;
        let mut index = self.committed;
        while index < end {
            let (bytes, len) = self.char_bytes(index, end);
            column = if bytes[0] == TAB {
                echo::next_tab_stop(column)
            } else {
                column + echo::echo_columns(&bytes[..len], echoctl)
            };
            index += len;
        }
        column
    }
}
