"""The languages people read the hub in: German and English, with Flask-Babel.

Every text a page or a staff email shows is marked for gettext (``_()`` in Python, ``{{ _() }}``
and ``{% trans %}`` in templates) and English is the source language: the German catalog is
hub/translations/de/LC_MESSAGES/messages.po, compiled next to it to messages.mo, which is
committed so the installed wheel carries it (tests/hub/test_catalog.py checks that it is
complete and that the .mo is the .po compiled).

Whose language: the signed-in person's choice on /account, else the browser's
Accept-Language, else the hub's ``LANGUAGE`` setting, German by default (the chains voxloop is
made for speak German; a browser that names neither German nor English gets it too). Emails to
staff go out in the recipient's choice, else the hub's setting (``in_language``); the password
reset email, asked for before sign-in, in the language of the page it was asked on. The JSON
API's problem documents stay English: machines read them.

Dates and numbers are written in the language's format by Babel (``number``, ``when``):
"2.12.2026, 14:05" and "73,4" in German, "12/2/2026, 2:05 PM" and "73.4" in English.

A template looks the language and its translations up once per rendering
(``TemplateInOneLanguage``), not for each of the thousand texts and figures of a year view;
``in_language`` inside a rendering goes back to asking Flask-Babel.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_day_names
from babel.numbers import (
    NumberPattern,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    parse_pattern,
)
from babel.support import NullTranslations
from flask import Flask, current_app, has_app_context, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, get_translations
from flask_babel import gettext as gettext
from flask_babel import lazy_gettext as lazy_gettext
from flask_babel import ngettext as ngettext
from flask_babel import refresh as refresh
from jinja2 import Template

LANGUAGES = ("de", "en")
NAMES = {"de": "Deutsch", "en": "English"}


def default_language() -> str:
    """The hub's LANGUAGE setting (German unless the operator chose English)."""
    configured = current_app.config.get("LANGUAGE") if has_app_context() else None
    return configured if configured in LANGUAGES else "de"


def language_of(choice: str | None) -> str:
    """A stored or asked-for language, or the hub's default for anything voxloop does not speak."""
    return choice if choice in LANGUAGES else default_language()


def browser_language() -> str:
    """The best of the request's Accept-Language, else the hub's default."""
    if not has_request_context():
        return default_language()
    return request.accept_languages.best_match(LANGUAGES, default=default_language())


def init_app(app: Flask, person_language: Callable[[], str | None]) -> None:
    """Flask-Babel with its Jinja i18n extension; ``person_language()`` is the signed-in
    person's choice (None when nobody is signed in or they chose none)."""

    def select() -> str:
        if not has_request_context():
            return default_language()
        if request.path.startswith("/api/"):
            return "en"  # the JSON API speaks English to machines, whoever's token it is
        return language_of(person_language()) if person_language() else browser_language()

    Babel(app, locale_selector=select)
    app.jinja_env.template_class = TemplateInOneLanguage
    # Flask-Babel's callables, reading the rendering's translations (jinja2.ext.i18n's newstyle
    # gettext around them as before: autoescaped, %(name)s filled in)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["decimal"] = decimal
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["long_day"] = long_day
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["weekday_name"] = weekday_name
    app.jinja_env.globals["case_state_name"] = case_state_name


CASE_STATES = {
    "open": lazy_gettext("open"),
    "acknowledged": lazy_gettext("acknowledged"),
    "resolved": lazy_gettext("resolved"),
}


def case_state_name(state: str) -> str:
    """A case's state in words, for pages and emails."""
    return str(CASE_STATES.get(state, state))


def current_language() -> str:
    rendering = _rendering.get()
    return rendering.language if rendering is not None else _asked_language()


def _asked_language() -> str:
    locale = get_locale()
    return language_of(locale.language if locale else None)


class _Rendering:
    """The language and translations of a template being rendered: asked of Flask-Babel at its
    first text or figure (a template that shows none asks nothing), then kept."""

    @cached_property
    def language(self) -> str:
        return _asked_language()

    @cached_property
    def translations(self) -> NullTranslations:
        return get_translations()


_rendering: ContextVar[_Rendering | None] = ContextVar("rendering", default=None)


class TemplateInOneLanguage(Template):
    """A template that asks Flask-Babel for the language and its translations once per
    rendering: each ask goes through Flask's context locals and costs a few microseconds, and a
    year view makes over a thousand of them. Macros of imported templates run inside the
    rendering that calls them, so they read the same."""

    def render(self, *args: object, **kwargs: object) -> str:
        token = _rendering.set(_Rendering())
        try:
            return super().render(*args, **kwargs)
        finally:
            _rendering.reset(token)


