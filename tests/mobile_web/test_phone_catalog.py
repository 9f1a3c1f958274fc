"""The phone page's catalogs (mobile_web/texts.py, mobile_web/locale/) are complete and are what
the page reads: every text marked in mobile_web has a translation in every catalog that is
neither empty nor fuzzy, a catalog holds nothing the code no longer says, every translation
keeps its placeholders, and each committed phone.mo is its .po compiled."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from mobile_web import texts

REPO = Path(__file__).resolve().parents[2]
LOCALE = REPO / "mobile_web" / "locale"
CATALOGS = sorted(LOCALE.glob("*/LC_MESSAGES/phone.po"))


def _language(po: Path) -> str:
    return po.parent.parent.name


@pytest.fixture(scope="module")
def code_msgids(tmp_path_factory) -> set[str]:
    """Every msgid pybabel finds in mobile_web now, as scripts/phone-catalog extracts them."""
    pot = tmp_path_factory.mktemp("phone-catalog") / "phone.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    command = [str(pybabel), "--quiet", "extract", "-F", "mobile_web/locale/babel.cfg", "--no-location"]
    subprocess.run([*command, "-o", str(pot), "mobile_web"], cwd=REPO, check=True)
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def _read(po: Path):
    with po.open("rb") as f:
        return read_po(f, locale=_language(po))


def test_there_is_a_german_catalog_and_the_page_speaks_its_language():
    assert "de" in [_language(po) for po in CATALOGS]
    assert {"de", "en"} <= texts.spoken()


def test_every_text_the_page_says_is_marked(code_msgids):
    said = {*texts.WORDS.values(), *(n for names in texts.FACES.values() for n in names)}
    said |= {t for pair in texts.PROBLEMS.values() for t in pair}
    assert said == code_msgids
    assert len(code_msgids) > 60


@pytest.mark.parametrize("po", CATALOGS, ids=_language)
def test_every_text_of_the_code_is_in_the_catalog_and_nothing_else(po, code_msgids):
    catalog = _read(po)
    held = {m.id for m in catalog if m.id}
    assert sorted(code_msgids - held) == [], "run scripts/phone-catalog and translate the new entries"
    obsolete = sorted(held - code_msgids) + sorted(catalog.obsolete)
    assert obsolete == [], "run scripts/phone-catalog: it drops texts no longer used"


@pytest.mark.parametrize("po", CATALOGS, ids=_language)
def test_every_translation_is_filled_and_not_fuzzy(po):
    catalog = _read(po)
    assert [m.id for m in catalog if m.id and not m.string] == []
    assert [m.id for m in catalog if m.id and m.fuzzy] == []
    assert not catalog.fuzzy  # a fuzzy header makes pybabel compile skip the whole catalog


@pytest.mark.parametrize("po", CATALOGS, ids=_language)
def test_every_translation_keeps_the_placeholders_of_its_english(po):
    """{store}, {face} and {seconds} are filled in where the text is shown: a translation that
    drops or misspells one loses the store's name or the waiting time."""
    wrong = [
        m.id
        for m in _read(po)
        if m.id and sorted(re.findall(r"\{\w+\}", m.id)) != sorted(re.findall(r"\{\w+\}", m.string))
    ]
    assert wrong == []


@pytest.mark.parametrize("po", CATALOGS, ids=_language)
def test_the_committed_mo_is_the_po_compiled(po):
    compiled = io.BytesIO()
    write_mo(compiled, _read(po), use_fuzzy=False)
    committed = po.with_suffix(".mo").read_bytes()
    assert read_mo(io.BytesIO(committed)) is not None
    assert committed == compiled.getvalue(), "run scripts/phone-catalog and commit phone.mo"


def test_the_page_reads_the_compiled_catalog():
    german = texts.texts("de", "Markt Nord")
    assert german["thanks"] == "Vielen Dank! Ihr Feedback hilft dem Team von Markt Nord."
    assert german["faces"][5][2] == "Geht so"
    assert german["problems"]["rate_limited"][0] == "Einen Moment bitte"
    english = texts.texts("en", "North")
    assert english["thanks"] == "Thank you! Your feedback helps the North team."


def test_a_language_without_a_catalog_gets_the_english_texts():
    assert texts.texts("pl", "X")["send"] == "Send"
    assert "pl" not in texts.spoken()


def test_a_new_language_is_a_new_catalog(tmp_path, monkeypatch):
    """French: a compiled catalog beside the others, and no code changed, makes the page speak
    it to stores and surveys that have it."""
    from babel.messages.catalog import Catalog

    from mobile_web.conversation import language_links, page_languages

    french = Catalog(locale="fr", domain="phone")
    french.add("Send", "Envoyer")
    french.add("Thank you! Your feedback helps the {store} team.", "Merci ! Votre avis aide l'équipe de {store}.")
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "phone.mo").open("wb") as f:
        write_mo(f, french)
    monkeypatch.setattr(texts, "LOCALE_DIR", tmp_path)
    texts.spoken.cache_clear()
    try:
        assert "fr" in texts.spoken()
        words = texts.texts("fr", "Lyon")
        assert words["send"] == "Envoyer"
        assert words["thanks"] == "Merci ! Votre avis aide l'équipe de Lyon."
        assert page_languages(["fr", "de"], ["de", "en", "fr"]) == ["fr"]  # de has no catalog here
        assert language_links(["fr"], "fr")[0]["name"] == "Français"
    finally:
        texts.spoken.cache_clear()
        texts.catalog.cache_clear()
