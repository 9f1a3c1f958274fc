"""The terminal's own words come from gettext catalogs (kiosk/locale), complete in German and
English, and in step with the code: Babel extracts every text the code and the .kv screens say,
and the catalogs hold exactly those, each translated, none fuzzy; every .mo is compiled from
its .po as it is now."""

from __future__ import annotations

from pathlib import Path
from string import Formatter

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from kiosk import translations
from kiosk.screens.screens import admin_value

KIOSK = Path(translations.__file__).parent
LANGUAGES = ("de", "en")
KEYWORDS = {**DEFAULT_KEYWORDS, "ui": None}  # app.ui("Skip", app.language) in the .kv files


def po(language: str):
    with (translations.LOCALE_DIR / language / "LC_MESSAGES" / "kiosk.po").open("rb") as file:
        return read_po(file, locale=language)


@pytest.fixture(scope="module")
def said_in_code() -> set[str]:
    """Every text Babel finds in the terminal's code and screens, as pybabel extract does with
    kiosk/locale/babel.cfg and -k ui."""
    with (translations.LOCALE_DIR / "babel.cfg").open() as file:
        method_map, options_map = parse_mapping_cfg(file)
    found = extract_from_dir(str(KIOSK), method_map, options_map, keywords=KEYWORDS)
    return {message for _file, _line, message, _comments, _context in found}


def test_babel_finds_the_texts_of_the_code_and_of_the_screens(said_in_code):
    assert {"Thank you!", "Skip", "Wrong PIN", "Terminal status"} <= said_in_code  # .kv files
    assert {"Last sync", "Demo (not enrolled)", "never"} <= said_in_code  # screens.py


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_holds_exactly_the_texts_the_code_says(language, said_in_code):
    in_catalog = {message.id for message in po(language) if message.id}
    assert sorted(said_in_code - in_catalog) == [], "missing: run pybabel update (kiosk/translations.py)"
    assert sorted(in_catalog - said_in_code) == [], "obsolete: no longer in the code"


def test_the_template_holds_exactly_the_texts_the_code_says(said_in_code):
    with (translations.LOCALE_DIR / "kiosk.pot").open("rb") as file:
        template = {message.id for message in read_po(file) if message.id}
    assert template == said_in_code


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_translated_and_none_is_fuzzy(language):
    catalog = po(language)
    untranslated = [message.id for message in catalog if message.id and not message.string]
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    assert not catalog.obsolete


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_mo_file_is_compiled_from_its_po_file_as_it_is(language):
    with (translations.LOCALE_DIR / language / "LC_MESSAGES" / "kiosk.mo").open("rb") as file:
        compiled = {message.id: message.string for message in read_mo(file) if message.id}
    written = {message.id: message.string for message in po(language) if message.id}
    assert compiled == written, "run pybabel compile -D kiosk -d kiosk/locale"


def placeholders(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conversion in Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_translation_has_the_placeholders_of_its_english_text(language):
    for message in po(language):
        if message.id:
            assert placeholders(message.string) == placeholders(message.id), message.id


def test_the_terminal_speaks_german_from_the_catalog():
    assert translations.gettext("Thank you!", "de") == "Danke!"
    assert translations.gettext("Sync now", "de") == "Jetzt übertragen"
    assert translations.gettext("Thank you!", "en") == "Thank you!"


def test_a_language_without_a_catalog_gets_the_english_words():
    assert translations.gettext("Thank you!", "fr") == "Thank you!"


def test_the_staff_screen_values_are_in_the_terminals_language():
    status = {"mode": "demo", "last_sync_at": None, "revoked": True}
    assert admin_value("mode", status, "de") == "Demo (nicht angemeldet)"
    assert admin_value("last_sync_at", status, "de") == "nie"
    assert admin_value("revoked", status, "de") == "Ja: Terminal neu anmelden"
    assert admin_value("revoked", {"revoked": False}, "en") == "No"
    synced = {"last_sync_at": "2026-11-30T09:14:05+00:00"}
    assert admin_value("last_sync_at", synced, "de") == "30.11.2026, 09:14:05 UTC"
    assert admin_value("last_sync_at", synced, "en").startswith("Nov 30, 2026, 9:14:05")


def test_the_staff_screen_writes_numbers_as_the_terminals_language_does():
    status = {"delivered": 250311, "queue_depth": 0, "clock_offset_seconds": -3.25, "quarantined": [{}, {}]}
    assert admin_value("delivered", status, "de") == "250.311"
    assert admin_value("delivered", status, "en") == "250,311"
    assert admin_value("queue_depth", status, "de") == "0"
    assert admin_value("clock_offset_seconds", status, "de") == "-3,2 s"
    assert admin_value("clock_offset_seconds", {"clock_offset_seconds": 1.5}, "en") == "+1.5 s"
    assert admin_value("quarantined", status, "de") == "2"
    assert admin_value("delivered", status, "xx") == "250,311"


def test_staff_read_what_a_known_error_means_and_support_the_detail():
    unreachable = {"last_error": "unreachable: ConnectionError: Max retries exceeded"}
    assert admin_value("last_error", unreachable, "de") == (
        "Der Hub ist nicht erreichbar. (unreachable)\nConnectionError: Max retries exceeded"
    )
    full = {"capture_error": "storage_full: database or disk is full"}
    assert admin_value("capture_error", full, "de") == "Der Speicher des Terminals ist voll. (storage_full)"
    assert admin_value("capture_error", full, "en") == "The terminal's disk is full. (storage_full)"
    unknown = {"last_error": "stale_created: the created time is 400 s off (HTTP 401)"}
    assert admin_value("last_error", unknown, "de") == "stale_created: the created time is 400 s off (HTTP 401)"
