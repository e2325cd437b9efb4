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
//! The line and the history live on the heap, up to a limit each editor is made with: the
//! kernel console's [`MAX_LINE`] characters, the user shell's 4,096 (command chains are long),
//! and [`HISTORY`] remembered lines. A key that would make the line longer than the limit is
//! refused with [`Outcome::TooLong`], and the line is then *poisoned*: Enter rejects it as a
//! whole ([`Outcome::Rejected`]) instead of running a truncated command, and the editor is ready
//! for the next line. (A paste longer than the limit must not run its first part as a command,
//! nor leak its tail into the next line.)
//!
//! Tab completes the word before the cursor through a [`Complete`]: the kernel console's
//! completes command names ([`Words`]); the shell's also completes paths, from the file system.
//!
//! Cursor movements count display columns, not characters: an emoji or a CJK character takes
//! two columns on a terminal and on Ferrite's screen alike ([`width`]), so erasing one moves the
//! cursor two columns back.
//!
//! Everything here is pure and tested on the host.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

/// Most characters a line of the kernel console holds (the default limit).
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
    /// Tab: complete the word (a command name, a path), or move to the next tab stop.
    Tab,
    /// Any other control code (Ctrl-D is 0x04, Ctrl-Z 0x1A): the line editor ignores it, a
    /// terminal passes it on to its line discipline.
    Control(u8),
}

/// Keys other than characters, in the order of their codes in [`Key::to_bits`].
const NAMED_KEYS: [Key; 12] = [
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
    Key::Tab,
];
/// Named keys are coded from this bit up; characters (at most 0x10FFFF) stay below it.
const NAMED_SHIFT: u32 = 24;
/// The code of [`Key::Control`] above [`NAMED_SHIFT`] (after the named keys); its byte sits in
/// the low bits.
const CONTROL_CODE: u32 = NAMED_KEYS.len() as u32 + 1;

impl Key {
    /// The key as one 32-bit word, so an interrupt handler can pass it through a lock-free
    /// queue of atomics: a character is its code point, a named key is its index (plus one)
    /// shifted above every code point.
    pub fn to_bits(self) -> u32 {
        match self {
            Key::Char(c) => u32::from(c),
            Key::Control(byte) => (CONTROL_CODE << NAMED_SHIFT) | u32::from(byte),
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
            CONTROL_CODE => u8::try_from(bits & 0xff).ok().map(Key::Control),
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
    /// The key was refused because the line is full; the line will be rejected at Enter.
    TooLong,
    /// Enter on a line that overflowed: it was discarded whole. Holds how many characters it
    /// had, counting the refused ones. The editor is empty again.
    Rejected(usize),
    /// Ctrl-C: the line was abandoned.
    Cancelled,
    /// Tab found several completions and wrote them on a line of their own: print the prompt
    /// and [`LineEditor::redraw`] the line.
    Listed,
}

/// Columns a tab stop is apart.
pub const TAB_STOP: usize = 8;

/// Display columns a character takes; the screen console (`textgrid`) counts the same way.
pub use textgrid::width;

/// Display columns of `chars`.
fn columns(chars: &[char]) -> usize {
    chars.iter().map(|&c| width(c)).sum()
}

/// One line of text, in a buffer made once with room for a whole line: after the editor is
/// made it never allocates, so the kernel's heap counts stay level however much is typed.
#[derive(Default, PartialEq, Eq)]
struct Line {
    chars: Vec<char>,
}

impl Line {
    fn with_room(limit: usize) -> Line {
        Line {
            chars: Vec::with_capacity(limit),
        }
    }

    fn as_slice(&self) -> &[char] {
        &self.chars
    }

    fn len(&self) -> usize {
        self.chars.len()
    }

    /// Makes this line a copy of `chars`, in its own buffer.
    fn set(&mut self, chars: &[char]) {
        self.chars.clear();
        self.chars.extend_from_slice(chars);
    }
}

/// What replaces the line: a history entry (by index, oldest first), the draft, or nothing.
#[derive(Clone, Copy)]
enum Recalled {
    History(usize),
    Draft,
    Nothing,
}

/// Where Tab looks for completions of the word before the cursor.
///
/// The editor knows nothing of commands or files: it asks this for the candidates of the word
/// being typed, and inserts what they share. A candidate that ends in `/` (a directory) is not
/// followed by a space, so Tab can go on into it.
pub trait Complete {
    /// Every completion of `word` (the text from the start of the word to the cursor), whole:
    /// each starts with `word`. `first` says whether the word is the line's first (a command).
    fn complete(&mut self, word: &str, first: bool) -> Vec<String>;

    /// Whether it completes words after the first too (paths). If not, Tab there moves to the
    /// next tab stop instead.
    fn completes_arguments(&self) -> bool {
        false
    }

    /// Whether it completes first words (commands). If not, Tab there moves to the next tab
    /// stop instead.
    fn completes_commands(&self) -> bool {
        true
    }
}

/// Completes the first word of a line from a fixed list of names, and nothing else.
pub struct Words(pub &'static [&'static str]);

impl Complete for Words {
    fn completes_commands(&self) -> bool {
        !self.0.is_empty()
    }

