"""Simulated camera pictures: a printer's chamber drawn with a frame counter.

Each frame shows the bed, the part growing with the job's progress (in the active
filament's colour), a tool head that moves from frame to frame, a backdrop whose tint
cycles, and the frame number, so consecutive frames differ visibly and in bytes.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

from .jpeg import encode_jpeg
from .png import encode_png

WIDTH = 160
HEIGHT = 120
BED_TOP = 100

# 3x5 glyphs, one string of 15 cells per character ("#" = lit).
_GLYPHS = {
    "0": "####.##.##.####",
    "1": ".#.##..#..#.###",
    "2": "###..#####..###",
    "3": "###..####..####",
    "4": "#.##.####..#..#",
    "5": "####..###..####",
    "6": "####..####.####",
    "7": "###..#..#..#..#",
    "8": "####.#####.####",
    "9": "####.####..####",
    "#": "#.####.####.#..",
    "%": "#.#..#.#.#..#.#",
    " ": "...............",
}

type Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Scene:
    """What one frame shows."""

    counter: int
    progress: float | None  # None without a job
    filament: Colour
    label: str = ""


def parse_colour(value: object, default: Colour = (255, 106, 19)) -> Colour:
    """`#RRGGBB` (or `#RRGGBBAA`) to a tuple; anything else gives `default`."""
    if not isinstance(value, str) or not value.startswith("#") or len(value) < 7:
        return default
    try:
        return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))
    except ValueError:
        return default


class _Canvas:
    def __init__(self, width: int, height: int, colour: Colour) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(colour) * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour: Colour) -> None:
        x0, x1 = max(0, x0), min(self.width, x1)
        row = bytes(colour) * max(0, x1 - x0)
        for y in range(max(0, y0), min(self.height, y1)):
            start = (y * self.width + x0) * 3
            self.pixels[start : start + len(row)] = row

    def text(self, x: int, y: int, text: str, colour: Colour, scale: int = 2) -> None:
        for char in text:
            glyph = _GLYPHS.get(char, _GLYPHS[" "])
            for cell, lit in enumerate(glyph):
                if lit == "#":
                    cx, cy = x + (cell % 3) * scale, y + (cell // 3) * scale
                    self.rect(cx, cy, cx + scale, cy + scale, colour)
            x += 4 * scale


def render(scene: Scene, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """Draw a scene; returns RGB bytes, row-major."""
    hue = (scene.counter * 0.07) % 1.0
    tint = colorsys.hsv_to_rgb(hue, 0.35, 0.45)
    backdrop: Colour = (int(tint[0] * 255), int(tint[1] * 255), int(tint[2] * 255))
    canvas = _Canvas(width, height, (28, 30, 34))
    canvas.rect(0, 0, width, 24, backdrop)
    canvas.rect(0, BED_TOP, width, BED_TOP + 6, (96, 96, 104))
    canvas.rect(0, BED_TOP + 6, width, height, (52, 52, 58))
    if scene.progress is not None:
        part_height = round(min(100.0, max(0.0, scene.progress)) / 100 * 56)
        part_top = BED_TOP - part_height
        canvas.rect(60, part_top, 100, BED_TOP, scene.filament)
        head_x = 20 + (scene.counter * 13) % (width - 48)
        head_y = max(28, part_top - 14)
        canvas.rect(head_x, head_y, head_x + 24, head_y + 12, (200, 200, 200))
        canvas.rect(head_x + 10, head_y + 12, head_x + 14, head_y + 14, (240, 140, 40))
        canvas.text(width - 34, 6, f"{int(scene.progress):>3}%", (255, 255, 255))
    canvas.text(4, 6, f"#{scene.counter % 10000:04}", (255, 255, 255))
    return bytes(canvas.pixels)


def frame_jpeg(scene: Scene) -> bytes:
    """A frame as a JPEG (what Bambu Lab cameras and webcams deliver)."""
    comment = f"printernizer-sim frame {scene.counter} {scene.label}".strip()
    return encode_jpeg(WIDTH, HEIGHT, render(scene), comment=comment)


def frame_png(scene: Scene) -> bytes:
    """A frame as a PNG (what PrusaLink cameras deliver)."""
    return encode_png(WIDTH, HEIGHT, render(scene))
