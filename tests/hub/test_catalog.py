"""The hub's German catalog (hub/i18n.py) is complete and is what the hub reads: every text
marked in the code and the templates has a German translation that is neither empty nor
fuzzy, the catalog holds nothing the code no longer uses, the committed messages.mo is the
.po compiled, and the wheel carries both (tests/test_package.py compares it with git)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "hub" / "translations" / "de" / "LC_MESSAGES"


def extracted(tmp_path: Path) -> set[str]:
    """Every msgid pybabel finds in the hub now, as scripts/catalog extracts them."""
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    command = [str(pybabel), "--quiet", "extract", "-F", "babel.cfg", "-k", "lazy_gettext", "--no-location"]
    subprocess.run([*command, "-o", str(pot), "."], cwd=REPO, check=True)
    with pot.open("rb") as f:
        return {_key(m.id) for m in read_po(f) if m.id}


def _key(msgid: str | tuple[str, ...]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


@pytest.fixture(scope="module")
def german():
    with (CATALOG / "messages.po").open("rb") as f:
        return read_po(f, locale="de")


@pytest.fixture(scope="module")
def code_msgids(tmp_path_factory) -> set[str]:
    return extracted(tmp_path_factory.mktemp("catalog"))


def test_the_code_marks_texts_for_translation(code_msgids):
    assert len(code_msgids) > 50
    assert "Sign in" in code_msgids


def test_every_text_of_the_code_is_in_the_german_catalog(code_msgids, german):
    missing = sorted(code_msgids - {_key(m.id) for m in german if m.id})
    assert missing == [], "run scripts/catalog and translate the new entries"


def test_the_german_catalog_holds_nothing_the_code_no_longer_uses(code_msgids, german):
    obsolete = sorted({_key(m.id) for m in german if m.id} - code_msgids) + sorted(
        _key(m.id) for m in german.obsolete.values()
    )
    assert obsolete == [], "run scripts/catalog: it drops texts no longer used"


def test_every_german_translation_is_filled_and_not_fuzzy(german):
    untranslated = [
        _key(m.id) for m in german if m.id and (not all(m.string) if isinstance(m.string, tuple) else not m.string)
    ]
    fuzzy = [_key(m.id) for m in german if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    assert not german.fuzzy  # a fuzzy header makes pybabel compile skip the whole catalog


def test_every_german_translation_keeps_the_placeholders_of_its_english(german):
    """A translation that drops or misnames %(name)s would fail or lose a value at render time."""
    import re

    wrong = []
    for m in german:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = sorted(set(re.findall(r"%\(\w+\)s", ids[0])))
        if any(sorted(set(re.findall(r"%\(\w+\)s", s))) != wanted for s in strings):
            wrong.append(ids[0])
    assert wrong == []


def test_the_committed_mo_is_the_po_compiled(german):
    compiled = io.BytesIO()
    write_mo(compiled, german, use_fuzzy=False)
    committed = (CATALOG / "messages.mo").read_bytes()
    assert read_mo(io.BytesIO(committed)) is not None
    assert committed == compiled.getvalue(), "run scripts/catalog and commit messages.mo"
