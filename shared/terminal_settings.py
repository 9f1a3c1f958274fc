"""The terminal settings contract: the numbers the hub sends under ``kiosk`` in a terminal's
configuration, their defaults and their limits.

The hub sends the defaults (hub/services/terminal_config.py), the terminal fills in what a
configuration leaves out and refuses a configuration whose settings break the limits
(kiosk/sync_worker.py ``config_problem``), and its UI reads them with ``setting``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

KIOSK_DEFAULTS: Mapping[str, float] = MappingProxyType(
    {
        "press_interval_seconds": 3,  # presses closer together are flagged suspect
        "follow_up_timeout_seconds": 8,  # nobody touched the reasons: the rating is stored
        "thank_you_seconds": 5,
        "idle_reset_seconds": 20,  # back to the faces in the store's first language
        "sync_interval_seconds": 30,  # seconds between sync rounds; must be above 0
    }
)
KIOSK_NUMBERS = tuple(KIOSK_DEFAULTS)


def settings_problem(kiosk: object) -> str | None:
    """Why the ``kiosk`` part of a configuration cannot be used, or None when it can."""
    if not isinstance(kiosk, dict):
        return "kiosk settings must be an object"
    for name in KIOSK_NUMBERS:
        value = kiosk.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            return f"kiosk.{name} must be a non-negative number"
    return None


def with_defaults(kiosk: Mapping[str, Any] | None) -> dict[str, Any]:
    """The settings of a configuration, every default filled in."""
    return {**KIOSK_DEFAULTS, **(kiosk or {})}


def setting(kiosk: Mapping[str, Any] | None, name: str) -> float:
    """One number, its default when the configuration leaves it out."""
    return float((kiosk or {}).get(name, KIOSK_DEFAULTS[name]))


def sync_interval(kiosk: Mapping[str, Any] | None) -> float:
    """Seconds between sync rounds; the default when missing, not a number, or not above 0."""
    default = float(KIOSK_DEFAULTS["sync_interval_seconds"])
    value = (kiosk or {}).get("sync_interval_seconds", default)
    return float(value) if isinstance(value, int | float) and value > 0 else default
