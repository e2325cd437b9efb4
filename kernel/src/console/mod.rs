//! The kernel's text console: characters on the framebuffer, mirrored to the serial port.
//!
//! Two outputs, because each fails where the other works. The screen is what a person at the
//! machine sees, even on a real PC with no serial cable; serial is what the host tools and a
//! developer's terminal see, and it works before (or without) a framebuffer. [`print!`] and
//! [`println!`] write every character to both.
//!
//! Drawing text is split in two. `textgrid` (a host-tested crate) keeps the grid of characters,
//! the cursor, wrapping and scrolling; this module turns what changed into pixels, using the
//! glyphs of a PSF bitmap font embedded in the kernel (Terminus 8×16, SIL Open Font License,
//! `kernel/assets/fonts/`). A cell is one glyph: column `c`, row `r` of the grid is the
//! 8×16-pixel box whose top-left corner is pixel (`8c`, `16r`).
//!
//! The grid's cells live in a static array sized for the largest screen the console fills
//! ([`MAX_COLS`] × [`MAX_ROWS`]); a larger screen shows the console in its top-left part.
//!
//! This is output only, low in the layers (see `lib.rs`) so that every layer above can print.
//! Keys come in through the terminal ([`crate::tty`]), and the kernel's own prompt and commands
//! are [`crate::monitor`].

use crate::drivers::framebuffer::Framebuffer;
use crate::drivers::serial;
use crate::sync::TakeOnce;
use bootloader_api::info::{FrameBuffer, FrameBufferInfo};
use core::fmt::{self, Write};
use psf::Font;
use spin::Mutex;
use textgrid::{Cell, Change, Grid, Rgb, Style};

/// Who owns the console after boot, as the host asked through fw_cfg (the `fwcfg` crate's
/// `SESSION_FILE`); the shell when nobody said.
pub fn session() -> fwcfg::Session {
    let mut buf = [0; 16];
    let Some(text) = crate::drivers::fw_cfg::read_file(fwcfg::SESSION_FILE, &mut buf) else {
        return fwcfg::Session::Shell;
    };
    core::str::from_utf8(text)
        .ok()
        .and_then(fwcfg::Session::parse)
        .unwrap_or_else(|| {
            log::warn!("console: ignoring {} = {text:?}", fwcfg::SESSION_FILE);
            fwcfg::Session::Shell
        })
}

/// The console font, a PC Screen Font file.
const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/Lat15-Terminus16.psf");
/// Drawn for characters the font has no glyph for.
const REPLACEMENT: char = '?';
/// Most columns the console uses (1920 pixels / 8).
pub const MAX_COLS: usize = 240;
/// Most rows the console uses (1200 pixels / 16).
pub const MAX_ROWS: usize = 75;

/// A cell whose bytes are all zero. The grid blanks its cells itself, so the backing store can
/// start as zeros, which puts its ~210 KiB in `.bss` (memory the bootloader zeroes) instead of
/// `.data` (bytes stored in the kernel file and copied at load time).
const ZEROED: Cell = Cell {
    ch: '\0',
    style: Style {
        fg: Rgb::new(0, 0, 0),
        bg: Rgb::new(0, 0, 0),
    },
};

/// Backing store for the grid, borrowed once by [`init`].
static CELLS: TakeOnce<[Cell; MAX_COLS * MAX_ROWS]> = TakeOnce::new([ZEROED; MAX_COLS * MAX_ROWS]);

/// The framebuffer console, once [`init`] found a framebuffer. The lock guards the grid and the
/// framebuffer together, so a character and its pixels always change as one.
static CONSOLE: Mutex<Option<TextConsole>> = Mutex::new(None);

/// Text drawn on a framebuffer.
struct TextConsole {
    framebuffer: Framebuffer,
    grid: Grid<'static>,
    font: Font<'static>,
    /// The cell where the cursor is drawn (in inverted colours), if it is drawn.
    cursor_drawn: Option<(usize, usize)>,
}

impl TextConsole {
    fn write_char(&mut self, ch: char) {
        match self.grid.write_char(ch) {
            Change::None => {}
            Change::Cell { col, row } => self.draw_cell(col, row),
            Change::Span { row, start, end } => {
                (start..end).for_each(|col| self.draw_cell(col, row))
            }
            Change::Scrolled { redraw } => {
                let blank = self.framebuffer.encode(self.grid.style().bg);
                self.framebuffer.scroll_up(self.font.height(), blank);
                // The cursor's inverted cell moved up with the pixels: draw it plainly again.
                if let Some((col, row)) = self.cursor_drawn.take() {
                    if let Some(above) = row.checked_sub(1) {
                        self.draw_cell(col, above);
                    }
                }
                if let Some((col, row)) = redraw {
                    self.draw_cell(col, row);
                }
            }
            Change::All => {
                self.cursor_drawn = None;
                self.redraw();
            }
        }
    }