    fn complete(&mut self, word: &str, first: bool) -> Vec<String> {
        if !first {
            return Vec::new();
        }
        self.0
            .iter()
            .filter(|w| w.starts_with(word))
            .map(|w| String::from(*w))
            .collect()
    }
}

/// The line being edited, its cursor, and the history.
pub struct LineEditor {
    line: Line,
    cursor: usize,
    /// Submitted lines, oldest first: the first `stored` of [`HISTORY`] buffers.
    history: VecDeque<Line>,
    /// How many history buffers hold a line.
    stored: usize,
    /// While browsing history: how far back (1 = newest). 0: editing the fresh line.
    browsing: usize,
    /// The fresh line, kept while browsing so Down can return to it.
    draft: Line,
    /// Characters refused since the line filled up; the line is rejected at Enter if any were.
    overflow: usize,
    /// Most characters a line holds.
    limit: usize,
    /// Command names Tab completes when no other completer is given.
    words: &'static [&'static str],
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
    /// An empty editor with an empty history, whose lines hold at most [`MAX_LINE`] characters.
    pub fn new() -> Self {
        Self::with_limit(MAX_LINE)
    }

    /// An empty editor whose lines hold at most `limit` characters.
    pub fn with_limit(limit: usize) -> Self {
        LineEditor {
            line: Line::with_room(limit),
            cursor: 0,
            history: (0..HISTORY).map(|_| Line::with_room(limit)).collect(),
            stored: 0,
            browsing: 0,
            draft: Line::with_room(limit),
            overflow: 0,
            limit,
            words: &[],
        }
    }

