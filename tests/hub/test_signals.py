"""Signals end to end: responses synced by a real terminal, the hourly job finds a planted drop
with its p-value, a real webhook receiver gets the signed ``signal.detected`` event and the
store manager an email; steady feedback gives no signal; the page is scoped and dismissal is
for HQ admins and the store's managers (both databases)."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.jobs import INTERVALS, JobRunner
from hub.models import OutboxMessage, Signal, Store
from hub.services.alerts.routing import alerts_state
from hub.services.alerts.rules import create_rule
from hub.services.alerts.windows import check_windows
from hub.services.signals import P_FLOOR, check_signals
from shared.errors import RuleError
from tests.hub.alerting import deliver, sign_in_as
from tests.hub.conftest import connected
from tests.support.webhook_receiver import WebhookReceiver

BERLIN = ZoneInfo("Europe/Berlin")
# the clock starts on Monday 23 Nov 2026, 10:00 in Berlin: the window is 16-22 Nov
WINDOW = [date(2026, 11, 16) + timedelta(days=i) for i in range(7)]
BASELINE = [date(2026, 9, 21) + timedelta(days=i) for i in range(56)]
STEADY_DAY = [4, 4, 4, 4, 4, 3, 3, 3, 2, 1]  # 10 answers: 2 unhappy (faces 1-2 of 4)
BAD_DAY = [4] * 7 + [3] * 5 + [2] * 4 + [1] * 4  # 20 answers: 8 unhappy


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.1"  # the receiver is local: allowed, as an operator would
    server = WebhookReceiver().start()
    yield server
    server.stop()


def sync_days(terminal, days: dict[date, list[int]]) -> None:
    """Send each day's faces through the terminal's signed sync, captured at noon local time."""
    items = []
    for day, faces in days.items():
        for i, face in enumerate(faces):
            at = datetime.combine(day, time(12, 0), BERLIN) + timedelta(seconds=i)
            item = terminal.response(rating=face)
            item["captured_at"] = at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            items.append(item)
    for start in range(0, len(items), 400):
        answer = terminal.post_batch(items[start : start + 400])
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert {r["status"] for r in answer.get_json()["results"]} == {"accepted"}


def planted_drop(terminal) -> None:
    sync_days(terminal, {**{d: STEADY_DAY for d in BASELINE}, **{d: BAD_DAY for d in WINDOW}})


def run_job(app, clock) -> list[int]:
    with connected(app):
        return check_signals(clock())


def signals_of(app) -> list[Signal]:
    with connected(app):
        return list(Signal.select().order_by(Signal.kpi))


def signal_rule(app, clock, receiver, **settings):
    with connected(app):
        return create_rule(
            {
                "name": "Signals to the ops channel",
                "kind": "signal",
                "condition": {},
                "webhook_url": receiver.url,
                "email": True,
                "quiet_hours": False,
                **settings,
            },
            now=clock(),
        )


def verifies(secret: str, call) -> bool:
    """What a receiver does, written out independently of the hub's code."""
    parts = dict(item.split("=", 1) for item in call.headers["X-Voxloop-Signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + call.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_a_planted_drop_is_found_with_its_test_and_p_value(app, clock, people, terminal):
    planted_drop(terminal)

    made = run_job(app, clock)

    assert len(made) == 2
    share, index = signals_of(app)[1], signals_of(app)[0]
    assert (share.kpi, index.kpi) == ("unhappy_share", "smiley_index")
    assert (share.window_start, share.window_end) == (WINDOW[0], WINDOW[-1])
    assert (share.baseline_start, share.baseline_end) == (BASELINE[0], BASELINE[-1])
    # 112 of 560 unhappy in the baseline, 56 of 140 in the window; every baseline week alike
    # (14 of 70), so the weeks differ no more than chance and the weekly test is the z-test
    # with the baseline's variance within its weeks and the window's own
    within = 14 * 56 / 70 / 69
    window = 56 * 84 / 140 / 139
    z = (56 / 140 - 112 / 560) / math.sqrt(window / 140 + within / 560)
    assert (share.baseline_value, share.baseline_n, share.current_value, share.current_n) == (20.0, 560, 40.0, 140)
    assert share.p_value == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)), rel=1e-6)  # REAL: 4 bytes on PostgreSQL
    assert share.p_value < 1e-4
    assert share.test == "one-sided z-test on weekly means (8 weeks, no spread beyond chance)"
    # the index: faces weigh -100, -33.3, 33.3, 100 on four faces
    assert index.baseline_value == pytest.approx((5 * 100 + 3 * 100 / 3 - 100 / 3 - 100) / 10)
    assert index.current_value == pytest.approx((7 * 100 + 5 * 100 / 3 - 4 * 100 / 3 - 4 * 100) / 20)
    assert index.test == share.test
    assert index.state == share.state == "open"


