//! PC Screen Font parsing: the bitmap font format of the Linux text console.
//!
//! A framebuffer has no text mode, so the kernel has to draw every character itself, pixel by
//! pixel, from a bitmap font. PSF is the simplest format that is still a real one: a small
//! header, then every glyph as rows of bits (one bit a pixel, most significant bit leftmost,
//! each row padded to whole bytes), then an optional table that says which Unicode characters
//! each glyph draws. There are two versions:
//!
//! * **PSF1**: 4-byte header (magic `36 04`, mode, height); always 8 pixels wide; 256 or 512
//!   glyphs; the Unicode table is little-endian `u16` code points, `0xFFFF` ending each glyph's
//!   list.
//! * **PSF2**: 32-byte header (magic `72 B5 4A 86`) that states width, height and glyph count;
//!   the Unicode table is UTF-8, `0xFF` ending each glyph's list.
//!
//! In both, a glyph's list may also hold *sequences* (a base character plus combining marks)
//! after a separator (`0xFFFE` / `0xFE`); a one-character lookup skips them.
//!
//! The parser borrows the font bytes (the kernel embeds them with `include_bytes!`) and never
//! allocates, so it works before the kernel has a heap. Characters below U+0100 are resolved
//! once, at parse time, into a table; the rest walk the Unicode table on each lookup.
//!
//! The host tools parse the same file (`tools/ferrite_tools/psf.py`) to render the text they
//! expect to see in a screenshot, so both sides draw identical pixels.

#![no_std]
#![forbid(unsafe_code)]

/// The first two bytes of a PSF1 file.
pub const PSF1_MAGIC: [u8; 2] = [0x36, 0x04];
/// The first four bytes of a PSF2 file.
pub const PSF2_MAGIC: [u8; 4] = [0x72, 0xB5, 0x4A, 0x86];

/// Size of the PSF1 header in bytes.
const PSF1_HEADER_LEN: usize = 4;
/// PSF1 mode bit: the font has 512 glyphs instead of 256.
const PSF1_MODE_512: u8 = 0x01;
/// PSF1 mode bit: a Unicode table follows the glyphs.
const PSF1_MODE_HAS_TABLE: u8 = 0x02;
/// PSF1 mode bit: the table contains sequences (it implies a table).
const PSF1_MODE_HAS_SEQ: u8 = 0x04;
/// PSF1 fonts are always eight pixels wide.
const PSF1_WIDTH: usize = 8;
/// PSF1 Unicode table: ends one glyph's list.
const PSF1_TABLE_END: u16 = 0xFFFF;
/// PSF1 Unicode table: starts a sequence within one glyph's list.
const PSF1_TABLE_SEQ: u16 = 0xFFFE;

/// Size of the fixed part of the PSF2 header in bytes.
const PSF2_HEADER_LEN: usize = 32;
/// PSF2 flags bit: a Unicode table follows the glyphs.
const PSF2_FLAG_HAS_TABLE: u32 = 0x01;
/// PSF2 Unicode table: ends one glyph's list.
const PSF2_TABLE_END: u8 = 0xFF;
/// PSF2 Unicode table: starts a sequence within one glyph's list.
const PSF2_TABLE_SEQ: u8 = 0xFE;

/// Characters below this code point are looked up in a table built at parse time.
const FAST_TABLE_LEN: usize = 256;
/// Marks an entry of the fast table that has no glyph.
const NO_GLYPH: u16 = u16::MAX;

/// Why a byte string is not a usable PSF font.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The bytes start with neither the PSF1 nor the PSF2 magic number.
    BadMagic,
    /// The file ends before the header, the glyphs or the Unicode table it announces.
    Truncated,
    /// The header states a zero or absurd size (width, height, glyph count or glyph size).
    BadGeometry,
    /// The Unicode table is malformed (bad UTF-8, a code point that is not a character, or a
    /// missing terminator).
    BadUnicodeTable,
}

/// Which of the two PSF versions a font is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// The original format: 8 pixels wide, 256 or 512 glyphs.
    Psf1,
    /// The extended format with any width and glyph count.
    Psf2,
}

