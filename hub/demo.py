"""``voxloop demo ...``: a hub with demo stores and feedback, to try voxloop in a minute.

``voxloop demo run`` (what scripts/demo starts) shows the whole loop on one machine. The demo
feedback travels the real way: a demo terminal is enrolled with its own key and sends signed
batches through the sync API, dated inside its store's opening hours. The background jobs run
beside the web server (alert delivery, escalation, windowed rules, digests, reports, signals,
silent terminals), and every email they send lands in a mail catcher under var/mail
(hub/mail_catcher.py) instead of anyone's inbox. Times come from the hub's clock, so a demo
started with VOXLOOP_CLOCK_START lives at that hour.
"""

from __future__ import annotations

import json
import random
import secrets
import shlex
import signal
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from shared.crypto import new_private_key, public_key_text, sign_request
from shared.ids import uuid7
from shared.protocol import format_time

# named apart from every store the seeded fleet can have (tests/hub/test_demo_run.py)
DEMO_STORES = [
    ("B001", "Berlin Friedrichshain", "Europe/Berlin", "Nord-Ost"),
    ("H002", "Hamburg Altona", "Europe/Berlin", "Nord-Ost"),
]
COMMENTS = {
    1: ["Viel zu lange an der Kasse gewartet.", "Only one till open, queue to the back of the shop."],
    2: ["Regal mit Milch war leer.", "Staff seemed stressed."],
    3: ["Ganz okay.", "Fine, nothing special."],
    4: ["Freundliche Beratung, danke!", "Quick and easy, thanks."],
}
REASONS = {1: ["queue"], 2: ["stock", "staff"], 3: ["price"], 4: ["staff"]}
JOBS = "alert delivery, escalation, windowed rules, digests, reports, signals, silent terminals"


@click.group()
def demo() -> None:
    """Try voxloop with demo stores and demo feedback."""


@demo.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--days", default=14, show_default=True, type=click.IntRange(0, 365), help="days of demo feedback on first start"
)
@click.option(
    "--fleet",
    default=8,
    show_default=True,
    type=click.IntRange(0, 999),
    help="seeded stores with 120 days of history on first start, for the dashboards (0: none)",
)
def run(host: str, port: int, days: int, fleet: int) -> None:
    """Set up var/ with demo data on first start, then serve the hub with its background jobs;
    the emails they send land in a mail catcher (var/mail)."""
    try:
        import aiosmtpd  # noqa: F401  (the mail catcher's SMTP server)
    except ImportError:
        raise click.ClickException(
            "the demo's mail catcher needs aiosmtpd: pip install 'voxloop[hub,demo]' (scripts/demo does)"
        ) from None
    from waitress import serve

    from hub import create_app
    from hub.clock import now
    from hub.db import database
    from hub.jobs import JobRunner
    from hub.mail_catcher import MailCatcher, free_port
    from hub.services.qr_tokens import phone_url, touchpoint_token

    _line_buffered()
    url = base_url(host, port)
    smtp_port = free_port()
    app = create_app(demo_config(url, smtp_port))
    instance = Path(app.instance_path)
    with app.app_context():
        database.connect(reuse_if_open=True)
        try:
            credentials = _prepare(app, instance, days, fleet, now)
            phone = phone_url(url, touchpoint_token(app.config["SECRET_KEY"], "B001", "exit"))
        finally:
            database.close()
    catcher = MailCatcher(instance / "mail", port=smtp_port, tell=click.echo).start()
    runner = JobRunner(app)
    try:
        for line in welcome(url, instance, credentials, phone, catcher.port):
            click.echo(line)
        runner.start()
        signal.signal(signal.SIGTERM, _exit)  # stop as Ctrl-C does: jobs finish, the catcher closes
        serve(app, host=host, port=port, threads=8, ident="voxloop")
    finally:
        runner.stop()
        catcher.stop()


