"""PC Screen Font parsing on the host, to draw exactly what the kernel draws.

The kernel's console renders glyphs from `kernel/assets/fonts/Lat15-Terminus16.psf` with the
`psf` crate. The screenshot test needs the same pixels to compare against, so this module reads
the same file the same way: a PSF1 or PSF2 header, the glyph bitmaps (one bit a pixel, MSB
leftmost, rows padded to bytes), and the Unicode table that maps characters to glyphs. See
crates/psf/src/lib.rs for the format notes; the two parsers are checked against each other's
results in tests/test_psf.py.
"""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

from ferrite_tools.errors import InvalidData

PSF1_MAGIC = b"\x36\x04"
PSF2_MAGIC = b"\x72\xb5\x4a\x86"
_PSF1_MODE_512 = 0x01
_PSF1_MODE_TABLE = 0x02 | 0x04
_PSF1_END, _PSF1_SEQ = 0xFFFF, 0xFFFE
_PSF2_FLAG_TABLE = 0x01
_PSF2_END, _PSF2_SEQ = 0xFF, 0xFE


class FontError(InvalidData):
    """The file is not a usable PSF font."""


@dataclasses.dataclass(frozen=True)
class Font:
    """A parsed font: glyph bitmaps and the character map."""

    width: int
    height: int
    glyphs: tuple[bytes, ...]
    charmap: dict[str, int]

    def glyph_index(self, ch: str, fallback: str = "?") -> int:
        if ch in self.charmap:
            return self.charmap[ch]
        return self.charmap[fallback]

    def pixel(self, index: int, x: int, y: int) -> bool:
        """Whether pixel (x, y) of glyph `index` is set."""
        row_bytes = (self.width + 7) // 8
        byte = self.glyphs[index][y * row_bytes + x // 8]
        return bool(byte & (0x80 >> (x % 8)))

    def rows(self, ch: str) -> list[list[bool]]:
        """The glyph for `ch` as rows of pixels."""
        index = self.glyph_index(ch)
        return [[self.pixel(index, x, y) for x in range(self.width)] for y in range(self.height)]


def parse(data: bytes) -> Font:
    """Parses PSF1 or PSF2."""
    if data.startswith(PSF2_MAGIC):
        if len(data) < 32:
            raise FontError("truncated PSF2 header")
        _, _, header_len, flags, count, size, height, width = struct.unpack_from("<4sIIIIIII", data)
        has_table = bool(flags & _PSF2_FLAG_TABLE)
        if size != height * ((width + 7) // 8):
            raise FontError("glyph size does not match width and height")
    elif data.startswith(PSF1_MAGIC):
        if len(data) < 4:
            raise FontError("truncated PSF1 header")
        mode, height = data[2], data[3]
        header_len, width, size = 4, 8, height
        count = 512 if mode & _PSF1_MODE_512 else 256
        has_table = bool(mode & _PSF1_MODE_TABLE)
    else:
        raise FontError("not a PSF font (bad magic)")
    end = header_len + count * size
    if len(data) < end or count == 0 or height == 0:
        raise FontError("truncated glyph data")
    glyphs = tuple(data[header_len + i * size : header_len + (i + 1) * size] for i in range(count))
    charmap: dict[str, int] = {}
    if not has_table:
        charmap = {chr(i): i for i in range(count)}
    elif data.startswith(PSF1_MAGIC):
        at = end
        for glyph in range(count):
            in_seq = False
            while True:
                if at + 2 > len(data):
                    raise FontError("truncated Unicode table")
                (unit,) = struct.unpack_from("<H", data, at)
                at += 2
                if unit == _PSF1_END:
                    break
                if unit == _PSF1_SEQ:
                    in_seq = True
                elif not in_seq:
                    charmap.setdefault(chr(unit), glyph)
    else:
        at = end
        for glyph in range(count):
            in_seq = False
            while True:
                if at >= len(data):
                    raise FontError("truncated Unicode table")
                lead = data[at]
                if lead == _PSF2_END:
                    at += 1
                    break
                if lead == _PSF2_SEQ:
                    at += 1
                    in_seq = True
                    continue
                length = 1 if lead < 0x80 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
                try:
                    ch = data[at : at + length].decode("utf-8")
                except UnicodeDecodeError as e:
                    raise FontError("bad UTF-8 in the Unicode table") from e
                at += length
                if not in_seq:
                    charmap.setdefault(ch, glyph)
    return Font(width, height, glyphs, charmap)


def load(path: Path) -> Font:
    """Reads and parses a font file."""
    return parse(path.read_bytes())