def test_an_overwhelming_drop_keeps_its_p_value_at_the_floor(app, clock, client, people, terminal):
    # every answer of the window very unhappy: p is about 1e-69, below what PostgreSQL's REAL holds
    sync_days(terminal, {**{d: STEADY_DAY for d in BASELINE}, **{d: [1] * 20 for d in WINDOW}})
    assert len(run_job(app, clock)) == 2
    assert [s.p_value for s in signals_of(app)] == [pytest.approx(P_FLOOR, rel=1e-6, abs=0)] * 2
    sign_in_as(client, people["admin"])
    assert "&lt; 1e-30" in client.get("/dashboard/signals").get_data(as_text=True)


def test_the_job_runner_runs_the_signal_check_hourly(app, clock, people, terminal):
    planted_drop(terminal)
    runner = JobRunner(app, worker="test-worker")
    assert INTERVALS["signals"] == 3600
    assert len(runner.run("signals")) == 2
    assert runner.run("signals") == []


def test_steady_feedback_gives_no_signal(app, clock, people, terminal):
    sync_days(terminal, {d: STEADY_DAY for d in BASELINE + WINDOW})
    assert run_job(app, clock) == []
    assert signals_of(app) == []


def test_a_drop_is_one_signal_not_one_per_run_or_day(app, clock, people, terminal):
    planted_drop(terminal)
    assert len(run_job(app, clock)) == 2
    clock.advance(hours=1)
    assert run_job(app, clock) == []
    clock.advance(days=1)  # the next window overlaps the signalled one
    assert run_job(app, clock) == []
    assert len(signals_of(app)) == 2


def test_the_signal_reaches_the_webhook_signed_and_the_store_manager_by_email(
    app, clock, people, terminal, receiver, inbox
):
    rule = signal_rule(app, clock, receiver, condition={"kpi_in": ["unhappy_share"]})
    planted_drop(terminal)
    run_job(app, clock)

    run = deliver(app)

    (call,) = receiver.calls  # the rule asks for the unhappy share only
    assert verifies(rule.webhook_secret, call)
    assert not verifies("another secret", call)
    body = json.loads(call.body)
    signal = signals_of(app)[1]
    assert body["event"] == "signal.detected"
    assert body["store"] == {"code": "B001", "name": "Berlin Mitte"}
    assert body["kpi"] == "unhappy_share"
    assert body["values"] == {"current": 40.0, "current_n": 140, "baseline": 20.0, "baseline_n": 560}
    assert body["p_value"] == pytest.approx(signal.p_value)
    assert body["window"] == {"start": "2026-11-16", "end": "2026-11-22"}
    assert body["url"] == f"http://127.0.0.1:8000/dashboard/signals?store=B001#signal-{signal.id}"
    assert call.headers["X-Voxloop-Delivery"] == body["delivery"]
    signal_mail = [m for m in inbox.messages if str(m["Subject"]).strip().startswith("Signal: B001")]
    assert [m["To"] for m in signal_mail] == ["mia@example.org"]
    text = signal_mail[0].get_body(("plain",)).get_content()
    assert "This week (2026-11-16 to 2026-11-22): 40.0 from 140 answers" in text
    assert "Baseline (2026-09-21 to 2026-11-15): 20.0 from 560 answers" in text
    with connected(app):
        sent = OutboxMessage.select().where(OutboxMessage.kind == "signal")
        assert {(m.channel, m.state) for m in sent} == {("webhook", "sent"), ("email", "sent")}
        assert set(run.sent) >= {m.id for m in sent}

    run_job(app, clock)
    deliver(app)
    assert len(receiver.calls) == 1  # sent once


