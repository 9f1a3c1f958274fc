"""``voxloop hub ...``: set up, run and administer a hub from the shell."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from hub.app_context import with_app

_log = logging.getLogger("voxloop.hub")


def _fail_on_domain_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from shared.errors import VoxloopError

        try:
            return command(*args, **kwargs)
        except VoxloopError as exc:
            raise click.ClickException(f"{exc.detail} [{exc.code}]") from None
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def _now() -> datetime:
    """The app's clock (a controlled one where CLOCK_START is set): commands run in its context."""
    from hub.clock import now

    return now()


@click.group()
def hub() -> None:
    """Set up, run and administer the hub (configured by VOXLOOP_* environment variables;
    the database is var/voxloop.db unless VOXLOOP_DATABASE_URL names another)."""


@hub.command()
@with_app
def migrate() -> None:
    """Apply pending schema migrations."""
    from hub.services.setup import migrate_schema

    ran = migrate_schema()
    click.echo("applied: " + ", ".join(ran) if ran else "the schema is up to date")


@hub.command("rebuild-rollups")
@with_app
def rebuild_rollups() -> None:
    """Count every rollup again from the stored responses (after a change in how comments are
    read into terms, say). One transaction: the dashboards see the old counts until it ends."""
    from hub.db import write_transaction
    from hub.services.rollups import rebuild_rollups as rebuild

    with write_transaction():
        counted = rebuild()
    click.echo(f"rollups counted again from {counted} responses")


@hub.command()
@click.option("--admin-email", default="admin@example.org", show_default=True)
@click.option("--admin-name", default="HQ admin", show_default=True)
@with_app
@_fail_on_domain_errors
def init(admin_email: str, admin_name: str) -> None:
    """Create the database, the default survey and a first HQ admin (prints its password)."""
    from flask import current_app

    from hub.services.setup import initialise

    password = secrets.token_urlsafe(12)
    report = initialise(admin_email=admin_email, admin_name=admin_name, admin_password=password, now=_now())
    click.echo(f"database ready: {current_app.config['DATABASE_URL'].split('@')[-1]}")
    for line in report:
        click.echo(line)
    if any(line.startswith("created admin") for line in report):
        click.echo(f"sign in as {admin_email} with password {password} (shown once; change it after signing in)")


@hub.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--with-jobs/--without-jobs",
    default=None,
    help="also run the background jobs (alert delivery, escalation, digests); default: JOBS_IN_SERVE",
)
def serve(host: str, port: int, threads: int, with_jobs: bool | None) -> None:
    """Serve the hub with waitress (production: gunicorn with deploy/gunicorn.conf.py)."""
    from waitress import serve as waitress_serve

    from hub import create_app
    from hub.logs import configure_logging

    app = create_app()
    configure_logging(app.config["LOG_LEVEL"])  # JSON lines on stderr (hub/logs.py)
    runner = None
    if with_jobs if with_jobs is not None else bool(int(app.config["JOBS_IN_SERVE"])):
        from hub.jobs import JobRunner

        runner = JobRunner(app)
        runner.start()
    _log.info("voxloop hub on http://%s:%s/  (health: /healthz, API: /api/v1/openapi.json)", host, port)
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="voxloop")
    finally:
        if runner is not None:
            runner.stop()


@hub.command()
def jobs() -> None:
    """Run the background jobs (alert delivery, escalation, windowed rules, digests) until
    stopped; several may run against one PostgreSQL, each message is still sent once."""
    import signal
    import threading

    from hub import create_app
    from hub.jobs import JobRunner
    from hub.logs import configure_logging

    app = create_app()
    configure_logging(app.config["LOG_LEVEL"])  # JSON lines on stderr, INFO and up by default (hub/logs.py)
    runner = JobRunner(app)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runner.start()
    smtp = app.config["SMTP_HOST"] or "not configured"
    _log.info("voxloop jobs running as %s (SMTP %s)", runner.deliverer.worker, smtp)
    stop.wait()
    runner.stop()
    _log.info("voxloop jobs stopped")


