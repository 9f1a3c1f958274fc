"""The languages voxloop speaks to shoppers, on the phone page and on posters."""

from __future__ import annotations

LANGUAGES = ("de", "en")
FALLBACK = "en"
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}
