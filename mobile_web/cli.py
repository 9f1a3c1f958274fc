"""``voxloop qr ...``: QR codes from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from mobile_web.qr_codes import ascii_qr


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
