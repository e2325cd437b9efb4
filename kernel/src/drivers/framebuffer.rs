//! The linear framebuffer: a rectangle of pixels in memory that the display shows.
//!
//! Neither BIOS nor UEFI leaves a 64-bit kernel a text mode it can use, so the bootloader asks
//! the firmware for a graphics mode (VESA BIOS Extensions under BIOS, the Graphics Output
//! Protocol under UEFI) and hands the kernel its address and layout. From then on showing
//! something means writing pixel values into that memory.
//!
//! The layout is not fixed. Each row is `stride` pixels apart (the stride can exceed the visible
//! width), and each pixel is `bytes_per_pixel` bytes whose meaning the firmware chose: OVMF
//! usually reports BGR with 4 bytes a pixel, VESA modes are often BGR with 3 or 4, and some
//! firmwares give a greyscale byte or arbitrary bit positions. [`PixelEncoder`] turns a colour
//! into the right bytes once, so drawing copies bytes and never decides per pixel.

use bootloader_api::info::{FrameBuffer, FrameBufferInfo, PixelFormat};
use textgrid::Rgb;

/// The most bytes one pixel can take (a 32-bit pixel).
const MAX_BYTES_PER_PIXEL: usize = 4;

/// One colour, already encoded in the framebuffer's pixel format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pixel {
    bytes: [u8; MAX_BYTES_PER_PIXEL],
}

/// Encodes colours for one pixel format.
#[derive(Debug, Clone, Copy)]
pub struct PixelEncoder {
    format: PixelFormat,
    bytes_per_pixel: usize,
}

impl PixelEncoder {
    /// An encoder for `format` with `bytes_per_pixel` bytes a pixel (at most 4 are written).
    pub fn new(format: PixelFormat, bytes_per_pixel: usize) -> Self {
        Self {
            format,
            bytes_per_pixel: bytes_per_pixel.min(MAX_BYTES_PER_PIXEL),
        }
    }

    /// The bytes that show `colour`.
    pub fn encode(&self, colour: Rgb) -> Pixel {
        let mut bytes = [0; MAX_BYTES_PER_PIXEL];
        match self.format {
            PixelFormat::Rgb => bytes[..3].copy_from_slice(&[colour.r, colour.g, colour.b]),
            PixelFormat::Bgr => bytes[..3].copy_from_slice(&[colour.b, colour.g, colour.r]),
            PixelFormat::U8 => bytes[0] = luminance(colour),
            PixelFormat::Unknown {
                red_position,
                green_position,
                blue_position,
            } => {
                // The positions are bit offsets of 8-bit fields in a little-endian pixel.
                let place = |value: u8, position: u8| {
                    u32::from(value)
                        .checked_shl(u32::from(position))
                        .unwrap_or(0)
                };
                let value = place(colour.r, red_position)
                    | place(colour.g, green_position)
                    | place(colour.b, blue_position);
                bytes = value.to_le_bytes();
            }
            // A format this code does not know: draw white-ish on black rather than nothing.
            _ => bytes[0] = luminance(colour),
        }
        Pixel { bytes }
    }
}

/// Perceived brightness of a colour (ITU-R BT.601 weights, in integers).
fn luminance(colour: Rgb) -> u8 {
    let weighted =
        299 * u32::from(colour.r) + 587 * u32::from(colour.g) + 114 * u32::from(colour.b);
    (weighted / 1000) as u8
}

/// The screen's pixels, owned by whoever draws on it (the console).
pub struct Framebuffer {
    pixels: &'static mut [u8],
    info: FrameBufferInfo,
    encoder: PixelEncoder,
    /// The bytes of every 4-pixel pattern for the last colour pair a glyph was drawn in.
    patterns: Patterns,
}

/// Pixels drawn per pattern: one nibble of a glyph row.
const PATTERN_PIXELS: usize = 4;
/// Patterns of [`PATTERN_PIXELS`] pixels, each on or off.
const PATTERNS: usize = 1 << PATTERN_PIXELS;
/// Bytes of one pattern at the largest pixel size.
const PATTERN_BYTES: usize = PATTERN_PIXELS * MAX_BYTES_PER_PIXEL;

/// For one (foreground, background) pair, the encoded bytes of each of the 16 ways four pixels
/// can be on or off. A text console draws glyph rows in few colours, so with this table a row
/// of 8 pixels is two table lookups and two short copies instead of 8 decisions and 8 copies:
/// the boot's log lines cost a few hundred instructions a character, not a few thousand.
struct Patterns {
    colours: Option<(Pixel, Pixel)>,
    bytes: [[u8; PATTERN_BYTES]; PATTERNS],
}

