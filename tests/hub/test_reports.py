"""Scheduled email reports: each person gets their scope's figures once per period at a real
SMTP server (aiosmtpd), at 07:00 in their time zone, weekly unless they chose daily or off on
/account; figures equal the raw recomputation and store names never become markup.

The test clock starts on Monday 23 November 2026, 09:00 UTC (10:00 in Berlin)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest

from hub.db import database
from hub.jobs import JobRunner
from hub.models import Store, User
from hub.services.reports import queue_reports
from shared.scoring import nps, smiley_index
from tests.hub.alerting import add_person, deliver, sign_in_as, sql
from tests.hub.analytics_data import feedback, raw_counts, send, total
from tests.hub.conftest import connected
from tests.hub.test_sign_in import csrf_of

HUB = "http://hub.example"
WEEK = ("2026-11-16", "2026-11-22")  # Monday to Sunday before the test clock's Monday
B001_WEEK = [(date(2026, 11, d), d % 11, [4, 4, 3, 2, 1, 4]) for d in range(16, 23)]  # 42: ranked
H002_WEEK = [(date(2026, 11, d), 9, [4, 4, 4, 3, 4]) for d in range(16, 23)]  # 35: ranked, better
EVERYONE = {"mia@example.org", "hans@example.org", "rolf@example.org", "ana@example.org", "admin@example.org"}


@pytest.fixture
def week(app, people, terminal, other_terminal, inbox):
    send(terminal, feedback(terminal, B001_WEEK))
    send(other_terminal, feedback(other_terminal, H002_WEEK))
    deliver(app)  # the alerts the bad ratings raised go out first
    inbox.messages.clear()


def queue(app, at: datetime) -> int:
    with connected(app):
        return queue_reports(at, public_url=HUB)


def reports(inbox) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for message in inbox.messages:
        if "report" in message["Subject"]:
            found.setdefault(message["To"], []).append(message)
    return found


def part(message: EmailMessage, kind: str) -> str:
    return message.get_body(preferencelist=(kind,)).get_content()


def line(text: str, label: str) -> str:
    return next(x for x in text.splitlines() if x.startswith(label + ":"))


# --- who gets what, when -------------------------------------------------------------------------


def test_everyone_gets_one_weekly_report_at_the_real_smtp_server(app, clock, week, inbox):
    assert queue(app, clock()) == 5
    assert queue(app, clock()) == 0  # queued once per person and week
    deliver(app)
    deliver(app)

    found = reports(inbox)
    assert set(found) == EVERYONE
    assert all(len(messages) == 1 for messages in found.values())
    assert "11/16/2026–11/22/2026" in found["mia@example.org"][0]["Subject"]  # English dates (hub/i18n.py)


def test_a_store_managers_report_holds_their_stores_figures_recomputed_from_raw(app, clock, week, inbox):
    queue(app, clock())
    deliver(app)
    text = part(reports(inbox)["mia@example.org"][0], "plain")
    faces, scores = total(raw_counts(app, "rating", *WEEK), "B001"), total(raw_counts(app, "nps", *WEEK), "B001")
    open_cases = sql(app, "SELECT COUNT(*) FROM alert_case WHERE state <> 'resolved' AND store_id = ?", (1,))[0][0]

    assert line(text, "Smiley index").startswith(f"Smiley index: {smiley_index(faces, 4).value:.1f} (")
    assert line(text, "Smiley index").endswith(f"n {sum(faces.values())}")
    assert line(text, "NPS").startswith(f"NPS: {nps(scores).value:.1f}")
    assert line(text, "Responses").startswith("Responses: 42,")
    assert f"Open cases: {open_cases} ({HUB}/cases)" in text
    assert open_cases >= 1
    assert "Hamburg" not in text and "Best stores" not in text  # one store: nothing to rank
    assert f"{HUB}/dashboard/stores/B001?from=2026-11-16&to=2026-11-22" in text


def test_hq_sees_every_store_and_the_best_and_worst_of_them(app, clock, week, inbox):
    queue(app, clock())
    deliver(app)
    html = part(reports(inbox)["ana@example.org"][0], "html")
    text = part(reports(inbox)["ana@example.org"][0], "plain")
    h002 = smiley_index(total(raw_counts(app, "rating", *WEEK), "H002"), 4)

    assert "every store" in text
    assert line(text, "Responses").startswith("Responses: 77,")
    best, worst = text.split("Best stores:")[1].split("Needs attention:")
    assert f"1. H002 Hamburg Altona: {h002.value:.1f} (n 35)" in best
    assert "1. B001 Berlin Mitte" in worst
    assert f'href="{HUB}/dashboard?from=2026-11-16&amp;to=2026-11-22"' in html


def test_a_regional_managers_report_covers_the_stores_of_their_region(app, clock, week, inbox):
    queue(app, clock())
    deliver(app)
    text = part(reports(inbox)["rolf@example.org"][0], "plain")

    assert "report for 11/16/2026–11/22/2026, B001 Berlin Mitte." in text.replace("\n", " ")
    assert line(text, "Responses").startswith("Responses: 42,") and "Hamburg" not in text


def test_a_store_manager_without_stores_gets_none(app, clock, week, inbox, people, password_hash):
    with connected(app):
        add_person("new@example.org", "New Manager", "store_manager", password_hash, clock)

    assert queue(app, clock()) == 5
    deliver(app)
    assert "new@example.org" not in reports(inbox)


def test_the_report_names_the_planted_driver_and_what_customers_wrote_about(app, clock, week, inbox):
    queue(app, clock())
    deliver(app)
    text = part(reports(inbox)["mia@example.org"][0], "plain")
    work_on = text.split("What to work on:")[1].split("\n\n")[0].splitlines()
    wrote = text.split("What customers wrote about:")[1].split("\n\n")[0].splitlines()

    # every unhappy B001 response (14 of 42) named the queue, half of them also the staff; the
    # terminal asks only after faces 1-2: no gain, the share of the unhappy asked
    assert work_on[1].startswith("1. “Waiting at the till”: named by 100 % of the 14 unhappy customers asked")
    assert "cannot be estimated" in work_on[1] and "may voice their mood" in work_on[1]
    assert '- "comment" (de): 7 comments, 0 % unhappy' in wrote  # one comment a day, with a happy face


def test_the_report_waits_for_monday_7_oclock_in_the_persons_time_zone(app, week):
    monday = datetime(2026, 11, 23, tzinfo=UTC)

    assert queue(app, monday + timedelta(hours=5, minutes=59)) == 0  # 06:59 in Berlin
    assert queue(app, monday + timedelta(hours=6)) == 3  # 07:00 in Berlin: Mia, Hans, Rolf
    assert queue(app, monday + timedelta(hours=7)) == 2  # 07:00 UTC: HQ
    assert queue(app, monday + timedelta(days=1, hours=8)) == 0  # Tuesday: nothing more
    assert queue(app, monday + timedelta(days=7, hours=8)) == 5  # next Monday: next week


def test_a_weekly_report_missed_on_monday_goes_out_late_until_wednesday(app, week):
    monday = datetime(2026, 11, 23, tzinfo=UTC)
    assert queue(app, monday + timedelta(days=2, hours=22)) == 5  # Wednesday 23:00 in Berlin
    assert queue(app, monday + timedelta(days=3, hours=8)) == 0  # Thursday: sent, and too late anyway
    assert queue(app, monday + timedelta(days=10, hours=8)) == 0  # the next Thursday: that week is missed


def test_a_daily_report_covers_yesterday(app, clock, week, inbox, people):
    with connected(app):
        User.update(report_frequency="daily").where(User.id == people["hans"].id).execute()
    tuesday = datetime(2026, 11, 24, 8, tzinfo=UTC)  # 09:00 in Hamburg

    assert queue(app, clock()) == 5  # Monday: Hans's daily report for Sunday, the others' weekly
    assert queue(app, tuesday) == 1  # Tuesday: only Hans, for Monday
    clock.at = tuesday
    deliver(app)
    subjects = sorted(m["Subject"] for m in reports(inbox)["hans@example.org"])
    assert len(subjects) == 2
    assert "daily report 11/22/2026" in subjects[0] and "daily report 11/23/2026" in subjects[1]


def test_off_sends_none(app, clock, week, inbox, people):
    with connected(app):
        User.update(report_frequency="off").where(User.id.in_([people["mia"].id, people["ana"].id])).execute()

    assert queue(app, clock()) == 3
    deliver(app)
    assert set(reports(inbox)) == EVERYONE - {"mia@example.org", "ana@example.org"}


def test_two_job_processes_queue_each_report_once(app, clock, week, inbox):
    counts: list[int] = []
    start = threading.Barrier(2)

    def job() -> None:
        with app.app_context():
            database.connect(reuse_if_open=True)
            try:
                start.wait()
                counts.append(queue_reports(clock(), public_url=HUB))
            finally:
                database.close()

    workers = [threading.Thread(target=job) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    deliver(app, worker="one")
    deliver(app, worker="two")

    assert len(counts) == 2 and sum(counts) == 5  # both ran to the end; each report queued by one
    assert sql(app, "SELECT COUNT(*) FROM outbox_message WHERE kind = 'report'")[0][0] == 5
    assert all(len(messages) == 1 for messages in reports(inbox).values())


def test_the_reports_job_runs_on_the_job_runner(app, week, inbox):
    assert JobRunner(app, worker="test").run("reports") == 5


def test_a_store_name_with_markup_is_escaped_in_the_email(app, clock, week, inbox, other_store):
    with connected(app):
        Store.update(name='<script>alert("x")</script> & <img src=x onerror=alert(1)>').where(
            Store.id == other_store.id
        ).execute()
    queue(app, clock())
    deliver(app)
    html = part(reports(inbox)["ana@example.org"][0], "html")
    hans = part(reports(inbox)["hans@example.org"][0], "html")

    for body in (html, hans):
        assert "<script" not in body and "<img" not in body
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img" in body


# --- the setting on /account ---------------------------------------------------------------------


def frequency(app, user: User) -> str:
    with connected(app):
        return User.get_by_id(user.id).report_frequency


def test_a_person_chooses_daily_on_the_account_page(app, client, people):
    sign_in_as(client, people["mia"])
    page = client.get("/account").get_data(as_text=True)
    answer = client.post("/account/report", data={"report_frequency": "daily", "csrf_token": csrf_of(page)})

    assert 'value="weekly" checked' in page
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/account")
    assert frequency(app, people["mia"]) == "daily"
    assert 'value="daily" checked' in client.get("/account").get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused(app, client, people):
    sign_in_as(client, people["mia"])

    assert client.post("/account/report", data={"report_frequency": "off"}).status_code == 403
    assert frequency(app, people["mia"]) == "weekly"


def test_an_unknown_frequency_is_refused_and_changes_nothing(app, client, people):
    sign_in_as(client, people["mia"])
    token = csrf_of(client.get("/account").get_data(as_text=True))
    answer = client.post(
        "/account/report", data={"report_frequency": "hourly", "csrf_token": token}, follow_redirects=True
    )

    assert "the report frequency is one of weekly, daily, off" in answer.get_data(as_text=True)
    assert frequency(app, people["mia"]) == "weekly"


def test_strangers_are_sent_to_sign_in(client):
    answer = client.get("/account")

    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
