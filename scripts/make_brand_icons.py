"""Draw the integration's brand icons (a simple 3D printer glyph).

Run with the project's virtual environment: `.venv/bin/python scripts/make_brand_icons.py`.
"""

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = Path(__file__).resolve().parents[1] / "custom_components/printernizer/brand"
FRAME = (33, 76, 125, 255)
ACCENT = (255, 145, 0, 255)
PRINT = (76, 175, 80, 255)


def draw(size: int) -> Image.Image:
    """Return the glyph drawn on a transparent square of `size` pixels."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)

    def s(v: float) -> int:
        return round(v * size / 256)

    w = s(14)
    # Frame: two uprights, a top beam and a base.
    d.rounded_rectangle(
        (s(28), s(24), s(228), s(232)), radius=s(18), outline=FRAME, width=w
    )
    d.rectangle((s(28), s(196), s(228), s(232)), fill=FRAME)
    # Gantry and print head with its nozzle.
    d.rectangle((s(40), s(70), s(216), s(84)), fill=FRAME)
    d.rounded_rectangle((s(98), s(58), s(158), s(112)), radius=s(8), fill=ACCENT)
    d.polygon([(s(118), s(112)), (s(138), s(112)), (s(128), s(130))], fill=ACCENT)
    # The part being printed: a stack of layers.
    for i, width in enumerate((104, 88, 72, 56)):
        top = s(180 - i * 14)
        half = s(width / 2)
        d.rectangle((s(128) - half, top, s(128) + half, top + s(10)), fill=PRINT)
    return img


def main() -> None:
    """Write icon.png (256 px) and icon@2x.png (512 px)."""
    BRAND.mkdir(parents=True, exist_ok=True)
    draw(256).save(BRAND / "icon.png", optimize=True)
    draw(512).save(BRAND / "icon@2x.png", optimize=True)


if __name__ == "__main__":
    main()
