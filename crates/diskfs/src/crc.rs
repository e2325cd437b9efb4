//! CRC-32, the checksum of the superblock and the log (the same one zlib, PNG and Ethernet use,
//! so Python's `zlib.crc32` computes the identical value).
//!
//! A CRC treats the bytes as a long polynomial over GF(2) and keeps the remainder of dividing it
//! by a fixed polynomial. The table holds that remainder for each possible byte, so the simple
//! loop consumes a byte per step. It detects every burst error shorter than 32 bits, which is
//! what a torn or misdirected block write looks like; it is not a defence against someone
//! forging data.
//!
//! The log checksums every block it commits, so this loop runs over megabytes: it consumes eight
//! bytes per step ("slicing by eight", Intel's 2006 method). Table `k` holds the remainder of a
//! byte followed by `k` zero bytes, so the eight lookups of one step are independent of each
//! other and the CPU can do them at once; a byte at a time, each lookup waits for the last.

/// The reflected generator polynomial (IEEE 802.3).
const POLYNOMIAL: u32 = 0xEDB8_8320;

/// `TABLES[k][b]`: the remainder of byte `b` followed by `k` zero bytes, computed at compile
/// time. `TABLES[0]` is the classic one-byte table.
#[allow(
    clippy::indexing_slicing,
    reason = "a constant's value, computed by the compiler: an index out of range here fails the \
              build, it cannot happen at run time"
)]
const TABLES: [[u32; 256]; 8] = {
    let mut tables = [[0u32; 256]; 8];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = byte as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLYNOMIAL
            } else {
                crc >> 1
            };
            bit += 1;
        }
        tables[0][byte] = crc;
        byte += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut byte = 0;
        while byte < 256 {
            let previous = tables[k - 1][byte];
            tables[k][byte] = (previous >> 8) ^ tables[0][(previous & 0xFF) as usize];
            byte += 1;
        }
        k += 1;
    }
    tables
};

/// `table[byte]`. A table has an entry for each of the 256 values of a byte, so the lookup
/// always finds one (and the compiler drops the check).
fn at(table: &[u32; 256], byte: u8) -> u32 {
    table.get(usize::from(byte)).copied().unwrap_or(0)
}

/// A CRC-32 computed over several pieces, as if they were one string.
#[derive(Debug, Clone, Copy)]
pub struct Crc32(u32);

impl Default for Crc32 {
    fn default() -> Crc32 {
        Crc32::new()
    }
}

impl Crc32 {
    /// Nothing consumed yet.
    pub const fn new() -> Crc32 {
        Crc32(!0)
    }

    /// Consumes `bytes`: eight at a time, then the rest one by one.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let &[b0, b1, b2, b3, b4, b5, b6, b7] = chunk else {
                continue; // `chunks_exact(8)` gives eight bytes every time
            };
            let [l0, l1, l2, l3] = (self.0 ^ u32::from_le_bytes([b0, b1, b2, b3])).to_le_bytes();
            self.0 = at(&TABLES[7], l0)
                ^ at(&TABLES[6], l1)
                ^ at(&TABLES[5], l2)
                ^ at(&TABLES[4], l3)
                ^ at(&TABLES[3], b4)
                ^ at(&TABLES[2], b5)
                ^ at(&TABLES[1], b6)
                ^ at(&TABLES[0], b7);
        }
        for &byte in chunks.remainder() {
            self.0 = at(&TABLES[0], self.0.to_le_bytes()[0] ^ byte) ^ (self.0 >> 8);
        }
    }

    /// The checksum of everything consumed.
    pub const fn value(self) -> u32 {
        !self.0
    }
}

/// The CRC-32 of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = Crc32::new();
    crc.update(bytes);
    crc.value()
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    reason = "tests of known inputs: a panic here is a failed test"
)]
mod tests {
    use super::*;

    #[test]
    fn check_value() {
        // The catalogue's check value for CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        let mut split = Crc32::new();
        split.update(b"1234");
        split.update(b"56789");
        assert_eq!(split.value(), 0xCBF4_3926);
    }

    #[test]
    fn eight_at_a_time_equals_one_at_a_time() {
        let bytes: alloc::vec::Vec<u8> = (0..1000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 999, 1000] {
            let mut slow = !0u32;
            for &byte in &bytes[..len] {
                slow = TABLES[0][((slow ^ byte as u32) & 0xFF) as usize] ^ (slow >> 8);
            }
            assert_eq!(crc32(&bytes[..len]), !slow, "{len} bytes");
        }
    }
}
