"""``voxloop kiosk ...``: enroll, run and look after an exit terminal.

Every command works on one data directory (``--data-dir``, default var/kiosk; see
kiosk/identity.py for what it holds). Heavy imports happen inside the commands, so
``voxloop kiosk --help`` works on a machine without Kivy.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kiosk.identity import APP_VERSION, DEFAULT_DATA_DIR

if TYPE_CHECKING:
    from kiosk.terminal import Terminal

__all__ = ["APP_VERSION", "kiosk"]

data_dir_option = click.option(
    "--data-dir",
    default=str(DEFAULT_DATA_DIR),
    show_default=True,
    type=click.Path(path_type=Path),
    help="the terminal's data directory",
)


# What every terminal command needs beyond the core install (the kiosk extra; Kivy only for `run`).
TERMINAL_PACKAGES = ("requests", "peewee", "apscheduler")


@click.group()
def kiosk() -> None:
    """Enroll and run an exit terminal (data in --data-dir, default var/kiosk)."""
    missing = [name for name in TERMINAL_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise click.ClickException(
            f"the terminal needs {', '.join(missing)}, which is not installed here. "
            "Install it with: pip install 'voxloop[kiosk]'"
        )


@kiosk.command()
@click.option("--hub", "hub_url", required=True, help="the hub's address, e.g. https://feedback.example.org")
@click.option("--code", required=True, help="the enrollment code from 'voxloop hub enroll-code'")
@click.option("--name", default=None, help="how the hub lists this terminal (default: the host name)")
@data_dir_option
def enroll(hub_url: str, code: str, name: str | None, data_dir: Path) -> None:
    """Make this terminal's key pair and enroll it with the hub (the private key stays here)."""
    import requests

    from kiosk import identity
    from kiosk.hub_client import HubClient, HubError
    from shared.crypto import new_private_key

    if identity.is_enrolled(data_dir):
        raise click.ClickException(
            f"{identity.record_path(data_dir)} exists: this terminal is enrolled already "
            f"(delete {data_dir} to re-enroll)"
        )
    key = new_private_key()
    client = HubClient(hub_url, requests.Session())
    try:
        answer = client.enroll(
            code, key, name=name or socket.gethostname(), app_version=APP_VERSION, now=datetime.now(UTC)
        )
    except HubError as exc:
        raise click.ClickException(f"enrollment failed: {exc.detail} [{exc.code}]") from None
    config = answer.body["config"]
    etag = next((v for k, v in answer.headers.items() if k.lower() == "etag"), None)
    identity.save(
        data_dir,
        identity.Identity(hub=hub_url, device_id=answer.body["device_id"], key=key),
        config=config,
        etag=etag,
    )
    click.echo(
        f"enrolled as {answer.body['device_id']} for store {config['store']['code']} "
        f"({config['store']['name']}), touchpoint {config['touchpoint']['code']}"
    )


@kiosk.command()
@click.option("--fullscreen/--windowed", default=True, show_default=True)
@data_dir_option
def run(fullscreen: bool, data_dir: Path) -> None:
    """Start the touch screen app (demo mode until the terminal is enrolled)."""
    try:
        from kiosk.app import run_app
    except ImportError as exc:
        raise click.ClickException(
            f"the terminal app cannot start: {exc}. Install it with: pip install 'voxloop[kiosk]'"
        ) from None
    run_app(data_dir, fullscreen=fullscreen)


@kiosk.command()
@click.option("--json", "as_json", is_flag=True, help="print the status as one JSON object")
@data_dir_option
def status(as_json: bool, data_dir: Path) -> None:
    """Show the queue, the last sync, the clock offset, quarantined responses, revocation."""
    terminal = _open(data_dir)
    try:
        info = terminal.status()
    finally:
        terminal.close()
    if as_json:
        click.echo(json.dumps(info, indent=1))
        return
    for line in _status_lines(info):
        click.echo(line)


@kiosk.command()
@data_dir_option
def export(data_dir: Path) -> None:
    """Print every local response with its outbox state, one JSON object per line."""
    terminal = _open(data_dir)
    try:
        for row in terminal.store.export():
            click.echo(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
    finally:
        terminal.close()


@kiosk.command()
@data_dir_option
def sync(data_dir: Path) -> None:
    """Run one sync round now and print what it did (exit status 1 when it failed)."""
    logging.getLogger("voxloop.kiosk.sync").setLevel(logging.ERROR)  # the outcome line says it all
    terminal = _open(data_dir)
    try:
        if terminal.worker is None:
            raise click.ClickException(f"{data_dir} is not enrolled: nothing to sync (voxloop kiosk enroll)")
        outcome = terminal.worker.run_once(terminal.clock())
    finally:
        terminal.close()
    click.echo(outcome.describe())
    if not outcome.ok:
        click.get_current_context().exit(1)


def _open(data_dir: Path) -> Terminal:
    from kiosk.identity import IdentityError
    from kiosk.terminal import Terminal

    if not data_dir.is_dir():
        raise click.ClickException(f"{data_dir} does not exist: no terminal data here (see --data-dir)")
    try:
        return Terminal.open(data_dir)
    except IdentityError as exc:
        raise click.ClickException(str(exc)) from None


def _status_lines(info: dict[str, Any]) -> list[str]:
    if info["mode"] == "demo":
        who = "demo mode (not enrolled): taps stay on this machine"
    else:
        who = f"{info['device_id']} enrolled with {info['hub']}"
    offset = info["clock_offset_seconds"]
    last_sync = info["last_sync_at"] or "never"
    if offset is not None:
        last_sync += f"  (hub clock {offset:+.1f} s from ours)"
    lines = [
        f"terminal     {who}",
        f"store        {info['store']} {info['store_name'] or ''}, touchpoint {info['touchpoint']}".rstrip(),
        f"app version  {info['app_version']}",
        f"queue        {info['queue_depth']} pending, {info['delivered']} delivered, "
        f"{info['quarantined']} quarantined (last seq {info['last_seq']})",
        f"last sync    {last_sync}",
        f"last error   {info['last_error'] or 'none'}",
    ]
    if info["revoked"]:
        lines.append("REVOKED      the hub revoked this terminal: nothing is sent; taps are kept here")
    if info["quarantine"]:
        lines.append("quarantined  (refused by the hub, kept here):")
        for item in info["quarantine"]:
            lines.append(f"  seq {item['seq']}  {item['id']}  captured {item['captured_at']}  {item['code']}")
    return lines
