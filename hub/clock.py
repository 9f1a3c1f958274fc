"""The hub's clock, replaceable per app so tests step time instead of patching it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app


def system_now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    return current_app.config.get("CLOCK", system_now)()
