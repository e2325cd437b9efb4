//! A terminal's character grid: where the next character goes, and what scrolls.
//!
//! A text console on a framebuffer is two problems. One is pixels: drawing a glyph at a cell,
//! in a pixel format the firmware chose. The other is bookkeeping: a cursor that advances,
//! lines that wrap at the right edge, control characters (`\n`, `\r`, `\t`, backspace), and a
//! screen that scrolls up when the cursor falls off the bottom. This crate is the second half
//! only. It knows nothing of pixels, so `cargo test` checks it on the host.
//!
//! The grid keeps every cell (character plus colours): it is the console's model of the screen,
//! which tests read, and from which a renderer can redraw any part. Each operation returns a
//! [`Change`] that tells the renderer the least it must redraw; a scroll is reported as such,
//! so a renderer can move its pixels up instead of drawing every glyph again.
//!
//! The grid also understands the few VT100/ANSI escape sequences a line editor needs (cursor
//! left and right, erase to the end of the line, clear the screen), so the kernel can send one
//! byte stream to the screen and to a serial terminal and both show the same thing. Anything
//! else that starts with ESC is swallowed whole rather than printed as garbage.
//!
//! The cells live in a slice the caller provides, so the grid works before the kernel has a
//! heap: the kernel hands it a static array sized for the largest screen it supports.

#![no_std]
#![forbid(unsafe_code)]

/// A colour as 8-bit red, green and blue intensities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb {
    /// Red intensity.
    pub r: u8,
    /// Green intensity.
    pub g: u8,
    /// Blue intensity.
    pub b: u8,
}

impl Rgb {
    /// Builds a colour from its three intensities.
    pub const fn new(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b }
    }
}

/// Foreground and background colour of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Colour of the glyph's set pixels.
    pub fg: Rgb,
    /// Colour of the glyph's unset pixels.
    pub bg: Rgb,
}

/// The console's default look: light grey on black, like a PC text mode.
pub const DEFAULT_STYLE: Style = Style {
    fg: Rgb::new(0xC0, 0xC0, 0xC0),
    bg: Rgb::new(0x00, 0x00, 0x00),
};

/// One character position on the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// The character shown; a space for an empty cell.
    pub ch: char,
    /// The colours it is shown in.
    pub style: Style,
}

/// An empty cell in the default style.
pub const BLANK: Cell = Cell {
    ch: ' ',
    style: DEFAULT_STYLE,
};

/// Tab stops are every this many columns.
pub const TAB_WIDTH: usize = 8;

/// What an operation changed, so the renderer redraws no more than it must.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Nothing visible changed (the cursor moved, say).
    None,
    /// One cell changed.
    Cell {
        /// Its column.
        col: usize,
        /// Its row.
        row: usize,
    },
    /// Every row moved up by one and the last row is blank: the renderer can move what it drew
    /// instead of drawing it again. If a character was written just before the scroll (the one
    /// that filled the last row), `redraw` names its cell in the scrolled grid.
    Scrolled {
        /// A cell, as (column, row) after the scroll, that must be drawn as well.
        redraw: Option<(usize, usize)>,
    },
    /// Cells `start..end` of one row changed (an erase).
    Span {
        /// The row.
        row: usize,
        /// First column.
        start: usize,
        /// One past the last column.
        end: usize,
    },
    /// Every cell may have changed (the grid was cleared, or several changes were merged).
    All,
}

