"""Stores, touchpoints and surveys: what exists, and what a terminal or phone may answer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.db import write_transaction
from hub.i18n import lazy_gettext
from hub.models import Region, Store, Survey, SurveyVersion, Touchpoint
from hub.services.alerts.opening_hours import check_place as holiday_place
from shared.errors import AlreadyExists, NotFound, RequestError
from shared.protocol import SurveyDefinition

# contact_centre: calls and chats, asked about by invitations (hub/services/contact_centre.py)
TOUCHPOINT_KINDS = ("exit", "checkout", "poster", "receipt", "table", "service", "contact_centre")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

DEFAULT_OPENING_HOURS = {day: [["08:00", "20:00"]] for day in _DAYS[:6]}

DEFAULT_SURVEY: dict[str, Any] = {
    "key": "exit",
    "version": 1,
    "name": "Exit survey",
    "languages": ["de", "en"],
    "questions": [
        {
            "id": "rating",
            "kind": "smiley",
            "faces": 4,
            "required": True,
            "text": {"de": "Wie war Ihr Einkauf heute?", "en": "How was your visit today?"},
        },
        {
            "id": "reason",
            "kind": "choice",
            "multiple": True,
            "text": {"de": "Was war der Grund?", "en": "What was the reason?"},
            "options": [
                {"id": "queue", "text": {"de": "Wartezeit an der Kasse", "en": "Waiting at the till"}},
                {"id": "staff", "text": {"de": "Freundlichkeit", "en": "Friendliness"}},
                {"id": "stock", "text": {"de": "Warenverfügbarkeit", "en": "Products in stock"}},
                {"id": "cleanliness", "text": {"de": "Sauberkeit", "en": "Cleanliness"}},
                {"id": "price", "text": {"de": "Preise", "en": "Prices"}},
            ],
        },
        {
            "id": "nps",
            "kind": "nps",
            "text": {
                "de": "Wie wahrscheinlich empfehlen Sie uns weiter?",
                "en": "How likely are you to recommend us?",
            },
        },
        {
            "id": "comment",
            "kind": "text",
            "max_length": 1000,
            "text": {"de": "Möchten Sie uns noch etwas sagen?", "en": "Anything else you would like to tell us?"},
        },
    ],
}


def _check_code(value: str, what: str) -> str:
    if not _CODE.match(value or ""):
        raise RequestError(
            "malformed_request", lazy_gettext("%(what)s must be 1-64 letters, digits, '.', '_' or '-'", what=what)
        )
    return value


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        detail = lazy_gettext("%(zone)s is not an IANA time zone such as Europe/Berlin", zone=repr(name))
        raise RequestError("malformed_request", detail) from None
    return name


def add_store(
    code: str,
    name: str,
    *,
    time_zone: str,
    now: datetime,
    region: str | None = None,
    languages: list[str] | None = None,
    opening_hours: Mapping[str, Any] | None = None,
    country: str | None = None,
    subdivision: str | None = None,
) -> Store:
    _check_code(code, lazy_gettext("store code"))
    _check_zone(time_zone)
    country, subdivision = check_place(country, subdivision)
    if Store.select().where(Store.code == code).exists():
        raise AlreadyExists("already_exists", lazy_gettext("store %(code)s exists already", code=repr(code)))
    with write_transaction():
        region_row = Region.get_or_create(name=region)[0] if region else None
        return Store.create(
            code=code,
            name=name,
            region=region_row,
            time_zone=time_zone,
            languages=languages or ["de", "en"],
            opening_hours=dict(opening_hours or DEFAULT_OPENING_HOURS),
            created_at=now.replace(tzinfo=None),
            country=country,
            subdivision=subdivision,
        )


_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_HOUR = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


def check_place(country: str | None, subdivision: str | None) -> tuple[str | None, str | None]:
    """The store's place for its public holidays, checked (malformed_request otherwise)."""
    try:
        return holiday_place(country, subdivision)
    except ValueError as exc:
        raise RequestError("malformed_request", str(exc)) from None