    /// An empty editor whose Tab completes the first word of a line from `words`.
    pub fn with_words(words: &'static [&'static str]) -> Self {
        let mut editor = Self::new();
        editor.words = words;
        editor
    }

    /// The most characters a line holds.
    pub fn limit(&self) -> usize {
        self.limit
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

    /// Applies `key`, writing what the display must do to `out`; Tab completes from the words
    /// the editor was made with.
    pub fn feed(&mut self, key: Key, out: &mut impl Write) -> Result<Outcome, fmt::Error> {
        let mut words = Words(self.words);
        self.feed_with(key, out, &mut words)
    }

    /// As [`LineEditor::feed`], with Tab asking `completer`.
    pub fn feed_with(
        &mut self,
        key: Key,
        out: &mut impl Write,
        completer: &mut dyn Complete,
    ) -> Result<Outcome, fmt::Error> {
        if self.overflow > 0 {
            // Past the limit nothing refused is on the display: count, and uncount on Backspace.
            match key {
                Key::Char(c) if !c.is_control() => {
                    self.overflow += 1;
                    return Ok(Outcome::TooLong);
                }
                Key::Backspace => {
                    self.overflow -= 1;
                    return Ok(Outcome::Editing);
                }
                Key::Enter => {
                    out.write_str("\n")?;
                    let length = self.line.len() + self.overflow;
                    self.clear();
                    return Ok(Outcome::Rejected(length));
                }
                Key::Kill | Key::Cancel => self.overflow = 0,
                _ => {}
            }
        }
        match key {
            Key::Char(c) => return self.insert(c, out),
            Key::Tab => return self.tab(out, completer),
            Key::Enter => {
                out.write_str("\n")?;
                self.remember();
                return Ok(Outcome::Submitted);
            }
            Key::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                left(out, width(self.line.chars[self.cursor]))?;
                self.remove_at_cursor(out)?;
            }
            Key::Delete if self.cursor < self.line.len() => self.remove_at_cursor(out)?,
            Key::Left if self.cursor > 0 => {
                self.cursor -= 1;
                left(out, width(self.line.chars[self.cursor]))?;
            }
            Key::Right if self.cursor < self.line.len() => {
                out.write_char(self.line.chars[self.cursor])?;
                self.cursor += 1;
            }
            Key::Home => {
                left(out, columns(&self.line.chars[..self.cursor]))?;
                self.cursor = 0;
            }
            Key::End => {
                put(out, &self.line.chars[self.cursor..])?;
                self.cursor = self.line.len();
            }
            Key::Up if self.browsing < self.stored => {
                if self.browsing == 0 {
                    self.draft.set(self.line.as_slice());
                }
                self.browsing += 1;
                self.replace(Recalled::History(self.stored - self.browsing), out)?;
            }
            Key::Down if self.browsing > 0 => {
                self.browsing -= 1;
                let entry = if self.browsing == 0 {
                    Recalled::Draft
                } else {
                    Recalled::History(self.stored - self.browsing)
                };
                self.replace(entry, out)?;
            }
            Key::Kill => self.replace(Recalled::Nothing, out)?,
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

    /// Tab: completes the word before the cursor from `completer` (as far as its candidates
    /// agree; listing them when they differ and nothing more can be added). With no
    /// candidates, and nothing typed of a word, spaces up to the next tab stop.
    fn tab(
        &mut self,
        out: &mut impl Write,
        completer: &mut dyn Complete,
    ) -> Result<Outcome, fmt::Error> {
        let before = &self.line.chars[..self.cursor];
        let start = before
            .iter()
            .rposition(|&c| c == ' ')
            .map_or(0, |at| at + 1);
        let first = !before[..start].iter().any(|&c| c != ' ');
        let at_word_end = self.line.chars[self.cursor..]
            .first()
            .is_none_or(|&c| c == ' ');
        let word: String = before[start..].iter().collect();
        let candidates = if at_word_end {
            completer.complete(&word, first)
        } else {
            Vec::new()
        };
        if candidates.is_empty() {
            // A word with nothing to complete it: Tab does nothing, as in a shell.
            let completing = if first {
                completer.completes_commands()
            } else {
                completer.completes_arguments()
            };
            if !word.is_empty() && at_word_end && completing {
                return Ok(Outcome::Editing);
            }
            let spaces = TAB_STOP - columns(before) % TAB_STOP;
            for _ in 0..spaces {
                if self.insert(' ', out)? == Outcome::TooLong {
                    return Ok(Outcome::TooLong);
                }
            }
            return Ok(Outcome::Editing);
        }
        // The longest prefix every candidate shares, in characters.
        let shared = candidates[1..]
            .iter()
            .fold(candidates[0].chars().count(), |n, c| {
                n.min(
                    candidates[0]
                        .chars()
                        .zip(c.chars())
                        .take_while(|(a, b)| a == b)
                        .count(),
                )
            });
        let typed = word.chars().count();
        let addition: Vec<char> = candidates[0]
            .chars()
            .skip(typed)
            .take(shared.saturating_sub(typed))
            .collect();
        for &c in &addition {
            if self.insert(c, out)? == Outcome::TooLong {
                return Ok(Outcome::TooLong);
            }
        }
        if candidates.len() == 1 {
            if self.cursor == self.line.len() && !candidates[0].ends_with('/') {
                return self.insert(' ', out);
            }
            return Ok(Outcome::Editing);
        }
        if !addition.is_empty() {
            return Ok(Outcome::Editing);
        }
        out.write_str("\n")?;
        for (i, candidate) in candidates.iter().enumerate() {
            if i > 0 {
                out.write_str("  ")?;
            }
            // A path is listed by its last part, as shells do.
            let shown = candidate.trim_end_matches('/');
            let cut = shown.rfind('/').map_or(0, |at| at + 1);
            out.write_str(&candidate[cut..])?;
        }
        out.write_str("\n")?;
        Ok(Outcome::Listed)
    }

    /// Starts a fresh, empty line (after a submitted or cancelled one).
    pub fn clear(&mut self) {
        self.line.chars.clear();
        self.cursor = 0;
        self.browsing = 0;
        self.overflow = 0;
    }

    /// Writes the whole line and puts the cursor where it belongs, for redrawing after the
    /// console printed something else (an error message, say).
    pub fn redraw(&self, out: &mut impl Write) -> fmt::Result {
        put(out, self.line.as_slice())?;
        left(out, columns(&self.line.chars[self.cursor..]))
    }

    fn insert(&mut self, c: char, out: &mut impl Write) -> Result<Outcome, fmt::Error> {
        if c.is_control() {
            return Ok(Outcome::Editing);
        }
        if self.line.len() >= self.limit {
            self.overflow += 1;
            return Ok(Outcome::TooLong);
        }
        self.line.chars.insert(self.cursor, c);
        // Print from the new character to the end, then step back over the tail.
        put(out, &self.line.chars[self.cursor..])?;
        self.cursor += 1;
        left(out, columns(&self.line.chars[self.cursor..]))?;
        Ok(Outcome::Editing)
    }

    /// Removes the character under the cursor and redraws the tail.
    fn remove_at_cursor(&mut self, out: &mut impl Write) -> fmt::Result {
        self.line.chars.remove(self.cursor);
        self.redraw_tail(out)
    }

    /// Redraws from the cursor to the end of the line, erases what is beyond, and returns the
    /// display's cursor to the editor's.
    fn redraw_tail(&mut self, out: &mut impl Write) -> fmt::Result {
        put(out, &self.line.chars[self.cursor..])?;
        out.write_str("\u{1b}[K")?;
        left(out, columns(&self.line.chars[self.cursor..]))
    }

    /// Replaces the whole line with `line` on the display and in the editor, cursor at the end.
    fn replace(&mut self, line: Recalled, out: &mut impl Write) -> fmt::Result {
        // A whole new line (history, Ctrl-U): whatever overflowed the old one is gone with it.
        self.overflow = 0;
        left(out, columns(&self.line.chars[..self.cursor]))?;
        match line {
            Recalled::History(index) => self.line.set(self.history[index].as_slice()),
            Recalled::Draft => self.line.set(self.draft.as_slice()),
            Recalled::Nothing => self.line.chars.clear(),
        }
        put(out, self.line.as_slice())?;
        out.write_str("\u{1b}[K")?;
        self.cursor = self.line.len();
        Ok(())
    }

    /// Adds the submitted line to the history (not if empty, or the same as the newest).
    fn remember(&mut self) {
        self.browsing = 0;
        if self.line.len() == 0 || (self.stored > 0 && self.history[self.stored - 1] == self.line) {
            return;
        }
        if self.stored == HISTORY {
            // The oldest buffer becomes the newest entry's: rotate, do not reallocate.
            self.history.rotate_left(1);
        } else {
            self.stored += 1;
        }
        let newest = self.stored - 1;
        self.history[newest].set(self.line.as_slice());
    }
}

/// Most numeric parameters of a control sequence the decoder keeps (more are read and ignored).
const MAX_PARAMS: usize = 2;

/// A control sequence (`ESC [` parameters, intermediates, final byte) being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Csi {
    /// The numeric parameters so far (an empty one reads as 0).
    params: [u16; MAX_PARAMS],
    /// How many parameters have started (the one being read included).
    count: usize,
    /// A private marker (`<`, `=`, `>`, `?`) or an intermediate byte appeared: no key of ours
    /// looks like that, so the sequence is read to its end and ignored.
    foreign: bool,
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
    /// After ESC `O` (SS3): one final byte names the key.
    Ss3,
    /// Inside a control sequence, after ESC `[`.
    Sequence(Csi),
    /// Inside a UTF-8 character: the bytes so far, how many, how many expected.
    Utf8([u8; 4], usize, usize),
}

