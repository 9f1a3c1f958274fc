"""The morning of issue 14, replayed with real processes: a hub (`voxloop hub serve`) with a
demo-like history (`voxloop demo seed`), the jobs process (`voxloop hub jobs`) running, and a
store manager's inbox on a real SMTP server (aiosmtpd).

Before the store opens, bad ratings come in, alerts wait for the opening, a window rule makes a
case of unhappy customers, and the manager resolves two cases and acknowledges a third from the
case API. Complaints keep coming, among them one a terminal kept offline for two days. When the
store opens, every email that arrives is checked against the database: the case it names, that
case's state and the responses it lists. Nothing goes out for the resolved cases; the new
complaints arrive under the new cases that hold them; the acknowledged case reports only what
came after the acknowledgement.

The hub runs on a clock of its own (tests/support/clock.py), a Wednesday early morning in
Berlin; its processes start ``BEFORE_OPENING_TIME`` before the store opens, whatever the hour of
the run."""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from shared.ids import uuid7
from shared.protocol import format_time, make_batch
from tests.e2e.processes import free_port, hub_app, running, wait_for
from tests.e2e.test_alert_delivery import MANAGER_PASSWORD, enrolled_terminal, hub_env, set_up_hub, signed_in
from tests.e2e.test_terminal_sync import VOXLOOP, voxloop
from tests.support.clock import ProcessClock
from tests.support.mail import Inbox, text_of

pytestmark = pytest.mark.e2e
BEFORE_OPENING = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # Wednesday 07:00 in Berlin
MANAGER = "manager0@example.org"
BERLIN = ZoneInfo("Europe/Berlin")
# from the hub's start to the store's opening: room for the night's events, which must all be
# in before it (they took 10-12 s on SQLite and PostgreSQL on a quiet machine: four times that)
BEFORE_OPENING_TIME = timedelta(seconds=45)


@pytest.fixture
def inbox():
    server = Inbox().start()
    yield server
    server.stop()


def tap(seq: int, face: int, comment: str, at: datetime, contact: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": uuid7(at, secrets.token_bytes(10)),
        "v": 1,
        "channel": "kiosk",
        "store": "B001",
        "touchpoint": "exit",
        "survey": "exit",
        "survey_version": 1,
        "captured_at": format_time(at),
        "locale": "de",
        "seq": seq,
        "answers": [
            {"question": "rating", "kind": "smiley", "value": face},
            {"question": "comment", "kind": "text", "value": comment},
        ],
    }
    if contact:
        item["contact"] = {"address": contact, "consent": True}
    return item


def opening_after(moment: datetime, margin: timedelta) -> datetime:
    """The first whole minute at least ``margin`` after ``moment`` (opening hours name minutes)."""
    later = moment + margin
    whole = later.replace(second=0, microsecond=0)
    return whole if whole == later else whole + timedelta(minutes=1)


def case_of(comment: str) -> int | None:
    from hub.db import database

    p = database.param
    rows = database.execute_sql(
        f"SELECT cr.case_id FROM case_response cr JOIN answer a ON a.response_id = cr.response_id WHERE a.text = {p}",
        (comment,),
    ).fetchall()
    assert len(rows) <= 1, f"{comment!r} is in {len(rows)} cases"
    return rows[0][0] if rows else None


def alerts(inbox: Inbox) -> list[Any]:
    """The store manager's alert emails (the daily digest comes too)."""
    return [m for m in inbox.to(MANAGER) if "[case #" in m["Subject"]]


