"""``voxloop demo ...``: a hub with demo stores and feedback, to try voxloop in a minute.

The demo feedback travels the real way: a demo terminal is enrolled with its own key and
sends signed batches through the sync API, so what you see is what terminals produce.
"""

from __future__ import annotations

import json
import random
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from shared.crypto import new_private_key, public_key_text, sign_request
from shared.ids import uuid7
from shared.protocol import format_time

DEMO_STORES = [
    ("B001", "Berlin Mitte", "Europe/Berlin", "Nord-Ost"),
    ("H002", "Hamburg Altona", "Europe/Berlin", "Nord-Ost"),
]
COMMENTS = {
    1: ["Viel zu lange an der Kasse gewartet.", "Only one till open, queue to the back of the shop."],
    2: ["Regal mit Milch war leer.", "Staff seemed stressed."],
    3: ["Ganz okay.", "Fine, nothing special."],
    4: ["Freundliche Beratung, danke!", "Quick and easy, thanks."],
}
REASONS = {1: ["queue"], 2: ["stock", "staff"], 3: ["price"], 4: ["staff"]}


@click.group()
def demo() -> None:
    """Try voxloop with demo stores and demo feedback."""


@demo.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--days", default=14, show_default=True, help="days of demo feedback on first start")
@click.option(
    "--fleet",
    default=8,
    show_default=True,
    type=click.IntRange(0, 999),
    help="seeded stores with 120 days of history on first start, for the dashboards (0: none)",
)
def run(host: str, port: int, days: int, fleet: int) -> None:
    """Set up var/ with demo data on first start, then serve the hub."""
    from waitress import serve

    from hub import create_app
    from hub.db import database

    app = create_app({"PUBLIC_URL": f"http://{host}:{port}"})
    instance = Path(app.instance_path)
    with app.app_context():
        database.connect(reuse_if_open=True)
        try:
            credentials = _prepare(app, instance, days, fleet)
        finally:
            database.close()
    url = f"http://{host}:{port}/"
    click.echo("")
    click.echo(f"voxloop demo hub: {url}")
    click.echo(f"  health:        {url}healthz")
    click.echo(f"  API document:  {url}api/v1/openapi.json")
    click.echo(f"  dashboard:     {url}dashboard   cases: {url}cases")
    click.echo(f"  HQ admin:      {credentials['email']} / {credentials['password']}")
    if "manager_email" in credentials:
        click.echo(f"  store manager: {credentials['manager_email']} / {credentials['manager_password']} (B001)")
    click.echo(f"  data:          {instance} (delete it to start over)")
    click.echo("  add a terminal: .venv/bin/voxloop hub enroll-code --store B001")
    click.echo("Ctrl-C stops the hub.")
    serve(app, host=host, port=port, threads=8, ident="voxloop")


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
    from hub.db import database
    from hub.seed.generator import Plan
    from hub.seed.writer import seed as write_seed
    from shared.errors import VoxloopError

    now = datetime.now(UTC)
    plan = Plan(
        stores=stores,
        days=days,
        per_day=per_day,
        seed=seed_value,
        end=end.date() if end else now.date() - timedelta(days=1),
        plant_drop=plant_drop,
    )
    app = create_app({"DATABASE_URL": database_url} if database_url else None)
    with app.app_context():
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


def _prepare(app, instance: Path, days: int, fleet: int = 0) -> dict[str, str]:
    from hub.models import Store
    from hub.services import catalog
    from hub.services.setup import initialise
    from hub.services.users import add_user

    now = datetime.now(UTC)
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
        admin_email=credentials["email"], admin_name="Demo HQ admin", admin_password=credentials["password"], now=now
    ):
        click.echo(line)
    if not credentials_file.exists():
        if fleet:
            _seed_fleet(fleet, now)
        credentials_file.touch(mode=0o600)
        credentials_file.write_text(json.dumps(credentials))
    for code, name, zone, region in DEMO_STORES:
        if Store.get_or_none(Store.code == code) is None:
            store = catalog.add_store(code, name, time_zone=zone, region=region, now=now)
            catalog.add_touchpoint(code, "exit", "Exit")
            if code == "B001" and "manager_email" in credentials:  # a store manager, so alerts reach someone
                add_user(
                    credentials["manager_email"],
                    "Demo store manager",
                    "store_manager",
                    credentials["manager_password"],
                    now=now,
                    stores=[store],
                )
            sent = _send_demo_feedback(app, code, days, now)
            click.echo(f"demo store {code} {name}: {sent} responses from a demo terminal")
    return credentials


def _seed_fleet(stores: int, now: datetime) -> None:
    """History for the dashboards: ``stores`` seeded stores with 120 days of feedback up to
    yesterday, one of them dropping in the last days (so signals have something to find)."""
    from hub.seed.generator import Plan
    from hub.seed.writer import seed as write_seed

    plan = Plan(stores=stores, days=120, per_day=40, end=now.date() - timedelta(days=1), plant_drop=True)
    report = write_seed(plan, now=now)
    click.echo(f"demo fleet: {report.stores} stores, {report.responses:,} responses over {plan.days} days")


def _send_demo_feedback(app, store_code: str, days: int, now: datetime) -> int:
    """Enroll a demo terminal for the store and deliver ``days`` of feedback through the sync API."""
    from hub.services import catalog, enrollment

    store = catalog.store_by_code(store_code)
    code = enrollment.make_code(store, catalog.touchpoint_by_code(store, "exit"), now=now, ttl=timedelta(minutes=5))
    key = new_private_key()
    client = app.test_client()
    enrolled = client.post(
        "/api/v1/enroll", json={"code": code, "public_key": public_key_text(key), "name": "Demo exit"}
    )
    device_id = enrolled.get_json()["device_id"]
    rng = random.Random(store_code)
    responses, seq = [], 0
    for day in range(days, 0, -1):
        for _ in range(rng.randint(20, 45)):
            seq += 1
            at = now - timedelta(days=day, hours=rng.uniform(0, 10))
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
                    "store": store_code,
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
            created=int(now.timestamp()),
            nonce=secrets.token_urlsafe(16),
        )
        answer = client.post("/api/v1/sync", data=body, headers={**headers, "Content-Type": "application/json"})
        if answer.status_code != 200:
            raise click.ClickException(f"demo sync failed: {answer.get_json()}")
    return len(responses)
