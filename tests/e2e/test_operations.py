"""Operations end to end, as deploy/ runs the hub: gunicorn with deploy/gunicorn.conf.py (two
workers on PostgreSQL, the one process of SQLite) and `voxloop hub jobs`, a real SMTP server
(aiosmtpd), on SQLite and PostgreSQL.

A full day's traffic in small: a manager signs in, a terminal sends a batch (a rating of 1 with
a contact address) and sends it again, a phone answers with a phone number to call back until
the rate limit refuses it, the manager's alert email arrives and its link acknowledges the case.
Then:

- /metrics, scraped with the bearer token and read by prometheus_client's own text parser,
  tells exactly that: the items by result, the syncs, the phone answers and refusals, every
  answer of both workers, the outbox empty, every job's last run, the terminal; and it shows
  every metric that the example alert rules (deploy/prometheus/voxloop-alerts.yml) ask for;
- /readyz goes unready when SMTP is down and a due alert is stuck (and ready again once it is
  sent), and when the jobs process stops (its heartbeat goes stale);
- every line that gunicorn, the hub and the jobs wrote is a JSON object, the jobs logged at
  INFO, and no line holds the secret key, a password, the metrics token, the QR token, the page
  ticket, the session cookie, the acknowledge link's token or a contact.
"""

from __future__ import annotations

import json
import re
import secrets
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from hub.jobs import DELIVERY_JOBS, INTERVALS
from shared.ids import uuid7
from shared.protocol import format_time, make_batch
from tests.e2e.processes import free_port, hub_app, running, wait_for
from tests.e2e.test_alert_delivery import (
    MANAGER_PASSWORD,
    bad_rating,
    clock,
    enrolled_terminal,
    hub_env,
    inbox,
    set_up_hub,
    signed_in,
)
from tests.e2e.test_terminal_sync import VOXLOOP
from tests.support.mail import text_of

pytestmark = pytest.mark.e2e
__all__ = ["clock", "inbox"]  # fixtures of the alert specification, used here by name
ROOT = Path(__file__).resolve().parents[2]
METRICS_TOKEN = "metrics-" + secrets.token_urlsafe(24)
TERMINAL_CONTACT = "callback.shopper@example.net"
PHONE_CONTACT = "+49 170 5550123"


def scrape(base: str, ids: list[str] | None = None) -> dict[tuple[str, tuple], float]:
    """/metrics read by prometheus_client's parser; the scrape's request id goes to ``ids``."""
    answer = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    if ids is not None:
        ids.append(answer.headers["X-Request-Id"])
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def sql(env: dict[str, str], statement: str, params: tuple = ()) -> object:
    """One value read from the hub's database."""
    with hub_app(env):
        from hub.db import database, db_time

        values = tuple(db_time(v) if hasattr(v, "tzinfo") else v for v in params)
        return database.execute_sql(statement.replace("?", database.param), values).fetchone()[0]


def readyz(base: str) -> tuple[int, dict]:
    answer = requests.get(f"{base}/readyz", timeout=10)
    return answer.status_code, answer.json()


def json_lines(*logs: Path) -> list[dict]:
    lines = []
    for log in logs:
        for number, text in enumerate(log.read_text().splitlines(), 1):
            try:
                lines.append(json.loads(text))
            except json.JSONDecodeError:
                raise AssertionError(f"{log.name}:{number} is not a JSON object: {text!r}") from None
            assert isinstance(lines[-1], dict), f"{log.name}:{number}: {text!r}"
    return lines


def served_ticket(base: str, token: str) -> str:
    """The ticket of a freshly served phone page (each page sends one response)."""
    page = requests.get(f"{base}/m/{token}", timeout=10)
    return re.search(r'name="ticket" value="([^"]+)"', page.text).group(1)


