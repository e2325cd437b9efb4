//! The screen side: output processing, how input is shown, and where the cursor is.
//!
//! A terminal shows only what the computer sends it: a typed key appears because the line
//! discipline sends it back (echo), before any program has read it. Echo and program output go
//! to the same screen, through the same output processing: with OPOST and ONLCR a newline
//! becomes carriage return plus newline, because a terminal's line feed moves the cursor down
//! and leaves it in its column.
//!
//! Control characters are echoed as `^X` when ECHOCTL is on (Ctrl-C shows as `^C`, DEL as
//! `^?`): sent raw they would move the cursor, ring, or clear the screen. That makes erasing
//! depend on how a character was shown: `^C` takes two columns, a CJK character or an emoji two
//! (by the `textgrid` crate's width, the one Ferrite's screen uses), and a tab up to
//! [`TAB_WIDTH`]. How far a tab reached depends on the column the line began in, after the
//! shell's prompt, so the discipline follows the cursor through everything it sends
//! ([`Cursor`]); Linux does the same. A program that draws on the screen without going through
//! [`LineDiscipline::write`] makes that column wrong, which only the erasing of tabs notices.

use abi::tty::{Termios, ECHO, ECHOCTL, ONLCR, OPOST};

use crate::{utf8, LineDiscipline};

/// Newline (line feed), which ends a line.
pub(crate) const NL: u8 = b'\n';
/// Carriage return, which Enter sends.
pub(crate) const CR: u8 = b'\r';
/// Horizontal tab, the one control character echoed as itself.
pub(crate) const TAB: u8 = b'\t';
/// Bell: echoed when input is dropped because there is no room.
pub(crate) const BEL: u8 = 0x07;
/// Backspace: moves the cursor one column left without erasing.
pub(crate) const BACKSPACE: u8 = 0x08;
/// Escape: starts a sequence that moves the cursor or changes colour, printing nothing.
const ESC: u8 = 0x1b;
/// Delete: the last ASCII control character, after the printable ones.
const DEL: u8 = 0x7f;
/// The first printable ASCII character (space).
const FIRST_PRINTABLE: u8 = 0x20;
/// The caret that starts the `^X` form of a control character.
pub(crate) const CARET: u8 = b'^';
/// Flipping this bit turns a control character into the letter of its `^X` form (0x03 into
/// `C`, DEL into `?`).
const CONTROL_TO_LETTER: u8 = 0x40;
/// Columns between tab stops on a terminal.
pub(crate) const TAB_WIDTH: usize = 8;
/// What wipes one column: back, overwrite with a space, back again.
pub(crate) const WIPE_COLUMN: &[u8] = b"\x08 \x08";
/// The byte after ESC that starts a control sequence (CSI), which runs to a final byte.
const CSI_INTRODUCER: u8 = b'[';
/// The bytes that end a control sequence (ECMA-48 §5.4).
const CSI_FINAL: core::ops::RangeInclusive<u8> = 0x40..=0x7e;

/// Turns a program's output into the bytes the terminal needs, passing them to `out` in chunks:
/// with OPOST and ONLCR set in `termios`, each newline becomes carriage return plus newline.
pub fn process_output(termios: &Termios, bytes: &[u8], out: &mut impl FnMut(&[u8])) {
    let onlcr = OPOST | ONLCR;
    if termios.c_oflag & onlcr != onlcr {
        if !bytes.is_empty() {
            out(bytes);
        }
        return;
    }
    // Whole runs between newlines go out as they are: one call per line, not per byte.
    let mut rest = bytes;
    while let Some(newline) = rest.iter().position(|&byte| byte == NL) {
        if newline > 0 {
            out(&rest[..newline]);
        }
        out(&[CR, NL]);
        rest = &rest[newline + 1..];
    }
    if !rest.is_empty() {
        out(rest);
    }
}

/// Whether `byte` is an ASCII control character (below space, or DEL).
pub(crate) fn is_control(byte: u8) -> bool {
    byte < FIRST_PRINTABLE || byte == DEL
}

/// The `^X` form of the control character `byte`.
fn caret_form(byte: u8) -> [u8; 2] {
    [CARET, byte ^ CONTROL_TO_LETTER]
}

