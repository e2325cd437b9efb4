//! Terminal control: the `ioctl` commands a terminal answers and the structures they carry.
//!
//! The commands are from `asm-generic/ioctls.h` (x86 uses the generic numbers), the structures
//! from `asm-generic/termbits.h` and `asm-generic/termios.h`. Note that the kernel's
//! `struct termios` (36 bytes, 19 control characters) differs from the C library's (glibc's
//! has 32 control characters and two speed fields): the C library converts, so the kernel
//! side only ever sees this one. A program learns whether a descriptor is a terminal by trying
//! `TCGETS` or `TIOCGWINSZ`: `ENOTTY` means "not a terminal", which makes the C library buffer
//! stdout fully instead of by line.

/// Get the terminal's settings into a `Termios`.
pub const TCGETS: u32 = 0x5401;
/// Set the settings from a `Termios` at once.
pub const TCSETS: u32 = 0x5402;
/// Set the settings once pending output has been written.
pub const TCSETSW: u32 = 0x5403;
/// Set the settings once pending output has been written, discarding unread input.
pub const TCSETSF: u32 = 0x5404;
/// Make the terminal the caller's controlling terminal.
pub const TIOCSCTTY: u32 = 0x540E;
/// Get the foreground process group into an `int`.
pub const TIOCGPGRP: u32 = 0x540F;
/// Set the foreground process group from an `int`.
pub const TIOCSPGRP: u32 = 0x5410;
/// Get the window size into a `Winsize`.
pub const TIOCGWINSZ: u32 = 0x5413;
/// Set the window size from a `Winsize` (the terminal then sends SIGWINCH).
pub const TIOCSWINSZ: u32 = 0x5414;
/// Get the number of bytes ready to read into an `int`.
pub const FIONREAD: u32 = 0x541B;

/// A `c_cc` slot holding this value is switched off (POSIX's `_POSIX_VDISABLE`, 0 on Linux),
/// so NUL is never a special character.
pub const DISABLED: u8 = 0;
/// Number of control characters in the kernel's `struct termios`.
pub const NCCS: usize = 19;

/// `c_cc` index: the interrupt character (sends SIGINT).
pub const VINTR: usize = 0;
/// `c_cc` index: the quit character (sends SIGQUIT).
pub const VQUIT: usize = 1;
/// `c_cc` index: erase the last character.
pub const VERASE: usize = 2;
/// `c_cc` index: erase the whole line.
pub const VKILL: usize = 3;
/// `c_cc` index: end of file (ends a read at once, with no newline).
pub const VEOF: usize = 4;
/// `c_cc` index: non-canonical read timeout, in tenths of a second.
pub const VTIME: usize = 5;
/// `c_cc` index: non-canonical read's minimum byte count.
pub const VMIN: usize = 6;
/// `c_cc` index: switch character (unused by Linux).
pub const VSWTC: usize = 7;
/// `c_cc` index: resume output.
pub const VSTART: usize = 8;
/// `c_cc` index: pause output.
pub const VSTOP: usize = 9;
/// `c_cc` index: the suspend character (sends SIGTSTP).
pub const VSUSP: usize = 10;
/// `c_cc` index: an extra end-of-line character.
pub const VEOL: usize = 11;
/// `c_cc` index: redraw the line.
pub const VREPRINT: usize = 12;
/// `c_cc` index: discard pending output.
pub const VDISCARD: usize = 13;
/// `c_cc` index: erase the last word.
pub const VWERASE: usize = 14;
/// `c_cc` index: take the next character literally.
pub const VLNEXT: usize = 15;
/// `c_cc` index: a second extra end-of-line character.
pub const VEOL2: usize = 16;

/// Input flag: turn newline into carriage return.
pub const INLCR: u32 = 0o100;
/// Input flag: drop carriage returns.
pub const IGNCR: u32 = 0o200;
/// Input flag: turn carriage return into newline.
pub const ICRNL: u32 = 0x100;
/// Input flag: honour the start and stop characters.
pub const IXON: u32 = 0x400;
/// Output flag: post-process output (enables the flags below).
pub const OPOST: u32 = 0x1;
/// Output flag: write newline as carriage return plus newline.
pub const ONLCR: u32 = 0x4;
/// Control flag: 38400 baud, the speed Linux reports for consoles.
pub const B38400: u32 = 0xf;
/// Control flag: 8-bit characters.
pub const CS8: u32 = 0x30;
/// Control flag: the receiver is on.
pub const CREAD: u32 = 0x80;
/// Control flag: hang up when the last process closes the terminal.
pub const HUPCL: u32 = 0x400;
/// Local flag: the interrupt, quit and suspend characters send signals.
pub const ISIG: u32 = 0x1;
/// Local flag: canonical mode; input is edited and delivered a line at a time.
pub const ICANON: u32 = 0x2;
/// Local flag: keep pending input when a signal key is typed.
pub const NOFLSH: u32 = 0o200;
/// Local flag: echo input.
pub const ECHO: u32 = 0x8;
/// Local flag: show erase as backspace, space, backspace.
pub const ECHOE: u32 = 0x10;
/// Local flag: echo a newline after the kill character.
pub const ECHOK: u32 = 0x20;
/// Local flag: echo newline even without `ECHO`.
pub const ECHONL: u32 = 0x40;
/// Local flag: a background job that writes is stopped with SIGTTOU.
pub const TOSTOP: u32 = 0x100;
/// Local flag: echo control characters as `^X`.
pub const ECHOCTL: u32 = 0x200;
/// Local flag: erase the whole line on screen for the kill character.
pub const ECHOKE: u32 = 0x800;
/// Local flag: implementation-defined input processing (`VWERASE`, `VLNEXT`, ...).
pub const IEXTEN: u32 = 0x8000;

