"""A rating's face drawn as a small inline SVG, not an emoji: a screen without a colour-emoji
font (a back-office PC, a kiosk browser) shows an emoji as an empty box. Each face is a circle
with two eyes and a mouth that bends with the mood, in the mood's colour, an image to assistive
technology named with the mood in the page's language (``role="img"``, ``aria-label`` and a
``<title>`` for a tooltip). Templates call ``face_svg(face_name(c.face))``."""

from __future__ import annotations

from markupsafe import Markup

from hub.dashboards.comments import face_name, face_words
from hub.dashboards.pages import bp

# the mouth (an SVG path in a 64x64 box) and the face's colour per mood
MOODS = {
    "very unhappy": ("M20 47 Q32 33 44 47", "#f28b82"),
    "unhappy": ("M22 45 Q32 38 42 45", "#f6b26b"),
    "neutral": ("M22 43 L42 43", "#ffe082"),
    "happy": ("M22 40 Q32 47 42 40", "#aed581"),
    "very happy": ("M19 37 Q32 54 45 37", "#81c995"),
}
INK = "#1b1f24"


@bp.app_template_global()
def face_svg(name: str, size: int = 28) -> Markup:
    """The face of mood ``name`` (``face_name``), ``size`` pixels square; a plain grey circle for
    no rating or a scale without names."""
    mouth, colour = MOODS.get(name, ("", "#d0d7de"))
    features = (
        Markup(
            '<circle cx="23" cy="26" r="4" fill="{ink}"/><circle cx="41" cy="26" r="4" fill="{ink}"/>'
            '<path d="{mouth}" fill="none" stroke="{ink}" stroke-width="4" stroke-linecap="round"/>'
        ).format(ink=INK, mouth=mouth)
        if mouth
        else Markup()
    )
    return Markup(
        '<svg class="face" viewBox="0 0 64 64" width="{size}" height="{size}" role="img" aria-label="{label}"'
        ' data-mood="{name}"><title>{label}</title>'
        '<circle cx="32" cy="32" r="29" fill="{colour}" stroke="{ink}" stroke-width="2"/>{features}</svg>'
    ).format(size=int(size), label=face_words(name), name=name, colour=colour, ink=INK, features=features)


@bp.app_template_global()
def rating_face(rating: int, faces: int, size: int = 28) -> Markup:
    """The face of a rating of ``rating`` on a ``faces``-face scale (a case's response)."""
    return face_svg(face_name(rating, faces), size)