def test_a_signal_rule_for_another_store_stays_silent(app, clock, people, terminal, receiver):
    signal_rule(app, clock, receiver, scope="store", store="H002")
    planted_drop(terminal)
    run_job(app, clock)
    deliver(app)
    assert len(signals_of(app)) == 2
    assert receiver.calls == []


def test_alert_rules_that_did_not_opt_in_get_no_signal(app, clock, people, terminal, receiver):
    with connected(app):
        create_rule(
            {"name": "Bad ratings", "kind": "response", "condition": {"rating_at_most": 1}, "email": False}
            | {"webhook_url": receiver.url, "quiet_hours": False},
            now=clock(),
        )
    planted_drop(terminal)
    run_job(app, clock)
    deliver(app)
    assert all(json.loads(c.body)["event"] == "alert" for c in receiver.calls)
    with connected(app):
        assert not OutboxMessage.select().where(OutboxMessage.kind == "signal").exists()
    assert len(signals_of(app)) == 2


# --- the page ----------------------------------------------------------------------------------


def test_hq_sees_the_signal_with_values_n_test_and_p_value(app, clock, client, people, terminal):
    planted_drop(terminal)
    run_job(app, clock)
    share = signals_of(app)[1]
    sign_in_as(client, people["admin"])

    page = client.get("/dashboard/signals")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'id="signal-{share.id}"' in html
    assert "Berlin Mitte" in html and "Unhappy share (%)" in html
    for day in ("2026-11-16", "2026-11-22", "2026-09-21", "2026-11-15"):  # window and baseline
        assert f'<time datetime="{day}">' in html
    assert ">+20.0<" in html  # 20 percentage points more unhappy
    row = html[html.index(f'id="signal-{share.id}"') :]
    assert '<strong class="current">40.0</strong> (<span class="current-n">140</span>)' in row
    assert '<span class="baseline">20.0</span> (<span class="baseline-n">560</span>)' in row
    assert "one-sided z-test on weekly means" in html
    meaning = html[html.index('id="what-a-signal-means"') :]
    assert "clearly lower than usual" in meaning and "t-test on weekly means" in meaning and "CUSUM" in meaning
    assert f"{share.p_value:.2g}" in html
    rows = client.get("/dashboard/signals.json").get_json()["signals"]
    assert {(r["kpi"], r["current_n"], r["baseline_n"]) for r in rows} == {
        ("unhappy_share", 140, 560),
        ("smiley_index", 140, 560),
    }
    csv_text = client.get("/dashboard/signals.csv").get_data().decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("id,store,store_name,kpi,window_start")
    assert len(csv_text.splitlines()) == 3


def test_a_store_manager_sees_only_their_stores_signals(app, clock, client, people, terminal):
    planted_drop(terminal)
    run_job(app, clock)

    sign_in_as(client, people["hans"])  # manages H002
    assert 'id="signal-' not in client.get("/dashboard/signals").get_data(as_text=True)
    assert client.get("/dashboard/signals.json").get_json() == {"signals": []}
    assert client.get("/dashboard/signals?store=B001").status_code == 404

    sign_in_as(client, people["mia"])  # manages B001
    assert client.get("/dashboard/signals.json").get_json()["signals"][0]["store"] == "B001"


def test_the_stores_manager_dismisses_a_signal(app, clock, client, people, terminal):
    planted_drop(terminal)
    run_job(app, clock)
    share = signals_of(app)[1]
    token = sign_in_as(client, people["mia"])

    answer = client.post(f"/dashboard/signals/{share.id}/dismiss", data={"csrf_token": token})

    assert answer.status_code == 302
    with connected(app):
        kept = Signal.get_by_id(share.id)
    assert (kept.state, kept.dismissed_by_id) == ("dismissed", people["mia"].id)
    assert kept.dismissed_at is not None
    assert f'id="signal-{share.id}"' not in client.get("/dashboard/signals").get_data(as_text=True)
    assert f'id="signal-{share.id}"' in client.get("/dashboard/signals?state=dismissed").get_data(as_text=True)