    /// Moves the drawn cursor to where the grid's cursor is: the old cell plain, the new one
    /// inverted. Called after each piece of text, not each character.
    fn update_cursor(&mut self) {
        let (col, row) = self.grid.cursor();
        if self.cursor_drawn == Some((col, row)) {
            return;
        }
        if let Some((old_col, old_row)) = self.cursor_drawn.take() {
            self.draw_cell(old_col, old_row);
        }
        self.draw_cell_inverted(col, row, true);
        self.cursor_drawn = Some((col, row));
    }

    fn redraw(&mut self) {
        for row in 0..self.grid.rows() {
            for col in 0..self.grid.cols() {
                self.draw_cell(col, row);
            }
        }
    }

    fn draw_cell(&mut self, col: usize, row: usize) {
        self.draw_cell_inverted(col, row, false);
    }

    fn draw_cell_inverted(&mut self, col: usize, row: usize, inverted: bool) {
        let cell = self.grid.cell(col, row);
        let (width, height) = (self.font.width(), self.font.height());
        let (left, top) = (col * width, row * height);
        let (fg, bg) = if inverted {
            (cell.style.bg, cell.style.fg)
        } else {
            (cell.style.fg, cell.style.bg)
        };
        let fg = self.framebuffer.encode(fg);
        let bg = self.framebuffer.encode(bg);
        let Some(glyph) = self.font.glyph_for(cell.ch, REPLACEMENT) else {
            self.framebuffer.fill(left, top, width, height, bg);
            return;
        };
        self.framebuffer
            .put_glyph((left, top), (width, height), fg, bg, |y| glyph.row_bits(y));
    }
}

/// Takes the framebuffer (if there is one) and clears it to the console's background.
/// Returns its mode, or `None` when the console runs on serial alone.
pub fn init(framebuffer: Option<FrameBuffer>) -> Option<FrameBufferInfo> {
    let framebuffer = Framebuffer::new(framebuffer?);
    let info = framebuffer.info();
    let font = Font::parse(FONT_BYTES).expect("the embedded console font is a valid PSF file");
    let cells = CELLS.take().expect("console::init runs once");
    let cols = (info.width / font.width()).min(MAX_COLS);
    let rows = (info.height / font.height()).min(MAX_ROWS);
    let grid = Grid::new(cells, cols, rows)?;
    let mut console = TextConsole {
        framebuffer,
        grid,
        font,
        cursor_drawn: None,
    };
    let background = console.framebuffer.encode(textgrid::DEFAULT_STYLE.bg);
    console
        .framebuffer
        .fill(0, 0, info.width, info.height, background);
    *CONSOLE.lock() = Some(console);
    Some(info)
}

/// Sends text to the framebuffer console only.
struct ScreenWriter<'a>(&'a mut TextConsole);

impl Write for ScreenWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        s.chars().for_each(|ch| self.0.write_char(ch));
        self.0.update_cursor();
        Ok(())
    }
}

/// Sends each piece of text to the screen (if there is one) and then to serial.
///
/// The arguments are formatted once, piece by piece, and each piece goes to both outputs in
/// turn: formatting twice would run every `Display` implementation twice. Screen before serial
/// means that once the host reads a line on serial, it is also on the screen, which is what the
/// screenshot test relies on. (The panic path does the opposite, see below.)
struct BothWriter<'a>(Option<&'a mut TextConsole>);

impl Write for BothWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if let Some(console) = self.0.as_deref_mut() {
            ScreenWriter(console).write_str(s)?;
        }
        serial::write_str(s);
        Ok(())
    }
}

/// Writes formatted text to the screen and to serial. Used by [`print!`] and [`println!`].
///
/// Lock order: the console's lock, then the serial port's. Nothing takes them the other way
/// round (the panic path only ever tries them).
pub fn write_fmt(args: fmt::Arguments<'_>) {
    let mut console = CONSOLE.lock();
    let _ = BothWriter(console.as_mut()).write_fmt(args);
}

