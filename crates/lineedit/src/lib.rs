//! A line editor for the kernel console: insert, delete, move, recall history, submit.
//!
//! The console reads keys from two places at once, a PC keyboard and a serial terminal, and
//! shows the line on two displays at once, the framebuffer and the terminal. This crate is the
//! part in between, and knows neither: [`Key`]s come in, and what the displays must do goes out
//! as text with a few VT100 escape sequences (cursor left and right, erase to the end of the
//! line), which a serial terminal understands natively and Ferrite's screen console interprets
//! the same way (see the `textgrid` crate). A serial terminal sends its keys as bytes, arrow keys
//! as escape sequences too; [`SerialDecoder`] turns them into [`Key`]s.
//!
//! The kernel has no heap when the console starts, so the line and the history live in
//! fixed-size arrays: [`MAX_LINE`] characters per line, [`HISTORY`] remembered lines. A key that
//! would make the line longer than that is refused with [`Outcome::TooLong`], so the console can
//! say why instead of silently dropping it.
//!
//! Everything here is pure and tested on the host.

#![no_std]

use core::fmt::{self, Write};

/// Most characters a line holds.
pub const MAX_LINE: usize = 120;
/// How many submitted lines the history remembers.
pub const HISTORY: usize = 16;

/// A key, from either input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A printable character.
    Char(char),
    /// Enter / Return.
    Enter,
    /// Delete the character before the cursor.
    Backspace,
    /// Delete the character under the cursor.
    Delete,
    /// Cursor one left.
    Left,
    /// Cursor one right.
    Right,
    /// Previous history entry.
    Up,
    /// Next history entry (or back to the line being typed).
    Down,
    /// Start of the line.
    Home,
    /// End of the line.
    End,
    /// Ctrl-C: abandon the line.
    Cancel,
    /// Ctrl-U: erase the whole line.
    Kill,
}

/// Keys other than characters, in the order of their codes in [`Key::to_bits`].
const NAMED_KEYS: [Key; 11] = [
    Key::Enter,
    Key::Backspace,
    Key::Delete,
    Key::Left,
    Key::Right,
    Key::Up,
    Key::Down,
    Key::Home,
    Key::End,
    Key::Cancel,
    Key::Kill,
];
/// Named keys are coded from this bit up; characters (at most 0x10FFFF) stay below it.
const NAMED_SHIFT: u32 = 24;

impl Key {
    /// The key as one 32-bit word, so an interrupt handler can pass it through a lock-free
    /// queue of atomics: a character is its code point, a named key is its index (plus one)
    /// shifted above every code point.
    pub fn to_bits(self) -> u32 {
        match self {
            Key::Char(c) => u32::from(c),
            named => {
                let index = NAMED_KEYS.iter().position(|&k| k == named).unwrap_or(0);
                (index as u32 + 1) << NAMED_SHIFT
            }
        }
    }

    /// The key [`Key::to_bits`] coded, or `None` for a word it cannot have made.
    pub fn from_bits(bits: u32) -> Option<Key> {
        match bits >> NAMED_SHIFT {
            0 => char::from_u32(bits).map(Key::Char),
            index => NAMED_KEYS.get(index as usize - 1).copied(),
        }
    }
}

/// What a key did, for the console to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The line changed or the cursor moved (or nothing happened); keep reading.
    Editing,
    /// Enter: the line is complete; read it with [`LineEditor::line`].
    Submitted,
    /// The key was refused because the line is full.
    TooLong,
    /// Ctrl-C: the line was abandoned.
    Cancelled,
}

/// One line of text in a fixed array.
#[derive(Clone, Copy)]
struct Line {
    chars: [char; MAX_LINE],
    len: usize,
}

impl Line {
    const EMPTY: Line = Line {
        chars: [' '; MAX_LINE],
        len: 0,
    };

    fn as_slice(&self) -> &[char] {
        &self.chars[..self.len]
    }
}