/// A parsed font that borrows its bytes.
#[derive(Clone)]
pub struct Font<'a> {
    version: Version,
    width: usize,
    height: usize,
    glyph_count: usize,
    bytes_per_glyph: usize,
    glyphs: &'a [u8],
    /// The Unicode table, if the font has one (the bytes after the last glyph).
    table: Option<&'a [u8]>,
    /// Glyph index for each character below U+0100, or [`NO_GLYPH`].
    fast: [u16; FAST_TABLE_LEN],
}

/// One glyph's bitmap.
#[derive(Debug, Clone, Copy)]
pub struct Glyph<'a> {
    bits: &'a [u8],
    width: usize,
    height: usize,
}

impl Glyph<'_> {
    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Row `y` as bits, the leftmost pixel in bit 31 (glyphs up to 32 pixels wide; wider ones
    /// keep their first 32 columns). Drawing a row tests bits of this one word, rather than
    /// finding each pixel's byte and bit again. Rows outside the glyph are empty.
    pub fn row_bits(&self, y: usize) -> u32 {
        /// Bits in the returned word.
        const WORD_BITS: usize = 32;
        if y >= self.height {
            return 0;
        }
        if self.width == 8 {
            // The common case, one byte a row (`parse` checked the glyph's length).
            return u32::from(self.bits[y]) << (WORD_BITS - 8);
        }
        let bytes_per_row = self.width.div_ceil(8);
        let row = &self.bits[y * bytes_per_row..(y + 1) * bytes_per_row];
        let mut word = 0u32;
        for (i, &byte) in row.iter().take(WORD_BITS / 8).enumerate() {
            word |= u32::from(byte) << (WORD_BITS - 8 * (i + 1));
        }
        if self.width < WORD_BITS {
            // Padding bits past the width are not pixels.
            word &= !(u32::MAX >> self.width);
        }
        word
    }

    /// Whether the pixel at column `x`, row `y` is set (drawn in the foreground colour).
    /// Pixels outside the glyph are unset.
    pub fn pixel(&self, x: usize, y: usize) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let row = y * self.width.div_ceil(8);
        let byte = self.bits[row + x / 8];
        byte & (0x80 >> (x % 8)) != 0
    }
}

fn read_u32_le(bytes: &[u8], at: usize) -> Result<u32, Error> {
    let field = bytes.get(at..at + 4).ok_or(Error::Truncated)?;
    Ok(u32::from_le_bytes([field[0], field[1], field[2], field[3]]))
}

fn to_usize(value: u32) -> usize {
    // usize is at least 32 bits on every target Ferrite builds for.
    value as usize
}

