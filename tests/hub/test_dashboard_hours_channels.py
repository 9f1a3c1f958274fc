"""The hour-of-day x weekday heatmap and the channel split: every number on the page equals
the one recomputed from the raw responses (terminal answers through the signed sync path,
phone answers through the phone page), per store and for all stores in scope; another store's
hours are not found for a store manager."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.models import Store
from shared.protocol import format_time
from shared.scoring import nps, smiley_index
from tests.hub.conftest import ADMIN_PASSWORD, PASSWORD, connected, rows
from tests.hub.test_dashboards import FACES, PERIOD, page, shown, sign_in, table_rows
from tests.mobile_web.conftest import TestPhone, phone_token

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def send(terminal, moments_faces) -> None:
    items = [
        terminal.response(
            captured_at=format_time(at),
            answers=[
                {"question": "rating", "kind": "smiley", "value": face},
                {"question": "nps", "kind": "nps", "value": (face * 3) % 11},
            ],
        )
        for at, face in moments_faces
    ]
    answer = terminal.post_batch(items)
    assert answer.status_code == 200
    assert {r["status"] for r in answer.get_json()["results"]} == {"accepted"}


@pytest.fixture
def answers(app, client, clock, terminal, other_terminal, people) -> None:
    """B001: 60 terminal answers spread over the hours of five days (two across midnight
    UTC, which is another local day and hour in Berlin), four phone answers; H002: twelve."""
    base = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)
    send(terminal, [(base + timedelta(hours=(i * 7) % 15, days=i % 5), i % 4 + 1) for i in range(58)])
    send(terminal, [(datetime(2026, 11, 18, 23, 30, tzinfo=UTC), 1), (datetime(2026, 11, 18, 22, 59, tzinfo=UTC), 4)])
    send(other_terminal, [(base + timedelta(hours=i, days=2), (i % 2) + 3) for i in range(12)])
    for i, (face, score) in enumerate(((1, 2), (4, 10), (4, 9), (3, 7))):
        clock.advance(minutes=1)
        phone = TestPhone(
            client, clock, phone_token(), served_at=clock() - timedelta(minutes=5), address=f"198.51.100.{i}"
        )
        item = phone.version(
            {"question": "rating", "kind": "smiley", "value": face},
            {"question": "nps", "kind": "nps", "value": score},
            partial=False,
        )
        assert phone.put(item).status_code == 200


@pytest.fixture
def hq(client, answers):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    return client


@pytest.fixture
def mia(client, answers):
    sign_in(client, "mia@example.org", PASSWORD)
    return client


def raw(app, question: str) -> list[tuple[str, str, datetime, int, date]]:
    """(store code, channel, local capture time, number, local day) of every answer to ``question``."""
    found = []
    for code, zone, channel, captured, number, day in rows(
        app,
        "SELECT s.code, s.time_zone, r.channel, r.captured_at, a.number, r.local_day FROM response r "
        "JOIN answer a ON a.response_id = r.id JOIN store s ON s.id = r.store_id WHERE a.question = ?",
        (question,),
    ):
        moment = captured if isinstance(captured, datetime) else datetime.fromisoformat(captured)
        local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
        found.append((code, channel, local, number, day if isinstance(day, date) else date.fromisoformat(day)))
    return found


def hour_truth(app, store: str | None = None) -> dict[str, Counter]:
    cells: dict[str, Counter] = defaultdict(Counter)
    for code, _, local, face, day in raw(app, "rating"):
        if (store is None or code == store) and PERIOD[0] <= day <= PERIOD[1]:
            cells[f"{local.weekday()}-{local.hour}"][face] += 1
    return cells


# --- hours -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [None, "B001", "H002"])
def test_every_hour_of_every_weekday_equals_the_raw_answers(app, hq, code):
    html = page(hq, "/dashboard/hours" + (f"?store={code}" if code else ""))
    found = table_rows(html, "hours-table", "data-cell")
    truth = hour_truth(app, code)
    assert len(truth) >= 12  # the answers are spread over many hours
    assert set(found) == set(truth)
    for cell, counts in truth.items():
        assert found[cell]["n"] == str(sum(counts.values())), cell
        assert found[cell]["smiley"] == shown(smiley_index(counts, FACES).value), cell
    assert sum(int(c["n"]) for c in found.values()) == sum(sum(c.values()) for c in truth.values())


def test_the_local_hour_and_weekday_are_the_stores(app, hq):
    found = table_rows(page(hq, "/dashboard/hours?store=B001"), "hours-table", "data-cell")
    assert "3-0" in found  # 23:30 UTC on Wednesday is 00:30 on Thursday in Berlin
    assert "2-23" in found  # 22:59 UTC is 23:59 the same Wednesday


def test_the_heatmaps_are_drawn_with_every_cell_and_a_title(hq):
    html = page(hq, "/dashboard/hours")
    assert html.count('<svg class="chart heatmap"') == 2
    assert html.count("<rect") == 2 * 7 * 24
    assert "<title>Smiley index per weekday and hour</title>" in html
    assert "<script" not in html


def test_the_hours_csv_holds_the_same_numbers(app, hq):
    answer = hq.get("/dashboard.csv?view=hours&store=B001")
    found = {(r["weekday"], r["hour"]): r for r in csv.DictReader(io.StringIO(answer.get_data().decode("utf-8-sig")))}
    truth = hour_truth(app, "B001")
    assert len(found) == len(truth)
    for cell, counts in truth.items():
        weekday, hour = cell.split("-")
        row = found[(WEEKDAYS[int(weekday)], hour)]
        assert row["n"] == str(sum(counts.values()))
        assert float(row["smiley_index"]) == round(smiley_index(counts, FACES).value, 1)


def test_a_store_manager_sees_their_hours_and_not_another_stores(app, mia):
    found = table_rows(page(mia, "/dashboard/hours"), "hours-table", "data-cell")
    assert {k: v["n"] for k, v in found.items()} == {
        k: str(sum(c.values())) for k, c in hour_truth(app, "B001").items()
    }
    assert mia.get("/dashboard/hours?store=H002").status_code == 404
    assert mia.get("/dashboard.csv?view=hours&store=H002").status_code == 404


def test_a_store_name_with_markup_is_escaped_on_the_hours_page(app, hq):
    with connected(app):
        Store.update(name="<script>alert(1)</script>").where(Store.code == "B001").execute()
    html = page(hq, "/dashboard/hours?store=B001")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# --- channels --------------------------------------------------------------------------------------


def channel_truth(app, question: str, store: str | None = None) -> dict[str, Counter]:
    found: dict[str, Counter] = defaultdict(Counter)
    for code, channel, _, number, day in raw(app, question):
        if (store is None or code == store) and PERIOD[0] <= day <= PERIOD[1]:
            found[channel][number] += 1
    return found


@pytest.mark.parametrize(("url", "code"), [("/dashboard", None), ("/dashboard/stores/B001", "B001")])
def test_the_channel_split_equals_the_raw_answers(app, hq, url, code):
    found = table_rows(page(hq, url), "channel-table", "data-channel")
    ratings, promoters = channel_truth(app, "rating", code), channel_truth(app, "nps", code)
    total = sum(sum(c.values()) for c in ratings.values())
    assert set(ratings) == {"kiosk", "qr"} and sum(ratings["qr"].values()) == 4
    for channel in ("kiosk", "qr"):
        n = sum(ratings[channel].values())
        assert found[channel]["responses"] == str(n)
        assert found[channel]["share"] == f"{shown(100 * n / total)} %"
        assert found[channel]["smiley"] == shown(smiley_index(ratings[channel], FACES).value)
        assert found[channel]["nps"] == shown(nps(promoters[channel]).value)
        assert found[channel]["nps-n"] == str(sum(promoters[channel].values()))


def test_the_channels_csv_holds_the_same_numbers(app, hq):
    answer = hq.get("/dashboard.csv?view=channels&store=H002")
    found = {r["channel"]: r for r in csv.DictReader(io.StringIO(answer.get_data().decode("utf-8-sig")))}
    ratings = channel_truth(app, "rating", "H002")
    assert found["kiosk"]["responses"] == str(sum(ratings["kiosk"].values())) == "12"
    assert found["qr"]["responses"] == "0" and found["qr"]["smiley_index"] == ""


def test_a_store_managers_channel_split_holds_only_their_store(app, mia):
    found = table_rows(page(mia, "/dashboard"), "channel-table", "data-channel")
    ratings = channel_truth(app, "rating", "B001")
    assert found["kiosk"]["responses"] == str(sum(ratings["kiosk"].values()))
    assert re.search(r"Hamburg", page(mia, "/dashboard")) is None
