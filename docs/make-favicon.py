#!/usr/bin/env python3
"""Draws static/favicon.ico: the brand mark (a white "G" on the accent-blue rounded square of
.brand-mark in static/app.css) at 16x16 and 32x32, with the standard library only.

Run from the repository root: python3 docs/make-favicon.py
"""
import math
import struct

ACCENT = (0x2F, 0x5B, 0xD3)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 8  # per pixel side, for smooth edges


def in_square(x, y, radius=0.22):
    """Inside the rounded square filling the unit square."""
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def in_g(x, y):
    """Inside the "G": a ring open at the upper right, and a bar into the middle."""
    dx, dy = x - 0.5, 0.5 - y  # y up
    r = math.hypot(dx, dy)
    outer, stroke = 0.31, 0.115
    angle = math.degrees(math.atan2(dy, dx))
    ring = outer - stroke <= r <= outer and not (8 <= angle <= 58)
    bar = 0.5 <= x <= 0.5 + outer and 0.5 - stroke * 0.1 <= y <= 0.5 + stroke * 0.9
    return ring or bar


def pixels(size):
    """Rows top-down of (r, g, b, a)."""
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            square = g = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px + (sx + 0.5) / SAMPLES) / size
                    y = (py + (sy + 0.5) / SAMPLES) / size
                    if in_square(x, y):
                        square += 1
                        g += in_g(x, y)
            n = SAMPLES * SAMPLES
            share = g / square if square else 0
            color = [round(a + (b - a) * share) for a, b in zip(ACCENT, WHITE)]
            row.append((*color, round(255 * square / n)))
        rows.append(row)
    return rows


def bmp_image(size):
    """One icon image: BITMAPINFOHEADER, BGRA rows bottom-up, an empty AND mask."""
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    body = b"".join(
        bytes((b, g, r, a)) for row in reversed(pixels(size)) for (r, g, b, a) in row
    )
    mask_row = ((size + 31) // 32) * 4
    return header + body + bytes(mask_row * size)


def ico(sizes):
    images = [bmp_image(s) for s in sizes]
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for size, image in zip(sizes, images):
        out += struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
    return out + b"".join(images)


if __name__ == "__main__":
    with open("static/favicon.ico", "wb") as f:
        f.write(ico([16, 32]))