def _translations() -> NullTranslations:
    rendering = _rendering.get()
    return rendering.translations if rendering is not None else get_translations()


@contextmanager
def _forced(language: str) -> Iterator[None]:
    """Flask-Babel's force_locale, and a rendering around it not taken for this language."""
    with force_locale(language):
        token = _rendering.set(None)
        try:
            yield
        finally:
            _rendering.reset(token)


@contextmanager
def in_language(lang: str | None) -> Iterator[None]:
    """Render in ``lang`` (an email to someone), whatever the request around says."""
    with _forced(language_of(lang)):
        yield


def english(text: object) -> str:
    """A text marked for translation as the JSON API gives it: in English."""
    with _forced("en"):
        return str(text)


def weekday_name(index: int, width: str = "abbreviated") -> str:
    """Monday (0) to Sunday (6) in the current language ("Mo.", "Mon")."""
    return get_day_names(width, locale=current_language())[index]


def number(value: float | int | None, places: int = 1) -> str:
    """A number with ``places`` decimals in the current language's format ("73,4"): what
    Babel's format_decimal writes (the value's shortest decimal form, rounded half to even,
    grouped by thousands), in a tenth of its time; a year view shows over 500 figures."""
    if value is None:
        return "–"
    if not math.isfinite(value):
        return _formatted(value, "#,##0" + ("." + "0" * places if places else ""))
    exact = value if isinstance(value, Decimal) else Decimal(str(value))  # as Babel takes it
    return format(exact, f",.{places}f").translate(_number_symbols(current_language()))


@lru_cache(maxsize=8)
def _number_symbols(language: str) -> dict[int, str]:
    """The language's group, decimal and minus signs, as a table for str.translate from the
    ones Python's format writes."""
    locale = Locale.parse(language)
    return str.maketrans(
        {
            ",": get_group_symbol(locale),
            ".": get_decimal_symbol(locale),
            "-": get_minus_sign_symbol(locale),
        }
    )


def decimal(value: float | None) -> str:
    """A measured value with one or two decimals as it has them ("40,0", "16,67")."""
    return "–" if value is None else _formatted(value, "#,##0.0#")


def _formatted(value: float | int, pattern: str) -> str:
    """Babel's format_decimal, with the pattern and the locale parsed once (a page shows
    hundreds of figures, and parsing them again was a quarter of a year view's time)."""
    parsed, locale = _number_format(pattern, current_language())
    return parsed.apply(value, locale)


@lru_cache(maxsize=64)
def _number_format(pattern: str, language: str) -> tuple[NumberPattern, Locale]:
    return parse_pattern(pattern), Locale.parse(language)


def when(moment: datetime | None, zone: str | None = None) -> str:
    """A date and time to the minute ("2.12.2026, 14:05"), in ``zone`` (a naive time is UTC)
    or else the zone it carries."""
    if moment is None:
        return "–"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if zone is not None:
        moment = moment.astimezone(ZoneInfo(zone))
    lang = current_language()
    pattern = Locale.parse(lang).datetime_formats["short"]
    # the zone given explicitly: Babel would otherwise show the time in the machine's zone
    clock = format_time(moment, "short", tzinfo=moment.tzinfo, locale=lang)
    return pattern.format(clock, day(moment.date()))


_STRFTIME = {"%a": "EEE", "%A": "EEEE", "%d": "dd", "%b": "MMM", "%B": "MMMM", "%Y": "yyyy", "%H": "HH", "%M": "mm"}


def strftime(moment: datetime, pattern: str) -> str:
    """``moment.strftime(pattern)`` with the weekday and month names of the current language
    ("Mon 23 Nov 10:00", "Mo. 23 Nov. 10:00"): the strftime codes voxloop uses, through Babel."""
    babel_pattern = "".join(
        _STRFTIME.get(part, "'" + part.replace("'", "''") + "'" if part.strip() and not part.isdigit() else part)
        for part in re.split(r"(%[a-zA-Z])", pattern)
        if part
    )
    return format_datetime(moment, babel_pattern, tzinfo=moment.tzinfo, locale=current_language())


def long_day(value: date) -> str:
    """A date with its weekday and month in words ("Mittwoch, 2. Dezember 2026")."""
    return format_date(value, "full", locale=current_language())


def day(value: date | None) -> str:
    """A date ("2.12.2026")."""
    if value is None:
        return "–"
    lang = current_language()
    return format_date(value, Locale.parse(lang).datetime_skeletons["yMd"].pattern, locale=lang)
