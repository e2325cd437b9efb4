//! The program side: what a `read(2)` gets, and when it must wait.
//!
//! In canonical mode a read returns at most one line: the bytes up to and including the byte
//! that ended it. A buffer smaller than the line takes part of it, and the next read continues
//! where this one stopped; that is how a C library reading one byte at a time sees a line.
//! Lines typed before anyone read stay separate, so a shell that reads one command does not
//! swallow the next. A VEOF at the start of a line makes one read return 0 (end of file) and
//! leaves the terminal usable; after text, it returns the text without a newline.
//!
//! In non-canonical mode POSIX (XBD §11.1.7.1) lets VMIN and VTIME choose when a read
//! returns: VMIN > 0 waits for that many bytes (never more than the buffer holds), VMIN = 0
//! returns what is there, even nothing; VTIME adds a timer. Nothing here waits or counts time,
//! so [`LineDiscipline::read`] answers [`Read::WouldBlock`] until VMIN is met, and
//! [`LineDiscipline::read_timer`] tells the kernel which timer, if any, may end the wait early
//! through [`LineDiscipline::read_after_timeout`].

use abi::tty::{VMIN, VTIME};

use crate::ring::Mark;
use crate::{LineDiscipline, Read, ReadTimer};

impl LineDiscipline {
    /// Takes input for one `read(2)` into `buf`, or answers why there is none yet.
    pub fn read(&mut self, buf: &mut [u8]) -> Read {
        // A read of 0 bytes returns 0 at once and takes nothing (POSIX `read`).
        if buf.is_empty() {
            return Read::Data(0);
        }
        if self.canonical() {
            self.read_line(buf)
        } else {
            self.read_raw(buf)
        }
    }

    /// Ends a non-canonical read whose [`ReadTimer`] ran out: takes whatever input there is,
    /// however little, and returns its length (0 if none). VTIME has no meaning in canonical
    /// mode; there this is [`LineDiscipline::read`] with every answer but data as 0.
    pub fn read_after_timeout(&mut self, buf: &mut [u8]) -> usize {
        if self.canonical() {
            match self.read(buf) {
                Read::Data(n) => n,
                Read::EndOfFile | Read::WouldBlock => 0,
            }
        } else {
            self.take_raw(buf)
        }
    }

    /// The timer a sleeping read needs, from VMIN and VTIME; canonical reads have none.
    pub fn read_timer(&self) -> ReadTimer {
        let tenths = self.termios.c_cc[VTIME];
        if self.canonical() || tenths == 0 {
            ReadTimer::None
        } else if self.termios.c_cc[VMIN] == 0 {
            ReadTimer::Overall { tenths }
        } else {
            ReadTimer::InterByte { tenths }
        }
    }

    /// Whether there is input for a reader now (for `poll` and `select`): a completed line or
    /// an end of file in canonical mode; in non-canonical mode VMIN bytes, or one byte when
    /// VMIN is 0 or VTIME is set (the rule Linux's `poll` uses).
    pub fn can_read(&self) -> bool {
        if self.canonical() {
            return self.committed > 0;
        }
        let vmin = usize::from(self.termios.c_cc[VMIN]);
        let needed = if vmin > 0 && self.termios.c_cc[VTIME] == 0 {
            vmin
        } else {
            1
        };
        self.ring.len() >= needed
    }

    /// How many bytes are ready to read (`FIONREAD`): in canonical mode those of every
    /// completed line, as on Linux, although one read returns only the first line.
    pub fn available(&self) -> usize {
        if self.canonical() {
            (0..self.committed)
                .filter(|&index| self.ring.mark(index) != Mark::Eof)
                .count()
        } else {
            self.ring.len()
        }
    }

    /// A canonical read: the next completed line, or as much of it as fits.
    fn read_line(&mut self, buf: &mut [u8]) -> Read {
        if self.committed == 0 {
            return Read::WouldBlock;
        }
        let mut copied = 0;
        while copied < buf.len() {
            let Some((byte, mark)) = self.take_committed() else {
                break;
            };
            match mark {
                Mark::Data => {
                    buf[copied] = byte;
                    copied += 1;
                }
                Mark::LineEnd => {
                    buf[copied] = byte;
                    return Read::Data(copied + 1);
                }
                Mark::Eof if copied == 0 => return Read::EndOfFile,
                Mark::Eof => return Read::Data(copied),
            }
        }
        // The buffer is full. If the VEOF that ended this line is next, take it now: left
        // behind, it would make the next read return 0, which the program takes for end of file.
        if self.committed > 0 && self.ring.mark(0) == Mark::Eof {
            self.take_committed();
        }
        Read::Data(copied)
    }

    /// Takes the oldest byte of the completed lines.
    fn take_committed(&mut self) -> Option<(u8, Mark)> {
        if self.committed == 0 {
            return None;
        }
        self.committed -= 1;
        self.ring.pop_front()
    }

    /// A non-canonical read: everything that fits, once VMIN is met.
    fn read_raw(&mut self, buf: &mut [u8]) -> Read {
        let vmin = usize::from(self.termios.c_cc[VMIN]);
        if self.ring.is_empty() {
            // VMIN = 0 with VTIME = 0 is a poll: it returns at once, empty-handed if need be.
            return if vmin == 0 && self.termios.c_cc[VTIME] == 0 {
                Read::Data(0)
            } else {
                Read::WouldBlock
            };
        }
        if self.ring.len() < vmin.min(buf.len()) {
            return Read::WouldBlock;
        }
        Read::Data(self.take_raw(buf))
    }

    /// Moves as many bytes as fit from the front of the ring into `buf`.
    fn take_raw(&mut self, buf: &mut [u8]) -> usize {
        let count = self.ring.len().min(buf.len());
        for slot in &mut buf[..count] {
            if let Some((byte, _)) = self.ring.pop_front() {
                *slot = byte;
            }
        }
        count
    }
}
