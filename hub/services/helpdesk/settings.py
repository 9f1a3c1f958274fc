"""The hub's help desk settings (HELPDESK_* in hub/config.py) and the connector they name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.services.helpdesk import HelpDesk, connector


def _names(value: object) -> frozenset[str]:
    return frozenset(part.strip() for part in str(value or "").split(",") if part.strip())


@dataclass(frozen=True)
class HelpDeskSettings:
    system: str = ""
    base_url: str = ""
    token: str = field(default="", repr=False)  # never in a log line or a repr
    queue: str = "General"
    timeout: float = 10
    auto_rules: frozenset[str] = frozenset()
    auto_stores: frozenset[str] = frozenset()
    poll_seconds: int = 120
    send_contact: bool = False
    inbound_secret: str = field(default="", repr=False)  # signs the help desk's events

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> HelpDeskSettings:
        return cls(
            system=str(config.get("HELPDESK_SYSTEM") or "").strip(),
            base_url=str(config.get("HELPDESK_URL") or "").strip(),
            token=str(config.get("HELPDESK_TOKEN") or ""),
            queue=str(config.get("HELPDESK_QUEUE") or "General"),
            timeout=float(config.get("HELPDESK_TIMEOUT_SECONDS") or 10),
            auto_rules=_names(config.get("HELPDESK_AUTO_RULES")),
            auto_stores=_names(config.get("HELPDESK_AUTO_STORES")),
            poll_seconds=int(config.get("HELPDESK_POLL_SECONDS") or 120),
            send_contact=bool(int(config.get("HELPDESK_SEND_CONTACT") or 0)),
            inbound_secret=str(config.get("HELPDESK_INBOUND_SECRET") or ""),
        )

    @property
    def enabled(self) -> bool:
        return bool(self.system and self.base_url)

    def desk(self) -> HelpDesk:
        """The configured connector (only when ``enabled``)."""
        return connector(self.system, base_url=self.base_url, token=self.token, queue=self.queue, timeout=self.timeout)
