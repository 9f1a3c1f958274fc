"""The terminal's own words in the shopper's and the staff's language: gettext catalogs.

Every text the terminal itself says (buttons, hints, the thank-you, the staff screen) is written
in English in the code and the .kv files, as ``app.ui("Skip", app.language)`` or
``gettext("Skip", language)``, and translated by the catalog
``kiosk/locale/<language>/LC_MESSAGES/kiosk.mo``. A language without a catalog shows the English
words. The survey's own questions and reasons are not here: they come from the survey
definition, in every language it has (``kiosk.visit.localized``).

``scripts/kiosk-catalog`` extracts the texts with Babel (kiosk/locale/babel.cfg: the Python
code and the .kv files, keywords gettext, N_ and ui), merges them into the German and English
catalogs and compiles the .mo files, which are committed, so an installed terminal reads them
as they are. tests/kiosk/test_translations.py fails on a text without a translation, a fuzzy
entry, a text a catalog holds that the code no longer says, and a .mo that is not its .po
compiled.
"""

from __future__ import annotations

import gettext as _gettext
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "kiosk"


@cache
def catalog(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``language``; one that returns the English words when there is none."""
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def gettext(message: str, language: str) -> str:
    """``message`` (the English text) in ``language``."""
    return catalog(language).gettext(message)


def N_(message: str) -> str:
    """Marks a text for the catalogs where it is defined; it is translated where it is shown."""
    return message
