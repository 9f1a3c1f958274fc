"""QR codes drawn for screens and files: the enrollment code in a terminal, and later the
posters and receipts that open the phone page."""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def _code(text: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2)
    qr.add_data(text)
    qr.make(fit=True)
    return qr


def ascii_qr(text: str) -> str:
    """The code drawn with block characters, scannable from a terminal window."""
    out = io.StringIO()
    _code(text).print_ascii(out=out, invert=True)
    return out.getvalue()


def matrix(text: str) -> list[list[bool]]:
    """The modules (True = dark), border included: for drawing into a texture or an SVG."""
    return _code(text).get_matrix()