/// The first tab stop after `column`.
pub(crate) fn next_tab_stop(column: usize) -> usize {
    (column / TAB_WIDTH + 1) * TAB_WIDTH
}

/// Columns the echo of `bytes` took, where `bytes` is one character other than a tab, or one
/// byte that is not part of a valid character.
pub(crate) fn echo_columns(bytes: &[u8], echoctl: bool) -> usize {
    match bytes {
        [byte] if is_control(*byte) && echoctl => caret_form(*byte).len(),
        // Sent raw, a control character prints nothing (or moves the cursor, beyond repair).
        [byte] if is_control(*byte) => 0,
        // A byte that is not a character shows as one replacement glyph.
        _ => utf8::decode(bytes).map_or(1, textgrid::width),
    }
}

/// Progress through an escape sequence, whose bytes print nothing.
#[derive(Clone, Copy)]
enum Escape {
    /// Not in a sequence.
    None,
    /// After ESC.
    Started,
    /// Inside a control sequence (after ESC `[`), until its final byte.
    Csi,
}

/// The terminal cursor's column, as far as the bytes sent to it tell.
///
/// It counts each character as one column (a wide character in a prompt makes it one short,
/// which Linux's count shares) and knows carriage return, tab, backspace and escape sequences.
pub(crate) struct Cursor {
    /// The column, 0 at the left edge.
    column: usize,
    /// Whether the bytes are inside an escape sequence.
    escape: Escape,
}

impl Cursor {
    /// A cursor at the left edge.
    pub(crate) const fn new() -> Self {
        Cursor {
            column: 0,
            escape: Escape::None,
        }
    }

    /// The column, 0 at the left edge.
    pub(crate) fn column(&self) -> usize {
        self.column
    }

    /// Follows the cursor through bytes sent to the terminal.
    fn advance(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.step(byte);
        }
    }

    /// Follows the cursor through one byte.
    fn step(&mut self, byte: u8) {
        match self.escape {
            Escape::Started => {
                self.escape = if byte == CSI_INTRODUCER {
                    Escape::Csi
                } else {
                    Escape::None
                };
                return;
            }
            Escape::Csi => {
                if CSI_FINAL.contains(&byte) {
                    self.escape = Escape::None;
                }
                return;
            }
            Escape::None => {}
        }
        match byte {
            CR => self.column = 0,
            TAB => self.column = next_tab_stop(self.column),
            BACKSPACE => self.column = self.column.saturating_sub(1),
            ESC => self.escape = Escape::Started,
            // A bare line feed keeps the column; other controls print nothing, and a
            // character's continuation bytes were counted with its first byte.
            byte if is_control(byte) || utf8::is_continuation(byte) => {}
            _ => self.column += 1,
        }
    }
}

impl LineDiscipline {
    /// Sends a program's output (`write(2)`) to `out`, processed as `c_oflag` says, following
    /// the cursor so that erasing a tab later knows where the line began.
    pub fn write(&mut self, bytes: &[u8], out: &mut impl FnMut(&[u8])) {
        self.emit(bytes, out);
    }

    /// Sends bytes to the screen through output processing, following the cursor.
    pub(crate) fn emit(&mut self, bytes: &[u8], out: &mut impl FnMut(&[u8])) {
        let cursor = &mut self.cursor;
        process_output(&self.termios, bytes, &mut |chunk: &[u8]| {
            cursor.advance(chunk);
            out(chunk);
        });
    }

    /// Echoes one input byte, if ECHO is on: a control character other than tab as `^X` when
    /// ECHOCTL is on, anything else as itself.
    pub(crate) fn echo_char(&mut self, byte: u8, out: &mut impl FnMut(&[u8])) {
        if !self.lflag(ECHO) {
            return;
        }
        if is_control(byte) && byte != TAB && self.lflag(ECHOCTL) {
            self.emit(&caret_form(byte), out);
        } else {
            self.emit(&[byte], out);
        }
    }

    /// Rings the bell for a dropped byte, if ECHO is on (with echo off, the screen stays still).
    pub(crate) fn bell(&mut self, out: &mut impl FnMut(&[u8])) {
        if self.lflag(ECHO) {
            self.emit(&[BEL], out);
        }
    }
}