impl<'a> Font<'a> {
    /// Parses a PSF1 or PSF2 font.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.starts_with(&PSF2_MAGIC) {
            Self::parse_psf2(bytes)
        } else if bytes.starts_with(&PSF1_MAGIC) {
            Self::parse_psf1(bytes)
        } else {
            Err(Error::BadMagic)
        }
    }

    fn parse_psf1(bytes: &'a [u8]) -> Result<Self, Error> {
        let header = bytes.get(..PSF1_HEADER_LEN).ok_or(Error::Truncated)?;
        let mode = header[2];
        let height = usize::from(header[3]);
        let glyph_count = if mode & PSF1_MODE_512 != 0 { 512 } else { 256 };
        let has_table = mode & (PSF1_MODE_HAS_TABLE | PSF1_MODE_HAS_SEQ) != 0;
        Self::assemble(
            bytes,
            Version::Psf1,
            PSF1_HEADER_LEN,
            PSF1_WIDTH,
            height,
            glyph_count,
            height,
            has_table,
        )
    }

    fn parse_psf2(bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.len() < PSF2_HEADER_LEN {
            return Err(Error::Truncated);
        }
        let header_len = to_usize(read_u32_le(bytes, 8)?);
        let flags = read_u32_le(bytes, 12)?;
        let glyph_count = to_usize(read_u32_le(bytes, 16)?);
        let bytes_per_glyph = to_usize(read_u32_le(bytes, 20)?);
        let height = to_usize(read_u32_le(bytes, 24)?);
        let width = to_usize(read_u32_le(bytes, 28)?);
        if header_len < PSF2_HEADER_LEN || width == 0 {
            return Err(Error::BadGeometry);
        }
        // The glyph size is stated separately, but it must be what width and height imply.
        if height.checked_mul(width.div_ceil(8)) != Some(bytes_per_glyph) {
            return Err(Error::BadGeometry);
        }
        Self::assemble(
            bytes,
            Version::Psf2,
            header_len,
            width,
            height,
            glyph_count,
            bytes_per_glyph,
            flags & PSF2_FLAG_HAS_TABLE != 0,
        )
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one private constructor shared by both versions"
    )]
    fn assemble(
        bytes: &'a [u8],
        version: Version,
        header_len: usize,
        width: usize,
        height: usize,
        glyph_count: usize,
        bytes_per_glyph: usize,
        has_table: bool,
    ) -> Result<Self, Error> {
        if height == 0 || glyph_count == 0 || glyph_count > usize::from(u16::MAX) {
            return Err(Error::BadGeometry);
        }
        let glyphs_len = glyph_count
            .checked_mul(bytes_per_glyph)
            .ok_or(Error::BadGeometry)?;
        let glyphs_end = header_len
            .checked_add(glyphs_len)
            .ok_or(Error::BadGeometry)?;
        let glyphs = bytes.get(header_len..glyphs_end).ok_or(Error::Truncated)?;
        let table = if has_table {
            Some(&bytes[glyphs_end..])
        } else {
            None
        };
        let mut font = Font {
            version,
            width,
            height,
            glyph_count,
            bytes_per_glyph,
            glyphs,
            table,
            fast: [NO_GLYPH; FAST_TABLE_LEN],
        };
        font.build_fast_table()?;
        Ok(font)
    }

    /// Fills the table for characters below U+0100, checking the whole Unicode table on the way.
    fn build_fast_table(&mut self) -> Result<(), Error> {
        let mut fast = [NO_GLYPH; FAST_TABLE_LEN];
        if self.table.is_none() {
            // Without a table, glyph N draws character N (the font is in code-page order).
            for (code, slot) in fast.iter_mut().enumerate().take(self.glyph_count) {
                *slot = code as u16;
            }
        } else {
            self.walk_table(|glyph, ch| {
                let code = ch as usize;
                if code < FAST_TABLE_LEN && fast[code] == NO_GLYPH {
                    fast[code] = glyph as u16;
                }
                false
            })?;
        }
        self.fast = fast;
        Ok(())
    }

    /// Calls `visit(glyph_index, character)` for every single character the Unicode table maps,
    /// in table order, until `visit` returns `true`. Returns whether it stopped early.
    fn walk_table(&self, mut visit: impl FnMut(usize, char) -> bool) -> Result<bool, Error> {
        let Some(table) = self.table else {
            return Ok(false);
        };
        let mut at = 0;
        for glyph in 0..self.glyph_count {
            let mut in_sequence = false;
            loop {
                match self.version {
                    Version::Psf1 => {
                        let pair = table.get(at..at + 2).ok_or(Error::BadUnicodeTable)?;
                        at += 2;
                        let unit = u16::from_le_bytes([pair[0], pair[1]]);
                        match unit {
                            PSF1_TABLE_END => break,
                            PSF1_TABLE_SEQ => in_sequence = true,
                            _ if in_sequence => {}
                            _ => {
                                let ch = char::from_u32(u32::from(unit))
                                    .ok_or(Error::BadUnicodeTable)?;
                                if visit(glyph, ch) {
                                    return Ok(true);
                                }
                            }
                        }
                    }
                    Version::Psf2 => {
                        let lead = *table.get(at).ok_or(Error::BadUnicodeTable)?;
                        match lead {
                            PSF2_TABLE_END => {
                                at += 1;
                                break;
                            }
                            PSF2_TABLE_SEQ => {
                                at += 1;
                                in_sequence = true;
                            }
                            _ => {
                                let len = utf8_len(lead).ok_or(Error::BadUnicodeTable)?;
                                let encoded =
                                    table.get(at..at + len).ok_or(Error::BadUnicodeTable)?;
                                at += len;
                                let ch = core::str::from_utf8(encoded)
                                    .ok()
                                    .and_then(|s| s.chars().next())
                                    .ok_or(Error::BadUnicodeTable)?;
                                if !in_sequence && visit(glyph, ch) {
                                    return Ok(true);
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(false)
    }

    /// Which PSF version the font was stored in.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Glyph width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Glyph height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Number of glyphs in the font.
    pub fn glyph_count(&self) -> usize {
        self.glyph_count
    }

    /// Whether the font carries a Unicode table.
    pub fn has_unicode_table(&self) -> bool {
        self.table.is_some()
    }

    /// The glyph at `index`, if there is one.
    pub fn glyph(&self, index: usize) -> Option<Glyph<'a>> {
        if index >= self.glyph_count {
            return None;
        }
        let start = index * self.bytes_per_glyph;
        Some(Glyph {
            bits: &self.glyphs[start..start + self.bytes_per_glyph],
            width: self.width,
            height: self.height,
        })
    }

    /// The index of the glyph that draws `ch`, if the font has one.
    pub fn glyph_index(&self, ch: char) -> Option<usize> {
        let code = ch as usize;
        if code < FAST_TABLE_LEN {
            let index = self.fast[code];
            return (index != NO_GLYPH).then_some(usize::from(index));
        }
        let mut found = None;
        // The table was fully checked by `parse`, so the walk cannot fail here.
        let _ = self.walk_table(|glyph, mapped| {
            if mapped == ch {
                found = Some(glyph);
            }
            found.is_some()
        });
        found
    }

    /// The glyph that draws `ch`, or `fallback`'s glyph when the font has none for `ch`.
    pub fn glyph_for(&self, ch: char, fallback: char) -> Option<Glyph<'a>> {
        self.glyph_index(ch)
            .or_else(|| self.glyph_index(fallback))
            .and_then(|index| self.glyph(index))
    }
}

/// Length of a UTF-8 sequence from its first byte, or `None` for a byte that cannot start one.
fn utf8_len(lead: u8) -> Option<usize> {
    match lead {
        0x00..=0x7F => Some(1),
        0xC2..=0xDF => Some(2),
        0xE0..=0xEF => Some(3),
        0xF0..=0xF4 => Some(4),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// The font the kernel embeds: a real PSF1 file with a Unicode table.
    const TERMINUS: &[u8] = include_bytes!("../../../kernel/assets/fonts/Lat15-Terminus16.psf");

    /// Builds a PSF2 font of `count` glyphs, 10 pixels wide and 2 high, where glyph N has its
    /// first row's leftmost N+1 pixels set; `table` is appended as the Unicode table.
    fn psf2(count: u32, table: Option<&[u8]>) -> Vec<u8> {
        let (width, height, bytes_per_glyph) = (10u32, 2u32, 4u32);
        let mut out = Vec::new();
        out.extend_from_slice(&PSF2_MAGIC);
        for field in [
            0,
            32,
            u32::from(table.is_some()),
            count,
            bytes_per_glyph,
            height,
            width,
        ] {
            out.extend_from_slice(&field.to_le_bytes());
        }
        for n in 0..count {
            let bits: u16 = !(u16::MAX >> (n + 1));
            out.extend_from_slice(&bits.to_be_bytes());
            out.extend_from_slice(&[0, 0]);
        }
        if let Some(table) = table {
            out.extend_from_slice(table);
        }
        out
    }

    #[test]
    fn parses_the_kernel_font() {
        let font = Font::parse(TERMINUS).unwrap();
        assert_eq!(font.version(), Version::Psf1);
        assert_eq!((font.width(), font.height()), (8, 16));
        assert_eq!(font.glyph_count(), 256);
        assert!(font.has_unicode_table());
        for ch in ' '..='~' {
            assert!(font.glyph_index(ch).is_some(), "no glyph for {ch:?}");
        }
    }

    #[test]
    fn letters_have_ink_and_space_has_none() {
        let font = Font::parse(TERMINUS).unwrap();
        let ink = |ch| {
            let glyph = font.glyph_for(ch, '?').unwrap();
            (0..16)
                .flat_map(|y| (0..8).map(move |x| (x, y)))
                .filter(|&(x, y)| glyph.pixel(x, y))
                .count()
        };
        assert_eq!(ink(' '), 0);
        assert!(ink('F') > 10);
        assert!(ink('W') > ink('.'));
    }

    #[test]
    fn characters_beyond_latin1_walk_the_table() {
        let font = Font::parse(TERMINUS).unwrap();
        // Lat15 covers the euro sign and box-drawing lines, above the fast table.
        assert!(font.glyph_index('€').is_some());
        assert!(font.glyph_index('─').is_some());
        assert_eq!(font.glyph_index('中'), None);
        let fallback = font.glyph_for('中', '?').unwrap();
        let question = font.glyph(font.glyph_index('?').unwrap()).unwrap();
        assert_eq!(fallback.bits, question.bits);
    }

    #[test]
    fn psf2_geometry_and_pixels() {
        let bytes = psf2(3, None);
        let font = Font::parse(&bytes).unwrap();
        assert_eq!(font.version(), Version::Psf2);
        assert_eq!(
            (font.width(), font.height(), font.glyph_count()),
            (10, 2, 3)
        );
        let glyph = font.glyph_for('\u{2}', '?').unwrap();
        assert!(glyph.pixel(0, 0) && glyph.pixel(2, 0));
        assert!(!glyph.pixel(3, 0) && !glyph.pixel(0, 1));
        assert!(!glyph.pixel(10, 0), "outside the glyph is unset");
        assert!(font.glyph(3).is_none());
    }

    #[test]
    fn row_bits_agree_with_pixels() {
        let font = Font::parse(TERMINUS).unwrap();
        let wide = psf2(3, None);
        let wide = Font::parse(&wide).unwrap();
        for (font, ch) in [(&font, 'W'), (&font, '@'), (&wide, '\u{2}')] {
            let glyph = font.glyph_for(ch, '?').unwrap();
            for y in 0..glyph.height() + 1 {
                let bits = glyph.row_bits(y);
                for x in 0..32 {
                    let set = bits & (1 << (31 - x)) != 0;
                    assert_eq!(set, glyph.pixel(x, y), "{ch:?} at ({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn psf2_unicode_table_with_sequences() {
        // Glyph 0: 'A'; glyph 1: 'é' and the sequence e + combining acute; glyph 2: '€'.
        let mut table = Vec::new();
        table.extend_from_slice(b"A\xFF");
        table.extend_from_slice("é".as_bytes());
        table.push(PSF2_TABLE_SEQ);
        table.extend_from_slice("e\u{301}".as_bytes());
        table.push(PSF2_TABLE_END);
        table.extend_from_slice("€".as_bytes());
        table.push(PSF2_TABLE_END);
        let bytes = psf2(3, Some(&table));
        let font = Font::parse(&bytes).unwrap();
        assert_eq!(font.glyph_index('A'), Some(0));
        assert_eq!(font.glyph_index('é'), Some(1));
        assert_eq!(
            font.glyph_index('e'),
            None,
            "sequence members are not single mappings"
        );
        assert_eq!(font.glyph_index('€'), Some(2));
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(Font::parse(b"").err(), Some(Error::BadMagic));
        assert_eq!(Font::parse(b"GIF89a").err(), Some(Error::BadMagic));
        assert_eq!(Font::parse(&TERMINUS[..2]).err(), Some(Error::Truncated));
        assert_eq!(Font::parse(&TERMINUS[..1000]).err(), Some(Error::Truncated));
        // The glyphs are there but the Unicode table is cut off.
        let cut = 4 + 256 * 16 + 10;
        assert_eq!(
            Font::parse(&TERMINUS[..cut]).err(),
            Some(Error::BadUnicodeTable)
        );
        let mut wrong_size = psf2(1, None);
        wrong_size[20] = 5;
        assert_eq!(Font::parse(&wrong_size).err(), Some(Error::BadGeometry));
        let bad_utf8 = psf2(1, Some(b"\xC0\xFF"));
        assert_eq!(Font::parse(&bad_utf8).err(), Some(Error::BadUnicodeTable));
        let unterminated = psf2(2, Some(b"A\xFFB"));
        assert_eq!(
            Font::parse(&unterminated).err(),
            Some(Error::BadUnicodeTable)
        );
    }
}