impl Patterns {
    /// The table for `on` over `off`, made if the last one was for other colours.
    fn for_colours(
        &mut self,
        on: Pixel,
        off: Pixel,
        size: usize,
    ) -> &[[u8; PATTERN_BYTES]; PATTERNS] {
        if self.colours != Some((on, off)) {
            for (pattern, bytes) in self.bytes.iter_mut().enumerate() {
                let used = &mut bytes[..PATTERN_PIXELS * size];
                for (i, target) in used.chunks_exact_mut(size).enumerate() {
                    // Bit 3 is the leftmost pixel, as in a glyph row.
                    let lit = pattern & (1 << (PATTERN_PIXELS - 1 - i)) != 0;
                    let pixel = if lit { &on } else { &off };
                    target.copy_from_slice(&pixel.bytes[..size]);
                }
            }
            self.colours = Some((on, off));
        }
        &self.bytes
    }
}

impl Framebuffer {
    /// Takes ownership of the framebuffer the bootloader described.
    pub fn new(framebuffer: FrameBuffer) -> Self {
        let info = framebuffer.info();
        Self {
            pixels: framebuffer.into_buffer(),
            info,
            encoder: PixelEncoder::new(info.pixel_format, info.bytes_per_pixel),
            patterns: Patterns {
                colours: None,
                bytes: [[0; PATTERN_BYTES]; PATTERNS],
            },
        }
    }

    /// The mode: size, stride and pixel format.
    pub fn info(&self) -> FrameBufferInfo {
        self.info
    }

    /// Encodes a colour for this framebuffer.
    pub fn encode(&self, colour: Rgb) -> Pixel {
        self.encoder.encode(colour)
    }

    /// Sets a horizontal run of pixels starting at (`x`, `y`): pixel `i` gets `on` if
    /// `is_on(i)` and `off` otherwise. Clipped to the visible area. Drawing a glyph row this
    /// way computes the row's address once, not once a pixel.
    pub fn put_run(
        &mut self,
        x: usize,
        y: usize,
        len: usize,
        on: Pixel,
        off: Pixel,
        is_on: impl Fn(usize) -> bool,
    ) {
        if y >= self.info.height || x >= self.info.width {
            return;
        }
        let len = len.min(self.info.width - x);
        let bpp = self.info.bytes_per_pixel;
        let size = self.encoder.bytes_per_pixel;
        let start = (y * self.info.stride + x) * bpp;
        let Some(run) = self.pixels.get_mut(start..start + len * bpp) else {
            return;
        };
        // One loop per pixel size, so that each pixel is a fixed-size copy (a move or two)
        // rather than a call to `memcpy` for a length known only at run time: a glyph is 128
        // pixels, and the boot prints thousands of them.
        match (bpp, size) {
            (3, 3) => put_pixels::<3>(run, &on, &off, is_on),
            (4, 4) => put_pixels::<4>(run, &on, &off, is_on),
            _ => {
                for (i, target) in run.chunks_exact_mut(bpp).enumerate() {
                    let pixel = if is_on(i) { &on } else { &off };
                    target[..size].copy_from_slice(&pixel.bytes[..size]);
                }
            }
        }
    }

    /// Draws a glyph `width` pixels wide (at most 32) and `height` rows high at (`x`, `y`):
    /// in row `r`, pixel `i` in `on` if bit `31 - i` of `row(r)` is set, else in `off`.
    /// Clipped like [`Self::put_run`]. The checks and the colour table are done once a glyph,
    /// then each row is two table lookups and two short copies.
    pub fn put_glyph(
        &mut self,
        (x, y): (usize, usize),
        (width, height): (usize, usize),
        on: Pixel,
        off: Pixel,
        row: impl Fn(usize) -> u32,
    ) {
        /// Bits in a glyph row word.
        const ROW_BITS: usize = 32;
        let bpp = self.info.bytes_per_pixel;
        let size = self.encoder.bytes_per_pixel;
        let fits = y + height <= self.info.height && x + width <= self.info.width;
        if bpp != size || width > ROW_BITS || width % PATTERN_PIXELS != 0 || !fits {
            for r in 0..height {
                let bits = row(r);
                self.put_run(x, y + r, width, on, off, |i| {
                    i < ROW_BITS && bits & (1 << (ROW_BITS - 1 - i)) != 0
                });
            }
            return;
        }
        let row_bytes = self.info.stride * bpp;
        let first = (y * self.info.stride + x) * bpp;
        let last = first + (height.saturating_sub(1)) * row_bytes + width * bpp;
        let Some(area) = self.pixels.get_mut(first..last) else {
            return;
        };
        let table = self.patterns.for_colours(on, off, size);
        for r in 0..height {
            let start = r * row_bytes;
            let run = &mut area[start..start + width * bpp];
            // A fixed chunk size for the common pixel sizes, so each copy is a few moves.
            match bpp {
                3 => blit::<{ 3 * PATTERN_PIXELS }>(run, table, row(r)),
                4 => blit::<{ 4 * PATTERN_PIXELS }>(run, table, row(r)),
                _ => blit_any(run, table, row(r), PATTERN_PIXELS * bpp),
            }
        }
    }