/// Display columns `c` takes on a terminal: 2 for East Asian wide and full-width characters and
/// for emoji, 0 for combining marks, else 1. A compact form of Unicode's East Asian Width
/// property (UAX #11), covering the blocks a console meets; rare characters outside them count
/// as 1.
pub fn width(c: char) -> usize {
    const ZERO: [(u32, u32); 4] = [
        (0x0300, 0x036F), // combining diacritical marks
        (0x200B, 0x200F), // zero-width space, joiners, direction marks
        (0x20D0, 0x20FF), // combining marks for symbols
        (0xFE00, 0xFE0F), // variation selectors
    ];
    const WIDE: [(u32, u32); 14] = [
        (0x1100, 0x115F),   // Hangul Jamo initials
        (0x2E80, 0x303E),   // CJK radicals, punctuation
        (0x3041, 0x33FF),   // kana, CJK compatibility
        (0x3400, 0x4DBF),   // CJK extension A
        (0x4E00, 0x9FFF),   // CJK unified ideographs
        (0xA000, 0xA4CF),   // Yi
        (0xAC00, 0xD7A3),   // Hangul syllables
        (0xF900, 0xFAFF),   // CJK compatibility ideographs
        (0xFE30, 0xFE4F),   // CJK compatibility forms
        (0xFF00, 0xFF60),   // full-width forms
        (0xFFE0, 0xFFE6),   // full-width signs
        (0x1F300, 0x1F64F), // pictographs, emoticons
        (0x1F900, 0x1F9FF), // supplemental symbols and pictographs
        (0x20000, 0x3FFFD), // CJK extensions B and later
    ];
    let code = u32::from(c);
    let within = |ranges: &[(u32, u32)]| ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&code));
    if within(&ZERO) {
        0
    } else if within(&WIDE) {
        2
    } else {
        1
    }
}

/// The escape character that starts a control sequence.
const ESC: char = '\u{1b}';
/// Most digits a sequence's parameter keeps (larger values saturate).
const MAX_PARAMETER: u16 = 9999;

/// Where the grid is in an escape sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    /// Not in one: characters are printed.
    None,
    /// After ESC.
    Started,
    /// After ESC `[` (a Control Sequence Introducer), with the numeric parameter so far.
    Csi(Option<u16>),
}

impl Change {
    /// The smallest change that covers both `self` and `other`.
    pub fn merge(self, other: Change) -> Change {
        match (self, other) {
            (Change::None, x) | (x, Change::None) => x,
            (Change::Scrolled { .. }, _) | (_, Change::Scrolled { .. }) => Change::All,
            (a, b) if a == b => a,
            _ => Change::All,
        }
    }
}

/// A grid of `cols` × `rows` cells with a cursor.
pub struct Grid<'a> {
    cells: &'a mut [Cell],
    cols: usize,
    rows: usize,
    col: usize,
    row: usize,
    style: Style,
    escape: Escape,
}

impl<'a> Grid<'a> {
    /// Makes a blank grid of `cols` × `rows` cells in `storage`, which must hold at least that
    /// many cells. Returns `None` if it does not, or if either side is zero.
    pub fn new(storage: &'a mut [Cell], cols: usize, rows: usize) -> Option<Self> {
        let needed = cols.checked_mul(rows)?;
        if cols == 0 || rows == 0 || storage.len() < needed {
            return None;
        }
        let cells = &mut storage[..needed];
        cells.fill(BLANK);
        Some(Self {
            cells,
            cols,
            rows,
            col: 0,
            row: 0,
            style: DEFAULT_STYLE,
            escape: Escape::None,
        })
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The cursor as (column, row).
    pub fn cursor(&self) -> (usize, usize) {
        (self.col, self.row)
    }

    /// The style that newly written characters get.
    pub fn style(&self) -> Style {
        self.style
    }

    /// Sets the style for characters written from now on.
    pub fn set_style(&mut self, style: Style) {
        self.style = style;
    }

    /// The cell at (`col`, `row`). Panics outside the grid, like slice indexing.
    pub fn cell(&self, col: usize, row: usize) -> Cell {
        assert!(col < self.cols && row < self.rows, "cell outside the grid");
        self.cells[row * self.cols + col]
    }

    /// The characters of one row, for tests and diagnostics, with trailing blanks dropped.
    pub fn row_text(&self, row: usize) -> impl Iterator<Item = char> + '_ {
        let line = &self.cells[row * self.cols..(row + 1) * self.cols];
        let used = line.iter().rposition(|c| c.ch != ' ').map_or(0, |i| i + 1);
        line[..used].iter().map(|c| c.ch)
    }