def check_languages(languages: list[str]) -> list[str]:
    """Language codes such as ``de``, ``en`` (first is the store's default), without repeats."""
    found = list(dict.fromkeys(lang.strip().lower() for lang in languages if lang.strip()))
    if not found or not all(_LANGUAGE.match(lang) for lang in found):
        raise RequestError("malformed_request", lazy_gettext("languages are 2- or 3-letter codes such as de, en"))
    return found


def check_opening_hours(hours: Mapping[str, Any]) -> dict[str, list[list[str]]]:
    """Opening hours as {"mon": [["08:00", "20:00"]], ...}: known days, HH:MM times, each
    interval ending after it starts and none overlapping the next (a missing day is closed)."""
    checked: dict[str, list[list[str]]] = {}
    for day, intervals in hours.items():
        if day not in _DAYS:
            detail = lazy_gettext("%(day)s is not a weekday (use %(days)s)", day=repr(day), days=", ".join(_DAYS))
            raise RequestError("malformed_request", detail)
        pairs = sorted([str(a), str(b)] for a, b in intervals)
        for start, end in pairs:
            if not (_HOUR.match(start) and _HOUR.match(end)) or start >= end:
                detail = lazy_gettext(
                    "%(day)s: %(start)s-%(end)s is not an interval such as 08:00-20:00", day=day, start=start, end=end
                )
                raise RequestError("malformed_request", detail)
        for (_, end), (start, _) in pairwise(pairs):
            if start < end:
                raise RequestError("malformed_request", lazy_gettext("%(day)s: the opening intervals overlap", day=day))
        if pairs:
            checked[day] = pairs
    return checked


def update_store(
    store: Store,
    *,
    name: str,
    time_zone: str,
    region: str | None,
    languages: list[str],
    opening_hours: Mapping[str, Any],
    country: str | None = None,
    subdivision: str | None = None,
) -> Store:
    """Change a store's settings (its code stays: terminals and QR codes carry it); its country
    and subdivision name the public holidays on which it is closed (none: no holidays)."""
    if not name.strip() or len(name) > 200:
        raise RequestError("malformed_request", lazy_gettext("a store needs a name of 1 to 200 characters"))
    _check_zone(time_zone)
    values = {
        "name": name.strip(),
        "time_zone": time_zone,
        "languages": check_languages(languages),
        "opening_hours": check_opening_hours(opening_hours),
    }
    values["country"], values["subdivision"] = check_place(country, subdivision)
    with write_transaction():
        values["region"] = Region.get_or_create(name=region.strip())[0] if region and region.strip() else None
        Store.update(**values).where(Store.id == store.id).execute()
    return Store.get_by_id(store.id)


def update_touchpoint(touchpoint: Touchpoint, *, name: str, kind: str, survey_key: str) -> Touchpoint:
    """Rename a touchpoint, change its kind or the survey it asks (its code stays)."""
    if not name.strip():
        raise RequestError("malformed_request", lazy_gettext("a touchpoint needs a name"))
    if kind not in TOUCHPOINT_KINDS:
        detail = lazy_gettext("touchpoint kind must be one of %(kinds)s", kinds=", ".join(TOUCHPOINT_KINDS))
        raise RequestError("malformed_request", detail)
    survey = Survey.get_or_none(Survey.key == survey_key)
    if survey is None:
        raise NotFound("not_found", f"survey {survey_key!r} does not exist")
    with write_transaction():
        Touchpoint.update(name=name.strip(), kind=kind, survey=survey).where(Touchpoint.id == touchpoint.id).execute()
    return Touchpoint.get_by_id(touchpoint.id)