/// Writes formatted text to both outputs in `style` on the screen, then restores the style.
pub fn write_fmt_styled(style: Style, args: fmt::Arguments<'_>) {
    let mut guard = CONSOLE.lock();
    let previous = guard.as_mut().map(|console| {
        let previous = console.grid.style();
        console.grid.set_style(style);
        previous
    });
    let _ = BothWriter(guard.as_mut()).write_fmt(args);
    if let (Some(console), Some(previous)) = (guard.as_mut(), previous) {
        console.grid.set_style(previous);
    }
}

/// The panic handler's (and the exception handler's) way to print: never waits for a lock, since
/// the code that holds it may never run again. Serial goes first here, because it is the output most likely to survive
/// whatever broke; the screen is skipped if its lock is taken.
pub fn write_fmt_panicking(style: Style, args: fmt::Arguments<'_>) {
    serial::write_fmt_panicking(args);
    if let Some(mut guard) = CONSOLE.try_lock() {
        if let Some(console) = guard.as_mut() {
            let previous = console.grid.style();
            console.grid.set_style(style);
            let _ = ScreenWriter(console).write_fmt(args);
            console.grid.set_style(previous);
        }
    }
}

/// Yellow on black: a diagnostic, not (yet) a panic.
const DIAGNOSTIC_STYLE: Style = Style {
    fg: textgrid::Rgb::new(0xFF, 0xD7, 0x00),
    bg: textgrid::Rgb::new(0x00, 0x00, 0x00),
};

/// Prints an exception diagnostic (the trap path's `report` hook): like
/// [`write_fmt_panicking`], never waiting for a lock, in the diagnostic colours.
pub fn write_diagnostic(args: fmt::Arguments<'_>) {
    write_fmt_panicking(DIAGNOSTIC_STYLE, args);
}

/// The framebuffer mode the console draws in, if it has a framebuffer.
pub fn mode() -> Option<FrameBufferInfo> {
    CONSOLE
        .lock()
        .as_ref()
        .map(|console| console.framebuffer.info())
}

/// Runs `inspect` on the grid, for tests that check what is on the screen. `None` if there is
/// no framebuffer console.
pub fn with_grid<R>(inspect: impl FnOnce(&Grid<'static>) -> R) -> Option<R> {
    CONSOLE
        .lock()
        .as_ref()
        .map(|console| inspect(&console.grid))
}

/// Prints to the screen and the serial port.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::console::write_fmt(format_args!($($arg)*)));
}

/// Prints a line to the screen and the serial port.
#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::console::write_fmt(format_args!("{}\n", format_args!($($arg)*))));
}

#[cfg(test)]
mod tests {
    use core::fmt::{self, Write};
    use textgrid::Grid;

    /// Whether `row` of the grid reads exactly `expected` (formatted without a heap).
    fn row_is(grid: &Grid<'_>, row: usize, expected: fmt::Arguments<'_>) -> bool {
        struct Compare<'g, I: Iterator<Item = char>>(&'g mut I, bool);
        impl<I: Iterator<Item = char>> Write for Compare<'_, I> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                for ch in s.chars() {
                    self.1 &= self.0.next() == Some(ch);
                }
                Ok(())
            }
        }
        let mut cells = grid.row_text(row);
        let mut compare = Compare(&mut cells, true);
        let _ = compare.write_fmt(expected);
        compare.1 && cells.next().is_none()
    }

    #[test_case]
    fn printing_past_the_bottom_scrolls() {
        let rows = super::with_grid(|grid| grid.rows()).expect("a framebuffer console");
        let count = rows + 3;
        for line in 0..count {
            crate::println!("scroll line {line}");
        }
        super::with_grid(|grid| {
            // The cursor waits on the last row, so the last line printed is just above it and
            // the top row holds the line printed `rows - 2` lines before that.
            assert_eq!(grid.cursor(), (0, rows - 1));
            assert!(row_is(
                grid,
                rows - 2,
                format_args!("scroll line {}", count - 1)
            ));
            assert!(row_is(
                grid,
                0,
                format_args!("scroll line {}", count - 1 - (rows - 2))
            ));
        });
    }

    #[test_case]
    fn println_reaches_the_grid() {
        crate::println!("grid check {}", 42);
        let found = super::with_grid(|grid| {
            let (_, row) = grid.cursor();
            // The line just printed is the one above the cursor.
            row_is(grid, row - 1, format_args!("grid check {}", 42))
        });
        assert_eq!(found, Some(true));
    }
}