/// Turns the bytes a serial terminal sends into [`Key`]s.
///
/// Terminals send printable characters as UTF-8, Enter as `\r` (some as `\r\n` or `\n`),
/// Backspace as DEL (0x7F) or BS (0x08), control keys as their control codes (Ctrl-C is 0x03),
/// and the arrow, Home, End and Delete keys as escape sequences (`ESC [ A` for up, `ESC [ 3 ~`
/// for Delete; ECMA-48 and the xterm documentation list them).
///
/// A lone Escape key (which `vi` needs) is a bare ESC: when the byte after an ESC does not start
/// a sequence, the decoder gives the Escape key first ([`Key::Control`] 0x1B) and that byte
/// after it, through [`SerialDecoder::replayed`].
#[derive(Debug, Clone, Copy)]
pub struct SerialDecoder {
    state: DecodeState,
    /// A byte taken after a lone ESC, still to be decoded ([`SerialDecoder::replayed`]).
    replay: Option<u8>,
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
    pub const TAB: u8 = 0x09;
    pub const LINE_FEED: u8 = 0x0A;
    pub const CARRIAGE_RETURN: u8 = 0x0D;
    pub const CTRL_U: u8 = 0x15;
    pub const ESCAPE: u8 = 0x1B;
    pub const DELETE: u8 = 0x7F;
}

impl SerialDecoder {
    /// The key the byte after a lone ESC makes, if [`SerialDecoder::feed`] kept one.
    pub fn replayed(&mut self) -> Option<Key> {
        let byte = self.replay.take()?;
        self.feed(byte)
    }

    /// The Escape key, if the last byte was an ESC that nothing followed: a caller that knows
    /// no more bytes are on their way (a serial port's line has been quiet for a while after
    /// the ESC) calls this, so that a lone Escape key is not held until the next key.
    pub fn flush(&mut self) -> Option<Key> {
        if matches!(self.state, DecodeState::Escape) {
            self.state = DecodeState::Ground;
            Some(Key::Control(code::ESCAPE))
        } else {
            None
        }
    }