def add_survey(definition: Mapping[str, Any], now: datetime) -> SurveyVersion:
    """Add a survey, or a new version of it when the key exists (versions never change)."""
    parsed = SurveyDefinition.from_dict(definition)  # raises ValueError with the reason
    with write_transaction():
        survey = Survey.get_or_none(Survey.key == parsed.key)
        if survey is None:
            survey = Survey.create(key=parsed.key, name=definition.get("name", parsed.key), current_version=0)
        version = max(parsed.version, survey.current_version + 1)
        row = SurveyVersion.create(
            survey=survey,
            version=version,
            definition={**definition, "version": version},
            created_at=now.replace(tzinfo=None),
        )
        survey.current_version = version
        survey.name = definition.get("name") or survey.name
        survey.save()
        return row


def add_touchpoint(
    store_code: str, code: str, name: str, *, kind: str = "exit", survey_key: str = "exit"
) -> Touchpoint:
    _check_code(code, lazy_gettext("touchpoint code"))
    if kind not in TOUCHPOINT_KINDS:
        detail = lazy_gettext("touchpoint kind must be one of %(kinds)s", kinds=", ".join(TOUCHPOINT_KINDS))
        raise RequestError("malformed_request", detail)
    store = store_by_code(store_code)
    survey = Survey.get_or_none(Survey.key == survey_key)
    if survey is None:
        raise NotFound("not_found", f"survey {survey_key!r} does not exist")
    if Touchpoint.select().where((Touchpoint.store == store) & (Touchpoint.code == code)).exists():
        detail = lazy_gettext(
            "store %(store)s has a touchpoint %(code)s already", store=repr(store_code), code=repr(code)
        )
        raise AlreadyExists("already_exists", detail)
    with write_transaction():
        return Touchpoint.create(store=store, code=code, name=name, kind=kind, survey=survey)


def store_by_code(code: str) -> Store:
    store = Store.get_or_none(Store.code == code)
    if store is None:
        raise NotFound("unknown_store", f"store {code!r} does not exist")
    return store


def touchpoint_by_code(store: Store, code: str) -> Touchpoint:
    touchpoint = Touchpoint.get_or_none((Touchpoint.store == store) & (Touchpoint.code == code))
    if touchpoint is None:
        raise NotFound("unknown_touchpoint", f"store {store.code!r} has no touchpoint {code!r}")
    return touchpoint


def current_survey(survey: Survey) -> SurveyVersion:
    return SurveyVersion.get((SurveyVersion.survey == survey) & (SurveyVersion.version == survey.current_version))


class SurveyCache:
    """Survey definitions by (key, version). Versions never change, so they are kept for
    the life of the app; one cache per app, because tests run several databases."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, int], tuple[int, SurveyDefinition, dict[str, Any]]] = {}

    def lookup(self, key: str, version: int) -> SurveyDefinition | None:
        found = self._load(key, version)
        return found[1] if found else None

    def get(self, key: str, version: int) -> tuple[int, SurveyDefinition] | None:
        """(survey row id, definition) or None; misses are not remembered (a survey may be added)."""
        found = self._load(key, version)
        return (found[0], found[1]) if found else None

    def definition(self, key: str, version: int) -> dict[str, Any]:
        """The definition as the admin wrote it (what terminals and the phone page get)."""
        found = self._load(key, version)
        if found is None:
            raise NotFound("not_found", f"survey {key!r} has no version {version}")
        return found[2]

    def _load(self, key: str, version: int) -> tuple[int, SurveyDefinition, dict[str, Any]] | None:
        cached = self._by_key.get((key, version))
        if cached is not None:
            return cached
        row = (
            SurveyVersion.select(SurveyVersion.definition, Survey.id)
            .join(Survey)
            .where((Survey.key == key) & (SurveyVersion.version == version))
            .tuples()
            .first()
        )
        if row is None:
            return None
        definition, survey_id = row
        found = (survey_id, SurveyDefinition.from_dict(definition), definition)
        self._by_key[(key, version)] = found
        return found