    /// Blanks every cell and puts the cursor home.
    pub fn clear(&mut self) -> Change {
        let blank = Cell {
            ch: ' ',
            style: self.style,
        };
        self.cells.fill(blank);
        self.col = 0;
        self.row = 0;
        Change::All
    }

    /// Writes one character at the cursor and advances it, interpreting `\n` (next line),
    /// `\r` (start of line), `\t` (next tab stop, without erasing) and backspace (one column
    /// left, without erasing). Other control characters are ignored.
    ///
    /// Escape sequences: `ESC [ n D` and `ESC [ n C` move the cursor `n` columns left or right
    /// (default 1, stopping at the edges), `ESC [ K` erases from the cursor to the end of the
    /// line, `ESC [ 2 J` clears the grid and `ESC [ H` puts the cursor home. Other sequences are
    /// consumed and ignored.
    pub fn write_char(&mut self, ch: char) -> Change {
        match self.escape {
            Escape::None => {}
            Escape::Started => {
                self.escape = if ch == '[' {
                    Escape::Csi(None)
                } else {
                    Escape::None
                };
                return Change::None;
            }
            Escape::Csi(parameter) => return self.control_sequence(parameter, ch),
        }
        match ch {
            ESC => {
                self.escape = Escape::Started;
                Change::None
            }
            '\n' => {
                self.col = 0;
                self.line_feed()
            }
            '\r' => {
                self.col = 0;
                Change::None
            }
            '\t' => {
                // As on a VT100: move to the next tab stop, or to the last column if there is
                // none, without erasing what the cursor passes over and without wrapping.
                let stop = (self.col / TAB_WIDTH + 1) * TAB_WIDTH;
                self.col = stop.min(self.cols - 1);
                Change::None
            }
            '\u{8}' => {
                self.col = self.col.saturating_sub(1);
                Change::None
            }
            c if c.is_control() => Change::None,
            c => match width(c) {
                0 => Change::None, // a combining mark: drawn by nothing, takes no cell
                1 => self.put(c),
                _ => {
                    // Two columns, as on a terminal: the character, then a blank cell it
                    // covers. One that does not fit at the end of a row starts the next.
                    let mut change = Change::None;
                    if self.col + 1 == self.cols {
                        change = self.put(' ');
                    }
                    change = change.merge(self.put(c));
                    change.merge(self.put(' '))
                }
            },
        }
    }

    /// Continues a control sequence with `ch`: a digit adds to the parameter, anything else ends
    /// the sequence (a "final byte") and acts on it.
    fn control_sequence(&mut self, parameter: Option<u16>, ch: char) -> Change {
        if let Some(digit) = ch.to_digit(10) {
            let value = parameter
                .unwrap_or(0)
                .saturating_mul(10)
                .saturating_add(digit as u16);
            self.escape = Escape::Csi(Some(value.min(MAX_PARAMETER)));
            return Change::None;
        }
        if ch == ';' || ch == '?' {
            // Multi-parameter and private sequences: keep reading to the final byte, then ignore.
            self.escape = Escape::Csi(Some(MAX_PARAMETER));
            return Change::None;
        }
        self.escape = Escape::None;
        let count = usize::from(parameter.unwrap_or(1).max(1));
        match (ch, parameter) {
            ('D', _) => {
                self.col = self.col.saturating_sub(count);
                Change::None
            }
            ('C', _) => {
                self.col = (self.col + count).min(self.cols - 1);
                Change::None
            }
            ('K', None | Some(0)) => {
                let blank = Cell {
                    ch: ' ',
                    style: self.style,
                };
                let start = self.row * self.cols + self.col;
                self.cells[start..(self.row + 1) * self.cols].fill(blank);
                Change::Span {
                    row: self.row,
                    start: self.col,
                    end: self.cols,
                }
            }
            ('J', Some(2)) => {
                let (col, row) = (self.col, self.row);
                let change = self.clear();
                // ESC [ 2 J clears without moving the cursor; ESC [ H moves it.
                (self.col, self.row) = (col, row);
                change
            }
            ('H', None) => {
                (self.col, self.row) = (0, 0);
                Change::None
            }
            _ => Change::None,
        }
    }

