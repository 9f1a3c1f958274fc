"""The link between measures and scores against known truth: four weeks of two stores whose
queues are driven by a planted "open tills" measure (hub/seed/measure_history.py: fewer than
3 tills open -> lower faces and more "waiting at the till"), sent through the signed sync
path, and an unrelated noise measure. The link is found with the right sign, its interval
covers the planted size, the noise's covers 0; per store and across stores, within the
person's scope, on the drivers page and in the analytics API; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from hub.models import Store, User
from hub.seed.measure_history import FEW_TILLS, PLANTED_INDEX, PLANTED_QUEUE_SHARE, hours
from hub.services import measure_links, measures
from hub.services.access import Scope, scope_for
from shared.errors import NotFound
from shared.protocol import format_time
from tests.hub.alerting import sign_in_as
from tests.hub.analytics_data import send
from tests.hub.conftest import connected

BERLIN = ZoneInfo("Europe/Berlin")
FIRST, DAYS = date(2026, 10, 26), 28  # four weeks after the clocks went back, before the clock's day
LAST = date(2026, 11, 22)
SEED = 20261202
HQ = Scope(0, "hq_admin", None)


def _responses(terminal, found) -> list[dict]:
    items = []
    for h in found:
        start = datetime.combine(h.day, time(h.hour), BERLIN).astimezone(UTC)
        for i, (face, queue) in enumerate(h.responses):
            answers = [{"question": "rating", "kind": "smiley", "value": face}]
            if queue:
                answers.append({"question": "reason", "kind": "choice", "value": ["queue"]})
            captured = start.replace(minute=min(59, 3 + 7 * i))
            items.append(terminal.response(captured_at=format_time(captured), answers=answers))
    return items


@pytest.fixture
def planted(app, clock, people, terminal, other_terminal):
    """The history of both stores, with open tills and noise per hour; the hours returned."""
    found = list(hours(seed=SEED, stores=2, first=FIRST, days=DAYS))
    codes = ("B001", "H002")
    send(terminal, _responses(terminal, [h for h in found if h.store == 0]))
    send(other_terminal, _responses(other_terminal, [h for h in found if h.store == 1]))
    rows = []
    for h in found:
        period = f"{h.day.isoformat()}T{h.hour:02d}:00"
        rows.append(measures.Row(len(rows) + 2, "open_tills", codes[h.store], period, h.tills))
        rows.append(measures.Row(len(rows) + 2, "noise", codes[h.store], period, h.noise))
    definitions = {
        "open_tills": measures.Definition("open_tills", "Open tills", "tills", "level", "hour"),
        "noise": measures.Definition("noise", "Noise", "dB", "level", "hour"),
    }
    with connected(app):
        measures.load(HQ, rows, now=clock(), definitions=definitions, may_define=True)
    return found


def _links(app, scope, store_code):
    with connected(app):
        store_id = Store.get(Store.code == store_code).id if store_code else None
        return {(link.measure, link.figure): link for link in measure_links.links_for(scope, store_id, FIRST, LAST)}


@pytest.mark.parametrize("store_code", ["B001", "H002", None])
def test_the_planted_link_is_found_and_the_noise_shows_none(app, planted, store_code):
    links = _links(app, HQ, store_code)

    tills, queue = links[("open_tills", "smiley_index")], links[("open_tills", "reason:queue")]
    assert tills.cut == FEW_TILLS
    assert tills.estimate.high < 0 and tills.estimate.low <= PLANTED_INDEX <= tills.estimate.high
    assert queue.estimate.low > 0 and queue.estimate.low <= PLANTED_QUEUE_SHARE <= queue.estimate.high
    for figure in ("smiley_index", "reason:queue"):
        noise = links[("noise", figure)].estimate
        assert noise.low <= 0 <= noise.high
        assert not links[("noise", figure)].clear
    # reasons nobody names in this history move with nothing
    assert links[("open_tills", "reason:staff")].estimate.value == 0


def test_n_counts_every_response_of_the_hours_paired(app, planted):
    one = _links(app, HQ, "B001")[("open_tills", "smiley_index")].estimate
    both = _links(app, HQ, None)[("open_tills", "smiley_index")].estimate

    sent = [h for h in planted if h.responses]
    assert one.responses == sum(len(h.responses) for h in sent if h.store == 0)
    assert one.hours == sum(1 for h in sent if h.store == 0)
    assert one.band_hours == sum(1 for h in sent if h.store == 0 and h.tills <= FEW_TILLS)
    assert one.clusters == len({h.day for h in sent if h.store == 0})
    assert both.responses == sum(len(h.responses) for h in sent)


def test_the_link_says_what_it_found_in_words_with_its_caveat(app, planted):
    link = _links(app, HQ, "B001")[("open_tills", "smiley_index")]
    e = link.estimate
    with app.test_request_context("/"):
        words = measure_links.sentence(link)

    assert words.startswith(f"In hours with Open tills at most 2 tills, the smiley index is {abs(e.value):.1f} points")
    assert "lower than in the other hours" in words
    assert f"95 % interval {e.low:.1f} to {e.high:.1f}" in words
    assert f"n = {e.responses:,} responses in {e.hours} hours" in words
    assert "an association, not proof of a cause" in words


def test_a_store_manager_sees_only_their_stores_links(app, planted, people):
    with connected(app):
        mia = scope_for(User.get(User.email == "mia@example.org"))
    hers = _links(app, mia, None)[("open_tills", "smiley_index")].estimate
    store = _links(app, mia, "B001")[("open_tills", "smiley_index")].estimate

    assert hers.responses == sum(len(h.responses) for h in planted if h.store == 0)
    assert hers.value == pytest.approx(store.value) and hers.high == pytest.approx(store.high)
    with pytest.raises(NotFound):
        _links(app, mia, "H002")


def test_the_drivers_page_shows_the_links(app, client, planted, people):
    with connected(app):
        sign_in_as(client, User.get(User.email == "mia@example.org"))
    html = client.get(f"/dashboard/drivers?store=B001&from={FIRST}&to={LAST}").get_data(as_text=True)
    refused = client.get(f"/dashboard/drivers?store=H002&from={FIRST}&to={LAST}")

    section = re.search(r'<div class="card" id="measure-links">(.*?)</table>', html, re.S).group(1)
    assert "Measures and scores" in section and "not proof of a cause" in section
    said = re.search(r'<li data-measure="open_tills" data-figure="smiley_index" class="clear">(.*?)</li>', section)
    assert "the smiley index is" in said.group(1) and "lower than in the other hours" in said.group(1)
    row = re.search(r'<tr data-measure="open_tills" data-figure="smiley_index" data-difference="([-0-9.e]+)"', section)
    assert float(row.group(1)) < 0
    assert 'data-measure="noise" data-figure="smiley_index" class="unclear"' in section
    assert refused.status_code == 404


def test_the_api_gives_the_links_with_their_intervals(app, client, planted, people):
    with connected(app):
        sign_in_as(client, User.get(User.email == "admin@example.org"))
    body = client.get(f"/api/v1/analytics/measure-links?from={FIRST}&to={LAST}&measure=open_tills").get_json()
    unknown = client.get(f"/api/v1/analytics/measure-links?from={FIRST}&to={LAST}&measure=footfall")

    assert body["store"] is None and {link["measure"] for link in body["links"]} == {"open_tills"}
    index = next(link for link in body["links"] if link["figure"] == "smiley_index")
    assert index["band_at_most"] == FEW_TILLS and index["clear"] is True
    assert index["low"] <= PLANTED_INDEX <= index["high"] < 0
    assert index["responses"] == sum(len(h.responses) for h in planted)
    assert "not proof of a cause" in index["words"]
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "unknown_measure"


def test_the_links_speak_german_on_a_german_page(app, client, planted, people):
    with connected(app):
        User.update(language="de").where(User.email == "mia@example.org").execute()
        sign_in_as(client, User.get(User.email == "mia@example.org"))
    html = client.get(f"/dashboard/drivers?store=B001&from={FIRST}&to={LAST}").get_data(as_text=True)
    trend = client.get(f"/dashboard/stores/B001?from={FIRST}&to={LAST}&measure=open_tills").get_data(as_text=True)

    section = re.search(r'<div class="card" id="measure-links">(.*?)</table>', html, re.S).group(1)
    said = re.search(r'data-figure="smiley_index" class="clear">(.*?)</li>', section).group(1)
    assert "Kennzahlen und Bewertungen" in section
    assert said.startswith("In Stunden mit Open tills höchstens 2 tills liegt der Smiley-Index ")
    assert "Punkte niedriger als in den übrigen Stunden, 95-%-Intervall " in said
    assert "ein Zusammenhang, kein Beweis einer Ursache" in said and "," in said.split("Punkte")[0]
    assert "Neben dem Verlauf" in trend and "Open tills (tills, Mittelwert pro Tag)" in trend


def test_the_two_hours_of_the_night_the_clocks_go_back_pair_as_their_mean(app, clock, people):
    from hub.queries import measure_links as q

    rows = [
        measures.Row(2, "open_tills", "B001", "2026-10-25T02:00+02:00", 4),
        measures.Row(3, "open_tills", "B001", "2026-10-25T02:00+01:00", 2),
        measures.Row(4, "open_tills", "B001", "2026-10-25T03:00", 5),
    ]
    tills = {"open_tills": measures.Definition("open_tills", "Open tills", "tills", "level", "hour")}
    with connected(app):
        measures.load(HQ, rows, now=clock(), definitions=tills, may_define=True)
        store_id = Store.get(Store.code == "B001").id
        found = q.hour_values(
            measures.measure_by_code("open_tills").id, [store_id], date(2026, 10, 25), date(2026, 10, 25)
        )

    assert found == {(store_id, date(2026, 10, 25), 2): 3.0, (store_id, date(2026, 10, 25), 3): 5.0}


@pytest.mark.parametrize("code", ["-PZ\x00m", "B001\x00", "x" * 65, "ünknown"])
def test_a_store_code_no_store_can_have_is_not_found_before_the_database_is_asked(app, client, people, code):
    with connected(app):
        sign_in_as(client, User.get(User.email == "admin@example.org"))
    for path in ("measure-links", "overview", "trend"):
        answer = client.get(f"/api/v1/analytics/{path}", query_string={"store": code, "to": "m"})
        assert answer.status_code == 404 and answer.get_json()["code"] == "not_found", (path, answer.get_json())