    /// Moves the picture up by `rows` pixel rows and fills the rows that come free at the
    /// bottom with `fill`.
    ///
    /// This reads the framebuffer, which is slow on real hardware (video memory is uncached or
    /// write-combining) but far cheaper than drawing every glyph again, which is what the
    /// alternative costs until the kernel has memory for a copy of the screen.
    pub fn scroll_up(&mut self, rows: usize, fill: Pixel) {
        let rows = rows.min(self.info.height);
        let row_bytes = self.info.stride * self.info.bytes_per_pixel;
        let visible = self.info.height * row_bytes;
        let Some(screen) = self.pixels.get_mut(..visible) else {
            return;
        };
        screen.copy_within(rows * row_bytes.., 0);
        let width = self.info.width;
        for y in self.info.height - rows..self.info.height {
            self.put_run(0, y, width, fill, fill, |_| false);
        }
    }

    /// Fills a rectangle, clipped to the visible area.
    pub fn fill(&mut self, x: usize, y: usize, width: usize, height: usize, pixel: Pixel) {
        let y_end = (y + height).min(self.info.height);
        if y >= y_end || x >= self.info.width {
            return;
        }
        // Draw the first row pixel by pixel, then copy it: a memory copy is much faster than
        // encoding each pixel again, especially in an unoptimised build.
        self.put_run(x, y, width, pixel, pixel, |_| false);
        let bpp = self.info.bytes_per_pixel;
        let row_bytes = self.info.stride * bpp;
        let start = (y * self.info.stride + x) * bpp;
        let len = width.min(self.info.width - x) * bpp;
        for row in y + 1..y_end {
            let target = start + (row - y) * row_bytes;
            if target + len <= self.pixels.len() {
                self.pixels.copy_within(start..start + len, target);
            }
        }
    }
}

/// The nibble of glyph row `bits` that pattern `n` of a row draws (the leftmost first).
fn nibble(bits: u32, n: usize) -> usize {
    /// Bits in a glyph row word.
    const ROW_BITS: usize = 32;
    (bits >> (ROW_BITS - PATTERN_PIXELS * (n + 1))) as usize % PATTERNS
}

/// Copies the pattern of each nibble of `bits` into `run`, `B` bytes a pattern.
fn blit<const B: usize>(run: &mut [u8], table: &[[u8; PATTERN_BYTES]; PATTERNS], bits: u32) {
    // `first_chunk` makes both sides arrays of `B` bytes, so the copy is a couple of moves; a
    // copy between slices (whose length the compiler cannot see) calls `memcpy`, which costs
    // more than the rest of the row.
    for (n, target) in run.chunks_exact_mut(B).enumerate() {
        if let (Some(target), Some(pattern)) = (
            target.first_chunk_mut::<B>(),
            table[nibble(bits, n)].first_chunk::<B>(),
        ) {
            *target = *pattern;
        }
    }
}

/// [`blit`] for a pattern size known only at run time.
fn blit_any(run: &mut [u8], table: &[[u8; PATTERN_BYTES]; PATTERNS], bits: u32, bytes: usize) {
    for (n, target) in run.chunks_exact_mut(bytes).enumerate() {
        target.copy_from_slice(&table[nibble(bits, n)][..bytes]);
    }
}

/// Sets each `N`-byte pixel of `run`: `on` where `is_on(i)`, else `off`.
fn put_pixels<const N: usize>(
    run: &mut [u8],
    on: &Pixel,
    off: &Pixel,
    is_on: impl Fn(usize) -> bool,
) {
    let (Some(on), Some(off)) = (on.bytes.first_chunk::<N>(), off.bytes.first_chunk::<N>()) else {
        return;
    };
    for (i, target) in run.chunks_exact_mut(N).enumerate() {
        if let Some(target) = target.first_chunk_mut::<N>() {
            *target = if is_on(i) { *on } else { *off };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORANGE: Rgb = Rgb::new(0xFF, 0x80, 0x10);

    #[test_case]
    fn rgb_and_bgr_order_the_bytes() {
        let rgb = PixelEncoder::new(PixelFormat::Rgb, 4).encode(ORANGE);
        assert_eq!(rgb.bytes, [0xFF, 0x80, 0x10, 0]);
        let bgr = PixelEncoder::new(PixelFormat::Bgr, 3).encode(ORANGE);
        assert_eq!(&bgr.bytes[..3], &[0x10, 0x80, 0xFF]);
    }

    #[test_case]
    fn greyscale_uses_luminance() {
        let grey = PixelEncoder::new(PixelFormat::U8, 1);
        assert_eq!(grey.encode(Rgb::new(255, 255, 255)).bytes[0], 255);
        assert_eq!(grey.encode(Rgb::new(0, 0, 0)).bytes[0], 0);
        assert_eq!(grey.encode(Rgb::new(0, 255, 0)).bytes[0], 149);
    }

    #[test_case]
    fn unknown_format_places_fields_by_bit_position() {
        let format = PixelFormat::Unknown {
            red_position: 16,
            green_position: 8,
            blue_position: 0,
        };
        let pixel = PixelEncoder::new(format, 4).encode(ORANGE);
        assert_eq!(u32::from_le_bytes(pixel.bytes), 0x00FF_8010);
    }
}
