"""``voxloop kiosk ...``: enroll this terminal with a hub."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import click

from shared.crypto import new_private_key, private_key_to_pem

APP_VERSION = "0.1.0"


@click.group()
def kiosk() -> None:
    """Enroll and run an exit terminal (data in --data-dir, default var/kiosk)."""


@kiosk.command()
@click.option("--hub", "hub_url", required=True, help="the hub's address, e.g. https://feedback.example.org")
@click.option("--code", required=True, help="the enrollment code from 'voxloop hub enroll-code'")
@click.option("--name", default=None, help="how the hub lists this terminal (default: the host name)")
@click.option("--data-dir", default="var/kiosk", show_default=True, type=click.Path(path_type=Path))
def enroll(hub_url: str, code: str, name: str | None, data_dir: Path) -> None:
    """Make this terminal's key pair and enroll it with the hub (the private key stays here)."""
    import requests

    from kiosk.hub_client import HubClient, HubError

    identity = data_dir / "terminal.json"
    if identity.exists():
        raise click.ClickException(
            f"{identity} exists: this terminal is enrolled already (delete {data_dir} to re-enroll)"
        )
    key = new_private_key()
    client = HubClient(hub_url, requests.Session())
    try:
        answer = client.enroll(
            code, key, name=name or socket.gethostname(), app_version=APP_VERSION, now=datetime.now(UTC)
        )
    except HubError as exc:
        raise click.ClickException(f"enrollment failed: {exc.detail} [{exc.code}]") from None
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / "device.pem"
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(private_key_to_pem(key))
    config = answer.body["config"]
    identity.write_text(
        json.dumps(
            {
                "hub": hub_url,
                "device_id": answer.body["device_id"],
                "config": config,
                "etag": answer.headers.get("ETag"),
            },
            indent=1,
        )
    )
    click.echo(
        f"enrolled as {answer.body['device_id']} for store {config['store']['code']} "
        f"({config['store']['name']}), touchpoint {config['touchpoint']['code']}"
    )
