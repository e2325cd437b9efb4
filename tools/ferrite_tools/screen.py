"""Reading QEMU screenshots and checking that they show given text in the console's font.

QMP's `screendump` writes the display as a binary PPM (P6: a short text header, then RGB bytes).
The console draws character (c, r) as the glyph's pixels at (8c, 16r): set bits in the
foreground colour, the rest in the background. `text_match` renders the expected line with the
same font and compares every pixel of its cells, so a console that drew the wrong glyph, the
wrong place, or nothing scores low. Colours are free (a log line is green, the banner grey), but
within one cell the set pixels must share one colour and the unset another.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ferrite_tools.errors import InvalidData
from ferrite_tools.psf import Font

Rgb = tuple[int, int, int]


@dataclasses.dataclass(frozen=True)
class Image:
    """An RGB image."""

    width: int
    height: int
    pixels: bytes  # width * height * 3

    def at(self, x: int, y: int) -> Rgb:
        i = (y * self.width + x) * 3
        return (self.pixels[i], self.pixels[i + 1], self.pixels[i + 2])


def read_ppm(path: Path) -> Image:
    """Parses a binary (P6) PPM with 8-bit channels."""
    data = path.read_bytes()
    fields: list[bytes] = []
    at = 0
    while len(fields) < 4:
        while data[at : at + 1].isspace():
            at += 1
        if data[at : at + 1] == b"#":
            at = data.index(b"\n", at) + 1
            continue
        start = at
        while not data[at : at + 1].isspace():
            at += 1
        fields.append(data[start:at])
    at += 1  # the single white-space byte after maxval
    if fields[0] != b"P6" or fields[3] != b"255":
        raise InvalidData(f"{path} is not an 8-bit P6 PPM")
    width, height = int(fields[1]), int(fields[2])
    pixels = data[at : at + width * height * 3]
    if len(pixels) != width * height * 3:
        raise InvalidData(f"{path} is truncated")
    return Image(width, height, pixels)


def cell_match(image: Image, font: Font, ch: str, col: int, row: int) -> float:
    """The share of pixels in cell (col, row) that agree with `ch`'s glyph."""
    left, top = col * font.width, row * font.height
    glyph = font.rows(ch)
    on = [image.at(left + x, top + y) for y in range(font.height) for x in range(font.width) if glyph[y][x]]
    off = [image.at(left + x, top + y) for y in range(font.height) for x in range(font.width) if not glyph[y][x]]
    if not off:
        return 0.0
    bg = max(set(off), key=off.count)
    if not on:
        return sum(p == bg for p in off) / len(off)
    fg = max(set(on), key=on.count)
    if fg == bg:
        return 0.0
    good = sum(p == fg for p in on) + sum(p == bg for p in off)
    return good / (len(on) + len(off))


def text_match(image: Image, font: Font, text: str, row: int, col: int = 0) -> float:
    """The share of pixels in the cells of `text`, at (col, row), that agree with its glyphs."""
    scores = [cell_match(image, font, ch, col + i, row) for i, ch in enumerate(text)]
    return sum(scores) / len(scores) if scores else 0.0
