"""Signals on measures: a rule fires when the smiley index falls while a measure moves as it
says, both at once, once per store, rule and window, and tells the store's managers by email
in their language (hub/services/measure_signals.py). Seeded: faces through the terminal's
signed sync, measures through the CSV import."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.jobs import INTERVALS, JobRunner
from hub.models import MeasureSignal, MeasureSignalRule, OutboxMessage, User
from hub.services import measure_signals, measures
from hub.services.access import scope_for
from shared.errors import RequestError
from tests.hub.alerting import deliver, sign_in_as
from tests.hub.conftest import connected
from tests.hub.test_signals import BAD_DAY, STEADY_DAY, sync_days

# the clock starts on Monday 23 Nov 2026, 10:00 in Berlin: the window is 16-22 Nov, its
# baseline the 28 days before
WINDOW = [date(2026, 11, 16) + timedelta(days=i) for i in range(7)]
BASELINE = [date(2026, 10, 19) + timedelta(days=i) for i in range(28)]
STEADY_INDEX = (5 * 100 + 3 * 100 / 3 - 100 / 3 - 100) / 10  # 46.7 on four faces
BERLIN = ZoneInfo("Europe/Berlin")
BAD_INDEX = (7 * 100 + 5 * 100 / 3 - 4 * 100 / 3 - 4 * 100) / 20  # 16.7


def load_queue_minutes(app, clock, store_code: str, per_day: dict[date, float]) -> None:
    """A daily measure of queue minutes through the CSV import, as HQ loads it."""
    lines = ["measure,store,period,value,name,unit,kind,grain"]
    lines += [
        f"queue_minutes,{store_code},{day.isoformat()},{value},Queue minutes,min,duration,day"
        for day, value in per_day.items()
    ]
    with connected(app):
        admin = User.get(User.email == "admin@example.org")
        measures.import_csv(scope_for(admin), "\n".join(lines) + "\n", now=clock(), may_define=True)


def queue_minutes(baseline: float, window: float) -> dict[date, float]:
    return {**{d: baseline for d in BASELINE}, **{d: window for d in WINDOW}}


def faces(baseline: list[int], window: list[int]) -> dict[date, list[int]]:
    return {**{d: baseline for d in BASELINE}, **{d: window for d in WINDOW}}


def add_rule(app, clock, **fields: str) -> MeasureSignalRule:
    form = {
        "name": "Index down, queues up",
        "measure": "queue_minutes",
        "direction": "up",
        "index_drop": "5",
        "measure_change": "30",
        "min_answers": "50",
        "store": "",
        "active": "on",
        **fields,
    }
    with connected(app):
        admin = User.get(User.email == "admin@example.org")
        return measure_signals.save_rule(scope_for(admin), form, now=clock())


def run_job(app, clock) -> list[int]:
    with connected(app):
        return measure_signals.check_measure_signals(clock())


def signals_of(app) -> list[MeasureSignal]:
    with connected(app):
        return list(MeasureSignal.select().order_by(MeasureSignal.id))


def measure_mails(app) -> list[OutboxMessage]:
    with connected(app):
        return list(OutboxMessage.select().where(OutboxMessage.kind == "measure_signal").order_by(OutboxMessage.id))


# --- when a rule fires -------------------------------------------------------------------------


def test_an_index_drop_while_queue_minutes_rise_fires_once_with_both_figures(app, clock, people, terminal, store):
    sync_days(terminal, faces(STEADY_DAY, BAD_DAY))
    load_queue_minutes(app, clock, "B001", queue_minutes(20, 35))  # +75 %
    rule = add_rule(app, clock)

    made = run_job(app, clock)

    assert len(made) == 1
    [signal] = signals_of(app)
    assert (signal.rule_id, signal.store_id) == (rule.id, store.id)
    assert (signal.window_start, signal.window_end) == (WINDOW[0], WINDOW[-1])
    assert (signal.baseline_start, signal.baseline_end) == (BASELINE[0], BASELINE[-1])
    assert signal.index_before == pytest.approx(STEADY_INDEX)
    assert signal.index_now == pytest.approx(BAD_INDEX)
    assert (signal.n_before, signal.n_now) == (280, 140)
    assert (signal.measure_before, signal.measure_now) == (20.0, 35.0)
    assert [m.user_id for m in measure_mails(app)] == [people["mia"].id]

    clock.advance(hours=1)
    assert run_job(app, clock) == []  # the same window again: nothing new
    assert len(signals_of(app)) == 1 and len(measure_mails(app)) == 1


def test_an_index_drop_without_the_measures_change_does_not_fire(app, clock, people, terminal):
    sync_days(terminal, faces(STEADY_DAY, BAD_DAY))
    load_queue_minutes(app, clock, "B001", queue_minutes(20, 24))  # +20 %: below the rule's 30
    add_rule(app, clock)

    assert run_job(app, clock) == []
    assert signals_of(app) == [] and measure_mails(app) == []


def test_the_measures_change_without_an_index_drop_does_not_fire(app, clock, people, terminal):
    sync_days(terminal, faces(STEADY_DAY, STEADY_DAY))
    load_queue_minutes(app, clock, "B001", queue_minutes(20, 60))  # +200 %
    add_rule(app, clock)

    assert run_job(app, clock) == []
    assert signals_of(app) == []


def test_a_falling_measure_does_not_fire_a_rule_that_asks_for_a_rise(app, clock, people, terminal):
    sync_days(terminal, faces(STEADY_DAY, BAD_DAY))
    load_queue_minutes(app, clock, "B001", queue_minutes(40, 10))  # -75 %
    add_rule(app, clock)
    assert run_job(app, clock) == []

    add_rule(app, clock, name="Index down, queues down", direction="down", measure_change="50")
    assert len(run_job(app, clock)) == 1


def test_too_few_answers_do_not_fire(app, clock, people, terminal):
    sync_days(terminal, faces(STEADY_DAY, BAD_DAY))
    load_queue_minutes(app, clock, "B001", queue_minutes(20, 35))
    add_rule(app, clock, min_answers="141")  # the window holds 140

    assert run_job(app, clock) == []


def test_an_inactive_rule_stays_silent(app, clock, people, terminal):
    sync_days(terminal, faces(STEADY_DAY, BAD_DAY))
    load_queue_minutes(app, clock, "B001", queue_minutes(20, 35))
    add_rule(app, clock, active="")

    assert run_job(app, clock) == []


# --- scope -------------------------------------------------------------------------------------


def test_a_rule_for_another_store_does_not_fire_for_this_one(app, clock, people, terminal):
    sync_days(terminal, faces(STEADY_DAY, BAD_DAY))
    load_queue_minutes(app, clock, "B001", queue_minutes(20, 35))
    add_rule(app, clock, store="H002")

    assert run_job(app, clock) == []


def test_the_signal_shows_to_its_stores_people_only(app, clock, client, people, terminal):
    sync_days(terminal, faces(STEADY_DAY, BAD_DAY))
    load_queue_minutes(app, clock, "B001", queue_minutes(20, 35))
    add_rule(app, clock)
    [signal_id] = run_job(app, clock)

    sign_in_as(client, people["mia"])
    page = client.get("/dashboard/signals").get_data(as_text=True)
    assert re.findall(r'data-measure-signal="(\d+)"', page) == [str(signal_id)]
    row = re.search(rf'<tr id="measure-signal-{signal_id}".*?</tr>', page, re.S).group(0)
    assert "Index down, queues up" in row and "(140)" in row and "(280)" in row and "+75.0 %" in row

    sign_in_as(client, people["hans"])  # Hamburg's manager
    assert "data-measure-signal=" not in client.get("/dashboard/signals").get_data(as_text=True)
    assert "data-measure-signal=" not in client.get("/dashboard/signals?store=H002").get_data(as_text=True)


def test_the_analytics_api_lists_the_signal_as_documented_to_its_stores_people_only(
    app, clock, client, people, terminal
):
    from tests.hub.test_openapi import check_answer

    sync_days(terminal, faces(STEADY_DAY, BAD_DAY))
    load_queue_minutes(app, clock, "B001", queue_minutes(20, 35))
    rule = add_rule(app, clock)
    [signal_id] = run_job(app, clock)
    doc = client.get("/api/v1/openapi.json").get_json()

    sign_in_as(client, people["mia"])
    answer = client.get("/api/v1/analytics/measure-signals?store=B001&limit=1")
    check_answer(doc, "GET", "/api/v1/analytics/measure-signals", answer)
    [row] = answer.get_json()["signals"]
    assert answer.get_json()["next"] is None
    assert (row["id"], row["store"], row["rule"]["id"], row["rule"]["direction"]) == (signal_id, "B001", rule.id, "up")
    assert row["measure"]["code"] == "queue_minutes"
    assert (row["measure_before"], row["measure_now"], row["measure_change"]) == (20.0, 35.0, 75.0)
    assert (row["n_before"], row["n_now"]) == (280, 140)
    assert (row["window_start"], row["window_end"]) == (str(WINDOW[0]), str(WINDOW[-1]))

    sign_in_as(client, people["hans"])  # Hamburg's manager
    assert client.get("/api/v1/analytics/measure-signals").get_json()["signals"] == []
    assert client.get("/api/v1/analytics/measure-signals?store=B001").status_code == 404


# --- the email ---------------------------------------------------------------------------------


def test_the_store_manager_gets_an_email_in_their_language_with_both_figures(app, clock, people, terminal, inbox):
    with connected(app):
        User.update(language="de").where(User.id == people["mia"].id).execute()
    sync_days(terminal, faces(STEADY_DAY, BAD_DAY))
    load_queue_minutes(app, clock, "B001", queue_minutes(20, 35))
    add_rule(app, clock)
    run_job(app, clock)

    deliver(app)

    [queued] = measure_mails(app)
    [mail] = [m for m in inbox.messages if m["X-Voxloop-Message"] == str(queued.id)]
    assert mail["To"] == "mia@example.org"
    assert mail["Subject"] == (
        "Signal: B001 Berlin Mitte: Smiley-Index 16,7 gegenüber 46,7, "
        "während sich Queue minutes um +75,0 % verändert hat"
    )
    text = mail.get_body(("plain",)).get_content()
    assert "Smiley-Index, 2026-11-16 bis 2026-11-22: 16,7 aus 140 Antworten" in text
    assert "Smiley-Index, 2026-10-19 bis 2026-11-15: 46,7 aus 280 Antworten" in text
    assert "Queue minutes pro Tag (min), 2026-11-16 bis 2026-11-22: 35,0" in text
    assert "Queue minutes pro Tag (min), 2026-10-19 bis 2026-11-15: 20,0" in text
    assert "Veränderung der Kennzahl: 75,0 %" in text


# --- the job and the admin page ------------------------------------------------------------------


def test_the_job_runner_checks_measure_signals_hourly(app, clock, people, terminal):
    sync_days(terminal, faces(STEADY_DAY, BAD_DAY))
    load_queue_minutes(app, clock, "B001", queue_minutes(20, 35))
    add_rule(app, clock)
    runner = JobRunner(app, worker="test-worker")

    assert INTERVALS["measure_signals"] == 3600
    assert len(runner.run("measure_signals")) == 1
    assert runner.run("measure_signals") == []


def test_hq_sets_a_rule_on_the_admin_page_and_a_bad_one_comes_back_with_the_reason(app, clock, client, people):
    load_queue_minutes(app, clock, "B001", {BASELINE[0]: 10})
    token = sign_in_as(client, people["admin"])
    form = {
        "csrf_token": token,
        "name": "Queues",
        "measure": "queue_minutes",
        "direction": "up",
        "index_drop": "4,5",
        "measure_change": "25",
        "min_answers": "80",
        "store": "B001",
        "active": "on",
    }

    assert client.post("/admin/measure-signals", data=form).status_code == 302
    with connected(app):
        rule = MeasureSignalRule.get()
    assert (rule.name, rule.direction, rule.index_drop, rule.measure_change, rule.min_answers) == (
        "Queues",
        "up",
        4.5,
        25.0,
        80,
    )
    assert rule.active and rule.store_id is not None

    refused = client.post("/admin/measure-signals", data={**form, "name": "Bad", "measure_change": "lots"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "the measure&#39;s change must be a number from 1 to 10000" in page
    assert 'value="Bad"' in page
    with connected(app):
        assert MeasureSignalRule.select().count() == 1

    changed = client.post(f"/admin/measure-signals/{rule.id}", data={**form, "active": ""})
    assert changed.status_code == 302
    with connected(app):
        assert not MeasureSignalRule.get_by_id(rule.id).active


def test_only_hq_admins_set_rules(app, clock, client, people):
    load_queue_minutes(app, clock, "B001", {BASELINE[0]: 10})
    form = {"name": "x", "measure": "queue_minutes", "direction": "up", "index_drop": "5"}
    form |= {"measure_change": "30", "min_answers": "50"}
    token = sign_in_as(client, people["ana"])
    assert client.get("/admin/measure-signals").status_code == 200  # analysts read
    assert client.post("/admin/measure-signals", data={**form, "csrf_token": token}).status_code == 403
    token = sign_in_as(client, people["mia"])
    assert client.get("/admin/measure-signals").status_code == 403
    assert client.post("/admin/measure-signals", data={**form, "csrf_token": token}).status_code == 403
    token = sign_in_as(client, people["admin"])
    assert client.post("/admin/measure-signals", data=form).status_code in (400, 403)  # no CSRF token
    with connected(app):
        assert MeasureSignalRule.select().count() == 0


# --- today so far against the same weekday ------------------------------------------------------

TODAY = date(2026, 11, 23)  # a Monday; the clock is at 10:00 in Berlin: hours 0-9 are complete
SAME_WEEKDAYS = [TODAY - timedelta(days=7 * k) for k in range(1, 5)]


def sync_hours(terminal, days: dict[date, list[int]], hours: tuple[int, ...]) -> None:
    """Each day's faces in each of ``hours`` (Berlin time), through the signed sync."""
    items = []
    for day, faces in days.items():
        for hour in hours:
            for i, face in enumerate(faces):
                at = datetime.combine(day, time(hour, 5), BERLIN) + timedelta(seconds=i)
                item = terminal.response(rating=face)
                item["captured_at"] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                items.append(item)
    for start in range(0, len(items), 400):
        assert terminal.post_batch(items[start : start + 400]).status_code == 200