def phone_answer(base: str, token: str, ticket: str, clock, contact: str | None = None) -> requests.Response:
    now = clock()
    item = {
        "id": uuid7(now, secrets.token_bytes(10)),
        "v": 1,
        "channel": "qr",
        "store": "B001",
        "touchpoint": "exit",
        "survey": "exit",
        "survey_version": 1,
        "captured_at": format_time(now),
        "locale": "en",
        "answers": [{"question": "rating", "kind": "smiley", "value": 2}],
    }
    if contact:
        item["contact"] = {"address": contact, "consent": True}
    return requests.put(
        f"{base}/api/v1/phone/{token}/responses/{item['id']}",
        json={"response": item, "ticket": ticket},
        timeout=10,
    )


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_metrics_logs_and_readiness_of_a_deployed_hub(request, engine, tmp_path, inbox, clock):
    database_url = None
    if engine == "postgres":
        server = request.getfixturevalue("postgres_server")
        if server is None:
            request.getfixturevalue("postgres_url")  # skips or fails with the reason
        database_url = server.create_database(f"e2e_ops_{secrets.token_hex(4)}")
    port = free_port()
    env = hub_env(tmp_path, inbox, port, clock, database_url)
    env.update(
        {
            "VOXLOOP_SECRET_KEY": secrets.token_urlsafe(32),
            "VOXLOOP_BIND": f"127.0.0.1:{port}",
            "VOXLOOP_METRICS_TOKEN": METRICS_TOKEN,
            "VOXLOOP_PHONE_RATE_PER_ADDRESS": "3",
            "VOXLOOP_JOBS_HEARTBEAT_SECONDS": "1",
            "VOXLOOP_JOBS_STALE_SECONDS": "5",
            "VOXLOOP_OUTBOX_STUCK_SECONDS": "4",
            "VOXLOOP_ALERT_RETRY_BASE_SECONDS": "1",
            "VOXLOOP_ALERT_RETRY_MAX_SECONDS": "1",
            "VOXLOOP_DIGEST_HOUR": "-1",
            "PYTHONPATH": str(ROOT),  # this checkout's hub, whatever the environment has installed
            # two workers on PostgreSQL (the configuration's 2 x cores + 1 would crowd the machine)
            "GUNICORN_CMD_ARGS": "--workers 2" if engine == "postgres" else "",
        }
    )
    admin_password = set_up_hub(env, tmp_path, clock, stores=2)
    base = f"http://127.0.0.1:{port}"
    hub_log, jobs_log = tmp_path / "gunicorn.log", tmp_path / "jobs.log"
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
    with running(gunicorn, cwd=tmp_path, env=env, log=hub_log):
        wait_for(lambda: requests.get(f"{base}/livez", timeout=2).ok, 60, "gunicorn serving", hub_log)
        with running([*VOXLOOP, "hub", "jobs"], cwd=tmp_path, env=env, log=jobs_log) as jobs:
            wait_for(lambda: readyz(base)[0] == 200, 30, "the hub to be ready", jobs_log)
            assert requests.get(f"{base}/metrics", timeout=10).status_code == 403  # no token: refused

            # the day: a manager signs in, a terminal syncs twice, a phone answers until refused
            manager, _ = signed_in(base, "manager0@example.org", MANAGER_PASSWORD)
            cookie = manager.cookies["voxloop_session"]
            terminal = enrolled_terminal(base, env, tmp_path)
            items = [
                bad_rating("B001", 1, "Niemand an der Kasse", clock(), contact=TERMINAL_CONTACT),
                bad_rating("B001", 2, "Lange gewartet", clock()),
            ]
            first = terminal.sync(make_batch(items), now=clock())
            again = terminal.sync(make_batch([*items, {"id": "not a uuid"}]), now=clock())
            assert [r["status"] for r in first.body["results"]] == ["accepted", "accepted"]
            assert [r["status"] for r in again.body["results"]] == ["duplicate", "duplicate", "invalid"]

            with hub_app(env):
                from hub.services.qr_tokens import QrKeys, make_phone_token

                qr_token = make_phone_token(
                    QrKeys.from_config({"SECRET_KEY": env["VOXLOOP_SECRET_KEY"]}), "B001", "exit"
                )
            ticket = served_ticket(base, qr_token)
            phone = [phone_answer(base, qr_token, ticket, clock, PHONE_CONTACT).status_code]
            while phone[-1] != 429 and len(phone) < 8:  # more visitors from one address
                phone.append(phone_answer(base, qr_token, served_ticket(base, qr_token), clock).status_code)
            assert phone[0] == 200 and phone[-1] == 429, phone

            # the alert email reaches the manager; its link acknowledges the case
            wait_for(lambda: any("Very unhappy" in m["Subject"] for m in inbox.messages), 20, "the alert", jobs_log)
            mail = next(m for m in inbox.messages if "Very unhappy" in m["Subject"])
            link = re.search(rf"{base}(/cases/\d+/ack/(\S+))", text_of(mail))
            ack_token = link.group(2)
            assert "Acknowledged" in manager.get(base + link.group(1), timeout=10).text

            # both workers answer (a sync worker serves one request at a time)
            with ThreadPoolExecutor(4) as pool:
                assert all(pool.map(lambda _: requests.get(f"{base}/livez", timeout=10).ok, range(40)))
            # every email due is sent (one gathering more alerts of B001 may wait for its throttle)
            wait_for(
                lambda: (
                    sql(
                        env,
                        "SELECT COUNT(*) FROM outbox_message WHERE state <> 'sent' AND deliver_after <= ?",
                        (clock(),),
                    )
                    == 0
                ),
                20,
                "every email due sent",
                jobs_log,
            )

            scraped: list[str] = []
            figures = scrape(base, scraped)

            def figure(name: str, **labels: str) -> float:
                return figures.get((name, tuple(sorted(labels.items()))), 0)

            ingested = {r: figure("voxloop_ingest_items_total", result=r) for r in ("accepted", "duplicate", "invalid")}
            assert ingested == {"accepted": 2, "duplicate": 2, "invalid": 1}
            assert figure("voxloop_ingest_items_total", result="conflict") == 0
            assert figure("voxloop_sync_request_duration_seconds_count") == 2
            assert figure("voxloop_phone_answers_total", form="script", code="200") == phone.count(200)
            assert figure("voxloop_phone_answers_total", form="script", code="429") == 1
            assert figure("voxloop_rate_limited_requests_total", area="phone") == 1
            # every answer of every worker before this scrape, as many as the access log has lines
            answered = sum(v for (name, _), v in figures.items() if name == "voxloop_http_responses_total")

            def access() -> list[dict]:
                lines = json_lines(hub_log)
                return [
                    line for line in lines if line["logger"] == "gunicorn.access" and line["request_id"] not in scraped
                ]

            wait_for(lambda: len(access()) >= answered, 5, "the access lines", hub_log)
            assert answered == len(access())
            if engine == "postgres":
                assert len({line["pid"] for line in access()}) == 2, "both workers should have answered"
            assert figure("voxloop_outbox_delivery_failures_total", channel="email") == 0
            assert figure("voxloop_outbox_failed_messages", channel="email") == 0
            assert figure("voxloop_outbox_oldest_due_age_seconds", channel="email") == 0
            waiting = "SELECT COUNT(*) FROM outbox_message WHERE state IN ('pending', 'sending', 'retry')"
            assert figure("voxloop_outbox_waiting_messages", channel="email") == sql(env, waiting)
            jobs_shown = {labels[0][1] for name, labels in figures if name == "voxloop_job_last_run_timestamp_seconds"}
            assert jobs_shown == {"heartbeat", *DELIVERY_JOBS, *INTERVALS}
            assert figure("voxloop_jobs_heartbeat_age_seconds") < 5
            assert figure("voxloop_terminals", status="active") == 1
            assert figure("voxloop_terminals_silent") == 0
            # the example alert rules ask only for what the hub shows
            rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "voxloop-alerts.yml").read_text())
            exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
            asked = {name for expr in exprs for name in re.findall(r"\bvoxloop_[a-z_]+", expr)}
            assert asked and asked <= {name for name, _labels in figures}, asked - {name for name, _ in figures}

            # SMTP down: the next alert (another store's: B001's are throttled now) is due and stuck,
            # and the failed attempts are counted
            inbox.stop()
            other = enrolled_terminal(base, env, tmp_path, "B002")
            failing = other.sync(make_batch([bad_rating("B002", 1, "Wieder niemand", clock())]), now=clock())
            assert failing.body["results"][0]["status"] == "accepted"
            wait_for(lambda: not readyz(base)[1]["checks"]["outbox"]["ok"], 20, "the outbox to be stuck", jobs_log)
            status, body = readyz(base)
            assert status == 503 and body["checks"]["jobs"]["ok"] and body["checks"]["outbox"]["waiting"] >= 1
            assert scrape(base)[("voxloop_outbox_delivery_failures_total", (("channel", "email"),))] >= 1
            inbox.start()
            wait_for(lambda: readyz(base)[0] == 200, 30, "the alert to be sent and the hub ready", jobs_log)
            retried = [line for line in json_lines(jobs_log) if "will be retried" in line["message"]]
            assert scrape(base)[("voxloop_outbox_delivery_failures_total", (("channel", "email"),))] == len(retried)

            # the jobs process stops: its heartbeat goes stale
            jobs.terminate()
            jobs.wait(timeout=30)
        wait_for(lambda: not readyz(base)[1]["checks"]["jobs"]["ok"], 20, "the heartbeat to go stale", hub_log)
        status, body = readyz(base)
        assert status == 503 and body["checks"]["outbox"]["ok"] and body["checks"]["jobs"]["heartbeat_age_seconds"] >= 5
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200  # it still serves

    lines = json_lines(hub_log, jobs_log)  # every line a JSON object
    jobs_lines = json_lines(jobs_log)
    assert any(line["message"].startswith("voxloop jobs running as") for line in jobs_lines)
    assert any(line["level"] == "INFO" and line["message"].endswith(" sent") for line in jobs_lines)
    request_ids = {line.get("request_id") for line in lines if line["logger"] == "gunicorn.access"}
    assert None not in request_ids and len(request_ids) > 40
    everything = hub_log.read_text() + jobs_log.read_text()
    secrets_ = {
        "secret key": env["VOXLOOP_SECRET_KEY"],
        "admin password": admin_password,
        "manager password": MANAGER_PASSWORD,
        "metrics token": METRICS_TOKEN,
        "QR token": qr_token,
        "page ticket": ticket,
        "session cookie": cookie,
        "acknowledge link token": ack_token,
        "terminal contact": TERMINAL_CONTACT,
        "phone contact": PHONE_CONTACT,
    }
    assert {name: value for name, value in secrets_.items() if value in everything} == {}
