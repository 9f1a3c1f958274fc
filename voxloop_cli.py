"""The ``voxloop`` command: ``hub``, ``kiosk``, ``qr`` and ``demo`` groups.

Groups are imported when called, so a terminal without the hub's packages (and a hub without
Kivy) runs its own commands."""

from __future__ import annotations

import importlib

import click

_GROUPS = {
    "hub": ("hub.cli", "hub", "Set up, run and administer the hub."),
    "kiosk": ("kiosk.cli", "kiosk", "Enroll and run an exit terminal."),
    "qr": ("mobile_web.cli", "qr", "Make QR codes."),
    "demo": ("hub.demo", "demo", "Try voxloop with a demo store and demo feedback."),
}


class LazyGroups(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_GROUPS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _GROUPS:
            return None
        module, attribute, summary = _GROUPS[name]
        try:
            return getattr(importlib.import_module(module), attribute)
        except ImportError as exc:
            extra = "hub" if name in ("hub", "demo", "qr") else "kiosk"
            reason = f"{exc}. Install it with: pip install 'voxloop[{extra}]'"

            @click.command(name=name, help=summary)
            def missing() -> None:
                raise click.ClickException(reason)

            return missing


@click.group(cls=LazyGroups)
@click.version_option(package_name="voxloop")
def main() -> None:
    """voxloop: customer feedback in stores, from the tap to the resolved case."""


if __name__ == "__main__":
    main()
