"""The one test double of the invitations: an SMS provider that records what it was asked to
send (the gateway is the edge voxloop does not own), and can be told to be down for a while or
to refuse a number."""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.services.outbox.transports import DeliveryError


@dataclass
class RecordingSms:
    sent: list[tuple[str, str]] = field(default_factory=list)
    down: bool = False
    refuse: set[str] = field(default_factory=set)

    def send(self, to: str, text: str) -> None:
        if self.down:
            raise DeliveryError("SMS gateway unreachable")
        if to in self.refuse:
            raise DeliveryError("number refused", permanent=True)
        self.sent.append((to, text))