/// The line being edited, its cursor, and the history.
pub struct LineEditor {
    line: Line,
    cursor: usize,
    history: [Line; HISTORY],
    /// How many history entries are filled.
    stored: usize,
    /// Index of the newest entry in `history` (a ring).
    newest: usize,
    /// While browsing history: how far back (1 = newest). 0: editing the fresh line.
    browsing: usize,
    /// The fresh line, kept while browsing so Down can return to it.
    draft: Line,
}

impl Default for LineEditor {
    fn default() -> Self {
        Self::new()
    }
}

/// Writes `chars` to `out`.
fn put(out: &mut impl Write, chars: &[char]) -> fmt::Result {
    chars.iter().try_for_each(|&c| out.write_char(c))
}

/// Moves the terminal cursor `n` columns left.
fn left(out: &mut impl Write, n: usize) -> fmt::Result {
    match n {
        0 => Ok(()),
        1 => out.write_str("\u{1b}[D"),
        n => write!(out, "\u{1b}[{n}D"),
    }
}

impl LineEditor {
    /// An empty editor with an empty history.
    pub const fn new() -> Self {
        LineEditor {
            line: Line::EMPTY,
            cursor: 0,
            history: [Line::EMPTY; HISTORY],
            stored: 0,
            newest: 0,
            browsing: 0,
            draft: Line::EMPTY,
        }
    }

    /// The current line's characters.
    pub fn chars(&self) -> &[char] {
        self.line.as_slice()
    }

    /// The current line as text (written into `out`).
    pub fn line(&self, out: &mut impl Write) -> fmt::Result {
        put(out, self.line.as_slice())
    }

    /// The cursor's position in the line.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Applies `key`, writing what the display must do to `out`.
    pub fn feed(&mut self, key: Key, out: &mut impl Write) -> Result<Outcome, fmt::Error> {
        match key {
            Key::Char(c) => return self.insert(c, out),
            Key::Enter => {
                out.write_str("\n")?;
                self.remember();
                return Ok(Outcome::Submitted);
            }
            Key::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                left(out, 1)?;
                self.remove_at_cursor(out)?;
            }
            Key::Delete if self.cursor < self.line.len => self.remove_at_cursor(out)?,
            Key::Left if self.cursor > 0 => {
                self.cursor -= 1;
                left(out, 1)?;
            }
            Key::Right if self.cursor < self.line.len => {
                out.write_char(self.line.chars[self.cursor])?;
                self.cursor += 1;
            }
            Key::Home => {
                left(out, self.cursor)?;
                self.cursor = 0;
            }
            Key::End => {
                put(out, &self.line.chars[self.cursor..self.line.len])?;
                self.cursor = self.line.len;
            }
            Key::Up if self.browsing < self.stored => {
                if self.browsing == 0 {
                    self.draft = self.line;
                }
                self.browsing += 1;
                let entry = self.history[(self.newest + HISTORY + 1 - self.browsing) % HISTORY];
                self.replace(entry, out)?;
            }
            Key::Down if self.browsing > 0 => {
                self.browsing -= 1;
                let entry = if self.browsing == 0 {
                    self.draft
                } else {
                    self.history[(self.newest + HISTORY + 1 - self.browsing) % HISTORY]
                };
                self.replace(entry, out)?;
            }
            Key::Kill => self.replace(Line::EMPTY, out)?,
            Key::Cancel => {
                out.write_str("^C\n")?;
                self.browsing = 0;
                return Ok(Outcome::Cancelled);
            }
            // Keys with nothing to do where the cursor is (Backspace at the start, ...).
            _ => {}
        }
        Ok(Outcome::Editing)
    }

    /// Starts a fresh, empty line (after a submitted or cancelled one).
    pub fn clear(&mut self) {
        self.line = Line::EMPTY;
        self.cursor = 0;
        self.browsing = 0;
    }

    /// Writes the whole line and puts the cursor where it belongs, for redrawing after the
    /// console printed something else (an error message, say).
    pub fn redraw(&self, out: &mut impl Write) -> fmt::Result {
        put(out, self.line.as_slice())?;
        left(out, self.line.len - self.cursor)
    }

    fn insert(&mut self, c: char, out: &mut impl Write) -> Result<Outcome, fmt::Error> {
        if c.is_control() {
            return Ok(Outcome::Editing);
        }
        if self.line.len == MAX_LINE {
            return Ok(Outcome::TooLong);
        }
        self.line
            .chars
            .copy_within(self.cursor..self.line.len, self.cursor + 1);
        self.line.chars[self.cursor] = c;
        self.line.len += 1;
        // Print from the new character to the end, then step back over the tail.
        put(out, &self.line.chars[self.cursor..self.line.len])?;
        self.cursor += 1;
        left(out, self.line.len - self.cursor)?;
        Ok(Outcome::Editing)
    }

    /// Removes the character under the cursor and redraws the tail.
    fn remove_at_cursor(&mut self, out: &mut impl Write) -> fmt::Result {
        self.line
            .chars
            .copy_within(self.cursor + 1..self.line.len, self.cursor);
        self.line.len -= 1;
        self.redraw_tail(out)
    }

    /// Redraws from the cursor to the end of the line, erases what is beyond, and returns the
    /// display's cursor to the editor's.
    fn redraw_tail(&mut self, out: &mut impl Write) -> fmt::Result {
        put(out, &self.line.chars[self.cursor..self.line.len])?;
        out.write_str("\u{1b}[K")?;
        left(out, self.line.len - self.cursor)
    }

    /// Replaces the whole line with `line` on the display and in the editor, cursor at the end.
    fn replace(&mut self, line: Line, out: &mut impl Write) -> fmt::Result {
        left(out, self.cursor)?;
        self.line = line;
        put(out, self.line.as_slice())?;
        out.write_str("\u{1b}[K")?;
        self.cursor = self.line.len;
        Ok(())
    }

    /// Adds the submitted line to the history (not if empty, or the same as the newest).
    fn remember(&mut self) {
        self.browsing = 0;
        if self.line.len == 0 {
            return;
        }
        if self.stored > 0 && self.history[self.newest].as_slice() == self.line.as_slice() {
            return;
        }
        self.newest = (self.newest + 1) % HISTORY;
        self.history[self.newest] = self.line;
        self.stored = (self.stored + 1).min(HISTORY);
    }
}

