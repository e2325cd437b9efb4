"""The host's PSF parser, which the screenshot test draws with, against the kernel's font."""

from __future__ import annotations

import struct

import pytest

from ferrite_tools import paths, psf


def test_the_kernel_font() -> None:
    font = psf.load(paths.FONT)
    assert (font.width, font.height, len(font.glyphs)) == (8, 16, 256)
    for code in range(0x20, 0x7F):
        assert chr(code) in font.charmap
    assert not any(any(row) for row in font.rows(" "))
    assert sum(sum(row) for row in font.rows("F")) > 10
    assert font.glyph_index("中") == font.glyph_index("?")


def test_psf2_with_a_table() -> None:
    header = struct.pack("<4sIIIIIII", psf.PSF2_MAGIC, 0, 32, 1, 2, 4, 2, 9)
    glyphs = bytes([0x80, 0x80, 0, 0]) + bytes([0, 0, 0x00, 0x80])
    table = b"A\xff" + "é".encode() + b"\xfee\xcc\x81\xff"
    font = psf.parse(header + glyphs + table)
    assert (font.width, font.height) == (9, 2)
    assert font.charmap == {"A": 0, "é": 1}
    assert font.pixel(0, 0, 0) and font.pixel(0, 8, 0)
    assert font.pixel(1, 8, 1) and not font.pixel(1, 0, 1)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "bad magic"),
        (b"\x36\x04\x02\x10" + bytes(100), "truncated glyph"),
        (b"\x36\x04\x02\x10" + bytes(256 * 16) + b"\x41\x00", "truncated Unicode"),
    ],
)
def test_malformed_fonts(data: bytes, message: str) -> None:
    with pytest.raises(psf.FontError, match=message):
        psf.parse(data)