def base_url(host: str, port: int) -> str:
    """The address to open for a server listening on ``host:port`` (all addresses: this machine's)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104 (names, no binding)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def demo_config(url: str, smtp_port: int) -> dict[str, Any]:
    """What the demo sets on top of the hub's configuration: its own address for links, and
    the mail catcher as the SMTP server (a demo never mails anyone)."""
    return {
        "PUBLIC_URL": url.rstrip("/"),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_port,
        "SMTP_STARTTLS": 0,
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
    }


def welcome(url: str, instance: Path, credentials: dict[str, str], phone: str, smtp_port: int) -> list[str]:
    """Where to go and what to try, every link on the address the demo serves."""
    lines = [
        "",
        f"voxloop demo hub: {url}",
        f"  sign in:        {url}login",
        f"  HQ admin:       {credentials['email']} / {credentials['password']}",
    ]
    if "manager_email" in credentials:
        lines.append(f"  store manager:  {credentials['manager_email']} / {credentials['manager_password']} (B001)")
    enroll = f"VOXLOOP_PUBLIC_URL={shlex.quote(url.rstrip('/'))} {own_command()} hub enroll-code --store B001"
    lines += [
        f"  dashboard:      {url}dashboard",
        f"  cases:          {url}cases",
        f"  signals:        {url}dashboard/signals",
        f"  phone page:     {phone}",
        "                  (B001's exit; a rating of 1 there alerts its store manager by email)",
        f"  health:         {url}healthz",
        f"  API document:   {url}api/v1/openapi.json",
        f"  jobs:           {JOBS}",
        f"  mail catcher:   every email the hub sends is kept in {instance / 'mail'} and listed below",
        f"                  (SMTP on 127.0.0.1:{smtp_port}; a rule gathers a store's alerts into one email"
        " at most every 5 minutes)",
        f"  data:           {instance} (delete it to start over)",
        f"  add a terminal: {enroll}",
        "                  then on the terminal (pip install '.[kiosk]'):"
        f" voxloop kiosk enroll --hub {url.rstrip('/')} --code <the code>",
        "Ctrl-C stops the hub.",
    ]
    return lines


def own_command() -> str:
    """This voxloop command as the current directory reaches it (.venv/bin/voxloop)."""
    path = Path(sys.argv[0])
    if path.name != "voxloop" or not path.is_file():
        return "voxloop"
    path, here = path.absolute(), Path.cwd()
    shown = str(path.relative_to(here)) if path.is_relative_to(here) else str(path)
    return shlex.quote(shown if "/" in shown else f"./{shown}")


def _line_buffered() -> None:
    """Each line out at once, also into a pipe or a log file (the mail catcher prints from its
    own thread)."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(line_buffering=True)


def _exit(_signum: int, _frame: Any) -> None:
    raise SystemExit(0)


@demo.command()
@click.option("--stores", default=100, show_default=True, type=click.IntRange(1, 999))
@click.option("--days", default=365, show_default=True, type=click.IntRange(1, 3650))
@click.option("--per-day", default=30, show_default=True, type=click.IntRange(1), help="responses per store and day")
@click.option("--seed", "seed_value", default=1, show_default=True, type=int, help="same seed, same data")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="last day seeded [default: yesterday]")
@click.option("--plant-drop", is_flag=True, help="one store's scores fall in the last 10 days (for signals)")
@click.option("--database-url", help="the database to fill [default: the hub's, VOXLOOP_DATABASE_URL or var/]")
def seed(
    stores: int, days: int, per_day: int, seed_value: int, end: datetime | None, plant_drop: bool, database_url: str
) -> None:
    """Fill an empty hub with a realistic fleet and its feedback (seasons, busy hours, store
    differences, reasons that drive the scores, German and English comments), fast."""
    from hub import create_app
    from hub.clock import now as clock_now
    from hub.db import database
    from hub.seed.generator import Plan
    from hub.seed.writer import seed as write_seed
    from shared.errors import VoxloopError

    app = create_app({"DATABASE_URL": database_url} if database_url else None)
    with app.app_context():
        now = clock_now()
        plan = Plan(
            stores=stores,
            days=days,
            per_day=per_day,
            seed=seed_value,
            end=end.date() if end else now.date() - timedelta(days=1),
            plant_drop=plant_drop,
        )
        database.connect(reuse_if_open=True)
        try:
            report = write_seed(plan, now=now)
        except VoxloopError as exc:
            raise click.ClickException(f"{exc.detail} [{exc.code}]") from None
        finally:
            database.close()
    click.echo(
        f"seeded {report.stores} stores, {report.responses:,} responses ({report.answers:,} answers) "
        f"from {report.first_day} to {report.last_day} in {report.seconds:.0f} s ({report.rate:,.0f}/s)"
    )
    if report.drop_store:
        click.echo(f"planted a drop at store {report.drop_store} in the last 10 days")
    click.echo("someone to sign in: voxloop hub add-user EMAIL NAME --role hq_admin")


def _prepare(app, instance: Path, days: int, fleet: int, clock: Callable[[], datetime]) -> dict[str, str]:
    from hub.models import Store
    from hub.services import catalog
    from hub.services.setup import initialise
    from hub.services.users import add_user

    credentials_file = instance / "demo-credentials.json"
    if credentials_file.exists():
        credentials = json.loads(credentials_file.read_text())
    else:
        credentials = {
            "email": "admin@demo.voxloop",
            "password": secrets.token_urlsafe(12),
            "manager_email": "manager.b001@demo.voxloop",
            "manager_password": secrets.token_urlsafe(12),
        }
    for line in initialise(
        admin_email=credentials["email"],
        admin_name="Demo HQ admin",
        admin_password=credentials["password"],
        now=clock(),
    ):
        click.echo(line)
    if not credentials_file.exists():
        if fleet:
            _seed_fleet(fleet, clock())
        credentials_file.touch(mode=0o600)
        credentials_file.write_text(json.dumps(credentials))
    for code, name, zone, region in DEMO_STORES:
        if Store.get_or_none(Store.code == code) is None:
            store = catalog.add_store(code, name, time_zone=zone, region=region, now=clock())
            catalog.add_touchpoint(code, "exit", "Exit")
            if code == "B001" and "manager_email" in credentials:  # a store manager, so alerts reach someone
                add_user(
                    credentials["manager_email"],
                    "Demo store manager",
                    "store_manager",
                    credentials["manager_password"],
                    now=clock(),
                    stores=[store],
                )
            sent = _send_demo_feedback(app, store, days, clock)
            click.echo(f"demo store {code} {name}: {sent} responses from a demo terminal")
    return credentials