/// Where the decoder is in a multi-byte sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecodeState {
    /// Between keys.
    Ground,
    /// After `\r`: a `\n` right after it belongs to the same Enter.
    AfterCr,
    /// After ESC.
    Escape,
    /// After ESC `[` or ESC `O`, with the numeric parameter so far.
    Sequence(u16),
    /// Inside a UTF-8 character: the bytes so far, how many, how many expected.
    Utf8([u8; 4], usize, usize),
}

/// Turns the bytes a serial terminal sends into [`Key`]s.
///
/// Terminals send printable characters as UTF-8, Enter as `\r` (some as `\r\n` or `\n`),
/// Backspace as DEL (0x7F) or BS (0x08), control keys as their control codes (Ctrl-C is 0x03),
/// and the arrow, Home, End and Delete keys as escape sequences (`ESC [ A` for up, `ESC [ 3 ~`
/// for Delete; ECMA-48 and the xterm documentation list them).
#[derive(Debug, Clone, Copy)]
pub struct SerialDecoder {
    state: DecodeState,
}

impl Default for SerialDecoder {
    fn default() -> Self {
        Self::new()
    }
}

/// Control codes a terminal sends.
mod code {
    pub const CTRL_A: u8 = 0x01;
    pub const CTRL_C: u8 = 0x03;
    pub const CTRL_E: u8 = 0x05;
    pub const BACKSPACE: u8 = 0x08;
    pub const LINE_FEED: u8 = 0x0A;
    pub const CARRIAGE_RETURN: u8 = 0x0D;
    pub const CTRL_U: u8 = 0x15;
    pub const ESCAPE: u8 = 0x1B;
    pub const DELETE: u8 = 0x7F;
}

impl SerialDecoder {
    /// A decoder between keys.
    pub const fn new() -> Self {
        SerialDecoder {
            state: DecodeState::Ground,
        }
    }