    /// Whether the last byte was an ESC that nothing has followed yet (what [`flush`] would
    /// turn into the Escape key).
    ///
    /// [`flush`]: SerialDecoder::flush
    pub fn waiting_after_escape(&self) -> bool {
        matches!(self.state, DecodeState::Escape)
    }

    /// A decoder between keys.
    pub const fn new() -> Self {
        SerialDecoder {
            state: DecodeState::Ground,
            replay: None,
        }
    }

    /// Takes one byte; returns a key when the byte completes one. A byte may complete two (a
    /// lone ESC and what followed it): call [`SerialDecoder::replayed`] until it gives `None`.
    pub fn feed(&mut self, byte: u8) -> Option<Key> {
        match self.state {
            DecodeState::Escape => match byte {
                b'[' => {
                    self.state = DecodeState::Sequence(Csi {
                        params: [0; MAX_PARAMS],
                        count: 0,
                        foreign: false,
                    });
                    None
                }
                b'O' => {
                    self.state = DecodeState::Ss3;
                    None
                }
                // ESC ESC: the first was a lone Escape key; the second may start a sequence.
                code::ESCAPE => Some(Key::Control(code::ESCAPE)),
                // Anything else: the ESC was the Escape key, and this byte comes next.
                _ => {
                    self.state = DecodeState::Ground;
                    self.replay = Some(byte);
                    Some(Key::Control(code::ESCAPE))
                }
            },
            DecodeState::Ss3 => {
                self.state = DecodeState::Ground;
                match byte {
                    b'A' => Some(Key::Up),
                    b'B' => Some(Key::Down),
                    b'C' => Some(Key::Right),
                    b'D' => Some(Key::Left),
                    b'H' => Some(Key::Home),
                    b'F' => Some(Key::End),
                    _ => None,
                }
            }
            DecodeState::Sequence(mut csi) => match byte {
                // Parameter bytes (ECMA-48 5.4): digits and separators, then private markers.
                b'0'..=b'9' => {
                    csi.count = csi.count.max(1);
                    if let Some(p) = csi.params.get_mut(csi.count - 1) {
                        *p = p.saturating_mul(10).saturating_add(u16::from(byte - b'0'));
                    }
                    self.state = DecodeState::Sequence(csi);
                    None
                }
                b';' | b':' => {
                    csi.count = csi.count.max(1) + 1;
                    self.state = DecodeState::Sequence(csi);
                    None
                }
                0x3C..=0x3F | 0x20..=0x2F => {
                    csi.foreign = true;
                    self.state = DecodeState::Sequence(csi);
                    None
                }
                // The final byte ends the sequence.
                0x40..=0x7E => {
                    self.state = DecodeState::Ground;
                    if csi.foreign {
                        return None;
                    }
                    Self::csi_key(byte, &csi)
                }
                // ESC inside a sequence: that one was cut short; a new one starts.
                code::ESCAPE => {
                    self.state = DecodeState::Escape;
                    None
                }
                // Any other byte cannot be part of a sequence: drop the sequence, keep the byte.
                _ => {
                    self.state = DecodeState::Ground;
                    self.feed(byte)
                }
            },
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
            code::TAB => Some(Key::Tab),
            code::ESCAPE => {
                self.state = DecodeState::Escape;
                None
            }
            0x00..=0x1F => Some(Key::Control(byte)),
            0x20..=0x7E => Some(Key::Char(char::from(byte))),
            0xC2..=0xDF => self.start_utf8(byte, 2),
            0xE0..=0xEF => self.start_utf8(byte, 3),
            0xF0..=0xF4 => self.start_utf8(byte, 4),
            // Other control codes and stray continuation bytes.
            _ => None,
        }
    }

