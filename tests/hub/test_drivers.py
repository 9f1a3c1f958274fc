"""Driver analysis: the math on counts (pure), and on feedback sent through the real signed sync
path, the driver planted in it ranked first, its figures equal to a recomputation from the raw
answers, the store's three things to work on, and each person seeing only their stores."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from hub.services import drivers
from hub.services.access import scope_for
from hub.services.analytics import Period
from hub.services.drivers import measure, rank, top_reasons
from shared.protocol import format_time
from shared.scoring import smiley_index
from tests.hub.conftest import ADMIN_PASSWORD, connected
from tests.hub.raw_feedback import raw_responses
from tests.hub.test_sign_in import sign_in

FACES = 4
TODAY = date(2026, 11, 23)  # the test clock's day (conftest.START)
WEEK = Period.ending(TODAY, 7)
OTHERS = ("staff", "stock", "cleanliness", "price")

# --- the math on counts --------------------------------------------------------------------------


def test_a_touchpoints_gain_is_its_share_times_the_gap_to_the_others():
    total = {1: 10, 2: 10, 3: 40, 4: 40}
    queue = measure("touchpoint", "exit", "Exit", {1: 8, 2: 8, 3: 2, 4: 2, "n": 22}, total, FACES, named=22)
    overall = smiley_index(total, FACES).value
    without = smiley_index({1: 2, 2: 2, 3: 38, 4: 38}, FACES).value
    assert queue.index_without.value == pytest.approx(without)
    assert queue.gain == pytest.approx(without - overall)  # the index if its customers were like the others
    assert queue.gain_low < queue.gain < queue.gain_high
    assert queue.occurrence == pytest.approx(22.0)
    assert (queue.n, queue.rated) == (22, 20)


def test_a_driver_of_happy_people_gains_nothing():
    total = {1: 10, 2: 10, 3: 40, 4: 40}
    praise = measure("touchpoint", "staff", "Staff", {4: 30}, total, FACES)
    assert praise.gain < 0
    assert top_reasons([praise], 3) == []


def test_a_driver_everyone_has_no_gain():
    everyone = measure("touchpoint", "exit", "Exit", {1: 5, 4: 5}, {1: 5, 4: 5}, FACES)
    assert everyone.index_without.value is None
    assert everyone.gain is None and everyone.order is None


def test_ranked_by_gain_with_small_samples_after_and_unranked():
    total = {1: 100, 2: 100, 3: 400, 4: 400}
    found = rank(
        [
            measure("touchpoint", "small", "Small", {1: 29}, total, FACES),
            measure("touchpoint", "mild", "Mild", {2: 40, 3: 40}, total, FACES),
            measure("touchpoint", "strong", "Strong", {1: 60, 2: 20}, total, FACES),
        ]
    )
    assert [(d.key, d.rank) for d in found] == [("strong", 1), ("mild", 2), ("small", None)]
    assert found[2].small_sample and found[2].gain > found[1].gain  # a big gain, too few


# --- planted in data sent by a terminal ------------------------------------------------------------


def _response(terminal, day: date, face: int, reasons: list[str], hour: int = 10) -> dict:
    answers = [{"question": "rating", "kind": "smiley", "value": face}]
    if reasons:
        answers.append({"question": "reason", "kind": "choice", "value": reasons})
    captured = datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)
    return terminal.response(captured_at=format_time(captured), answers=answers)


def send(terminal, items: list[dict]) -> None:
    for first in range(0, len(items), 100):
        answer = terminal.post_batch(items[first : first + 100])
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert all(r["status"] == "accepted" for r in answer.get_json()["results"]), answer.get_json()


def planted(terminal, days: list[date]) -> list[dict]:
    """Per day: 8 responses naming the queue, rated 1-2; 12 others rated 3-4, each naming two
    of the other reasons in turn (so they are neutral); 4 naming nothing."""
    items = []
    for day in days:
        for i in range(8):
            items.append(_response(terminal, day, 1 + i % 2, ["queue"] if i % 3 else ["queue", "price"]))
        for i in range(12):
            items.append(_response(terminal, day, 3 + i % 2, [OTHERS[i % 4], OTHERS[(i + 1) % 4]]))
        for i in range(4):
            items.append(_response(terminal, day, 2 + i % 3, []))
    return items


@pytest.fixture
def feedback(terminal, other_terminal) -> None:
    send(terminal, planted(terminal, [TODAY - timedelta(days=d) for d in range(5)]))
    # H002: the price is its problem, and B001's staff never see it
    items = [_response(other_terminal, TODAY - timedelta(days=1), 1, ["price"]) for _ in range(40)]
    items += [_response(other_terminal, TODAY - timedelta(days=1), 4, ["queue"]) for _ in range(40)]
    send(other_terminal, items)


def raw_faces(app, store_code: str | None, first: date, last: date) -> dict[str, Counter]:
    """{option or '*' (every response): Counter(face)} recomputed from the response and answer tables."""
    responses = raw_responses(app, first, last, store_code).values()
    found: dict[str, Counter] = {"*": Counter(r.face for r in responses)}
    for r in responses:
        for option in r.reasons:
            found.setdefault(option, Counter())[r.face] += 1
    return found


def test_the_planted_driver_ranks_first(app, feedback, store):
    with connected(app):
        analysis = drivers.analyse([store.id], WEEK)
    assert analysis.reasons[0].key == "queue"
    assert analysis.reasons[0].rank == 1
    assert analysis.reasons[0].gain > 5 and analysis.reasons[0].basis == "gain"
    neutral = [d for d in analysis.reasons if d.key in ("staff", "stock", "cleanliness")]
    # named by happy customers: below the queue, none clearly above zero
    assert all(d.gain < analysis.reasons[0].gain and d.gain_low < 0 for d in neutral)
    assert drivers.top_reasons(analysis.reasons, 3)[0].key == "queue"


def test_driver_figures_equal_a_recomputation_from_the_raw_answers(app, feedback):
    with connected(app):
        analysis = drivers.analyse(None, WEEK)
    raw = raw_faces(app, None, WEEK.start, WEEK.end)
    total = raw["*"]
    for d in analysis.reasons:
        with_ = raw.get(d.key, Counter())
        without = total - with_
        assert d.n == d.rated == sum(with_.values())
        assert d.index_with.value == pytest.approx(smiley_index(with_, FACES).value)
        assert d.index_without.value == pytest.approx(smiley_index(without, FACES).value)
        share = sum(with_.values()) / sum(total.values())
        assert d.occurrence == pytest.approx(100 * share)
        # asked: the terminal asks after faces 1-2; a response naming a reason was asked
        asked = sum(1 for r in raw_responses(app, WEEK.start, WEEK.end, None).values() if r.face <= 2 or r.reasons)
        assert d.asked == asked
        assert d.share == pytest.approx(100 * d.rated / asked)


def test_the_page_shows_the_drivers_in_their_order_with_their_numbers(app, client, feedback):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    answer = client.get("/dashboard/drivers?store=B001")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    table = re.search(r'<table id="reason-table">(.*?)</table>', html, re.S).group(1)
    keys = re.findall(r'<tr data-key="([^"]+)"', table)
    assert keys[0] == "queue"
    first = re.search(r'<tr data-key="queue".*?</tr>', table, re.S).group(0)
    assert '<td class="rank">1</td>' in first
    assert "Waiting at the till" in first
    raw = raw_faces(app, "B001", WEEK.start, WEEK.end)
    assert f'<td class="n">{sum(raw["queue"].values())}</td>' in first
    assert "<svg" in html  # the chart beside its table
    # the three things to work on, the queue first
    actions = re.search(r'<ol class="actions">(.*?)</ol>', html, re.S).group(1)
    assert re.findall(r'data-key="([^"]+)"', actions)[0] == "queue"


def test_the_csv_holds_the_table(app, client, feedback):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    answer = client.get("/dashboard/drivers.csv?view=reasons&store=B001")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert table[0]["key"] == "queue" and table[0]["rank"] == "1"
    raw = raw_faces(app, "B001", WEEK.start, WEEK.end)
    assert {r["key"]: int(r["n"]) for r in table} == {k: sum(v.values()) for k, v in raw.items() if k != "*"}


def test_top_actions_name_the_reason_its_share_and_its_gain(app, feedback, store):
    with connected(app):
        from hub.models import User

        scope = scope_for(User.get(User.email == "admin@example.org"))
        actions = drivers.top_actions(scope, store, WEEK)
        german = drivers.top_actions(scope, store, WEEK, language="de")
    assert 1 <= len(actions) <= 3
    first = actions[0]
    assert first.driver.key == "queue"
    assert "Waiting at the till" in first.sentence
    assert f"{first.driver.occurrence:.0f} %" in first.sentence
    assert f"about {first.driver.gain:.1f} points higher" in first.sentence
    assert f"{first.driver.gain_low:.1f} to {first.driver.gain_high:.1f}" in first.sentence
    assert "Wartezeit an der Kasse" in german[0].sentence


def test_the_store_page_shows_its_three_things_to_work_on(app, client, feedback):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    html = client.get("/dashboard/stores/B001").get_data(as_text=True)
    assert 'id="actions"' in html
    actions = re.search(r'<ol class="actions">(.*?)</ol>', html, re.S).group(1)
    assert "Waiting at the till" in actions


def test_each_store_has_its_own_driver(app, feedback):
    with connected(app):
        from hub.models import Store

        other = Store.get(Store.code == "H002")
        analysis = drivers.analyse([other.id], Period.ending(TODAY, 7))
    assert analysis.reasons[0].key == "price"


def test_a_store_manager_sees_only_their_stores_drivers(app, client, feedback, people):
    sign_in(client, "mia@example.org")
    assert client.get("/dashboard/drivers?store=H002").status_code == 404
    assert client.get("/dashboard/drivers.csv?store=H002").status_code == 404
    html = client.get("/dashboard/drivers").get_data(as_text=True)
    b001 = raw_faces(app, "B001", WEEK.start, WEEK.end)
    # all their stores: B001's responses only, so H002's price problem is not there
    assert f'<span id="overall-n">{sum(b001["*"].values())}</span>' in html
    table = re.search(r'<table id="reason-table">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'<tr data-key="([^"]+)"', table)[0] == "queue"


def test_a_store_manager_cannot_ask_for_another_stores_actions(app, feedback, people, other_store):
    from shared.errors import NotFound

    with connected(app), pytest.raises(NotFound):
        drivers.top_actions(scope_for(people["mia"]), other_store, WEEK)


def _rename_option(app, option: str, text: str) -> None:
    """An admin's reason text (any text at all) in the survey's current version."""
    from hub.models import SurveyVersion

    with connected(app):
        version = SurveyVersion.get(SurveyVersion.version == 1)
        definition = version.definition
        for question in definition["questions"]:
            for o in question.get("options", []):
                if o["id"] == option:
                    o["text"] = {"en": text, "de": text}
        SurveyVersion.update(definition=definition).where(SurveyVersion.id == version.id).execute()


def test_reason_texts_cannot_run_in_the_page_or_the_csv(app, client, feedback):
    _rename_option(app, "queue", '"><img src=x onerror=alert(1)><script>alert(2)</script>')
    _rename_option(app, "price", '=HYPERLINK("http://evil.example")')
    _rename_option(app, "staff", "@SUM(A1)")
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    for url in ("/dashboard/drivers?store=B001", "/dashboard/stores/B001"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(2)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(2)" in page
    body = client.get("/dashboard/drivers.csv?store=B001").get_data().decode("utf-8-sig")
    labels = {r["key"]: r["label"] for r in csv.DictReader(io.StringIO(body))}
    assert labels["price"] == '\'=HYPERLINK("http://evil.example")'
    assert labels["staff"] == "'@SUM(A1)"


def test_the_driver_the_demo_seed_plants_ranks_first(app, clock):
    """The seed makes queues (likelier at busy hours) pull faces down: the analysis finds it."""
    from hub.models import Store, User
    from hub.seed.generator import Plan
    from hub.seed.writer import seed

    plan = Plan(stores=3, days=14, per_day=80, end=TODAY - timedelta(days=1))
    with connected(app):
        seed(plan, now=clock())
        period = Period(plan.start, plan.end)
        analysis = drivers.analyse(None, period)
        # each store's top reason (found without measuring the others) is its analysis's first
        for found in drivers.store_potentials(scope_for(User.get(User.email == "admin@example.org")), period):
            own = drivers.analyse([Store.get(Store.code == found.code).id], period).reasons[0]
            assert found.top == own
    assert analysis.reasons[0].key == "queue"
    assert not analysis.reasons[0].small_sample
    staff = next(d for d in analysis.reasons if d.key == "staff")
    assert staff.gain < 0 and staff not in drivers.top_reasons(analysis.reasons, 5)  # happy people name the staff


def test_the_json_holds_both_tables(app, client, feedback, people):
    sign_in(client, "mia@example.org")
    assert client.get("/dashboard/drivers.json?store=H002").status_code == 404
    body = client.get("/dashboard/drivers.json?store=B001").get_json()
    assert body["reasons"][0]["key"] == "queue" and body["reasons"][0]["rank"] == 1
    raw = raw_faces(app, "B001", WEEK.start, WEEK.end)
    assert body["overall"]["n"] == sum(raw["*"].values())
    assert {r["key"]: r["n"] for r in body["reasons"]} == {k: sum(v.values()) for k, v in raw.items() if k != "*"}
    assert [t["key"] for t in body["touchpoints"]] == ["exit"]


def test_hq_sees_where_the_potential_sits_per_store(app, client, feedback):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    html = client.get("/dashboard/drivers").get_data(as_text=True)
    table = re.search(r'<table id="store-table">(.*?)</table>', html, re.S).group(1)
    tops = dict(re.findall(r'<tr data-code="([^"]+)".*?<td class="top" data-key="([^"]+)"', table, re.S))
    assert tops == {"B001": "queue", "H002": "price"}
    body = client.get("/dashboard/drivers.csv?view=stores").get_data().decode("utf-8-sig")
    rows_ = {r["code"]: r for r in csv.DictReader(io.StringIO(body))}
    assert rows_["B001"]["top_reason"] == "queue" and rows_["H002"]["top_reason"] == "price"
    raw = raw_faces(app, "H002", WEEK.start, WEEK.end)
    assert int(rows_["H002"]["n"]) == sum(raw["*"].values())


def test_a_store_manager_sees_only_their_stores_potential(app, client, feedback, people):
    sign_in(client, "mia@example.org")
    html = client.get("/dashboard/drivers").get_data(as_text=True)
    table = re.search(r'<table id="store-table">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'<tr data-code="([^"]+)"', table) == ["B001"]
    body = client.get("/dashboard/drivers.csv?view=stores").get_data().decode("utf-8-sig")
    assert [r["code"] for r in csv.DictReader(io.StringIO(body))] == ["B001"]


def test_a_stores_top_reason_is_the_same_on_every_page_and_in_the_report(app, clock):
    """One rule for what to work on: the drivers page's top reason per store, the store
    page's first thing to work on and the report's first sentence name the same reason for
    the same days, and a touchpoint (a channel: where feedback came from) is never one."""
    from hub.models import Store, User
    from hub.seed.generator import Plan
    from hub.seed.writer import seed
    from hub.services import reports

    plan = Plan(stores=4, days=14, per_day=60, end=TODAY - timedelta(days=1))
    with connected(app):
        seed(plan, now=clock())
        hq = scope_for(User.get(User.email == "admin@example.org"))
        week = Period.ending(plan.end, 7)
        compared = 0
        for found in drivers.store_potentials(hq, week):
            store = Store.get(Store.code == found.code)
            actions = drivers.top_actions(hq, store, week)
            assert all(a.driver.kind == "reason" for a in actions)
            if found.top is None:
                assert actions == []
                continue
            assert actions[0].driver.key == found.top.key
            [first, *_] = reports._work_on([store.id], week)
            assert first == drivers.sentence(found.top, None)
            compared += 1
    assert compared == 3  # S004, the happiest store, has no reason that costs it index points


def test_where_only_unhappy_faces_are_asked_the_page_shows_who_named_it_and_no_gain(app, client, terminal):
    """The terminal asks the reasons after faces 1-2 only: no gain, the share of the unhappy asked."""
    items = []
    for day in [TODAY - timedelta(days=d) for d in range(5)]:
        items += [_response(terminal, day, 1 + i % 2, ["queue"] if i % 4 else ["stock"]) for i in range(8)]
        items += [_response(terminal, day, 3 + i % 2, []) for i in range(12)]
    send(terminal, items)
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    html = client.get("/dashboard/drivers?store=B001").get_data(as_text=True)
    table = re.search(r'<table id="reason-table">(.*?)</table>', html, re.S).group(1)
    queue = re.search(r'<tr data-key="queue".*?</tr>', table, re.S).group(0)
    assert '<td class="rank">1</td>' in queue
    assert '<td class="asked">40</td>' in queue  # the 40 unhappy responses, the 60 happy were not asked
    assert re.search(r'<td class="share">75[.,]0 %', queue)
    assert '<td class="gain">–</td>' in queue
    actions = re.search(r'<ol class="actions">(.*?)</ol>', html, re.S).group(1)
    assert "named by 75 % of the 40 unhappy customers asked" in actions
    assert "index points" not in actions and "points higher" not in actions