    /// Takes one byte; returns a key when the byte completes one.
    pub fn feed(&mut self, byte: u8) -> Option<Key> {
        match self.state {
            DecodeState::Escape => {
                self.state = match byte {
                    b'[' | b'O' => DecodeState::Sequence(0),
                    _ => DecodeState::Ground,
                };
                None
            }
            DecodeState::Sequence(parameter) => {
                if byte.is_ascii_digit() {
                    let value = parameter
                        .saturating_mul(10)
                        .saturating_add(u16::from(byte - b'0'));
                    self.state = DecodeState::Sequence(value);
                    return None;
                }
                self.state = DecodeState::Ground;
                match (byte, parameter) {
                    (b'A', _) => Some(Key::Up),
                    (b'B', _) => Some(Key::Down),
                    (b'C', _) => Some(Key::Right),
                    (b'D', _) => Some(Key::Left),
                    (b'H', _) | (b'~', 1 | 7) => Some(Key::Home),
                    (b'F', _) | (b'~', 4 | 8) => Some(Key::End),
                    (b'~', 3) => Some(Key::Delete),
                    (b';', _) => {
                        // A modifier parameter follows (ESC [ 1 ; 5 C): keep reading.
                        self.state = DecodeState::Sequence(0);
                        None
                    }
                    _ => None,
                }
            }
            DecodeState::Utf8(mut bytes, have, need) => {
                if byte & 0xC0 != 0x80 {
                    // Not a continuation byte: the character was broken; start over with this.
                    self.state = DecodeState::Ground;
                    return self.feed(byte);
                }
                bytes[have] = byte;
                if have + 1 < need {
                    self.state = DecodeState::Utf8(bytes, have + 1, need);
                    return None;
                }
                self.state = DecodeState::Ground;
                core::str::from_utf8(&bytes[..need])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .map(Key::Char)
            }
            DecodeState::AfterCr if byte == code::LINE_FEED => {
                self.state = DecodeState::Ground;
                None
            }
            DecodeState::Ground | DecodeState::AfterCr => {
                self.state = DecodeState::Ground;
                self.ground(byte)
            }
        }
    }

    fn ground(&mut self, byte: u8) -> Option<Key> {
        match byte {
            code::CARRIAGE_RETURN => {
                self.state = DecodeState::AfterCr;
                Some(Key::Enter)
            }
            code::LINE_FEED => Some(Key::Enter),
            code::DELETE | code::BACKSPACE => Some(Key::Backspace),
            code::CTRL_C => Some(Key::Cancel),
            code::CTRL_U => Some(Key::Kill),
            code::CTRL_A => Some(Key::Home),
            code::CTRL_E => Some(Key::End),
            code::ESCAPE => {
                self.state = DecodeState::Escape;
                None
            }
            0x20..=0x7E => Some(Key::Char(char::from(byte))),
            0xC2..=0xDF => self.start_utf8(byte, 2),
            0xE0..=0xEF => self.start_utf8(byte, 3),
            0xF0..=0xF4 => self.start_utf8(byte, 4),
            // Other control codes and stray continuation bytes.
            _ => None,
        }
    }

    fn start_utf8(&mut self, first: u8, need: usize) -> Option<Key> {
        self.state = DecodeState::Utf8([first, 0, 0, 0], 1, need);
        None
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    /// A tiny terminal: applies the editor's output to a line of cells, as textgrid would.
    #[derive(Default)]
    struct Screen {
        cells: Vec<char>,
        col: usize,
        raw: String,
    }

    impl Screen {
        fn apply(&mut self, out: &str) {
            self.raw.push_str(out);
            let mut chars = out.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\u{1b}' {
                    assert_eq!(chars.next(), Some('['));
                    let mut n = String::new();
                    let fin = loop {
                        let d = chars.next().unwrap();
                        if d.is_ascii_digit() {
                            n.push(d);
                        } else {
                            break d;
                        }
                    };
                    let n: usize = n.parse().unwrap_or(1);
                    match fin {
                        'D' => self.col -= n,
                        'C' => self.col += n,
                        'K' => self.cells.truncate(self.col),
                        other => panic!("unexpected sequence final {other}"),
                    }
                } else if c == '\n' {
                    self.col = 0;
                } else {
                    if self.col < self.cells.len() {
                        self.cells[self.col] = c;
                    } else {
                        self.cells.push(c);
                    }
                    self.col += 1;
                }
            }
        }

