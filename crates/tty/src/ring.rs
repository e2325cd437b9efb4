//! The input buffer: a fixed ring of bytes, each tagged with what it means to a reader.
//!
//! Completed lines and the line being edited share one ring, as in Linux's `n_tty`. Sharing
//! lets a single long line use the whole space when few lines wait, and completing a line
//! copies nothing: the discipline only moves the boundary between "completed" and "being
//! edited". A ring rather than a flat array, because readers take bytes from the front while the
//! keyboard adds them at the back; a flat array would have to shift its contents on every read.
//!
//! Each byte carries a [`Mark`] because where a line ends is decided when the byte arrives, not
//! by its value: a newline typed after VLNEXT is data, VEOL may be changed after a line was
//! completed with it, and a VEOF ends a line but is never delivered. Searching for `\n` at read
//! time would get all three wrong. A mark costs a byte per byte; Linux packs it into a bitmap,
//! which is smaller but harder to read.

use crate::CAPACITY;

/// What a stored byte means to a canonical reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// An ordinary byte (every byte, in non-canonical mode).
    Data,
    /// The last byte of a completed line (its newline, VEOL or VEOL2); delivered with the line.
    LineEnd,
    /// A VEOF: it ends a line (or stands alone for end of file) and is never delivered.
    Eof,
}

/// A first-in first-out queue of up to [`CAPACITY`] marked bytes, indexed from its oldest byte.
pub(crate) struct Ring {
    /// The bytes, starting at `head` and wrapping around the end.
    bytes: [u8; CAPACITY],
    /// The mark of the byte in the same slot of `bytes`.
    marks: [Mark; CAPACITY],
    /// The slot of the oldest byte.
    head: usize,
    /// How many bytes are stored.
    len: usize,
}

impl Ring {
    /// An empty ring.
    pub(crate) const fn new() -> Self {
        Ring {
            bytes: [0; CAPACITY],
            marks: [Mark::Data; CAPACITY],
            head: 0,
            len: 0,
        }
    }

    /// How many bytes are stored.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is stored.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot holding the byte at position `index` (0 is the oldest).
    fn slot(&self, index: usize) -> usize {
        debug_assert!(
            index < self.len,
            "ring index {index} past length {}",
            self.len
        );
        (self.head + index) % CAPACITY
    }

    /// The byte at position `index`.
    pub(crate) fn byte(&self, index: usize) -> u8 {
        self.bytes[self.slot(index)]
    }

    /// The mark of the byte at position `index`.
    pub(crate) fn mark(&self, index: usize) -> Mark {
        self.marks[self.slot(index)]
    }

    /// Changes the mark of the byte at position `index`.
    pub(crate) fn set_mark(&mut self, index: usize, mark: Mark) {
        let slot = self.slot(index);
        self.marks[slot] = mark;
    }

    /// Adds a byte at the back; false (and nothing stored) if the ring is full.
    pub(crate) fn push(&mut self, byte: u8, mark: Mark) -> bool {
        if self.len == CAPACITY {
            return false;
        }
        let slot = (self.head + self.len) % CAPACITY;
        self.bytes[slot] = byte;
        self.marks[slot] = mark;
        self.len += 1;
        true
    }

    /// Takes the oldest byte and its mark.
    pub(crate) fn pop_front(&mut self) -> Option<(u8, Mark)> {
        if self.len == 0 {
            return None;
        }
        let taken = (self.bytes[self.head], self.marks[self.head]);
        self.head = (self.head + 1) % CAPACITY;
        self.len -= 1;
        Some(taken)
    }

    /// Drops the newest bytes, keeping the first `len`.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Drops every byte.
    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Removes the VEOF marks and makes every other byte plain data, keeping their order.
    pub(crate) fn strip_marks(&mut self) {
        let mut kept = 0;
        for index in 0..self.len {
            let (byte, mark) = (self.byte(index), self.mark(index));
            if mark != Mark::Eof {
                // `kept` never passes `index`, so this overwrites only bytes already visited.
                let slot = self.slot(kept);
                self.bytes[slot] = byte;
                self.marks[slot] = Mark::Data;
                kept += 1;
            }
        }
        self.len = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_and_pop_wrap_around_the_end() {
        let mut ring = Ring::new();
        // Walk the head to near the end, so the next bytes wrap to slot 0.
        for _ in 0..CAPACITY - 2 {
            assert!(ring.push(b'x', Mark::Data));
            ring.pop_front();
        }
        for byte in b"abcd" {
            assert!(ring.push(*byte, Mark::Data));
        }
        assert_eq!(ring.byte(3), b'd');
        let popped: [u8; 4] = core::array::from_fn(|_| ring.pop_front().unwrap().0);
        assert_eq!(&popped, b"abcd");
        assert_eq!(ring.pop_front(), None);
    }

    #[test]
    fn full_ring_refuses_bytes() {
        let mut ring = Ring::new();
        for _ in 0..CAPACITY {
            assert!(ring.push(b'a', Mark::Data));
        }
        assert!(!ring.push(b'b', Mark::LineEnd));
        assert_eq!(ring.len(), CAPACITY);
        assert_eq!(ring.mark(CAPACITY - 1), Mark::Data);
    }

    #[test]
    fn strip_marks_removes_eof_and_keeps_order() {
        let mut ring = Ring::new();
        ring.push(b'a', Mark::Data);
        ring.push(4, Mark::Eof);
        ring.push(b'\n', Mark::LineEnd);
        ring.push(4, Mark::Eof);
        ring.push(b'b', Mark::Data);
        ring.strip_marks();
        assert_eq!(ring.len(), 3);
        assert_eq!([ring.byte(0), ring.byte(1), ring.byte(2)], *b"a\nb");
        assert!((0..3).all(|i| ring.mark(i) == Mark::Data));
    }
}
