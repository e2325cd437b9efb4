//! CRC-32, the checksum of the superblock and the log (the same one zlib, PNG and Ethernet use,
//! so Python's `zlib.crc32` computes the identical value).
//!
//! A CRC treats the bytes as a long polynomial over GF(2) and keeps the remainder of dividing it
//! by a fixed polynomial. The table holds that remainder for each possible byte, so the loop
//! consumes a byte per step. It detects every burst error shorter than 32 bits, which is what a
//! torn or misdirected block write looks like; it is not a defence against someone forging data.

/// The reflected generator polynomial (IEEE 802.3).
const POLYNOMIAL: u32 = 0xEDB8_8320;

/// The remainder of each byte value, computed at compile time.
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
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
        table[byte] = crc;
        byte += 1;
    }
    table
};

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

    /// Consumes `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = TABLE[((self.0 ^ byte as u32) & 0xFF) as usize] ^ (self.0 >> 8);
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
}