    /// The key a complete control sequence stands for, if it is one of ours. Only these are
    /// keys: arrows (`A`-`D`, any modifiers), Home and End (`H`, `F`, with no position or
    /// position 1, as `ESC [ 1 ; 5 H` for Ctrl-Home), and `~` with 1/7 (Home), 3 (Delete), 4/8
    /// (End). Everything else, such as a cursor position `ESC [ 9 ; 9 H`, a screen clear
    /// `ESC [ 2 J` or Shift-Tab `ESC [ Z`, is read whole and ignored.
    fn csi_key(last: u8, csi: &Csi) -> Option<Key> {
        let first = if csi.count == 0 { 0 } else { csi.params[0] };
        match last {
            b'A' => Some(Key::Up),
            b'B' => Some(Key::Down),
            b'C' => Some(Key::Right),
            b'D' => Some(Key::Left),
            b'H' if first <= 1 => Some(Key::Home),
            b'F' if first <= 1 => Some(Key::End),
            b'~' => match first {
                1 | 7 => Some(Key::Home),
                3 => Some(Key::Delete),
                4 | 8 => Some(Key::End),
                _ => None,
            },
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
                    // A wide character fills its cell and a filler cell after it.
                    for cell in [Some(c), None].into_iter().take(width(c)) {
                        let c = cell.unwrap_or('\0');
                        if self.col < self.cells.len() {
                            self.cells[self.col] = c;
                        } else {
                            self.cells.push(c);
                        }
                        self.col += 1;
                    }
                }
            }
        }

        fn text(&self) -> String {
            let text: String = self.cells.iter().filter(|&&c| c != '\0').collect();
            text.trim_end().into()
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
                    columns(&editor.chars()[..editor.cursor()]),
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
    fn an_over_long_line_is_rejected_whole_and_the_next_line_works() {
        let (mut e, mut s) = (LineEditor::new(), Screen::default());
        let long: String = std::iter::repeat_n('x', MAX_LINE).collect();
        assert_eq!(feed(&mut e, &mut s, &typed(&long)), Outcome::Editing);
        assert_eq!(feed(&mut e, &mut s, &typed("yyyyy")), Outcome::TooLong);
        assert_eq!(
            e.chars().len(),
            MAX_LINE,
            "refused keys are not in the line"
        );
        assert_eq!(
            feed(&mut e, &mut s, &[Key::Backspace]),
            Outcome::Editing,
            "Backspace takes back a refused key first"
        );
        assert_eq!(feed(&mut e, &mut s, &[Key::Left]), Outcome::Editing);
        assert_eq!(
            feed(&mut e, &mut s, &[Key::Enter]),
            Outcome::Rejected(MAX_LINE + 4)
        );
        assert_eq!(line(&e), "", "ready for the next line");
        let mut s = Screen::default();
        feed(&mut e, &mut s, &typed("help"));
        assert_eq!(feed(&mut e, &mut s, &[Key::Enter]), Outcome::Submitted);
        assert_eq!(line(&e), "help");
        e.clear();
        feed(&mut e, &mut s, &[Key::Up, Key::Up]);
        assert_eq!(line(&e), "help", "the rejected line is not in the history");
        // Recalling history over an overflowed line replaces it whole: Enter runs the recalled one.
        e.clear();
        let mut s = Screen::default();
        let long: String = std::iter::repeat_n('y', MAX_LINE + 3).collect();
        feed(&mut e, &mut s, &typed(&long));
        feed(&mut e, &mut s, &[Key::Up]);
        assert_eq!(feed(&mut e, &mut s, &[Key::Enter]), Outcome::Submitted);
        assert_eq!(line(&e), "help");
    }

    #[test]
    fn backspacing_below_the_limit_makes_the_line_good_again() {
        let (mut e, mut s) = (LineEditor::new(), Screen::default());
        let long: String = std::iter::repeat_n('x', MAX_LINE + 2).collect();
        feed(&mut e, &mut s, &typed(&long));
        feed(
            &mut e,
            &mut s,
            &[Key::Backspace, Key::Backspace, Key::Backspace],
        );
        assert_eq!(e.chars().len(), MAX_LINE - 1);
        assert_eq!(feed(&mut e, &mut s, &[Key::Enter]), Outcome::Submitted);
        let mut s = Screen::default();
        e.clear();
        feed(&mut e, &mut s, &typed(&long));
        assert_eq!(feed(&mut e, &mut s, &[Key::Kill]), Outcome::Editing);
        feed(&mut e, &mut s, &typed("ok"));
        assert_eq!(feed(&mut e, &mut s, &[Key::Enter]), Outcome::Submitted);
        assert_eq!(line(&e), "ok", "Ctrl-U forgets the overflow too");
    }

    #[test]
    fn tab_completes_command_names_and_otherwise_moves_to_a_tab_stop() {
        const WORDS: &[&str] = &["echo", "help", "heap", "uptime"];
        let mut e = LineEditor::with_words(WORDS);
        let mut s = Screen::default();
        feed(&mut e, &mut s, &[Key::Char('u'), Key::Tab]);
        assert_eq!((line(&e), s.text()), ("uptime ".into(), "uptime".into()));
        e.clear();
        let mut s = Screen::default();
        feed(&mut e, &mut s, &typed("h"));
        assert_eq!(feed(&mut e, &mut s, &[Key::Tab]), Outcome::Editing);
        assert_eq!(line(&e), "he", "as far as the matches agree");
        let mut out = String::new();
        assert_eq!(e.feed(Key::Tab, &mut out).unwrap(), Outcome::Listed);
        assert_eq!(out, "\nhelp  heap\n");
        assert_eq!(line(&e), "he", "listing changes nothing");
        e.clear();
        let mut s = Screen::default();
        feed(&mut e, &mut s, &typed("zz"));
        feed(&mut e, &mut s, &[Key::Tab]);
        assert_eq!(line(&e), "zz", "no match: nothing happens");
        e.clear();
        let mut s = Screen::default();
        feed(&mut e, &mut s, &typed("echo tab"));
        feed(&mut e, &mut s, &[Key::Tab]);
        feed(&mut e, &mut s, &typed("here"));
        assert_eq!(line(&e), "echo tab        here", "to column 16");
        let mut plain = LineEditor::new();
        let mut s = Screen::default();
        feed(
            &mut plain,
            &mut s,
            &[Key::Char('a'), Key::Tab, Key::Char('b')],
        );
        assert_eq!(line(&plain), "a       b");
    }

    #[test]
    fn an_editor_made_for_long_lines_takes_them_and_recalls_them_whole() {
        // The shell's editor: 4,096 characters (a 120-character limit once discarded ordinary
        // command chains).
        let mut e = LineEditor::with_limit(4096);
        let mut s = Screen::default();
        let long: String = std::iter::repeat_n("echo abc && ", 400).collect();
        let long = &long[..4096];
        assert_eq!(feed(&mut e, &mut s, &typed(long)), Outcome::Editing);
        assert_eq!(feed(&mut e, &mut s, &typed("z")), Outcome::TooLong);
        feed(&mut e, &mut s, &[Key::Backspace]);
        assert_eq!(feed(&mut e, &mut s, &[Key::Enter]), Outcome::Submitted);
        assert_eq!(line(&e), long);
        e.clear();
        let mut s = Screen::default();
        feed(&mut e, &mut s, &[Key::Up]);
        assert_eq!(line(&e), long, "history keeps the whole line");
        feed(&mut e, &mut s, &[Key::Home, Key::Delete]);
        assert_eq!(e.chars().len(), 4095);
    }

    /// A file system of three names under `/tmp`, for path completion.
    struct Files;

    impl Complete for Files {
        fn completes_arguments(&self) -> bool {
            true
        }

        fn complete(&mut self, word: &str, _first: bool) -> Vec<String> {
            ["/tmp/notes.txt", "/tmp/notebook/", "/proc/meminfo"]
                .iter()
                .filter(|p| p.starts_with(word))
                .map(|p| String::from(*p))
                .collect()
        }
    }

    fn feed_files(e: &mut LineEditor, keys: &[Key]) -> (Outcome, String) {
        let mut out = String::new();
        let mut last = Outcome::Editing;
        for &key in keys {
            last = e.feed_with(key, &mut out, &mut Files).unwrap();
        }
        (last, out)
    }

    #[test]
    fn tab_completes_paths_through_the_completer() {
        let mut e = LineEditor::new();
        feed_files(&mut e, &typed("cat /proc/me"));
        feed_files(&mut e, &[Key::Tab]);
        assert_eq!(
            line(&e),
            "cat /proc/meminfo ",
            "one match: completed, then a space"
        );
        e.clear();
        feed_files(&mut e, &typed("ls /tmp/no"));
        feed_files(&mut e, &[Key::Tab]);
        assert_eq!(line(&e), "ls /tmp/note", "as far as the matches agree");
        let (outcome, out) = feed_files(&mut e, &[Key::Tab]);
        assert_eq!(outcome, Outcome::Listed);
        assert_eq!(out, "\nnotes.txt  notebook/\n", "listed by their last part");
        feed_files(&mut e, &typed("b"));
        feed_files(&mut e, &[Key::Tab]);
        assert_eq!(
            line(&e),
            "ls /tmp/notebook/",
            "a directory: no space, ready for more"
        );
        e.clear();
        feed_files(&mut e, &typed("cat /nothing"));
        let (_, out) = feed_files(&mut e, &[Key::Tab]);
        assert_eq!(
            (line(&e), out),
            ("cat /nothing".into(), String::new()),
            "no match: nothing"
        );
    }

    #[test]
    fn wide_characters_are_erased_and_recalled_by_display_width() {
        let (mut e, mut s) = (LineEditor::new(), Screen::default());
        feed(&mut e, &mut s, &typed("echo 😀😀😀😀"));
        assert_eq!(s.col, 5 + 8, "each emoji takes two columns");
        feed(&mut e, &mut s, &[Key::Backspace; 4]);
        assert_eq!((line(&e), s.text()), ("echo ".into(), "echo".into()));
        feed(&mut e, &mut s, &typed("漢字x"));
        feed(
            &mut e,
            &mut s,
            &[Key::Home, Key::Right, Key::End, Key::Left],
        );
        feed(&mut e, &mut s, &[Key::Enter]);
        e.clear();
        let mut s = Screen::default();
        feed(&mut e, &mut s, &typed("ab"));
        feed(&mut e, &mut s, &[Key::Up]);
        assert_eq!(
            (line(&e), s.text()),
            ("echo 漢字x".into(), "echo 漢字x".into())
        );
        feed(&mut e, &mut s, &[Key::Down]);
        assert_eq!((line(&e), s.text()), ("ab".into(), "ab".into()));
        assert_eq!(
            (width('a'), width('😀'), width('字'), width('\u{301}')),
            (1, 2, 2, 0)
        );
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
        keys.extend([0, 4, 0x1F].map(Key::Control));
        for key in keys {
            assert_eq!(Key::from_bits(key.to_bits()), Some(key), "{key:?}");
        }
        assert_eq!(Key::from_bits(0xD800), None, "a surrogate is no char");
        assert_eq!(Key::from_bits(0xFF << NAMED_SHIFT), None);
    }

    fn decode(bytes: &[u8]) -> Vec<Key> {
        let mut d = SerialDecoder::new();
        let mut keys = Vec::new();
        for &b in bytes {
            let mut key = d.feed(b);
            while let Some(k) = key {
                keys.push(k);
                key = d.replayed();
            }
        }
        keys
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
        assert_eq!(decode(b"\x1b[1;5H\x1b[1;2F"), [Key::Home, Key::End]);
        assert_eq!(
            decode(b"\x1bx"),
            [Key::Control(0x1B), Key::Char('x')],
            "a lone Escape key, then the next key (vi's Escape then a command)"
        );
        assert_eq!(
            decode(b"\x1b:wq\r"),
            [
                Key::Control(0x1B),
                Key::Char(':'),
                Key::Char('w'),
                Key::Char('q'),
                Key::Enter
            ]
        );
        assert_eq!(decode(b"a\tb"), [Key::Char('a'), Key::Tab, Key::Char('b')]);
    }

    #[test]
    fn control_sequences_are_read_whole_and_unknown_ones_ignored() {
        // Issue 9: a cursor position, a screen clear and Shift-Tab, then "end": only "end".
        assert_eq!(decode(b"esc\x1b[999;999H\x1b[2J\x1b[Zend"), typed("escend"));
        assert_eq!(decode(b"\x1b[?25h\x1b[>0c\x1b[5~\x1b[24~x"), typed("x"));
        assert_eq!(decode(b"\x1b[1 q"), [], "an intermediate byte: not a key");
        assert_eq!(
            decode(b"\x1b[12;34;56;78Rz"),
            typed("z"),
            "more parameters than kept"
        );
        assert_eq!(
            decode(b"\x1b[1\x03"),
            [Key::Cancel],
            "a control byte cuts a sequence short and counts"
        );
        let mut d = SerialDecoder::new();
        assert_eq!(d.feed(0x1B), None);
        assert_eq!(
            d.flush(),
            Some(Key::Control(0x1B)),
            "a lone Escape, flushed"
        );
        assert_eq!(d.flush(), None);
        assert_eq!(d.feed(b'x'), Some(Key::Char('x')));
        assert_eq!(
            decode(b"\x1b\x1b[A"),
            [Key::Control(0x1B), Key::Up],
            "ESC ESC [ A: Escape, then Up"
        );
        assert_eq!(decode(b"\x1b[3\x1b[3~"), [Key::Delete], "ESC restarts");
        assert_eq!(
            decode(b"\x1bOA\x1bOF\x1bOP"),
            [Key::Up, Key::End],
            "SS3 keys; F1 ignored"
        );
    }

    #[test]
    fn decodes_utf8_and_survives_broken_sequences() {
        assert_eq!(decode("ä€".as_bytes()), [Key::Char('ä'), Key::Char('€')]);
        assert_eq!(
            decode(&[0xC3, b'a']),
            [Key::Char('a')],
            "a broken character is dropped"
        );
        assert_eq!(decode(&[0x80, b'z']), [Key::Char('z')]);
    }

    #[test]
    fn other_control_codes_pass_through_and_the_editor_ignores_them() {
        assert_eq!(
            decode(&[0x04, 0x00, 0x1A]),
            [Key::Control(4), Key::Control(0), Key::Control(0x1A)]
        );
        let mut editor = LineEditor::new();
        let mut out = String::new();
        editor.feed(Key::Char('a'), &mut out).unwrap();
        assert_eq!(editor.feed(Key::Control(4), &mut out), Ok(Outcome::Editing));
        assert_eq!(editor.chars(), ['a']);
    }
}
