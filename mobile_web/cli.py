"""``voxloop qr ...``: QR codes from the command line.

    voxloop qr text TEXT [-o FILE]                         any text as a QR code
    voxloop qr poster --store S --touchpoint T [--receipt R] [--expires DATE] -o FILE
                                                           a poster (.png, .pdf, .svg) for the phone page
    voxloop qr url --store S --touchpoint T [...]          the phone page's URL (for receipt printers)
    voxloop qr keys                                        the QR key ids this hub reads and signs with

``poster``, ``url`` and ``keys`` read the hub's configuration and database (VOXLOOP_*).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import click


@click.group()
def qr() -> None:
    """Make QR codes."""


@qr.command()
@click.argument("text")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), default=None, help="write a .png or .svg instead of drawing"
)
def text(text: str, output: Path | None) -> None:
    """Draw TEXT as a QR code in the terminal, or write it to a PNG or SVG file."""
    if output is None:
        from hub.services.phone import ascii_qr

        click.echo(ascii_qr(text))
        return
    import qrcode
    import qrcode.image.svg

    suffix = output.suffix.lower()
    if suffix == ".svg":
        image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage)
    elif suffix == ".png":
        image = qrcode.make(text)
    else:
        raise click.ClickException("the output file must end in .png or .svg")
    image.save(str(output))
    click.echo(f"wrote {output}")


def _token_options(command):
    command = click.option("--store", "store_code", required=True, help="store code, e.g. B001")(command)
    command = click.option("--touchpoint", "touchpoint_code", required=True, help="touchpoint code, e.g. exit")(command)
    command = click.option("--receipt", default=None, help="bind the code to one receipt: it takes one response")(
        command
    )
    return click.option(
        "--expires",
        type=click.DateTime(["%Y-%m-%d"]),
        default=None,
        help="last day the code works (YYYY-MM-DD, in the store's time zone)",
    )(command)


def _phone_link(store_code: str, touchpoint_code: str, receipt: str | None, expires: datetime | None):
    """(store, touchpoint, url, expiry) for a new phone token, signed with the current key."""
    from flask import current_app

    from hub.services.phone import (
        QrKeys,
        make_phone_token,
        phone_url,
        store_by_code,
        touchpoint_by_code,
        valid_through,
    )

    store = store_by_code(store_code)
    touchpoint = touchpoint_by_code(store, touchpoint_code)
    until = valid_through(store, expires.date() if expires is not None else None)
    token = make_phone_token(
        QrKeys.from_config(current_app.config), store.code, touchpoint.code, receipt=receipt, expires=until
    )
    return store, touchpoint, phone_url(current_app.config["PUBLIC_URL"], token), until


def _lazy(command):
    """Run inside the hub's app context (hub.app_context.with_app, imported when the command runs);
    refusals become one clear line."""
    import functools

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from hub.app_context import with_app
        from shared.errors import VoxloopError

        try:
            return with_app(command)(*args, **kwargs)
        except VoxloopError as exc:
            raise click.ClickException(f"{exc.detail} [{exc.code}]") from None
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


@qr.command()
@_token_options
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="a .png, .pdf or .svg file")
@_lazy
def poster(store_code: str, touchpoint_code: str, receipt: str | None, expires: datetime | None, output: Path) -> None:
    """A printable poster whose QR code opens the phone page for a store's touchpoint."""
    from hub.services.phone import poster_for, write_poster

    store, touchpoint, url, until = _phone_link(store_code, touchpoint_code, receipt, expires)
    if output.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise click.ClickException("the poster file must end in .png, .pdf or .svg")
    last_day = expires.date() if expires is not None else None
    write_poster(poster_for(store, touchpoint, url, last_day=last_day), output)
    through = f", valid through {until - timedelta(days=1):%Y-%m-%d}" if until else ""
    click.echo(f"wrote {output} for {store.code}/{touchpoint.code}{through}")


@qr.command()
@_token_options
@_lazy
def url(store_code: str, touchpoint_code: str, receipt: str | None, expires: datetime | None) -> None:
    """Print the phone page's URL for a store's touchpoint (e.g. for a receipt printer)."""
    click.echo(_phone_link(store_code, touchpoint_code, receipt, expires)[2])


@qr.command()
@_lazy
def keys() -> None:
    """List the QR key ids this hub reads; the first signs new codes (QR_KEY_IDS, QR_SECRETS)."""
    from flask import current_app

    from hub.services.phone import QrKeys, pinned_secrets

    ring = QrKeys.from_config(current_app.config)
    pinned = pinned_secrets(current_app.config.get("QR_SECRETS"))
    for key_id in ring.secrets:
        role = "signs new codes" if key_id == ring.signing_id else "reads only"
        origin = "pinned secret (QR_SECRETS)" if key_id in pinned else "derived from SECRET_KEY"
        click.echo(f"{key_id}  {role:<16} {origin}")
