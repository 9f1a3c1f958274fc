"""What a poster says: who asks, a call to action and a scan hint in each of the store's
languages (the main one first), and until when its code works.

The admin page (/admin/posters) and ``voxloop qr poster`` make the same poster; the code's
link is a signed phone token (qr_tokens.py), the drawing is qr_codes.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hub.models import Store, Touchpoint
from hub.services.qr_codes import Poster
from shared.languages import FALLBACK, LANGUAGES

# (call to action, scan hint, valid until {date}) in each language voxloop speaks
WORDS = {
    "de": (
        "Wie war Ihr Besuch? Sagen Sie es uns – in unter einer Minute.",
        "Code mit der Handykamera scannen",
        "Gültig bis {date}",
    ),
    "en": (
        "How was your visit? Tell us – in under a minute.",
        "Scan the code with your phone's camera",
        "Valid until {date}",
    ),
}


def poster_languages(store_languages: Iterable[str], main: str | None = None) -> list[str]:
    """The store's languages that voxloop speaks (else the fallback), ``main`` first when it is one."""
    languages = [lang for lang in store_languages if lang in LANGUAGES] or [FALLBACK]
    if main in languages:
        languages = [main, *(lang for lang in languages if lang != main)]
    return languages


def valid_through(store: Store, last_day: date | None) -> datetime | None:
    """When a code valid through ``last_day`` (in the store's time zone) expires: the next midnight there."""
    if last_day is None:
        return None
    return datetime.combine(last_day + timedelta(days=1), time(), ZoneInfo(store.time_zone))


def poster_for(
    store: Store, touchpoint: Touchpoint, url: str, *, language: str | None = None, last_day: date | None = None
) -> Poster:
    """The poster whose code opens ``url``, in the store's languages with ``language`` first."""
    words = [WORDS[lang] for lang in poster_languages(store.languages, language)]
    valid = None
    if last_day is not None:
        valid = " · ".join(until.replace("{date}", last_day.strftime("%d.%m.%Y")) for _call, _scan, until in words)
    return Poster(
        url=url,
        store=store.name,
        touchpoint=touchpoint.name,
        calls=tuple((call, scan) for call, scan, _until in words),
        valid_until=valid,
    )