def test_another_stores_manager_gets_404_and_an_analyst_403_on_dismiss(app, clock, client, people, terminal):
    planted_drop(terminal)
    run_job(app, clock)
    share = signals_of(app)[1]

    token = sign_in_as(client, people["hans"])
    assert client.post(f"/dashboard/signals/{share.id}/dismiss", data={"csrf_token": token}).status_code == 404
    token = sign_in_as(client, people["ana"])
    assert client.post(f"/dashboard/signals/{share.id}/dismiss", data={"csrf_token": token}).status_code == 403
    assert all(s.state == "open" for s in signals_of(app))


def test_dismissing_without_the_csrf_token_is_refused(app, clock, client, people, terminal):
    planted_drop(terminal)
    run_job(app, clock)
    share = signals_of(app)[1]
    sign_in_as(client, people["admin"])

    answer = client.post(f"/dashboard/signals/{share.id}/dismiss")

    assert answer.status_code in (400, 403)
    assert all(s.state == "open" for s in signals_of(app))


# --- rules and message shapes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [{"kpi_in": ["nps"]}, {"kpi_in": []}, {"index_below": 10}, ["smiley_index"]],
)
def test_a_signal_rule_with_a_condition_that_cannot_work_is_refused(app, clock, receiver, condition):
    with connected(app), pytest.raises(RuleError):
        create_rule({"name": "x", "kind": "signal", "condition": condition, "webhook_url": receiver.url}, now=clock())


def test_window_rules_keep_working_beside_a_signal_rule(app, clock, people, terminal, receiver):
    signal_rule(app, clock, receiver)
    with connected(app):
        assert check_windows(clock()) == 0
        book = alerts_state().book.get()
        assert [r.kind for r in book.signal_rules] == ["signal"]
        assert all(r.kind == "window" for r in book.window_rules)


def test_a_slack_signal_escapes_the_store_name(app, clock, people, terminal, receiver):
    with connected(app):
        Store.update(name="<!channel> & Co").where(Store.code == "B001").execute()
    signal_rule(app, clock, receiver, webhook_format="slack", email=False, condition={"kpi_in": ["smiley_index"]})
    planted_drop(terminal)
    run_job(app, clock)
    deliver(app)
    body = json.loads(receiver.calls[0].body)
    assert body["text"].startswith("Signal: B001 &lt;!channel&gt; &amp; Co: Smiley index")
    assert "<!channel>" not in receiver.calls[0].body.decode()
    assert body["blocks"][-1]["elements"][0]["url"].startswith("http://127.0.0.1:8000/dashboard/signals")


def test_a_teams_signal_is_an_adaptive_card(app, clock, people, terminal, receiver):
    signal_rule(app, clock, receiver, webhook_format="teams", email=False, condition={"kpi_in": ["smiley_index"]})
    planted_drop(terminal)
    run_job(app, clock)
    deliver(app)
    card = json.loads(receiver.calls[0].body)["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert "one-sided z-test on weekly means" in card["body"][1]["text"]
    assert card["actions"][0]["url"].startswith("http://127.0.0.1:8000/dashboard/signals")


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_a_store_name_never_becomes_markup_on_the_page_or_in_the_email(
    app, clock, client, people, terminal, receiver, inbox
):
    with connected(app):
        Store.update(name=XSS).where(Store.code == "B001").execute()
    signal_rule(app, clock, receiver, condition={"kpi_in": ["smiley_index"]})
    planted_drop(terminal)
    run_job(app, clock)
    deliver(app)
    sign_in_as(client, people["admin"])

    html = client.get("/dashboard/signals").get_data(as_text=True)
    mail = next(m for m in inbox.messages if "Signal" in str(m["Subject"]))
    mail_html = mail.get_body(("html",)).get_content()

    for text in (html, mail_html):
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "&lt;script&gt;" in text
    assert json.loads(receiver.calls[0].body)["store"]["name"] == XSS  # JSON carries it as data


def test_csv_cells_from_store_names_are_neutralised(app, clock, client, people, terminal):
    with connected(app):
        Store.update(name="=HYPERLINK(1)").where(Store.code == "B001").execute()
    planted_drop(terminal)
    run_job(app, clock)
    sign_in_as(client, people["admin"])
    csv_text = client.get("/dashboard/signals.csv").get_data(as_text=True)
    assert ",=HYPERLINK" not in csv_text
    assert "'=HYPERLINK(1)" in csv_text