@hub.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_app
@_fail_on_domain_errors
def backup(file: Path) -> None:
    """Write a consistent backup of the database to FILE while the hub runs (SQLite: the online
    backup API; PostgreSQL: pg_dump in custom format). FILE must not exist yet."""
    from flask import current_app

    from hub.services.backups import backup as make_backup

    done = make_backup(current_app.config["DATABASE_URL"], file, pg_bin=current_app.config.get("PG_BIN_DIR", ""))
    click.echo(f"backup written to {file}: {done.describe()}")


@hub.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="replace a database that holds data (stop the hub first)")
@with_app
@_fail_on_domain_errors
def restore(file: Path, force: bool) -> None:
    """Put the backup FILE in place of the database (stop the hub first). A database that
    holds data is refused unless --force. Terminals send what the backup lacks at their next sync."""
    from flask import current_app

    from hub.services.backups import restore as restore_backup
    from hub.services.setup import pending_migrations

    url = current_app.config["DATABASE_URL"]
    done = restore_backup(url, file, force=force, pg_bin=current_app.config.get("PG_BIN_DIR", ""))
    click.echo(f"restored {file} into {url.split('@')[-1]}: {done.describe()}")
    pending = pending_migrations()
    if pending:
        click.echo(f"the backup predates {', '.join(pending)}: run 'voxloop hub migrate' before starting the hub")
    click.echo("start the hub: each terminal's next sync sends the responses this backup lacks")


@hub.command()
@click.option(
    "--contact",
    "address",
    required=True,
    help="the email address or phone number the customer left; '-' reads it from standard input"
    " (kept out of the shell's history and the process list)",
)
@with_app
@_fail_on_domain_errors
def erase(address: str) -> None:
    """Erase a customer's contact on request (GDPR Art. 17): the contact and the comments of
    every response that holds it, and the address wherever a comment names it. Prints what was
    erased, never the address (docs/data-protection.md)."""
    import sys

    from flask import current_app

    from hub.services.erasure import erase_contact
    from hub.services.invitation_keys import InvitationKeys
    from hub.services.invitations import erase_address
    from hub.state import state

    if address == "-":
        address = sys.stdin.readline().strip()
    done = erase_contact(address, contact_key=state().contact_key, now=_now())
    invited = erase_address(address, keys=InvitationKeys.from_secret(current_app.config["SECRET_KEY"]))
    click.echo(f"{done.describe()}; invitations {invited}")


@hub.command("import-measures")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@with_app
@_fail_on_domain_errors
def import_measures(file: Path) -> None:
    """Load operational measures from the CSV FILE (columns measure, store, period, value; name,
    unit, kind and grain define a new measure). All rows or none: a file with a bad row writes
    nothing and every bad row is listed by its line."""
    from hub.services.access import Scope
    from hub.services.measures import RowsRefused, import_csv

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text") from None
    try:
        done = import_csv(Scope(0, "hq_admin", None), text, now=_now(), may_define=True)
    except RowsRefused as refused:
        for error in refused.errors:
            click.echo(f"line {error.line}: {error.detail} [{error.code}]", err=True)
        raise click.ClickException(f"nothing imported: {len(refused.errors)} bad row(s) in {file}") from None
    click.echo(
        f"{file}: {done.created} value(s) created, {done.unchanged} unchanged, {len(done.replaced)} replaced"
        + (f"; defined {', '.join(done.defined)}" if done.defined else "")
    )
    for r in done.replaced[:20]:
        click.echo(f"line {r.line}: {r.measure} {r.store} {r.period} was {r.was:g}, now {r.now:g}")


