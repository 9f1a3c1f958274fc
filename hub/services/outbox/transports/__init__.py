"""Senders that take a message out of the hub: email over SMTP, webhooks over HTTP.

Each sender raises ``DeliveryError`` when a message did not go out; ``permanent`` says that
trying again cannot help (a recipient refused with a 5xx reply, a webhook answering 4xx), so
the outbox gives up on it and shows it to HQ instead of retrying. Anything else is retried
with backoff (hub/services/outbox/delivery.py). Tests pass real senders pointed at a local
SMTP server and HTTP receiver.
"""

from __future__ import annotations


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
