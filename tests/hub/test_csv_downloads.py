"""Every CSV download of the pages opens as it is in a spreadsheet: UTF-8 with a byte order
mark (umlauts survive Excel), in English with ',' and a decimal point, in German with ';' and a
decimal comma (Excel's German locale), the same table either way; the page says which beside
its link. The API's CSV for machines stays plain (no mark, ',') whoever asks."""

from __future__ import annotations

import codecs
import csv
import io

import pytest

from hub.dashboards.csv_download import GermanExcel
from hub.models import Store
from tests.hub.alerting import sign_in_as
from tests.hub.conftest import connected
from tests.hub.test_action_pages import _made
from tests.hub.test_api_tokens import bearer, make
from tests.hub.test_dashboard_weather import TODAY, at
from tests.hub.test_dashboard_weather import send as send_comments
from tests.hub.test_dashboards import B001_FEEDBACK, send

STORE_NAME = "Möckernstraße Süd"
COMMENT = "Schöne Grüße an die Bäckerei, Kasse 3 war zu; 50 % länger gewartet"
DOWNLOADS = [
    "/dashboard.csv?view=trend&store=B001&from=2026-10-01&to=2026-11-23",
    "/dashboard.csv?view=ranking&from=2026-10-01&to=2026-11-23",
    "/dashboard.csv?view=hours&from=2026-10-01&to=2026-11-23",
    "/dashboard/comments.csv",
    "/dashboard/drivers.csv?view=stores",
    "/dashboard/themes.csv",
    "/dashboard/signals.csv",
    "/actions/export.csv",
    "/actions/tasks.csv",
]
DIALECTS = {"en": csv.excel, "de": GermanExcel}


@pytest.fixture
def hq(app, client, clock, people, store, terminal):
    with connected(app):
        Store.update(name=STORE_NAME).where(Store.id == store.id).execute()
    send(terminal, B001_FEEDBACK)
    send_comments(terminal, [(at(TODAY, 9, 30), 2, COMMENT)])
    _made(app, people["mia"], store)
    sign_in_as(client, people["admin"])
    return client


def download(client, path: str, language: str) -> list[list[str]]:
    answer = client.get(path, headers={"Accept-Language": language})
    assert answer.status_code == 200 and answer.mimetype == "text/csv", path
    raw = answer.get_data()
    assert raw.startswith(codecs.BOM_UTF8), path
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), dialect=DIALECTS[language]))
    assert rows and all(len(row) == len(rows[0]) for row in rows), (path, rows[:3])
    return rows


def is_decimal(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return "." in cell


@pytest.mark.parametrize("path", DOWNLOADS)
def test_german_is_the_same_table_with_semicolons_and_decimal_commas(hq, path):
    english, german = download(hq, path, "en"), download(hq, path, "de")
    assert len(german) == len(english) and german[0] == english[0]
    for en_row, de_row in zip(english[1:], german[1:], strict=True):
        for en, de in zip(en_row, de_row, strict=True):
            assert de == (en.replace(".", ",") if is_decimal(en) else en), (path, en, de)
    if path.startswith("/dashboard.csv"):  # figures with decimals are there to be written
        assert any(is_decimal(cell) for row in english[1:] for cell in row), path
        assert any("," in cell for row in german[1:] for cell in row), path


def test_a_german_number_reads_back_as_the_english_one(hq):
    path = "/dashboard.csv?view=trend&store=B001&from=2026-10-01&to=2026-11-23"
    english = {r[0]: r for r in download(hq, path, "en")[1:]}
    german = {r[0]: r for r in download(hq, path, "de")[1:]}
    header = download(hq, path, "en")[0]
    index = header.index("smiley_index")
    shown = [(float(en[index]), float(german[d][index].replace(",", "."))) for d, en in english.items() if en[index]]
    assert shown and all(en == de for en, de in shown)


@pytest.mark.parametrize("language", ["en", "de"])
def test_umlauts_survive_in_both_languages(hq, language):
    ranking = download(hq, "/dashboard.csv?view=ranking&from=2026-10-01&to=2026-11-23", language)
    assert any(STORE_NAME in row for row in ranking)
    comments = download(hq, "/dashboard/comments.csv", language)
    assert any(COMMENT in row for row in comments)  # its ';' and ',' stay inside the cell


def test_the_page_says_how_its_csv_is_written_beside_the_link(hq):
    english = hq.get("/dashboard/comments").get_data(as_text=True)
    assert "Download as CSV</a> <small" in english and "cells separated by commas, decimal point" in english
    german = hq.get("/dashboard", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Semikolon" in german and "Dezimalkomma" in german


def test_the_apis_csv_for_machines_stays_plain(app, hq, clock, people):
    token = make(app, clock, people["admin"], "actions:read")
    answer = hq.get("/api/v1/actions.csv", headers={**bearer(token), "Accept-Language": "de"})
    assert answer.status_code == 200
    raw = answer.get_data()
    assert not raw.startswith(codecs.BOM_UTF8)
    header = raw.decode().splitlines()[0]
    assert header.startswith("id,") and ";" not in header
