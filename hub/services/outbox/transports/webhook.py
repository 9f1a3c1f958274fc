"""Webhooks: a signed JSON POST with a timeout.

The body is signed with HMAC-SHA256 under the rule's secret over ``"<timestamp>." + body``;
the header reads ``X-Voxloop-Signature: t=<unix seconds>,v1=<hex digest>`` (the shape Stripe
and others use), so a receiver checks the digest and refuses old timestamps (replays).
``X-Voxloop-Delivery`` carries the message id: a receiver that saw it already can ignore a
redelivery. 2xx is delivered; 408, 429 and 5xx, timeouts and refused connections are retried;
other 4xx answers are permanent (the receiver will not take it).
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request
from dataclasses import dataclass

from hub.services.outbox.transports import DeliveryError

SIGNATURE_HEADER = "X-Voxloop-Signature"
DELIVERY_HEADER = "X-Voxloop-Delivery"


def signature(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, now: float, tolerance: float = 300) -> bool:
    """What a receiver does: the digest matches and the timestamp is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    expected = signature(secret, body, timestamp)
    return hmac.compare_digest(expected, header) and abs(now - timestamp) <= tolerance


@dataclass(frozen=True)
class WebhookSender:
    timeout: float = 5.0

    def post(self, url: str, body: bytes, *, secret: str, delivery_id: str, now: float) -> int:
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked when the rule is saved
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "voxloop-hub",
                SIGNATURE_HEADER: signature(secret, body, int(now)),
                DELIVERY_HEADER: delivery_id,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return answer.status
        except urllib.error.HTTPError as exc:
            retry = exc.code in (408, 425, 429) or exc.code >= 500
            raise DeliveryError(f"webhook answered {exc.code} {exc.reason}", permanent=not retry) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"webhook unreachable: {type(reason).__name__}: {reason}") from None