        fn text(&self) -> String {
            self.cells.iter().collect::<String>().trim_end().into()
        }
    }

    fn feed(editor: &mut LineEditor, screen: &mut Screen, keys: &[Key]) -> Outcome {
        let mut last = Outcome::Editing;
        for &key in keys {
            let mut out = String::new();
            last = editor.feed(key, &mut out).unwrap();
            screen.apply(&out);
            if last == Outcome::Editing {
                assert_eq!(
                    screen.col,
                    editor.cursor(),
                    "display cursor follows the editor after {key:?}"
                );
            }
        }
        last
    }

    fn typed(text: &str) -> Vec<Key> {
        text.chars().map(Key::Char).collect()
    }

    fn line(editor: &LineEditor) -> String {
        editor.chars().iter().collect()
    }

    #[test]
    fn typing_inserting_and_deleting() {
        let (mut e, mut s) = (LineEditor::new(), Screen::default());
        feed(&mut e, &mut s, &typed("helo"));
        feed(&mut e, &mut s, &[Key::Left, Key::Left, Key::Char('l')]);
        assert_eq!((line(&e), s.text()), ("hello".into(), "hello".into()));
        feed(
            &mut e,
            &mut s,
            &[Key::Home, Key::Delete, Key::End, Key::Backspace],
        );
        assert_eq!((line(&e), s.text()), ("ell".into(), "ell".into()));
        feed(&mut e, &mut s, &[Key::Left, Key::Backspace]);
        assert_eq!((line(&e), s.text()), ("el".into(), "el".into()));
        assert_eq!(e.cursor(), 1);
    }

    #[test]
    fn keys_with_nothing_to_do_do_nothing() {
        let (mut e, mut s) = (LineEditor::new(), Screen::default());
        feed(
            &mut e,
            &mut s,
            &[
                Key::Backspace,
                Key::Left,
                Key::Delete,
                Key::Right,
                Key::Up,
                Key::Down,
            ],
        );
        assert_eq!(s.raw, "");
        assert_eq!(line(&e), "");
    }

    #[test]
    fn enter_submits_and_history_recalls() {
        let (mut e, mut s) = (LineEditor::new(), Screen::default());
        for command in ["help", "uptime"] {
            feed(&mut e, &mut s, &typed(command));
            assert_eq!(feed(&mut e, &mut s, &[Key::Enter]), Outcome::Submitted);
            e.clear();
            s = Screen::default();
        }
        feed(&mut e, &mut s, &typed("ec"));
        feed(&mut e, &mut s, &[Key::Up]);
        assert_eq!((line(&e), s.text()), ("uptime".into(), "uptime".into()));
        feed(&mut e, &mut s, &[Key::Up]);
        assert_eq!((line(&e), s.text()), ("help".into(), "help".into()));
        feed(&mut e, &mut s, &[Key::Up]);
        assert_eq!(line(&e), "help", "no older entry");
        feed(&mut e, &mut s, &[Key::Down, Key::Down]);
        assert_eq!(
            (line(&e), s.text()),
            ("ec".into(), "ec".into()),
            "back to the draft"
        );
    }

    #[test]
    fn history_skips_empty_and_repeated_lines_and_forgets_the_oldest() {
        let (mut e, mut s) = (LineEditor::new(), Screen::default());
        let mut submit = |e: &mut LineEditor, text: &str| {
            feed(e, &mut s, &typed(text));
            feed(e, &mut s, &[Key::Enter]);
            e.clear();
        };
        submit(&mut e, "");
        submit(&mut e, "a");
        submit(&mut e, "a");
        for i in 0..HISTORY {
            submit(&mut e, &std::format!("cmd{i}"));
        }
        let mut s = Screen::default();
        let ups = std::vec![Key::Up; HISTORY + 3];
        feed(&mut e, &mut s, &ups);
        assert_eq!(line(&e), "cmd0", "the oldest kept entry; 'a' was forgotten");
    }

    #[test]
    fn a_full_line_refuses_more() {
        let (mut e, mut s) = (LineEditor::new(), Screen::default());
        let long: String = std::iter::repeat_n('x', MAX_LINE).collect();
        assert_eq!(feed(&mut e, &mut s, &typed(&long)), Outcome::Editing);
        assert_eq!(feed(&mut e, &mut s, &[Key::Char('y')]), Outcome::TooLong);
        assert_eq!(e.chars().len(), MAX_LINE);
        assert_eq!(
            feed(&mut e, &mut s, &[Key::Backspace, Key::Char('z')]),
            Outcome::Editing
        );
        assert_eq!(e.chars().last(), Some(&'z'));
    }

    #[test]
    fn cancel_and_kill() {
        let (mut e, mut s) = (LineEditor::new(), Screen::default());
        feed(&mut e, &mut s, &typed("oops"));
        feed(&mut e, &mut s, &[Key::Left, Key::Kill]);
        assert_eq!((line(&e), s.text()), ("".into(), "".into()));
        feed(&mut e, &mut s, &typed("again"));
        assert_eq!(feed(&mut e, &mut s, &[Key::Cancel]), Outcome::Cancelled);
    }

    #[test]
    fn redraw_restores_line_and_cursor() {
        let (mut e, mut s) = (LineEditor::new(), Screen::default());
        feed(&mut e, &mut s, &typed("abc"));
        feed(&mut e, &mut s, &[Key::Left, Key::Left]);
        let mut out = String::new();
        e.redraw(&mut out).unwrap();
        assert_eq!(out, "abc\u{1b}[2D");
    }

    #[test]
    fn keys_survive_coding_as_words() {
        let mut keys: Vec<Key> = NAMED_KEYS.to_vec();
        keys.extend(['a', 'ä', '€', '\u{10FFFF}'].map(Key::Char));
        for key in keys {
            assert_eq!(Key::from_bits(key.to_bits()), Some(key), "{key:?}");
        }
        assert_eq!(Key::from_bits(0xD800), None, "a surrogate is no char");
        assert_eq!(Key::from_bits(0xFF << NAMED_SHIFT), None);
    }

    fn decode(bytes: &[u8]) -> Vec<Key> {
        let mut d = SerialDecoder::new();
        bytes.iter().filter_map(|&b| d.feed(b)).collect()
    }

    #[test]
    fn decodes_terminal_bytes() {
        assert_eq!(
            decode(b"ab\r"),
            [Key::Char('a'), Key::Char('b'), Key::Enter]
        );
        assert_eq!(
            decode(b"a\r\nb\n"),
            [Key::Char('a'), Key::Enter, Key::Char('b'), Key::Enter]
        );
        assert_eq!(
            decode(b"\x1b[A\x1b[B\x1b[C\x1b[D"),
            [Key::Up, Key::Down, Key::Right, Key::Left]
        );
        assert_eq!(
            decode(b"\x1b[3~\x1b[H\x1b[F\x1bOH\x1b[1~\x1b[4~"),
            [
                Key::Delete,
                Key::Home,
                Key::End,
                Key::Home,
                Key::Home,
                Key::End
            ]
        );
        assert_eq!(
            decode(b"\x7f\x08\x03\x15\x01\x05"),
            [
                Key::Backspace,
                Key::Backspace,
                Key::Cancel,
                Key::Kill,
                Key::Home,
                Key::End
            ]
        );
        assert_eq!(decode(b"\x1b[1;5C"), [Key::Right], "modifiers are ignored");
        assert_eq!(decode(b"\x1bx"), [], "an unknown escape is dropped");
    }

    #[test]
    fn decodes_utf8_and_survives_broken_sequences() {
        assert_eq!(decode("ä€".as_bytes()), [Key::Char('ä'), Key::Char('€')]);
        assert_eq!(
            decode(&[0xC3, b'a']),
            [Key::Char('a')],
            "a broken character is dropped"
        );
        assert_eq!(decode(&[0x80, 0x00, b'z']), [Key::Char('z')]);
    }
}
