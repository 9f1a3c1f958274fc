"""The dashboards: figures read from the daily rollups equal the scores recomputed from the raw
responses and answers, each person sees only their stores, and nothing a store is called can
run in a browser or a spreadsheet. Feedback is seeded through the real signed sync path."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from hub.models import Store, User, UserStore
from hub.queries import analytics as analytics_queries
from hub.services import catalog
from shared.protocol import format_time
from shared.scoring import csat, nps, smiley_index
from tests.hub.conftest import ADMIN_PASSWORD, PASSWORD, connected, rows
from tests.hub.test_sign_in import csrf_of

FACES = 4  # the default survey's smiley
TODAY = date(2026, 11, 23)  # the test clock's day (conftest.START)
PERIOD = (TODAY - timedelta(days=27), TODAY)
PREVIOUS = (TODAY - timedelta(days=55), TODAY - timedelta(days=28))

# (day, face, nps): B001 gets 36 responses over three days, H002 gets 6 (a small sample)
B001_FEEDBACK = (
    [(date(2026, 11, 20), face, 9) for face in (4, 4, 4, 3, 3, 2, 1, 4, 4, 3, 4, 4)]
    + [(date(2026, 11, 21), face, score) for face, score in zip((1, 2, 2, 3, 4, 1, 1, 2, 3, 4), range(10), strict=True)]
    + [(date(2026, 11, 22), face, 10 if face > 2 else 5) for face in (4, 3, 4, 4, 2, 4, 4, 3, 1, 4, 4, 4, 3, 4)]
)
B001_BEFORE = [(date(2026, 10, 20), face, 6) for face in (1, 2, 2, 3, 1, 4)]
H002_FEEDBACK = [(date(2026, 11, 21), face, 7) for face in (4, 4, 3, 4, 2, 4)]


def send(terminal, feedback) -> None:
    items = []
    for day, face, score in feedback:
        captured = datetime(day.year, day.month, day.day, 10, 30, tzinfo=UTC)  # 11:30 in Berlin
        answers = [
            {"question": "rating", "kind": "smiley", "value": face},
            {"question": "nps", "kind": "nps", "value": score},
        ]
        items.append(terminal.response(captured_at=format_time(captured), answers=answers))
    answer = terminal.post_batch(items)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert all(result["status"] == "accepted" for result in answer.get_json()["results"]), answer.get_json()


@pytest.fixture
def feedback(terminal, other_terminal) -> None:
    send(terminal, B001_FEEDBACK + B001_BEFORE)
    send(other_terminal, H002_FEEDBACK)


@pytest.fixture
def manager(app, clock, store, password_hash) -> User:
    with connected(app):
        user = User.create(
            email="manager@example.org",
            name="Mia Manager",
            role="store_manager",
            password_hash=password_hash,
            active=True,
            created_at=clock().replace(tzinfo=None),
        )
        UserStore.create(user=user, store=store)
    return user


def sign_in(client, email: str, password: str) -> None:
    token = csrf_of(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert answer.status_code == 302


@pytest.fixture
def hq(client, feedback):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    return client


@pytest.fixture
def store_manager(client, feedback, manager):
    sign_in(client, "manager@example.org", PASSWORD)
    return client


# --- the truth, recomputed from the raw tables --------------------------------------------------


def raw_counts(app, question: str, first: date, last: date, store_code: str | None = None) -> dict:
    """{(store code, local day): Counter(number)} from the response and answer tables."""
    found: dict = defaultdict(Counter)
    for code, day, number in rows(
        app,
        "SELECT s.code, r.local_day, a.number FROM response r JOIN answer a ON a.response_id = r.id "
        "JOIN store s ON s.id = r.store_id WHERE a.question = ?",
        (question,),
    ):
        day = day if isinstance(day, date) else date.fromisoformat(day)
        if first <= day <= last and (store_code is None or code == store_code):
            found[(code, day)][number] += 1
    return found


def merged(counts: dict, key=lambda k: True) -> Counter:
    total: Counter = Counter()
    for k, c in counts.items():
        if key(k):
            total.update(c)
    return total


def shown(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


# --- reading the page ---------------------------------------------------------------------------


def page(client, url: str, headers: dict[str, str] | None = None) -> str:
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data().decode("utf-8-sig")  # a CSV download starts with a BOM


def card(html: str, key: str) -> tuple[str, str | None]:
    """(value, n) of an overview card."""
    block = re.search(rf'id="figure-{key}">(.*?)<div class="change">', html, re.S).group(1)
    value = re.search(r'class="figure-value" data-value="([^"]*)"', block).group(1)
    n = re.search(r'class="n">(\d+)<', block)
    return value, n.group(1) if n else None


def table_rows(html: str, table: str, attribute: str) -> dict[str, dict[str, str]]:
    body = re.search(rf'<table id="{table}">(.*?)</table>', html, re.S).group(1)
    found = {}
    for key, row in re.findall(rf'<tr {attribute}="([^"]+)"[^>]*>(.*?)</tr>', body, re.S):
        cells = dict(re.findall(r'<td class="([\w-]+)">(.*?)</td>', row, re.S))
        cells["row"] = row
        found[key] = cells
    return found


def csv_rows(client, url: str) -> list[dict[str, str]]:
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(answer.get_data().decode("utf-8-sig"))))


# --- the numbers --------------------------------------------------------------------------------


def test_the_overview_equals_the_scores_recomputed_from_the_raw_answers(app, hq):
    html = page(hq, "/dashboard")
    ratings = merged(raw_counts(app, "rating", *PERIOD))
    promoters = merged(raw_counts(app, "nps", *PERIOD))
    assert sum(ratings.values()) == len(B001_FEEDBACK) + len(H002_FEEDBACK)
    assert card(html, "smiley_index") == (shown(smiley_index(ratings, FACES).value), str(sum(ratings.values())))
    assert card(html, "nps") == (shown(nps(promoters).value), str(sum(promoters.values())))
    assert card(html, "volume")[0] == shown(float(sum(ratings.values())))
    assert 'id="figure-csat"' not in html  # the default survey asks no CSAT question


def test_the_change_is_against_the_28_days_before(app, hq):
    html = page(hq, "/dashboard")
    now_index = smiley_index(merged(raw_counts(app, "rating", *PERIOD)), FACES).value
    before_index = smiley_index(merged(raw_counts(app, "rating", *PREVIOUS)), FACES).value
    block = re.search(r'id="figure-smiley_index">(.*?)</div>\s*</div>', html, re.S).group(1)
    assert shown(now_index - before_index) in block
    assert f"vs {shown(before_index)} before" in block


def test_counts_and_scores_per_day_equal_the_raw_answers(app, hq):
    trend = table_rows(page(hq, "/dashboard"), "trend-table", "data-start")
    assert len(trend) == 28
    per_day = raw_counts(app, "rating", *PERIOD)
    nps_per_day = raw_counts(app, "nps", *PERIOD)
    for day_text, cells in trend.items():
        day = date.fromisoformat(day_text)
        ratings = merged(per_day, lambda k, day=day: k[1] == day)
        assert cells["smiley-n"] == str(sum(ratings.values()))
        assert cells["smiley"] == shown(smiley_index(ratings, FACES).value)
        assert cells["nps"] == shown(nps(merged(nps_per_day, lambda k, day=day: k[1] == day)).value)
    assert trend["2026-11-21"]["smiley-n"] == "16"  # ten in B001, six in H002


def test_counts_and_scores_per_store_equal_the_raw_answers(app, hq):
    ranking = table_rows(page(hq, "/dashboard"), "ranking-table", "data-code")
    ratings = raw_counts(app, "rating", *PERIOD)
    for code in ("B001", "H002"):
        counts = merged(ratings, lambda k, code=code: k[0] == code)
        assert ranking[code]["n"] == str(sum(counts.values()))
        assert ranking[code]["smiley"] == shown(smiley_index(counts, FACES).value)


def test_one_client_asking_in_german_then_english_then_german_gets_each_ranking_in_its_language(app, hq):
    """A page looks its language up once as it renders (hub/i18n.py) and keeps none of it for
    the next request: texts, figures and intervals each time in the language asked for."""
    score = smiley_index(merged(raw_counts(app, "rating", *PERIOD, store_code="B001")), FACES)
    written = {"en": shown(score.value), "de": shown(score.value).replace(".", ",")}
    interval = {
        "en": f"{shown(score.low)} to {shown(score.high)}",
        "de": f"{shown(score.low)} bis {shown(score.high)}".replace(".", ","),
    }
    heading = {
        "en": "<th>Rank</th><th>Store</th><th>Smiley index</th>",
        "de": "<th>Rang</th><th>Filiale</th><th>Smiley-Index</th>",
    }

    for lang in ("de", "en", "de"):
        html = page(hq, "/dashboard", headers={"Accept-Language": lang})
        row = table_rows(html, "ranking-table", "data-code")["B001"]
        assert row["smiley"] == written[lang] and interval[lang] in row["row"]
        assert heading[lang] in html
    assert written["de"] != written["en"]  # a figure with decimals, so its language shows


def test_a_store_with_fewer_than_30_responses_is_marked_and_listed_after_the_ranked(hq):
    html = page(hq, "/dashboard")
    ranking = table_rows(html, "ranking-table", "data-code")
    assert list(ranking) == ["B001", "H002"]
    assert ranking["B001"]["rank"] == "1"
    assert "small sample" in ranking["H002"]["rank"]
    assert "small sample" not in ranking["B001"]["rank"]


def test_the_ranking_csv_carries_the_same_numbers(app, hq):
    found = {row["code"]: row for row in csv_rows(hq, "/dashboard.csv?view=ranking")}
    ratings = raw_counts(app, "rating", *PERIOD)
    b001 = smiley_index(merged(ratings, lambda k: k[0] == "B001"), FACES)
    assert found["B001"]["rank"] == "1"
    assert found["B001"]["n"] == str(b001.n)
    assert float(found["B001"]["smiley_index"]) == round(b001.value, 1)
    assert float(found["B001"]["low"]) == round(b001.low, 1)
    assert found["H002"]["rank"] == ""
    assert found["H002"]["small_sample"] == "yes"


def test_weekly_and_monthly_trends_hold_every_answer_of_the_period(app, hq):
    total = sum(merged(raw_counts(app, "rating", *PERIOD)).values())
    for grain in ("week", "month"):
        found = csv_rows(hq, f"/dashboard.csv?view=trend&grain={grain}")
        assert sum(int(row["smiley_n"]) for row in found) == total
    weeks = {row["start"]: row for row in csv_rows(hq, "/dashboard.csv?view=trend&grain=week")}
    week = merged(raw_counts(app, "rating", date(2026, 11, 16), date(2026, 11, 22)))
    assert weeks["2026-11-16"]["smiley_n"] == str(sum(week.values()))
    assert float(weeks["2026-11-16"]["smiley_index"]) == round(smiley_index(week, FACES).value, 1)


def test_a_chosen_period_is_compared_with_the_same_number_of_days_before(app, hq):
    html = page(hq, "/dashboard?from=2026-11-21&to=2026-11-22")
    ratings = merged(raw_counts(app, "rating", date(2026, 11, 21), date(2026, 11, 22)))
    assert card(html, "smiley_index") == (shown(smiley_index(ratings, FACES).value), str(sum(ratings.values())))
    assert "compared with 11/19/2026 to 11/20/2026" in html  # English dates (hub/i18n.py)


def test_the_store_page_shows_that_store_and_its_touchpoints(app, hq):
    html = page(hq, "/dashboard/stores/B001")
    ratings = merged(raw_counts(app, "rating", *PERIOD, store_code="B001"))
    assert card(html, "smiley_index") == (shown(smiley_index(ratings, FACES).value), str(sum(ratings.values())))
    touchpoints = table_rows(html, "ranking-table", "data-code")
    assert list(touchpoints) == ["exit"]
    assert touchpoints["exit"]["n"] == str(sum(ratings.values()))


def test_the_charts_are_inline_svg_with_nothing_from_elsewhere(hq):
    html = page(hq, "/dashboard")
    assert html.count("<svg") == 3  # smiley index and NPS over time, the stores
    assert 'class="band"' in html  # the interval of the trend
    assert "<script" not in html
    assert "https://" not in html and "http://cdn" not in html


# --- who sees what ------------------------------------------------------------------------------


def test_hq_sees_every_store(hq):
    ranking = table_rows(page(hq, "/dashboard"), "ranking-table", "data-code")
    assert set(ranking) == {"B001", "H002"}
    assert page(hq, "/dashboard/stores/H002")


def test_a_store_manager_sees_only_their_store(app, store_manager):
    html = page(store_manager, "/dashboard")
    assert set(table_rows(html, "ranking-table", "data-code")) == {"B001"}
    assert "H002" not in html and "Hamburg" not in html
    ratings = merged(raw_counts(app, "rating", *PERIOD, store_code="B001"))
    assert card(html, "smiley_index")[1] == str(sum(ratings.values()))
    assert {row["code"] for row in csv_rows(store_manager, "/dashboard.csv?view=ranking")} == {"B001"}


def test_another_store_answers_not_found_to_a_store_manager(store_manager):
    assert store_manager.get("/dashboard/stores/H002").status_code == 404
    assert store_manager.get("/dashboard.csv?view=trend&store=H002").status_code == 404
    assert store_manager.get("/dashboard.csv?view=ranking&store=H002").status_code == 404
    assert store_manager.get("/dashboard/stores/NOPE").status_code == 404
    assert store_manager.get("/dashboard/stores/B001").status_code == 200


def test_strangers_are_sent_to_sign_in(client):
    for url in ("/dashboard", "/dashboard/stores/B001", "/dashboard.csv?view=trend"):
        answer = client.get(url)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/login")


# --- what a store is called cannot run ----------------------------------------------------------

EVIL = '=HYPERLINK("http://evil.example")<script>alert(1)</script>'


def test_a_store_name_with_markup_is_escaped_in_the_pages(app, hq):
    with connected(app):
        Store.update(name=EVIL).where(Store.code == "H002").execute()
    for url in ("/dashboard", "/dashboard/stores/H002"):
        html = page(hq, url)
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_store_name_that_looks_like_a_formula_is_neutralised_in_the_csv(app, hq):
    with connected(app):
        Store.update(name=EVIL).where(Store.code == "H002").execute()
        Store.update(name="-1+2").where(Store.code == "B001").execute()
    found = {row["code"]: row for row in csv_rows(hq, "/dashboard.csv?view=ranking")}
    assert found["H002"]["name"] == "'" + EVIL
    assert found["B001"]["name"] == "'-1+2"
    assert not found["B001"]["smiley_index"].startswith("'")  # our own numbers stay numbers


# --- the rollup queries -------------------------------------------------------------------------


def test_the_rollup_queries_group_by_store_touchpoint_and_channel_like_the_raw_answers(app, feedback):
    ratings = raw_counts(app, "rating", *PERIOD)
    with connected(app):
        stores = {s.code: s.id for s in Store.select()}
        by_store = analytics_queries.value_counts("rating", *PERIOD, None, "store")
        by_channel = analytics_queries.value_counts("rating", *PERIOD, None, "channel")
        by_touchpoint = analytics_queries.value_counts("rating", *PERIOD, [stores["H002"]], "touchpoint")
        nothing = analytics_queries.value_counts("rating", *PERIOD, [], "store")
    for code, store_id in stores.items():
        expected = merged(ratings, lambda k, code=code: k[0] == code)
        assert {int(v): n for v, n in by_store[store_id].items()} == expected
    assert sum(by_channel["kiosk"].values()) == sum(merged(ratings).values())
    assert list(by_touchpoint.values()) == [{str(v): n for v, n in merged(ratings, lambda k: k[0] == "H002").items()}]
    assert nothing == {}


def test_csat_shows_when_the_survey_asks_it(app, clock, terminal, client):
    with connected(app):
        questions = [*catalog.DEFAULT_SURVEY["questions"], {"id": "satisfied", "kind": "csat", "text": {"en": "?"}}]
        version = catalog.add_survey({**catalog.DEFAULT_SURVEY, "questions": questions}, now=clock()).version
    ratings = (5, 4, 4, 3, 2, 5, 1)
    terminal.post_batch(
        [
            terminal.response(
                survey_version=version,
                answers=[
                    {"question": "rating", "kind": "smiley", "value": 3},
                    {"question": "satisfied", "kind": "csat", "value": value},
                ],
            )
            for value in ratings
        ]
    )
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    raw = merged(raw_counts(app, "satisfied", *PERIOD))
    assert sorted(raw.elements()) == sorted(ratings)
    assert card(page(client, "/dashboard"), "csat") == (shown(csat(raw).value), str(len(ratings)))


def test_the_trend_csv_of_one_store_holds_its_counts_per_day(app, hq):
    found = {row["start"]: row for row in csv_rows(hq, "/dashboard.csv?view=trend&store=H002")}
    per_day = raw_counts(app, "rating", *PERIOD, store_code="H002")
    assert len(found) == 28
    for day_text, row in found.items():
        day = date.fromisoformat(day_text)
        counts = merged(per_day, lambda k, day=day: k[1] == day)
        assert row["smiley_n"] == str(sum(counts.values()))
    assert found["2026-11-21"]["smiley_n"] == str(len(H002_FEEDBACK))


def test_a_store_manager_without_a_store_sees_no_figures(app, client, feedback, manager):
    with connected(app):
        UserStore.delete().where(UserStore.user == manager.id).execute()
    sign_in(client, "manager@example.org", PASSWORD)
    html = page(client, "/dashboard")
    assert card(html, "smiley_index") == ("–", "0")
    assert table_rows(html, "ranking-table", "data-code") == {}
    assert client.get("/dashboard/stores/B001").status_code == 404


def test_without_a_period_the_dashboard_shows_the_last_28_days(hq):
    start, end, before, until = (f"{d.month}/{d.day}/{d.year}" for d in (*PERIOD, *PREVIOUS))
    default = f"{start} to {end}, compared with {before} to {until}"
    assert default in page(hq, "/dashboard")
    assert default in page(hq, "/dashboard?from=&to=")  # an empty field is no choice


def test_regions_rank_by_the_answers_of_their_stores_in_scope(app, clock, feedback, store, other_store, manager):
    from hub.models import Region, UserRegion
    from hub.services import analytics
    from hub.services.access import scope_for

    with connected(app):
        north = Region.create(name="Nord-Ost")
        Store.update(region=north).where(Store.id == store.id).execute()
        hq_scope = scope_for(User.get(User.email == "admin@example.org"))
        regional = User.create(
            email="regional@example.org",
            name="Rita Regional",
            role="regional_manager",
            password_hash="x",
            active=True,
            created_at=clock().replace(tzinfo=None),
        )
        UserRegion.create(user=regional, region=north)
        scales = analytics.survey_scales()
        period = analytics.Period(*PERIOD)
        everyone = {r.name: r for r in analytics.rank_regions(hq_scope, period, scales).rows}
        theirs = analytics.rank_regions(scope_for(regional), period, scales).rows
    truth = raw_counts(app, "rating", *PERIOD)
    north_faces = merged(truth, lambda k: k[0] == "B001")
    assert everyone["Nord-Ost"].score.n == sum(north_faces.values()) == 36
    assert shown(everyone["Nord-Ost"].score.value) == shown(smiley_index(dict(north_faces), FACES).value)
    assert everyone["Nord-Ost"].rank == 1
    # H002 has no region, and too few answers to rank
    assert everyone["No region"].score.n == 6 and everyone["No region"].small_sample
    assert [r.name for r in theirs] == ["Nord-Ost"]


@pytest.mark.parametrize("view", ["trend", "ranking", "regions", "hours", "channels"])
def test_every_dashboard_table_comes_as_json_with_the_csvs_numbers(app, hq, view):
    args = f"view={view}&from={PERIOD[0]}&to={PERIOD[1]}"
    sheet = list(csv.reader(io.StringIO(page(hq, f"/dashboard.csv?{args}"))))
    answer = hq.get(f"/dashboard.json?{args}")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    table = answer.get_json()
    assert table["columns"] == sheet[0]
    assert len(table["rows"]) == len(sheet) - 1 > 0
    for row, line in zip(table["rows"], sheet[1:], strict=True):
        assert ["" if row[c] is None else str(row[c]) for c in table["columns"]] == line


def test_the_overview_ranks_regions_when_the_stores_have_more_than_one(app, hq, store):
    from hub.models import Region

    assert 'id="region-table"' not in page(hq, "/dashboard")  # one group ("No region"): nothing to compare
    with connected(app):
        Store.update(region=Region.create(name="Nord-Ost <b>")).where(Store.id == store.id).execute()
    html = page(hq, "/dashboard")
    regions = table_rows(html, "region-table", "data-code")
    assert len(regions) == 2
    assert "Nord-Ost &lt;b&gt;" in html and "Nord-Ost <b>" not in html
    assert table_rows(html, "ranking-table", "data-code").keys() == {"B001", "H002"}
    # each region's big screen is linked (not "No region", which has none), and it opens
    screens = re.search(r'<p class="dash-nav" id="region-screens">(.*?)</p>', html, re.S).group(1)
    [(link, name)] = re.findall(r'<a href="([^"]+)">([^<]+)</a>', screens)
    assert re.fullmatch(r"/weather/regions/\d+", link) and name == "Nord-Ost &lt;b&gt;"
    assert hq.get(link).status_code == 200
    store_page = page(hq, "/dashboard/stores/B001")
    assert 'href="/weather/stores/B001"' in store_page and hq.get("/weather/stores/B001").status_code == 200


def test_a_store_managers_json_export_of_another_store_is_not_found(store_manager):
    assert store_manager.get("/dashboard.json?view=trend&store=H002").status_code == 404