def load_hourly_queue_minutes(app, clock, per_day: dict[date, float], hours: tuple[int, ...]) -> None:
    lines = ["measure,store,period,value,name,unit,kind,grain"]
    lines += [
        f"queue_minutes,B001,{day.isoformat()}T{hour:02d}:00,{value},Queue minutes,min,duration,hour"
        for day, value in per_day.items()
        for hour in hours
    ]
    with connected(app):
        admin = User.get(User.email == "admin@example.org")
        measures.import_csv(scope_for(admin), "\n".join(lines) + "\n", now=clock(), may_define=True)


MORNING = (8, 9)


def test_today_so_far_against_the_same_weekday_fires_once_in_the_hour_both_hold(app, clock, people, terminal):
    sync_hours(terminal, {**{d: STEADY_DAY for d in SAME_WEEKDAYS}, TODAY: BAD_DAY}, MORNING)
    sync_hours(terminal, {TODAY - timedelta(days=1): BAD_DAY}, MORNING)  # a bad Sunday counts for nothing
    load_hourly_queue_minutes(app, clock, {**{d: 10 for d in SAME_WEEKDAYS}, TODAY: 25}, MORNING)
    add_rule(app, clock, period="today", min_answers="20")

    made = run_job(app, clock)

    [signal] = signals_of(app)
    assert made == [signal.id]
    assert (signal.window_start, signal.window_end) == (TODAY, TODAY)
    assert (signal.baseline_start, signal.baseline_end) == (SAME_WEEKDAYS[-1], SAME_WEEKDAYS[0])
    assert (signal.n_now, signal.n_before) == (40, 80)
    assert signal.index_now == pytest.approx(BAD_INDEX) and signal.index_before == pytest.approx(STEADY_INDEX)
    assert (signal.measure_now, signal.measure_before) == (50.0, 20.0)  # two hours summed per day
    clock.advance(hours=1)
    assert run_job(app, clock) == []  # once a day


