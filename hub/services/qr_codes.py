"""QR codes drawn for screens and files: the enrollment code on the admin page and in the
command line, and the posters that open the phone page (what a poster says: posters.py).

A poster says who asks (the store and touchpoint), why to scan (a call to action in each of
the store's languages) and carries the code. PNG and PDF are drawn with Pillow (the PDF holds
the page as one image at 200 dpi, A4); SVG is written as vector text and one path.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import qrcode
from qrcode.constants import ERROR_CORRECT_M

BRAND = (11, 87, 208)  # #0b57d0, the phone page's colour
INK = (27, 31, 36)
MUTED = (74, 85, 99)
A4_200DPI = (1654, 2339)
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")


def _code(text: str, border: int = 2) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border)
    qr.add_data(text)
    qr.make(fit=True)
    return qr


def ascii_qr(text: str) -> str:
    """The code drawn with block characters, scannable from a terminal window."""
    out = io.StringIO()
    _code(text).print_ascii(out=out, invert=True)
    return out.getvalue()


def matrix(text: str, border: int = 2) -> list[list[bool]]:
    """The modules (True = dark), border included: for drawing into a texture or an SVG."""
    return _code(text, border).get_matrix()


@dataclass(frozen=True)
class Poster:
    """What a poster says. ``calls``: (call to action, scan hint) per language, main first."""

    url: str
    store: str
    touchpoint: str
    calls: tuple[tuple[str, str], ...]
    valid_until: str | None = None  # already worded, e.g. "Gültig bis 31.12.2026 · Valid until ..."


def write_poster(poster: Poster, path: Path) -> None:
    """Write ``poster`` as .png, .pdf or .svg, chosen by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix == ".svg":
        path.write_text(poster_svg(poster), encoding="utf-8")
    elif suffix in (".png", ".pdf"):
        image = poster_image(poster)
        if suffix == ".png":
            image.save(path, "PNG", optimize=True)
        else:  # JPEG inside the PDF: high quality and no chroma subsampling keep the modules sharp
            image.save(path, "PDF", resolution=200, quality=95, subsampling=0, title=f"{poster.store} feedback")
    else:
        raise ValueError("the poster file must end in .png, .pdf or .svg")


# --- raster (PNG, PDF) ----------------------------------------------------------------------


def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _FONT_DIRS:
        candidate = Path(folder) / name
        if candidate.exists():
            return ImageFont.truetype(str(candidate), size)
    return ImageFont.load_default(size)  # Pillow's own scalable font


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and draw.textlength(trial, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return [*lines, line] if line else lines


def poster_image(poster: Poster):
    """The poster as an RGB image, A4 at 200 dpi."""
    from PIL import Image, ImageDraw

    width, height = A4_200DPI
    margin = 140
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)

    # the band: who asks
    draw.rectangle((0, 0, width, 360), fill=BRAND)
    y = 90
    for line in _wrap(draw, poster.store, _font(96, bold=True), width - 2 * margin)[:2]:
        draw.text((margin, y), line, font=_font(96, bold=True), fill="white")
        y += 112
    draw.text((margin, y + 6), poster.touchpoint, font=_font(52), fill=(219, 230, 251))

    # the call to action: the main language large, the others below it
    y = 450
    for index, (call, _scan) in enumerate(poster.calls):
        font = _font(68 if index == 0 else 46, bold=index == 0)
        for line in _wrap(draw, call, font, width - 2 * margin):
            draw.text((margin, y), line, font=font, fill=INK if index == 0 else MUTED)
            y += int(font.size * 1.28)
        y += 24

    # the code, drawn module by module so every edge is sharp
    modules = matrix(poster.url, border=4)
    box = max(4, min(1100, height - y - 400) // len(modules))
    side = box * len(modules)
    left, top = (width - side) // 2, y + 40
    draw.rounded_rectangle((left - 24, top - 24, left + side + 24, top + side + 24), 36, outline=BRAND, width=8)
    for row, cells in enumerate(modules):
        for col, dark in enumerate(cells):
            if dark:
                x0, y0 = left + col * box, top + row * box
                draw.rectangle((x0, y0, x0 + box - 1, y0 + box - 1), fill="black")

    # how to use it, and until when
    y = top + side + 80
    for index, (_call, scan) in enumerate(poster.calls):
        font = _font(44 if index == 0 else 36, bold=index == 0)
        text_width = draw.textlength(scan, font=font)
        draw.text(((width - text_width) / 2, y), scan, font=font, fill=INK if index == 0 else MUTED)
        y += int(font.size * 1.4)
    if poster.valid_until:
        font = _font(34)
        text_width = draw.textlength(poster.valid_until, font=font)
        draw.text(((width - text_width) / 2, height - 120), poster.valid_until, font=font, fill=MUTED)
    return image


# --- vector (SVG) ---------------------------------------------------------------------------


def poster_svg(poster: Poster) -> str:
    """The poster as SVG (A4 proportions, 210 x 297 units = millimetres)."""
    modules = matrix(poster.url, border=4)
    size = len(modules)
    side = 120.0
    scale = side / size
    left, top = (210 - side) / 2, 120.0
    path = "".join(
        f"M{col} {row}h1v1h-1z" for row, cells in enumerate(modules) for col, dark in enumerate(cells) if dark
    )
    text = []
    y = 75.0
    for index, (call, _scan) in enumerate(poster.calls):
        size_pt = 9 if index == 0 else 6.5
        weight = "700" if index == 0 else "400"
        colour = "#1b1f24" if index == 0 else "#4a5563"
        attributes = f'x="20" y="{y:.1f}" font-size="{size_pt}" font-weight="{weight}" fill="{colour}"'
        text.append(f"<text {attributes}>{escape(call)}</text>")
        y += size_pt * 1.6
    y = top + side + 14
    for index, (_call, scan) in enumerate(poster.calls):
        size_pt = 6 if index == 0 else 5
        text.append(f'<text x="105" y="{y:.1f}" font-size="{size_pt}" text-anchor="middle">{escape(scan)}</text>')
        y += size_pt * 1.5
    if poster.valid_until:
        text.append(
            f'<text x="105" y="285" font-size="4.5" text-anchor="middle" fill="#4a5563">'
            f"{escape(poster.valid_until)}</text>"
        )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" viewBox="0 0 210 297" '
        'font-family="DejaVu Sans, system-ui, sans-serif">\n'
        '<rect width="210" height="297" fill="#fff"/>\n'
        '<rect width="210" height="46" fill="#0b57d0"/>\n'
        f'<text x="20" y="24" font-size="12" font-weight="700" fill="#fff">{escape(poster.store)}</text>\n'
        f'<text x="20" y="36" font-size="7" fill="#dbe6fb">{escape(poster.touchpoint)}</text>\n'
        + "\n".join(text)
        + "\n"
        f'<rect x="{left - 4}" y="{top - 4}" width="{side + 8}" height="{side + 8}" rx="6" fill="none" '
        'stroke="#0b57d0" stroke-width="1.5"/>\n'
        f'<path transform="translate({left} {top}) scale({scale:.5f})" d="{path}" fill="#000" '
        'shape-rendering="crispEdges"/>\n'
        "</svg>\n"
    )
