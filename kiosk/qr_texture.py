"""A QR code drawn into a Kivy texture: one texel per module, scaled up with the nearest filter.

Scaling a one-texel-per-module texture with linear filtering blurs the module edges until a
phone camera cannot read them; ``nearest`` keeps them sharp at any size. The code gets a
quiet zone of four modules (what the QR standard asks for) in white around it.
"""

from __future__ import annotations

import qrcode
from kivy.graphics.texture import Texture
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of white around the code
_DARK = b"\x1a\x1a\x1a\xff"
_LIGHT = b"\xff\xff\xff\xff"


def qr_modules(text: str, quiet_zone: int = QUIET_ZONE) -> list[list[bool]]:
    """The code's modules (True = dark) with exactly ``quiet_zone`` light modules around them.

    Error correction M, as on the posters (hub/services/qr_codes.py): a phone reads a code on a
    scratched or glaring screen."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    core = [list(row) for row in code.get_matrix()]
    size = len(core[0]) + 2 * quiet_zone
    blank = [False] * size
    pad = [False] * quiet_zone
    return [blank[:] for _ in range(quiet_zone)] + [pad + r + pad for r in core] + [blank[:] for _ in range(quiet_zone)]


def qr_texture(text: str, quiet_zone: int = QUIET_ZONE) -> Texture:
    """A square RGBA texture of the code for ``text``, to show in an Image or a Rectangle."""
    modules = qr_modules(text, quiet_zone)
    size = len(modules)
    # Textures are filled bottom row first.
    pixels = b"".join(_DARK if dark else _LIGHT for row in reversed(modules) for dark in row)
    texture = Texture.create(size=(size, size), colorfmt="rgba")
    texture.mag_filter = "nearest"
    texture.min_filter = "nearest"
    texture.blit_buffer(pixels, colorfmt="rgba", bufferfmt="ubyte")
    return texture