@hub.command("import-invitations")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@with_app
@_fail_on_domain_errors
def import_invitations(file: Path) -> None:
    """Invite customers from the CSV FILE (columns source, reference, store, touchpoint, channel,
    language, send_after, address; agent and team optional), for chains without the API. All
    rows or none: a file with a bad row invites nobody and every bad row is listed by its line;
    a row whose source and reference were imported before invites nobody again."""
    from flask import current_app

    from hub.services.access import Scope
    from hub.services.invitation_keys import InvitationKeys
    from hub.services.invitations import InvitationSettings, InvitationsRefused, csv_asks, invite

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text") from None
    try:
        made = invite(
            Scope(0, "hq_admin", None),
            csv_asks(text),
            keys=InvitationKeys.from_secret(current_app.config["SECRET_KEY"]),
            settings=InvitationSettings.from_config(current_app.config),
            now=_now(),
        )
    except InvitationsRefused as refused:
        for error in refused.errors:
            click.echo(f"line {error.line}: {error.detail} [{error.code}]", err=True)
        raise click.ClickException(f"nothing imported: {len(refused.errors)} bad row(s) in {file}") from None
    states: dict[str, int] = {}
    for m in made:
        if m.created:
            states[m.invitation.state] = states.get(m.invitation.state, 0) + 1
    known = sum(1 for m in made if not m.created)
    described = ", ".join(f"{n} {state}" for state, n in sorted(states.items())) or "none new"
    click.echo(f"{file}: {len(made) - known} invitation(s) made ({described}), {known} known already")


@hub.command("contact-centre-member")
@click.argument("email")
@click.option("--team", default=None, help="the team a team lead leads, or an agent's team (pseudonymous id)")
@click.option("--agent", default=None, help="the pseudonymous agent id the person works under")
@with_app
@_fail_on_domain_errors
def contact_centre_member(email: str, team: str | None, agent: str | None) -> None:
    """Name the contact-centre team a team lead leads and the agent id an agent works under, as
    the invitations name them (a person with the role team_lead or agent, made on /admin/users)."""
    from hub.models import User
    from hub.services.contact_centre import set_member
    from hub.services.invitations import PSEUDONYM

    person = User.get_or_none(User.email == email.strip().lower())
    if person is None:
        raise click.ClickException(f"nobody signs in as {email}")
    for name, value in (("team", team), ("agent", agent)):
        if value is not None and not PSEUDONYM.match(value):
            raise click.ClickException(f"--{name} is 1-40 letters, digits or _ . -")
    set_member(person, team=team, agent=agent)
    click.echo(f"{email}: team {team or '-'}, agent {agent or '-'}")


@hub.command("anonymise-person")
@click.argument("email")
@with_app
@_fail_on_domain_errors
def anonymise_person(email: str) -> None:
    """Replace a staff member's name and email with a pseudonym (their cases' audit trail stays,
    naming the pseudonym); the account is switched off for good (docs/data-protection.md)."""
    from hub.services.erasure import anonymise_person as anonymise

    done = anonymise(email, now=_now())
    click.echo(f"person {done.user_id} is now {done.pseudonym} ({done.email}); switched off, sessions ended")


@hub.group()
def alerts() -> None:
    """Alert rules: list them, send a test alert."""


@alerts.command("list")
@with_app
def alerts_list() -> None:
    """List the alert rules."""
    from hub.models import AlertRule
    from hub.services.alerts.conditions import describe

    for rule in AlertRule.select().order_by(AlertRule.id):
        channels = ["email"] if rule.email else []
        channels += [f"webhook {rule.webhook_url}"] if rule.webhook_url else []
        state = "active" if rule.active else "off"
        what = describe(rule.kind, rule.condition)
        click.echo(f"{rule.id:>4}  {rule.key or '-':<18} {state:<6} {rule.name}: {what} -> {', '.join(channels)}")


@alerts.command("test")
@click.option("--rule", "reference", required=True, help="the rule's id or key (voxloop hub alerts list)")
@click.option("--to", "to", multiple=True, help="email address (repeatable); default: the active HQ admins")
@with_app
@_fail_on_domain_errors
def alerts_test(reference: str, to: tuple[str, ...]) -> None:
    """Send a test alert through a rule's channels now, and say how each delivery went."""
    from flask import current_app

    from hub.jobs import deliverer_for
    from hub.models import OutboxMessage
    from hub.services.alerts.rules import find_rule
    from hub.services.alerts.trial import queue_test_alert

    rule = find_rule(reference)
    ids = queue_test_alert(rule, to=to, now=_now())
    if not ids:
        raise click.ClickException("nobody to send to: give --to EMAIL or add an active HQ admin")
    deliverer_for(current_app._get_current_object(), worker="cli-test").deliver_all_due(_now())
    failed = 0
    for message in OutboxMessage.select().where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id):
        note = f": {message.last_error}" if message.last_error else ""
        click.echo(f"{message.channel} to {message.recipient}: {message.state}{note}")
        failed += message.state != "sent"
    if failed:
        raise click.ClickException(f"{failed} of {len(ids)} test messages were not delivered (they stay in the outbox)")


