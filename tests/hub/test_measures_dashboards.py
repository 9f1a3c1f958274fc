"""Measures where people look: the hours heatmap's overlay holds the mean of the raw values
per store-local weekday and hour, for the stores in the person's scope; the store page shows
the measures' daily values and responses per 100 transactions; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.services import measures
from hub.services.access import Scope
from tests.hub.analytics_data import feedback, send
from tests.hub.conftest import ADMIN_PASSWORD, PASSWORD, connected
from tests.hub.test_dashboards import page, sign_in

BERLIN = ZoneInfo("Europe/Berlin")
FIRST = date(2026, 11, 16)  # a Monday


def _load(app, clock, items, **definition):
    with connected(app):
        rows = [measures.Row(i, m, s, p, v) for i, (m, s, p, v) in enumerate(items)]
        defined = {
            code: measures.Definition(code, code, d["unit"], d["kind"], d["grain"]) for code, d in definition.items()
        }
        return measures.load(Scope(0, "hq_admin", None), rows, now=clock(), definitions=defined, may_define=True)


@pytest.fixture
def tills(app, clock, people):
    """Open tills per local hour 8-19 on seven days in both stores, values that differ by
    store, day and hour; returns them as (store, local day, hour, value)."""
    raw = []
    for store, base in (("B001", 2), ("H002", 5)):
        for d in range(7):
            day = FIRST + timedelta(days=d)
            for hour in range(8, 20):
                raw.append((store, day, hour, float(base + (hour * 7 + d * 3) % 4)))
    _load(
        app,
        clock,
        [("open_tills", s, f"{day.isoformat()}T{hour:02d}:00", v) for s, day, hour, v in raw],
        open_tills={"unit": "tills", "kind": "level", "grain": "hour"},
    )
    return raw


def _expected(raw, stores):
    cells = defaultdict(list)
    for store, day, hour, value in raw:
        if store in stores:
            cells[(day.weekday(), hour)].append(value)
    return {f"{w}-{h}": (sum(v) / len(v), len(v)) for (w, h), v in cells.items()}


def _overlay(html):
    body = re.search(r'<table id="measure-table">(.*?)</table>', html, re.S).group(1)
    return {
        key: (float(mean), int(n))
        for key, mean, n in re.findall(r'<tr data-cell="([^"]+)" data-mean="([^"]+)" data-n="(\d+)">', body)
    }


def test_the_hours_overlay_is_the_mean_of_the_raw_values_per_weekday_and_hour(app, client, tills):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)

    html = page(client, "/dashboard/hours?from=2026-11-09&to=2026-11-22&measure=open_tills")
    one = page(client, "/dashboard/hours?store=H002&from=2026-11-09&to=2026-11-22&measure=open_tills")

    assert _overlay(html) == _expected(tills, {"B001", "H002"})
    assert _overlay(one) == _expected(tills, {"H002"})
    assert 'id="measure-overlay"' in html and "open_tills: mean per weekday and hour" in html


def test_a_store_managers_overlay_holds_only_their_store(app, client, tills):
    sign_in(client, "mia@example.org", PASSWORD)

    html = page(client, "/dashboard/hours?from=2026-11-09&to=2026-11-22&measure=open_tills")

    assert _overlay(html) == _expected(tills, {"B001"})


def test_an_unknown_measure_is_a_clear_error_and_no_measure_no_overlay(app, client, tills):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)

    refused = client.get("/dashboard/hours?measure=nothing")
    plain = page(client, "/dashboard/hours?from=2026-11-09&to=2026-11-22")

    assert refused.status_code == 400
    assert "There is no hourly measure nothing." in refused.get_data(as_text=True)
    assert 'id="measure-table"' not in plain and '<option value="open_tills">open_tills</option>' in plain


def test_the_overlay_cell_beside_the_index_is_the_hours_mean(app, client, terminal, tills):
    # answers at 10:xx UTC = 11:xx in Berlin, on Friday 20 November
    send(terminal, feedback(terminal, [(date(2026, 11, 20), 9, [4, 3, 2])]))
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)

    html = page(client, "/dashboard/hours?store=B001&from=2026-11-09&to=2026-11-22&measure=open_tills")

    row = re.search(r'<tr data-cell="4-11"[^>]*>(.*?)</tr>', html, re.S).group(1)
    mean, n = _expected(tills, {"B001"})["4-11"]
    assert f'<td class="measure" data-mean="{mean}" data-n="{n}">' in row


def test_the_store_page_shows_the_measures_per_day_and_the_response_rate(app, client, clock, terminal, people):
    send(terminal, feedback(terminal, [(date(2026, 11, 20), 9, [4, 3, 2, 4]), (date(2026, 11, 21), 9, [1, 4])]))
    _load(
        app,
        clock,
        [
            ("transactions", "B001", "2026-11-20", 300),
            ("transactions", "B001", "2026-11-21", 100),
            ("transactions", "H002", "2026-11-21", 999),
            ("queue_minutes", "B001", "2026-11-20T10:00", 12),
            ("queue_minutes", "B001", "2026-11-20T11:00", 30),
        ],
        transactions={"unit": "receipts", "kind": "count", "grain": "day"},
        queue_minutes={"unit": "min", "kind": "duration", "grain": "hour"},
    )
    sign_in(client, "mia@example.org", PASSWORD)

    html = page(client, "/dashboard/stores/B001?from=2026-11-16&to=2026-11-22")

    assert "Response rate: 1.5 responses per 100 transactions (6 responses, 400 transactions" in html
    row = re.search(r'<tr data-day="2026-11-20">(.*?)</tr>', html, re.S).group(1)
    assert '<td class="n">4</td>' in row
    assert 'data-measure="transactions" data-value="300.0"' in row
    assert 'data-measure="queue_minutes" data-value="42.0"' in row  # a duration's hours summed
    assert "999.0" not in html and "999,0" not in html  # H002's count is not B001's


def test_a_store_without_measures_shows_none(app, client, terminal, people):
    sign_in(client, "mia@example.org", PASSWORD)
    assert 'id="store-measures"' not in page(client, "/dashboard/stores/B001")
