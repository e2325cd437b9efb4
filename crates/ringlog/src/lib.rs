//! The kernel log's memory: a fixed ring of bytes that always holds the newest text written.
//!
//! A kernel has things to say that belong to nobody's output: a program called a system call
//! that does not exist, a disk was mounted, a driver gave up. Printing them on the console mixes
//! them into whatever program is running (a pipeline's output, a full-screen editor). Linux keeps
//! them in a ring buffer instead, and `dmesg` reads it through the `syslog` system call. Ferrite
//! does the same, and this crate is the ring: pure logic, so it is tested on the host.
//!
//! The ring never allocates after it is made and never refuses a write. When it is full, the
//! oldest bytes make room; a reader that asks for everything gets the newest `capacity` bytes,
//! starting after the first line break so a line cut by the wrap is not shown half.

#![no_std]
#![forbid(unsafe_code)]

/// A ring of `N` bytes.
pub struct Ring<const N: usize> {
    bytes: [u8; N],
    /// Bytes ever written; the next one goes at `written % N`.
    written: u64,
    /// `written` when the ring was last cleared: older bytes are no longer read.
    cleared: u64,
}

impl<const N: usize> Default for Ring<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Ring<N> {
    /// An empty ring.
    pub const fn new() -> Self {
        Ring {
            bytes: [0; N],
            written: 0,
            cleared: 0,
        }
    }

    /// Appends `text`, dropping the oldest bytes if it does not fit.
    pub fn write(&mut self, text: &[u8]) {
        // Only the last N bytes of a write longer than the ring can survive it.
        let skip = text.len().saturating_sub(N);
        self.written += skip as u64;
        for &byte in &text[skip..] {
            self.bytes[(self.written % N as u64) as usize] = byte;
            self.written += 1;
        }
    }

    /// How many bytes a full read returns now.
    pub fn len(&self) -> usize {
        let oldest = self.oldest();
        (self.written - oldest) as usize
    }

    /// Whether there is nothing to read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ring's size: the most it can hold.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Forgets what has been written (`dmesg -c`).
    pub fn clear(&mut self) {
        self.cleared = self.written;
    }

    /// The first byte still readable: after a clear, and not overwritten.
    fn oldest(&self) -> u64 {
        let kept = self.written.saturating_sub(N as u64).max(self.cleared);
        if kept == self.cleared || kept == 0 {
            return kept;
        }
        // The ring has wrapped: start after the first line break, so no line is shown cut.
        (kept..self.written)
            .find(|&at| self.bytes[(at % N as u64) as usize] == b'\n')
            .map_or(kept, |at| at + 1)
    }

    /// Copies the newest text, at most `out.len()` bytes of it, into `out`, oldest first;
    /// returns how many bytes it copied. (Linux's `SYSLOG_ACTION_READ_ALL` also gives the newest.)
    pub fn read_newest(&self, out: &mut [u8]) -> usize {
        let start = self
            .oldest()
            .max(self.written.saturating_sub(out.len() as u64));
        let count = (self.written - start) as usize;
        for (i, slot) in out[..count].iter_mut().enumerate() {
            *slot = self.bytes[((start + i as u64) % N as u64) as usize];
        }
        count
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::Ring;
    use std::vec;

    fn all<const N: usize>(ring: &Ring<N>) -> std::string::String {
        let mut out = vec![0u8; N];
        let n = ring.read_newest(&mut out);
        std::string::String::from_utf8(out[..n].to_vec()).unwrap()
    }

    #[test]
    fn keeps_what_fits_in_order() {
        let mut ring = Ring::<64>::new();
        assert!(ring.is_empty());
        ring.write(b"one\n");
        ring.write(b"two\n");
        assert_eq!(all(&ring), "one\ntwo\n");
        assert_eq!(ring.len(), 8);
        assert_eq!(ring.capacity(), 64);
    }

    #[test]
    fn a_full_ring_drops_the_oldest_whole_lines() {
        let mut ring = Ring::<16>::new();
        for line in ["aaaa\n", "bbbb\n", "cccc\n", "dddd\n"] {
            ring.write(line.as_bytes());
        }
        // 20 bytes written into 16: "aaaa" is gone and its line break is not shown alone.
        assert_eq!(all(&ring), "bbbb\ncccc\ndddd\n");
        ring.write(b"ee\n");
        // Now "bbbb" lost its first two bytes: the cut line is left out.
        assert_eq!(all(&ring), "cccc\ndddd\nee\n");
    }

    #[test]
    fn a_write_longer_than_the_ring_keeps_its_end() {
        let mut ring = Ring::<8>::new();
        ring.write(b"0123456789\nxy\n");
        assert_eq!(all(&ring), "xy\n");
    }

    #[test]
    fn a_short_read_gets_the_newest_bytes() {
        let mut ring = Ring::<64>::new();
        ring.write(b"first\nsecond\n");
        let mut out = [0u8; 7];
        assert_eq!(ring.read_newest(&mut out), 7);
        assert_eq!(&out, b"second\n");
    }

    #[test]
    fn clear_forgets_everything_before_it() {
        let mut ring = Ring::<32>::new();
        ring.write(b"old\n");
        ring.clear();
        assert!(ring.is_empty());
        ring.write(b"new\n");
        assert_eq!(all(&ring), "new\n");
    }
}