@hub.command("add-store")
@click.argument("code")
@click.argument("name")
@click.option("--time-zone", default="Europe/Berlin", show_default=True)
@click.option("--region", default=None)
@click.option("--languages", default="de,en", show_default=True, help="comma-separated, first is the default")
@click.option("--touchpoint", default="exit", show_default=True, help="also add this exit touchpoint ('' for none)")
@click.option("--country", default=None, help="ISO code (DE, AT, CH): the store is closed on its public holidays")
@click.option("--subdivision", default=None, help="where holidays differ within the country, e.g. BY, ZH")
@with_app
@_fail_on_domain_errors
def add_store(
    code: str,
    name: str,
    time_zone: str,
    region: str | None,
    languages: str,
    touchpoint: str,
    country: str | None,
    subdivision: str | None,
) -> None:
    """Add a store (and its exit touchpoint)."""
    from hub.services import catalog

    store = catalog.add_store(
        code,
        name,
        time_zone=time_zone,
        region=region,
        languages=languages.split(","),
        now=_now(),
        country=country,
        subdivision=subdivision,
    )
    click.echo(f"store {store.code} ({store.name}, {store.time_zone})")
    if touchpoint:
        catalog.add_touchpoint(code, touchpoint, "Exit", kind="exit")
        click.echo(f"touchpoint {code}/{touchpoint}")


@hub.command("add-touchpoint")
@click.argument("store")
@click.argument("code")
@click.argument("name")
@click.option("--kind", default="exit", show_default=True)
@click.option("--survey", default="exit", show_default=True)
@with_app
@_fail_on_domain_errors
def add_touchpoint(store: str, code: str, name: str, kind: str, survey: str) -> None:
    """Add a touchpoint (exit, checkout, poster, receipt, table, service) to a store."""
    from hub.services import catalog

    catalog.add_touchpoint(store, code, name, kind=kind, survey_key=survey)
    click.echo(f"touchpoint {store}/{code} ({kind}, survey {survey})")


@hub.command("enroll-code")
@click.option("--store", "store_code", required=True)
@click.option("--touchpoint", "touchpoint_code", default="exit", show_default=True)
@click.option("--ttl-hours", default=None, type=int, help="validity (default: ENROLLMENT_CODE_TTL_HOURS, 72)")
@click.option("--qr/--no-qr", default=True, show_default=True, help="also draw the code as a QR in the terminal")
@with_app
@_fail_on_domain_errors
def enroll_code(store_code: str, touchpoint_code: str, ttl_hours: int | None, qr: bool) -> None:
    """Make a single-use enrollment code for a new terminal."""
    from flask import current_app

    from hub.services import catalog, enrollment
    from hub.services.qr_codes import ascii_qr

    store = catalog.store_by_code(store_code)
    touchpoint = catalog.touchpoint_by_code(store, touchpoint_code)
    hours = ttl_hours or current_app.config["ENROLLMENT_CODE_TTL_HOURS"]
    code = enrollment.make_code(store, touchpoint, now=_now(), ttl=timedelta(hours=hours))
    hub_url = current_app.config["PUBLIC_URL"]
    click.echo(f"enrollment code for {store.code}/{touchpoint.code}: {code}  (single use, valid {hours} h)")
    click.echo(f"on the terminal: voxloop kiosk enroll --hub {hub_url} --code {code}")
    if qr:
        click.echo(ascii_qr(enrollment.enrollment_payload(hub_url, code)))


