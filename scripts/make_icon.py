"""Draw the program's icon: assets/icon.png (256 px) and a multi-size assets/icon.ico.

A dev-time script, not part of the program: it needs Pillow
(``pip install pillow``), which the program itself never imports.

The mark is a gold five-point star on a dark rounded square, with a dark
play chevron cut into the star from 48 px up. Every size is drawn on its
own (supersampled, then reduced) so the 16 px icon stays crisp instead of
being a blurred copy of the 256 px one.

Usage: python scripts/make_icon.py [--out assets]
"""

from __future__ import annotations

import argparse
import io
import math
import struct
from pathlib import Path

from PIL import Image, ImageDraw

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
PNG_SIZE = 256
SUPERSAMPLE = 8

BG_TOP = (44, 49, 62)
BG_BOTTOM = (24, 26, 33)
STAR = (247, 186, 24)
STAR_EDGE = (196, 132, 8)
CHEVRON = (30, 33, 42)


def _star_points(cx: float, cy: float, outer: float, inner: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + 36 * i)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def _chevron_points(cx: float, cy: float, height: float) -> list[tuple[float, float]]:
    """A thick '>' whose bounding box is centred on (cx, cy)."""
    half = height / 2
    depth = height * 0.55  # how far the tip sticks out to the right
    thick = height * 0.36  # horizontal thickness of each arm
    left = cx - (depth + thick) / 2
    return [
        (left, cy - half),
        (left + thick, cy - half),
        (left + thick + depth, cy),
        (left + thick, cy + half),
        (left, cy + half),
        (left + depth, cy),
    ]


def draw(size: int) -> Image.Image:
    """The icon at ``size`` x ``size`` pixels, RGBA."""
    big = size * SUPERSAMPLE
    small = size <= 24
    margin = big * (0.0 if small else 0.03)
    radius = big * (0.18 if small else 0.2)

    # Background: a vertical gradient clipped to a rounded square.
    gradient = Image.new("RGBA", (big, big))
    grad_draw = ImageDraw.Draw(gradient)
    for y in range(big):
        t = y / max(big - 1, 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(BG_TOP, BG_BOTTOM, strict=True))
        grad_draw.line([(0, y), (big, y)], fill=(*colour, 255))
    mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        [margin, margin, big - 1 - margin, big - 1 - margin], radius=radius, fill=255
    )
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    image.paste(gradient, (0, 0), mask)

    # The star: larger and fatter at small sizes so it still reads as a star.
    canvas = ImageDraw.Draw(image)
    cx = big / 2
    cy = big * (0.53 if small else 0.52)
    outer = big * (0.47 if small else 0.4)
    inner = outer * (0.5 if small else 0.46)
    edge = max(1, round(big * 0.018)) if not small else 0
    if edge:
        canvas.polygon(_star_points(cx, cy, outer + edge, inner + edge * 0.6), fill=STAR_EDGE)
    canvas.polygon(_star_points(cx, cy, outer, inner), fill=STAR)

    # The play chevron, only where there are enough pixels to see it.
    if size >= 48:
        canvas.polygon(
            _chevron_points(cx + big * 0.01, cy + big * 0.02, outer * 0.62), fill=CHEVRON
        )

    return image.resize((size, size), Image.Resampling.LANCZOS)


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def write_ico(path: Path, images: list[Image.Image]) -> None:
    """Write a multi-size ICO whose entries are PNG images (Windows Vista and later)."""
    blobs = [_png_bytes(image) for image in images]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries = b""
    for image, blob in zip(images, blobs, strict=True):
        width, height = image.size
        entries += struct.pack(
            "<BBBBHHII",
            width % 256,  # 0 means 256
            height % 256,
            0,  # no palette
            0,  # reserved
            1,  # colour planes
            32,  # bits per pixel
            len(blob),
            offset,
        )
        offset += len(blob)
    path.write_bytes(header + entries + b"".join(blobs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "assets"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    images = [draw(size) for size in ICO_SIZES]
    draw(PNG_SIZE).save(args.out / "icon.png", format="PNG", optimize=True)
    write_ico(args.out / "icon.ico", images)
    print(f"wrote {args.out / 'icon.png'} and {args.out / 'icon.ico'} ({len(images)} sizes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