def cases_api(session: requests.Session, base: str) -> dict[int, dict[str, Any]]:
    answer = session.get(f"{base}/api/v1/cases?state=all", timeout=10)
    assert answer.status_code == 200, answer.text
    return {c["id"]: c for c in answer.json()["cases"]}


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_emails_after_resolutions_name_the_case_their_responses_are_in(request, engine, tmp_path, inbox):
    database_url = None
    if engine == "postgres":
        server = request.getfixturevalue("postgres_server")
        if server is None:
            request.getfixturevalue("postgres_url")  # skips or fails with the reason
        database_url = server.create_database(f"e2e_cases_{secrets.token_hex(4)}")
    clock = ProcessClock.starting_at(BEFORE_OPENING)
    port = free_port()
    env = hub_env(tmp_path, inbox, port, clock, database_url)
    set_up_hub(env, tmp_path, clock)
    seeded = voxloop("demo", "seed", "--stores", "2", "--days", "14", "--per-day", "20", env=env, cwd=tmp_path)
    assert "seeded 2 stores" in seeded
    # the processes' clock goes on to ``BEFORE_OPENING_TIME`` before a whole minute, when the store opens
    opening = opening_after(clock(), BEFORE_OPENING_TIME)
    clock = ProcessClock.starting_at(opening - BEFORE_OPENING_TIME)
    env.update(clock.env)
    opens = opening.astimezone(BERLIN).strftime("%H:%M")
    with hub_app(env):
        from hub.models import Store, User

        Store.update(opening_hours={d: [[opens, "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}).where(
            Store.code == "B001"
        ).execute()
        User.update(name="Mia Manager").where(User.email == MANAGER).execute()

    base = f"http://127.0.0.1:{port}"
    hub_log, jobs_log = tmp_path / "hub.log", tmp_path / "jobs.log"
    with running([*VOXLOOP, "hub", "serve", "--port", str(port), "--without-jobs"], cwd=tmp_path, env=env, log=hub_log):
        wait_for(lambda: requests.get(base + "/healthz", timeout=2).ok, 60, "the hub", hub_log)
        terminal = enrolled_terminal(base, env, tmp_path)
        manager, token = signed_in(base, MANAGER, MANAGER_PASSWORD)

        # the night: a very unhappy pair, four unhappy ones for the window rule, a call-back request
        night = [tap(1, 1, "night 1", clock()), tap(2, 1, "night 2", clock())]
        night += [tap(3 + i, 2, f"window old {i}", clock()) for i in range(4)]
        night.append(tap(7, 3, "call me please", clock(), contact="kunde@example.com"))
        assert {r["status"] for r in terminal.sync(make_batch(night), now=clock()).body["results"]} == {"accepted"}

        with running([*VOXLOOP, "hub", "jobs"], cwd=tmp_path, env=env, log=jobs_log):
            with hub_app(env):
                wait_for(lambda: case_of("window old 0") is not None, 30, "the window rule's case", jobs_log)
                first, window_first, callback = case_of("night 1"), case_of("window old 0"), case_of("call me please")
            assert len({first, window_first, callback}) == 3
            for case_id in (first, window_first):
                done = manager.post(
                    f"{base}/api/v1/cases/{case_id}/resolve",
                    json={"category": "fixed_in_store", "note": "talked to the team"},
                    headers={"X-CSRF-Token": token},
                    timeout=10,
                )
                assert done.status_code == 200, done.text
            acknowledged = manager.post(
                f"{base}/api/v1/cases/{callback}/acknowledge", headers={"X-CSRF-Token": token}, timeout=10
            )
            assert acknowledged.status_code == 200, acknowledged.text
            assert not alerts(inbox)  # everything waits for the opening

            # complaints keep coming: two new ones, one a terminal kept for two days, four unhappy
            # ones, and a second call-back request for the case being worked
            later = [tap(8, 1, "morning 1", clock()), tap(9, 1, "morning 2", clock())]
            later.append(tap(10, 1, "kept offline", clock() - timedelta(days=2, hours=1)))
            later += [tap(11 + i, 2, f"window new {i}", clock()) for i in range(4)]
            later.append(tap(15, 3, "call me again", clock(), contact="kunde2@example.com"))
            results = terminal.sync(make_batch(later), now=clock()).body["results"]
            assert {r["status"] for r in results} == {"accepted"}

            wait_for(lambda: len(alerts(inbox)) >= 3, 240, "three alert emails at the opening", jobs_log)
            time.sleep(3)  # anything more (an email for a resolved case) would arrive meanwhile
            mails = alerts(inbox)
            with hub_app(env):
                from hub.models import Case, OutboxMessage

                expected = {
                    case_of("morning 1"): {"morning 1", "morning 2", "kept offline"},
                    case_of("window new 0"): {f"window new {i}" for i in range(4)},
                    callback: {"call me again"},
                }
                states = {c.id: c.state for c in Case.select()}
                withdrawn = {
                    m.case_id: m.last_error for m in OutboxMessage.select().where(OutboxMessage.state == "withdrawn")
                }
                links = Case._meta.database.execute_sql(
                    "SELECT COUNT(*), COUNT(DISTINCT response_id) FROM case_response"
                ).fetchone()
            api = cases_api(manager, base)

    assert len(expected) == 3 and not ({first, window_first} & set(expected))
    seen = {}
    for mail in mails:
        case_id = int(mail["X-Voxloop-Case"])
        text = text_of(mail)
        listed = set(re.findall(r'^  "(.+)"\r?$', text, re.M))
        count = re.search(r"\((\d+) new responses\)", mail["Subject"])
        assert f"[case #{case_id}" in mail["Subject"]
        assert states[case_id] != "resolved", mail["Subject"]
        assert f"Case #{case_id} ({states[case_id]})" in text
        assert listed == expected[case_id], (mail["Subject"], listed)
        assert (int(count.group(1)) if count else 1) == len(listed)
        assert api[case_id]["state"] == states[case_id]
        seen[case_id] = (mail, text)
    assert sorted(seen) == sorted(expected) and len(mails) == 3  # one email per case, none for resolved ones

    assert states[first] == states[window_first] == "resolved"
    assert withdrawn == {
        first: f"case #{first} was resolved before this message went out",
        window_first: f"case #{window_first} was resolved before this message went out",
    }
    mail, text = seen[callback]
    assert f"[case #{callback}, acknowledged]" in mail["Subject"] and "Acknowledged by Mia Manager" in text
    assert "/ack/" not in text  # someone is on it already
    mail, text = seen[case_of_morning := next(c for c, want in expected.items() if "morning 1" in want)]
    assert re.search(r"sent 2 days later: terminal was offline, received \w{3} 25 Nov 07:0\d", text), text
    assert f"Case #{case_of_morning} (open): 3 responses in the case, 3 new listed here." in text
    assert links[0] == links[1]  # every response in at most one case