@hub.command("add-user")
@click.argument("email")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(["hq_admin", "hq_analyst", "regional_manager", "store_manager"]), required=True
)
@click.option(
    "--store", "stores", multiple=True, help="store code a store or regional manager looks after (repeatable)"
)
@click.option("--region", "regions", multiple=True, help="region a regional manager looks after (repeatable)")
@with_app
@_fail_on_domain_errors
def add_user(email: str, name: str, role: str, stores: tuple[str, ...], regions: tuple[str, ...]) -> None:
    """Add a person who signs in (prints a first password, shown once)."""
    from hub.models import Region
    from hub.services import catalog
    from hub.services.users import add_user as create

    store_rows = [catalog.store_by_code(code) for code in stores]
    region_rows = []
    for name_ in regions:
        region = Region.get_or_none(Region.name == name_)
        if region is None:
            raise click.ClickException(f"no region {name_!r} (regions come from 'hub add-store --region')")
        region_rows.append(region)
    if role == "store_manager" and not store_rows:
        raise click.ClickException("a store manager needs at least one --store")
    password = secrets.token_urlsafe(12)
    user = create(email, name, role, password, now=_now(), stores=store_rows, regions=region_rows)
    scope = ", ".join([*(s.code for s in store_rows), *(r.name for r in region_rows)]) or "all stores"
    click.echo(f"added {user.email} ({role}; {scope})")
    click.echo(f"first password: {password} (shown once; change it after signing in)")


@hub.command("revoke-device")
@click.argument("terminal_id")
@with_app
@_fail_on_domain_errors
def revoke_device(terminal_id: str) -> None:
    """Revoke a terminal: its signatures are refused from now on; its data stays."""
    from hub.services.enrollment import revoke

    terminal = revoke(terminal_id, now=_now())
    click.echo(f"terminal {terminal.id} ({terminal.name}) revoked")


@hub.command("terminals")
@with_app
def terminals() -> None:
    """List terminals with their store, status and last contact."""
    from hub.models import Store, Terminal

    rows = Terminal.select(Terminal, Store).join(Store).order_by(Store.code, Terminal.enrolled_at)
    for t in rows:
        seen = f"{t.last_seen_at:%Y-%m-%d %H:%M}" if t.last_seen_at else "never"
        click.echo(f"{t.id}  {t.store.code:<10} {t.status:<8} last seen {seen}  queue {t.queue_depth or 0}  {t.name}")


@hub.group("api-token")
def api_token() -> None:
    """API tokens for BI tools and scripts: make, list, revoke."""


@api_token.command("make")
@click.argument("email")
@click.option("--name", required=True, help="what will use it, e.g. 'Power BI'")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    default=("analytics:read",),
    show_default=True,
    help="analytics:read, cases:read or cases:write (repeatable)",
)
@with_app
@_fail_on_domain_errors
def api_token_make(email: str, name: str, scopes: tuple[str, ...]) -> None:
    """Make an API token of the person with EMAIL (prints it, shown once): it sees what they see."""
    from hub.models import User
    from hub.services.api_tokens import make_token

    user = User.get_or_none(User.email == email.strip().lower())
    if user is None:
        raise click.ClickException(f"no person with the email {email!r}")
    row, token = make_token(user, name, list(scopes), now=_now())
    click.echo(f"API token {row.id} ({row.prefix}…) for {user.email}: {row.scopes}")
    click.echo(f"token: {token}  (shown once; send it as 'Authorization: Bearer <token>')")


@api_token.command("list")
@with_app
def api_token_list() -> None:
    """List every API token with its person, scopes and last use (never the token itself)."""
    from hub.services.api_tokens import all_tokens

    for t in all_tokens():
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "live"
        click.echo(f"{t.id:>4}  {t.prefix}…  {t.user.email:<28} {state:<24} last used {used}  {t.scopes}  {t.name}")


@api_token.command("revoke")
@click.argument("token_id", type=int)
@with_app
@_fail_on_domain_errors
def api_token_revoke(token_id: int) -> None:
    """Revoke an API token (by its id, from 'api-token list'): refused from now on."""
    from hub.services.api_tokens import revoke_token

    row = revoke_token(token_id, now=_now())
    click.echo(f"API token {row.id} ({row.prefix}…, {row.name}) revoked")