/// The kernel's terminal settings (`struct termios`, 36 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Termios {
    /// Input modes (`ICRNL`, `IXON`, ...).
    pub c_iflag: u32,
    /// Output modes (`OPOST`, `ONLCR`, ...).
    pub c_oflag: u32,
    /// Hardware control modes (speed, character size, ...).
    pub c_cflag: u32,
    /// Local modes (`ICANON`, `ECHO`, `ISIG`, ...).
    pub c_lflag: u32,
    /// Line discipline number; 0 is the normal terminal discipline.
    pub c_line: u8,
    /// Control characters, indexed by the `V*` constants.
    pub c_cc: [u8; NCCS],
}

impl Termios {
    /// Every flag and control character 0.
    pub const fn zeroed() -> Self {
        Termios {
            c_iflag: 0,
            c_oflag: 0,
            c_cflag: 0,
            c_lflag: 0,
            c_line: 0,
            c_cc: [0; NCCS],
        }
    }

    /// The settings a new terminal starts with on Linux (`tty_std_termios`): canonical mode
    /// with echo and signals, CR read as NL, NL written as CR NL, and the usual control keys.
    pub const fn linux_default() -> Self {
        /// The byte a terminal sends for Ctrl plus `letter`.
        const fn ctrl(letter: u8) -> u8 {
            letter & 0x1f
        }
        let mut c_cc = [0; NCCS];
        c_cc[VINTR] = ctrl(b'C');
        c_cc[VQUIT] = ctrl(b'\\');
        c_cc[VERASE] = 0x7f; // DEL, what the Backspace key sends
        c_cc[VKILL] = ctrl(b'U');
        c_cc[VEOF] = ctrl(b'D');
        c_cc[VMIN] = 1;
        c_cc[VSTART] = ctrl(b'Q');
        c_cc[VSTOP] = ctrl(b'S');
        c_cc[VSUSP] = ctrl(b'Z');
        c_cc[VREPRINT] = ctrl(b'R');
        c_cc[VDISCARD] = ctrl(b'O');
        c_cc[VWERASE] = ctrl(b'W');
        c_cc[VLNEXT] = ctrl(b'V');
        Termios {
            c_iflag: ICRNL | IXON,
            c_oflag: OPOST | ONLCR,
            c_cflag: B38400 | CS8 | CREAD | HUPCL,
            c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            c_line: 0,
            c_cc,
        }
    }
}

/// A terminal's size in characters and pixels (`struct winsize`, 8 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Winsize {
    /// Rows of text.
    pub ws_row: u16,
    /// Columns of text.
    pub ws_col: u16,
    /// Width in pixels; 0 if unknown.
    pub ws_xpixel: u16,
    /// Height in pixels; 0 if unknown.
    pub ws_ypixel: u16,
}

impl Winsize {
    /// A size of 0 by 0.
    pub const fn zeroed() -> Self {
        Winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        }
    }
}

const _: () = assert!(core::mem::size_of::<Termios>() == 36);
const _: () = assert!(core::mem::align_of::<Termios>() == 4);
const _: () = assert!(core::mem::offset_of!(Termios, c_line) == 16);
const _: () = assert!(core::mem::offset_of!(Termios, c_cc) == 17);
const _: () = assert!(core::mem::size_of::<Winsize>() == 8);
const _: () = assert!(core::mem::offset_of!(Winsize, ws_ypixel) == 6);

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn layouts() {
        assert_eq!(offset_of!(Termios, c_iflag), 0);
        assert_eq!(offset_of!(Termios, c_oflag), 4);
        assert_eq!(offset_of!(Termios, c_cflag), 8);
        assert_eq!(offset_of!(Termios, c_lflag), 12);
        assert_eq!(offset_of!(Winsize, ws_row), 0);
        assert_eq!(offset_of!(Winsize, ws_col), 2);
        assert_eq!(offset_of!(Winsize, ws_xpixel), 4);
        assert_eq!(Termios::default(), Termios::zeroed());
        assert_eq!(Winsize::default(), Winsize::zeroed());
    }

    #[test]
    fn linux_default_control_characters() {
        // Linux's INIT_C_CC, byte for byte.
        let expected = *b"\x03\x1c\x7f\x15\x04\x00\x01\x00\x11\x13\x1a\x00\x12\x0f\x17\x16\x00";
        assert_eq!(Termios::linux_default().c_cc[..17], expected);
        assert_eq!(Termios::linux_default().c_lflag & ICANON, ICANON);
    }
}