    /// Writes every character of `s`; see [`Grid::write_char`].
    pub fn write_str(&mut self, s: &str) -> Change {
        s.chars()
            .fold(Change::None, |change, ch| change.merge(self.write_char(ch)))
    }

    /// Stores a printable character at the cursor and advances, wrapping at the right edge.
    fn put(&mut self, ch: char) -> Change {
        let (col, row) = (self.col, self.row);
        self.cells[row * self.cols + col] = Cell {
            ch,
            style: self.style,
        };
        self.col += 1;
        if self.col < self.cols {
            return Change::Cell { col, row };
        }
        self.col = 0;
        match self.line_feed() {
            // The written cell moved up with the scroll; on a one-row grid it scrolled away.
            Change::Scrolled { .. } => Change::Scrolled {
                redraw: row.checked_sub(1).map(|above| (col, above)),
            },
            _ => Change::Cell { col, row },
        }
    }

    /// Moves the cursor down one row, scrolling when it is on the last one.
    fn line_feed(&mut self) -> Change {
        if self.row + 1 < self.rows {
            self.row += 1;
            return Change::None;
        }
        self.cells.copy_within(self.cols.., 0);
        let blank = Cell {
            ch: ' ',
            style: self.style,
        };
        let last = (self.rows - 1) * self.cols;
        self.cells[last..].fill(blank);
        Change::Scrolled { redraw: None }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;
    use std::vec;

    fn text(grid: &Grid<'_>, row: usize) -> String {
        grid.row_text(row).collect()
    }

    #[test]
    fn refuses_storage_that_is_too_small() {
        let mut cells = vec![BLANK; 5];
        assert!(Grid::new(&mut cells, 3, 2).is_none());
        assert!(Grid::new(&mut cells, 0, 1).is_none());
        assert!(Grid::new(&mut cells, usize::MAX, 2).is_none());
        assert!(Grid::new(&mut cells, 5, 1).is_some());
    }

    #[test]
    fn writes_and_reports_cells() {
        let mut cells = vec![BLANK; 20];
        let mut grid = Grid::new(&mut cells, 5, 4).unwrap();
        assert_eq!(grid.write_char('a'), Change::Cell { col: 0, row: 0 });
        assert_eq!(grid.write_char('b'), Change::Cell { col: 1, row: 0 });
        assert_eq!(grid.cursor(), (2, 0));
        assert_eq!(text(&grid, 0), "ab");
    }

    #[test]
    fn newline_and_carriage_return() {
        let mut cells = vec![BLANK; 20];
        let mut grid = Grid::new(&mut cells, 5, 4).unwrap();
        assert_eq!(grid.write_str("abc\r"), Change::All);
        assert_eq!(grid.cursor(), (0, 0));
        grid.write_str("X\nyz");
        assert_eq!(text(&grid, 0), "Xbc");
        assert_eq!(text(&grid, 1), "yz");
        assert_eq!(grid.cursor(), (2, 1));
    }

    #[test]
    fn wraps_at_the_right_edge() {
        let mut cells = vec![BLANK; 20];
        let mut grid = Grid::new(&mut cells, 5, 4).unwrap();
        grid.write_str("0123456");
        assert_eq!(text(&grid, 0), "01234");
        assert_eq!(text(&grid, 1), "56");
        assert_eq!(grid.cursor(), (2, 1));
    }

    #[test]
    fn scrolls_when_the_cursor_leaves_the_bottom() {
        let mut cells = vec![BLANK; 9];
        let mut grid = Grid::new(&mut cells, 3, 3).unwrap();
        assert_eq!(grid.write_str("a\nb\nc"), Change::All);
        assert_eq!(grid.write_char('\n'), Change::Scrolled { redraw: None });
        assert_eq!(text(&grid, 0), "b");
        assert_eq!(text(&grid, 1), "c");
        assert_eq!(text(&grid, 2), "");
        assert_eq!(grid.cursor(), (0, 2));
    }

    #[test]
    fn filling_the_last_cell_scrolls() {
        let mut cells = vec![BLANK; 4];
        let mut grid = Grid::new(&mut cells, 2, 2).unwrap();
        grid.write_str("abcd");
        assert_eq!(text(&grid, 0), "cd");
        assert_eq!(text(&grid, 1), "");
        assert_eq!(grid.cursor(), (0, 1));
    }

    #[test]
    fn tabs_move_to_the_next_stop_without_erasing_or_wrapping() {
        let mut cells = vec![BLANK; 40];
        let mut grid = Grid::new(&mut cells, 20, 2).unwrap();
        grid.write_str("abcdefghij\r");
        assert_eq!(grid.write_str("\t"), Change::None);
        assert_eq!(grid.cursor(), (8, 0));
        grid.write_char('X');
        assert_eq!(text(&grid, 0), "abcdefghXj", "the tab erased nothing");
        // 9 -> 16 -> 19 (no stop left: the last column), and a third tab stays there.
        grid.write_str("\t\t\t");
        assert_eq!(grid.cursor(), (19, 0));
    }

    #[test]
    fn backspace_moves_left_and_stops_at_the_edge() {
        let mut cells = vec![BLANK; 10];
        let mut grid = Grid::new(&mut cells, 10, 1).unwrap();
        grid.write_str("ab\u{8}\u{8}\u{8}X");
        assert_eq!(text(&grid, 0), "Xb");
    }

    #[test]
    fn wide_characters_take_two_cells_and_combining_marks_none() {
        let mut storage = vec![BLANK; 6 * 2];
        let mut grid = Grid::new(&mut storage, 6, 2).unwrap();
        grid.write_str("a😀b\u{301}");
        assert_eq!(grid.cursor(), (4, 0));
        assert_eq!(text(&grid, 0), "a😀 b");
        grid.write_str("c字");
        assert_eq!(grid.cursor(), (2, 1), "the wide character wrapped whole");
        assert_eq!(text(&grid, 1), "字");
        assert_eq!(width('字'), 2);
    }

    #[test]
    fn other_control_characters_are_ignored() {
        let mut cells = vec![BLANK; 10];
        let mut grid = Grid::new(&mut cells, 10, 1).unwrap();
        assert_eq!(grid.write_str("\u{7}\u{1b}"), Change::None);
        assert_eq!(grid.cursor(), (0, 0));
    }

    #[test]
    fn styles_stick_to_cells_and_clear_resets() {
        let red = Style {
            fg: Rgb::new(255, 0, 0),
            bg: Rgb::new(0, 0, 0),
        };
        let mut cells = vec![BLANK; 10];
        let mut grid = Grid::new(&mut cells, 5, 2).unwrap();
        grid.write_char('a');
        grid.set_style(red);
        grid.write_char('b');
        assert_eq!(grid.cell(0, 0).style, DEFAULT_STYLE);
        assert_eq!(grid.cell(1, 0).style, red);
        assert_eq!(grid.clear(), Change::All);
        assert_eq!(grid.cursor(), (0, 0));
        assert_eq!(text(&grid, 0), "");
    }

    #[test]
    fn merging_changes() {
        let one = Change::Cell { col: 1, row: 0 };
        let two = Change::Cell { col: 2, row: 0 };
        assert_eq!(Change::None.merge(one), one);
        assert_eq!(one.merge(Change::None), one);
        assert_eq!(one.merge(one), one);
        assert_eq!(one.merge(two), Change::All);
        let scrolled = Change::Scrolled { redraw: None };
        assert_eq!(one.merge(scrolled), Change::All);
        assert_eq!(
            scrolled.merge(scrolled),
            Change::All,
            "two scrolls are not one"
        );
    }

    #[test]
    fn cursor_movement_sequences_stop_at_the_edges() {
        let mut cells = vec![BLANK; 20];
        let mut grid = Grid::new(&mut cells, 10, 2).unwrap();
        grid.write_str("abcdef");
        assert_eq!(grid.write_str("\u{1b}[D"), Change::None);
        assert_eq!(grid.cursor(), (5, 0));
        grid.write_str("\u{1b}[3D");
        assert_eq!(grid.cursor(), (2, 0));
        grid.write_str("\u{1b}[99D");
        assert_eq!(grid.cursor(), (0, 0));
        grid.write_str("\u{1b}[4C");
        assert_eq!(grid.cursor(), (4, 0));
        grid.write_str("\u{1b}[40C");
        assert_eq!(grid.cursor(), (9, 0));
        assert_eq!(text(&grid, 0), "abcdef", "moving wrote nothing");
    }

    #[test]
    fn erase_to_end_of_line_reports_the_span() {
        let mut cells = vec![BLANK; 20];
        let mut grid = Grid::new(&mut cells, 10, 2).unwrap();
        grid.write_str("abcdefgh\u{1b}[5D");
        assert_eq!(
            grid.write_str("\u{1b}[K"),
            Change::Span {
                row: 0,
                start: 3,
                end: 10
            }
        );
        assert_eq!(text(&grid, 0), "abc");
        assert_eq!(grid.cursor(), (3, 0));
    }

    #[test]
    fn clear_and_home() {
        let mut cells = vec![BLANK; 20];
        let mut grid = Grid::new(&mut cells, 10, 2).unwrap();
        grid.write_str("abc\nde");
        assert_eq!(grid.write_str("\u{1b}[2J"), Change::All);
        assert_eq!((text(&grid, 0), text(&grid, 1)), ("".into(), "".into()));
        assert_eq!(grid.cursor(), (2, 1), "2J keeps the cursor");
        grid.write_str("\u{1b}[H");
        assert_eq!(grid.cursor(), (0, 0));
    }

    #[test]
    fn unknown_sequences_are_swallowed_not_printed() {
        let mut cells = vec![BLANK; 20];
        let mut grid = Grid::new(&mut cells, 10, 2).unwrap();
        grid.write_str("a\u{1b}[1;31mb\u{1b}[?25lc\u{1b}Xd");
        assert_eq!(text(&grid, 0), "abcd");
    }

    #[test]
    fn a_one_row_grid_scrolls_the_written_cell_away() {
        let mut cells = vec![BLANK; 2];
        let mut grid = Grid::new(&mut cells, 2, 1).unwrap();
        grid.write_char('a');
        assert_eq!(grid.write_char('b'), Change::Scrolled { redraw: None });
        assert_eq!(text(&grid, 0), "");
        assert_eq!(grid.cursor(), (0, 0));
    }

    #[test]
    fn wrapping_on_the_last_row_reports_the_cell_and_the_scroll() {
        let mut cells = vec![BLANK; 4];
        let mut grid = Grid::new(&mut cells, 2, 2).unwrap();
        grid.write_str("abc");
        // 'd' fills the last cell and the wrap scrolls: 'd' is now on row 0.
        assert_eq!(
            grid.write_char('d'),
            Change::Scrolled {
                redraw: Some((1, 0))
            }
        );
        assert_eq!(grid.cell(1, 0).ch, 'd');
    }
}
