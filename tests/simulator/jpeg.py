"""A small baseline JPEG encoder (standard library only) for simulated camera frames.

Baseline sequential DCT, 8-bit, three components (YCbCr) without subsampling, one
quantisation table per channel family and fixed-length Huffman codes (every DC category
4 bits, every AC symbol 8 bits). The files are larger than an optimising encoder's, but
valid for any decoder. Blocks repeat a lot in generated frames, so their coefficients
are cached.
"""

from __future__ import annotations

from functools import lru_cache
import math
import struct

SOI = b"\xff\xd8"
EOI = b"\xff\xd9"


def _zigzag() -> list[int]:
    """Raster index of each coefficient in zig-zag order."""
    order: list[int] = []
    for diagonal in range(15):
        cells = [(y, diagonal - y) for y in range(8) if 0 <= diagonal - y < 8]
        if diagonal % 2 == 0:
            cells.reverse()  # even diagonals run bottom-left to top-right
        order.extend(y * 8 + x for y, x in cells)
    return order


ZIGZAG = _zigzag()
# Coarser quantisation for higher frequencies (and for colour), like common encoders.
LUMA_Q = [max(1, min(255, 6 + 3 * ((i // 8) + (i % 8)))) for i in range(64)]
CHROMA_Q = [max(1, min(255, 10 + 5 * ((i // 8) + (i % 8)))) for i in range(64)]
_COS = [
    [
        (math.sqrt(0.125) if u == 0 else 0.5) * math.cos((2 * x + 1) * u * math.pi / 16)
        for x in range(8)
    ]
    for u in range(8)
]
# Huffman tables: every symbol gets a code of one fixed length (canonical codes).
DC_SYMBOLS = list(range(12))
AC_SYMBOLS = [0x00, 0xF0] + [
    (run << 4) | size for run in range(16) for size in range(1, 11)
]
DC_LENGTH = 4
AC_LENGTH = 8
DC_CODES = {symbol: (index, DC_LENGTH) for index, symbol in enumerate(DC_SYMBOLS)}
AC_CODES = {symbol: (index, AC_LENGTH) for index, symbol in enumerate(AC_SYMBOLS)}


@lru_cache(maxsize=4096)
def _coefficients(block: bytes, chroma: bool) -> tuple[int, ...]:
    """Quantised DCT coefficients of one 8x8 block, in zig-zag order."""
    samples = [value - 128 for value in block]
    rows = [
        [sum(samples[y * 8 + x] * _COS[u][x] for x in range(8)) for u in range(8)]
        for y in range(8)
    ]
    table = CHROMA_Q if chroma else LUMA_Q
    raster = [0] * 64
    for v in range(8):
        for u in range(8):
            value = sum(rows[y][u] * _COS[v][y] for y in range(8))
            raster[v * 8 + u] = round(value / table[v * 8 + u])
    return tuple(raster[index] for index in ZIGZAG)


class _BitWriter:
    def __init__(self) -> None:
        self.out = bytearray()
        self._acc = 0
        self._bits = 0

    def write(self, code: int, length: int) -> None:
        self._acc = (self._acc << length) | code
        self._bits += length
        while self._bits >= 8:
            self._bits -= 8
            byte = (self._acc >> self._bits) & 0xFF
            self.out.append(byte)
            if byte == 0xFF:
                self.out.append(0x00)  # byte stuffing
        self._acc &= (1 << self._bits) - 1

    def flush(self) -> bytes:
        if self._bits:
            self.write((1 << (8 - self._bits)) - 1, 8 - self._bits)
        return bytes(self.out)


def _category(value: int) -> tuple[int, int]:
    """JPEG magnitude category and the extra bits for a coefficient."""
    size = abs(value).bit_length()
    bits = value if value >= 0 else value + (1 << size) - 1
    return size, bits


def _encode_block(
    writer: _BitWriter, coefficients: tuple[int, ...], previous_dc: int
) -> int:
    dc = coefficients[0]
    size, bits = _category(dc - previous_dc)
    writer.write(*DC_CODES[size])
    if size:
        writer.write(bits, size)
    run = 0
    last = max((i for i in range(1, 64) if coefficients[i]), default=0)
    for index in range(1, last + 1):
        value = coefficients[index]
        if value == 0:
            run += 1
            continue
        while run > 15:
            writer.write(*AC_CODES[0xF0])
            run -= 16
        size, bits = _category(value)
        writer.write(*AC_CODES[(run << 4) | size])
        writer.write(bits, size)
        run = 0
    if last < 63:
        writer.write(*AC_CODES[0x00])
    return dc


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _huffman_table(
    table_class: int, table_id: int, length: int, symbols: list[int]
) -> bytes:
    counts = [0] * 16
    counts[length - 1] = len(symbols)
    return bytes([(table_class << 4) | table_id, *counts, *symbols])


def encode_jpeg(width: int, height: int, rgb: bytes, comment: str = "") -> bytes:
    """Encode `rgb` (row-major, 3 bytes per pixel) as a baseline JPEG."""
    if len(rgb) != width * height * 3:
        raise ValueError("rgb must hold width * height * 3 bytes")
    planes: list[bytearray] = [bytearray(width * height) for _ in range(3)]
    for index in range(width * height):
        red, green, blue = rgb[3 * index : 3 * index + 3]
        luma = 0.299 * red + 0.587 * green + 0.114 * blue
        planes[0][index] = max(0, min(255, round(luma)))
        planes[1][index] = max(
            0, min(255, round(128 - 0.168736 * red - 0.331264 * green + 0.5 * blue))
        )
        planes[2][index] = max(
            0, min(255, round(128 + 0.5 * red - 0.418688 * green - 0.081312 * blue))
        )
    writer = _BitWriter()
    predictors = [0, 0, 0]
    for block_y in range(0, height, 8):
        for block_x in range(0, width, 8):
            for component, plane in enumerate(planes):
                block = bytes(
                    # Pad the right and bottom edges by repeating the last pixel.
                    plane[
                        min(block_y + y, height - 1) * width
                        + min(block_x + x, width - 1)
                    ]
                    for y in range(8)
                    for x in range(8)
                )
                coefficients = _coefficients(block, component > 0)
                predictors[component] = _encode_block(
                    writer, coefficients, predictors[component]
                )
    header = SOI + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    if comment:
        header += _segment(0xFE, comment.encode()[:65000])
    header += _segment(
        0xDB,
        bytes([0, *(LUMA_Q[i] for i in ZIGZAG)])
        + bytes([1, *(CHROMA_Q[i] for i in ZIGZAG)]),
    )
    header += _segment(
        0xC0,
        struct.pack(">BHHB", 8, height, width, 3)
        + bytes([1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]),
    )
    header += _segment(
        0xC4,
        _huffman_table(0, 0, DC_LENGTH, DC_SYMBOLS)
        + _huffman_table(1, 0, AC_LENGTH, AC_SYMBOLS),
    )
    header += _segment(0xDA, bytes([3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]))
    return header + writer.flush() + EOI


def jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height from a JPEG's SOF0 segment (checks the SOI/EOI markers)."""
    if not data.startswith(SOI) or not data.endswith(EOI):
        raise ValueError("not a JPEG")
    offset = 2
    while offset + 4 <= len(data):
        marker, length = (
            data[offset + 1],
            struct.unpack(">H", data[offset + 2 : offset + 4])[0],
        )
        if marker == 0xC0:
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return width, height
        offset += 2 + length
    raise ValueError("no SOF0 segment")