def test_today_so_far_without_the_measures_change_does_not_fire(app, clock, people, terminal):
    sync_hours(terminal, {**{d: STEADY_DAY for d in SAME_WEEKDAYS}, TODAY: BAD_DAY}, MORNING)
    load_hourly_queue_minutes(app, clock, {**{d: 10 for d in SAME_WEEKDAYS}, TODAY: 11}, MORNING)
    add_rule(app, clock, period="today", min_answers="20")

    assert run_job(app, clock) == []


def test_hours_not_yet_complete_are_left_out_of_today(app, clock, people, terminal):
    # the 10 o'clock hour has begun (the clock is at 10:00): its answers and values wait
    sync_hours(terminal, {**{d: STEADY_DAY for d in SAME_WEEKDAYS}, TODAY: STEADY_DAY}, MORNING)
    load_hourly_queue_minutes(app, clock, {**{d: 10 for d in SAME_WEEKDAYS}, TODAY: 10}, MORNING)
    load_hourly_queue_minutes(app, clock, {TODAY: 500}, (10,))
    add_rule(app, clock, period="today", min_answers="20")

    assert run_job(app, clock) == []


def test_a_today_rule_needs_an_hourly_measure(app, clock, people):
    load_queue_minutes(app, clock, "B001", {BASELINE[0]: 10})  # daily
    with pytest.raises(RequestError, match="today so far needs an hourly measure"):
        add_rule(app, clock, period="today")
