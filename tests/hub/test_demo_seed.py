"""``voxloop demo seed``: the seeded fleet and feedback land completely, their rollups are what
ingest would have counted (a recount from the raw rows, and the same responses sent through
the real terminal and phone paths), the same seed gives the same data, the planted driver and
drop are there to be found, progress is shown, and a hub with responses is not seeded twice."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from hub.queries.rollups import TABLES
from hub.seed.generator import DROP_DAYS, Generator, Plan
from hub.seed.writer import seed
from hub.services.qr_tokens import QrKeys, make_phone_token
from hub.services.rollups import rebuild_rollups
from shared.errors import AlreadyExists
from tests.hub.conftest import connected, count, enroll_terminal, rows
from tests.mobile_web.conftest import SECRET, ticket
from voxloop_cli import main

END = date(2026, 11, 22)  # the day before the test clock's today
SMALL = Plan(stores=3, days=14, per_day=20, seed=7, end=END)


def seeded(app, clock, plan: Plan = SMALL) -> tuple[object, str]:
    out = io.StringIO()
    with connected(app):
        report = seed(plan, now=clock(), out=out)
    return report, out.getvalue()


def generated(plan: Plan) -> list:
    return [r for _day, responses in Generator(plan).days() for r in responses]


def snapshot(app) -> dict[str, list[tuple]]:
    found = {}
    for table in TABLES:
        found[table] = sorted(
            tuple(str(v)[:10] if hasattr(v, "year") else v for v in row) for row in rows(app, f"SELECT * FROM {table}")
        )
    return found


def assert_same_rollups(found: dict[str, list[tuple]], expected: dict[str, list[tuple]]) -> None:
    """Equal counts; summed sentiments equal up to float rounding (PostgreSQL's REAL is a
    4-byte float, so sums added in other groupings differ in the last digits)."""
    assert found.keys() == expected.keys()
    for table, wanted in expected.items():
        got = found[table]
        assert len(got) == len(wanted), table
        for a, b in zip(got, wanted, strict=True):
            assert [v for v in a if not isinstance(v, float)] == [v for v in b if not isinstance(v, float)], table
            assert [v for v in a if isinstance(v, float)] == pytest.approx(
                [v for v in b if isinstance(v, float)], rel=1e-5, abs=1e-4
            ), table


def test_the_seed_writes_the_fleet_and_every_generated_response(app, clock):
    report, _ = seeded(app, clock)
    expected = generated(SMALL)
    assert report.responses == len(expected) == count(app, "response")
    assert count(app, "answer") == sum(len(r.answers()) for r in expected) == report.answers
    assert rows(app, "SELECT code, time_zone FROM store ORDER BY code") == [
        (s.code, s.time_zone) for s in Generator(SMALL).stores
    ]
    assert count(app, "touchpoint") == 6 and count(app, "terminal") == 3
    # every day of the plan but Sundays, when these three (not station) stores are closed
    days = {str(day)[:10] for (day,) in rows(app, "SELECT DISTINCT local_day FROM response")}
    planned = [SMALL.start + timedelta(days=i) for i in range(SMALL.days)]
    assert days == {str(day) for day in planned if day.weekday() != 6}
    # terminal responses carry the terminal's running sequence, phone responses none
    for store_id, last_seq, ranges in rows(app, "SELECT store_id, last_seq, seq_ranges FROM terminal"):
        kiosk = rows(
            app, "SELECT COUNT(*), MAX(seq) FROM response WHERE store_id = ? AND channel = 'kiosk'", (store_id,)
        )
        assert kiosk[0] == (last_seq, last_seq) and json.loads(ranges) == [[1, last_seq]]
    assert rows(app, "SELECT COUNT(*) FROM response WHERE channel = 'qr' AND seq IS NOT NULL")[0][0] == 0
    assert {channel for (channel,) in rows(app, "SELECT DISTINCT channel FROM response")} == {"kiosk", "qr"}


def test_seeded_rollups_equal_a_recount_from_the_raw_responses(app, clock):
    seeded(app, clock)
    written = snapshot(app)
    assert all(written[table] for table in TABLES)
    with connected(app):
        rebuild_rollups(chunk=500)
    assert_same_rollups(snapshot(app), written)
    # and, independently of the accumulator: every smiley answer per store, day and channel,
    # those of suspect responses in suspect_daily only
    raw = rows(
        app,
        "SELECT r.store_id, r.local_day, r.channel, a.number, r.flags FROM response r "
        "JOIN answer a ON a.response_id = r.id WHERE a.question = 'rating'",
    )
    scores = rows(app, "SELECT store_id, day, channel, v1, v2, v3, v4 FROM score_daily WHERE question = 'rating'")
    from_raw = Counter((s, str(d)[:10], c, face) for s, d, c, face, flags in raw if "suspect" not in flags.split())
    suspect_raw = Counter((s, str(d)[:10], c, face) for s, d, c, face, flags in raw if "suspect" in flags.split())
    from_rollup = Counter()
    for s, d, c, *faces in scores:
        for face, n in enumerate(faces, 1):
            if n and s != 0:
                from_rollup[(s, str(d)[:10], c, face)] = n
    assert from_rollup == from_raw
    suspect = rows(app, "SELECT store_id, day, channel, value, count FROM suspect_daily WHERE question = 'rating'")
    assert suspect_raw and Counter({(s, str(d)[:10], c, int(v)): n for s, d, c, v, n in suspect}) == suspect_raw


def test_seeded_rollups_equal_what_terminal_and_phone_ingest_count(app, client, clock):
    """The seed's counts for one store-week, then the same responses sent again through the
    sync API (terminal ones) and the phone page (phone ones) into the emptied tables."""
    plan = Plan(stores=1, days=3, per_day=25, seed=3, end=END)
    seeded(app, clock, plan)
    written = snapshot(app)
    with connected(app):
        from hub.db import database

        for table in (*TABLES, "answer", "response"):
            database.execute_sql(f"DELETE FROM {table}")
    terminal = enroll_terminal(app, client, clock, "S001")
    responses = generated(plan)
    kiosk = [r.wire("S001") for r in responses if r.channel == "kiosk"]
    for start in range(0, len(kiosk), 50):
        results = terminal.post_batch(kiosk[start : start + 50]).get_json()["results"]
        assert {r["status"] for r in results} == {"accepted"}
    token = make_phone_token(QrKeys.from_config({"SECRET_KEY": SECRET}), "S001", "poster")
    phone = [r.wire("S001") for r in responses if r.channel == "qr"]
    assert phone
    for number, item in enumerate(phone):
        body = {"response": item, "ticket": ticket(token, clock() - timedelta(minutes=5))}
        address = {"REMOTE_ADDR": f"198.51.{number // 250}.{number % 250 + 1}"}  # each on a phone of its own
        answer = client.put(f"/api/v1/phone/{token}/responses/{item['id']}", json=body, environ_base=address)
        assert answer.status_code in (200, 201), answer.get_json()
    assert_same_rollups(snapshot(app), written)


def test_the_same_seed_gives_the_same_responses_and_another_seed_others():
    def fingerprint(plan: Plan) -> list[tuple]:
        return [(r.id, r.store, r.captured_at, r.face, r.reasons, r.nps, r.comment) for r in generated(plan)]

    first = fingerprint(SMALL)
    assert fingerprint(SMALL) == first
    other = fingerprint(Plan(stores=3, days=14, per_day=20, seed=8, end=END))
    assert not set(other) & set(first)


def test_the_planted_driver_shows_in_the_rollups(app, clock):
    """Customers who name the queue mostly gave an unhappy face, and more so at peak hours;
    those who name the staff mostly a happy one. German and English comments carry the words."""
    seeded(app, clock, Plan(stores=3, days=14, per_day=60, seed=1, end=END))
    by_option = {
        option: (v1 + v2, v3 + v4)
        for option, v1, v2, v3, v4 in rows(
            app,
            "SELECT option, SUM(v1), SUM(v2), SUM(v3), SUM(v4) FROM reason_daily "
            "WHERE store_id = 0 AND question = 'reason' GROUP BY option",
        )
    }
    unhappy, happy = by_option["queue"]
    assert unhappy > 3 * happy
    unhappy, happy = by_option["staff"]
    assert happy > 2 * unhappy
    # more unhappy faces in the busy hours (lunch, after work) than in the quiet ones
    faces = {
        hour: (n, low)
        for hour, n, low in rows(
            app, "SELECT hour, SUM(n), SUM(v1 + v2) FROM hour_daily WHERE store_id = 0 GROUP BY hour"
        )
    }

    def unhappy(hours: tuple[int, ...]) -> float:
        return sum(faces[h][1] for h in hours) / sum(faces[h][0] for h in hours)

    assert unhappy((12, 13, 17, 18)) > unhappy((9, 10, 14, 15, 20)) + 0.04
    terms = {(language, term) for language, term in rows(app, "SELECT DISTINCT language, term FROM term_daily")}
    assert ("de", "wartezeit") in terms and ("en", "queue") in terms
    assert ("de", "freundliche mitarbeiter") in terms or ("de", "mitarbeiter") in terms


def test_a_planted_drop_lowers_one_store_in_the_last_days():
    plan = Plan(stores=3, days=40, per_day=60, seed=7, end=END, plant_drop=True)
    generator = Generator(plan)
    responses = [r for _day, day in generator.days() for r in day if not r.suspect]
    cutoff = END - timedelta(days=DROP_DAYS - 1)

    def unhappy_share(store: int, recent: bool) -> float:
        faces = [r.face for r in responses if r.store == store and (r.day >= cutoff) == recent]
        return sum(face <= 2 for face in faces) / len(faces)

    dropped = generator.drop.index
    assert unhappy_share(dropped, recent=True) > unhappy_share(dropped, recent=False) + 0.2
    for other in {0, 1, 2} - {dropped}:
        assert abs(unhappy_share(other, recent=True) - unhappy_share(other, recent=False)) < 0.1


def test_suspect_responses_hold_a_random_face_and_nothing_else():
    responses = generated(Plan(stores=2, days=60, per_day=50, seed=7, end=END))
    suspect = [r for r in responses if r.suspect]
    assert 0 < len(suspect) < 0.01 * len(responses)
    assert all(r.channel == "kiosk" and r.answers() == [("rating", "smiley", r.face, None)] for r in suspect)


def test_the_seed_shows_its_progress(app, clock):
    report, progress = seeded(app, clock)
    assert "seeding responses" in progress
    last = progress.strip().splitlines()[-1]
    assert "100.0%" in last and f"{report.responses:,}" in last and "/s" in last and "ETA" in last


def test_seeding_a_hub_that_holds_responses_is_refused(app, clock):
    seeded(app, clock)
    before = count(app, "response")
    with pytest.raises(AlreadyExists, match="holds responses already"):
        seeded(app, clock, Plan(stores=1, days=1, per_day=5, seed=2, end=END))
    assert count(app, "response") == before


def test_the_command_seeds_and_then_refuses_a_second_time(app, tmp_path, monkeypatch):
    monkeypatch.setenv("VOXLOOP_INSTANCE_PATH", str(tmp_path / "cli"))
    url = app.config["DATABASE_URL"]
    command = ["demo", "seed", "--stores", "2", "--days", "3", "--per-day", "10", "--end", "2026-11-22"]
    result = CliRunner().invoke(main, [*command, "--database-url", url, "--plant-drop"])
    assert result.exit_code == 0, result.output
    assert "seeded 2 stores" in result.output and "planted a drop at store S00" in result.output
    assert "seeding responses" in result.stderr
    again = CliRunner().invoke(main, [*command, "--database-url", url])
    assert again.exit_code == 1 and "holds responses already" in again.output