def _seed_fleet(stores: int, now: datetime) -> None:
    """History for the dashboards: ``stores`` seeded stores with 120 days of feedback up to
    yesterday, one of them dropping in the last days (so signals have something to find), and
    their open tills per hour (so the drivers page finds how the queues move with them)."""
    from hub.seed.generator import Plan
    from hub.seed.tills import load_tills
    from hub.seed.writer import seed as write_seed

    plan = Plan(stores=stores, days=120, per_day=40, end=now.date() - timedelta(days=1), plant_drop=True)
    report = write_seed(plan, now=now)
    tills = load_tills(plan, now=now)
    click.echo(
        f"demo fleet: {report.stores} stores, {report.responses:,} responses over {plan.days} days, "
        f"{tills:,} hours of open tills"
    )


def demo_moments(rng: random.Random, hours: dict[str, Any], zone: str, days: int, now: datetime) -> list[datetime]:
    """When a demo terminal's shoppers tapped, in order: 20-45 times on each of the ``days``
    local days before today that the store opens, inside its opening hours."""
    from hub.services.alerts.opening_hours import opening_intervals

    today = now.astimezone(ZoneInfo(zone)).date()
    moments = []
    for back in range(days, 0, -1):
        intervals = opening_intervals(hours, zone, today - timedelta(days=back))
        if not intervals:
            continue
        lengths = [(closes - opens).total_seconds() for opens, closes in intervals]
        for _ in range(rng.randint(20, 45)):
            ((opens, closes),) = rng.choices(intervals, weights=lengths)
            at = opens + (closes - opens) * rng.random()
            moments.append(at.replace(microsecond=at.microsecond // 1000 * 1000))  # the wire keeps ms
    return sorted(moments)


def _send_demo_feedback(app, store, days: int, clock: Callable[[], datetime]) -> int:
    """Enroll a demo terminal for the store and deliver ``days`` of feedback through the sync API."""
    from hub.services import catalog, enrollment

    code = enrollment.make_code(store, catalog.touchpoint_by_code(store, "exit"), now=clock(), ttl=timedelta(minutes=5))
    key = new_private_key()
    client = app.test_client()
    enrolled = client.post(
        "/api/v1/enroll", json={"code": code, "public_key": public_key_text(key), "name": "Demo exit"}
    )
    device_id = enrolled.get_json()["device_id"]
    rng = random.Random(store.code)
    responses = []
    for seq, at in enumerate(demo_moments(rng, store.opening_hours, store.time_zone, days, clock()), start=1):
        rating = rng.choices([1, 2, 3, 4], weights=[1, 2, 4, 8])[0]
        answers = [{"question": "rating", "kind": "smiley", "value": rating}]
        if rng.random() < 0.6:
            answers.append({"question": "reason", "kind": "choice", "value": [rng.choice(REASONS[rating])]})
        if rng.random() < 0.4:  # some go on to the recommendation question, in line with their face
            nps = min(10, max(0, round(rng.gauss(2.5 * rating, 1.5))))
            answers.append({"question": "nps", "kind": "nps", "value": nps})
        if rng.random() < 0.3:
            answers.append({"question": "comment", "kind": "text", "value": rng.choice(COMMENTS[rating])})
        responses.append(
            {
                "id": uuid7(at, secrets.token_bytes(10)),
                "v": 1,
                "channel": "kiosk",
                "store": store.code,
                "touchpoint": "exit",
                "survey": "exit",
                "survey_version": 1,
                "captured_at": format_time(at),
                "locale": rng.choice(["de", "de", "en"]),
                "seq": seq,
                "answers": answers,
            }
        )
    for start in range(0, len(responses), 200):
        body = json.dumps({"v": 1, "responses": responses[start : start + 200], "heartbeat": {"app_version": "demo"}})
        headers = sign_request(
            key,
            device_id,
            "POST",
            "/api/v1/sync",
            body.encode(),
            created=int(clock().timestamp()),
            nonce=secrets.token_urlsafe(16),
        )
        answer = client.post("/api/v1/sync", data=body, headers={**headers, "Content-Type": "application/json"})
        if answer.status_code != 200:
            raise click.ClickException(f"demo sync failed: {answer.get_json()}")
    return len(responses)
