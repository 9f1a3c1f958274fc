"""Webhooks: a signed JSON POST with a timeout.

The body is signed with HMAC-SHA256 under the rule's secret over ``"<timestamp>." + body``;
the header reads ``X-Voxloop-Signature: t=<unix seconds>,v1=<hex digest>`` (the shape Stripe
and others use), so a receiver checks the digest and refuses old timestamps (replays).
``X-Voxloop-Delivery`` carries the message id: a receiver that saw it already can ignore a
redelivery.

Every webhook is also signed as Standard Webhooks says (https://www.standardwebhooks.com), so
no-code tools (n8n, Zapier) and the ``standardwebhooks`` libraries verify it as it is:
``webhook-id`` is the message id (the same on every retry), ``webhook-timestamp`` the unix
seconds, ``webhook-signature`` reads ``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``.
Its key: a secret that starts with ``whsec_`` is the base64 of the key's bytes, as the spec
writes secrets; any other secret (the hub makes them with ``secrets.token_urlsafe``) is the
key as its UTF-8 bytes, the very key of ``X-Voxloop-Signature``. A receiver that takes a
Standard Webhooks secret is given ``standard_secret(secret)``: ``whsec_`` and the base64 of
those bytes (the rule's page shows it beside the secret, once; docs/webhooks.md).

2xx is delivered; 408, 429 and 5xx, timeouts and refused connections are retried;
other answers are permanent (the receiver will not take it; a redirect is not followed, since it
could lead to an address that was never checked).

The host is resolved here, every address it has is checked (hub/services/webhook_targets.py:
internal ones only where the operator allows them), and the connection goes to the checked
address, the URL's name still sent as Host and used for TLS, so DNS rebinding gains nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from hub.services.outbox.transports import DeliveryError
from hub.services.webhook_targets import Resolver, WebhookTargets, resolve
from shared.errors import RuleError

SIGNATURE_HEADER = "X-Voxloop-Signature"
DELIVERY_HEADER = "X-Voxloop-Delivery"
STANDARD_ID_HEADER = "webhook-id"
STANDARD_TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
STANDARD_PREFIX = "whsec_"


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


def standard_key(secret: str) -> bytes:
    """The HMAC key of the Standard Webhooks signature: ``whsec_<base64>`` is those bytes,
    any other secret its UTF-8 bytes."""
    if secret.startswith(STANDARD_PREFIX):
        return base64.b64decode(secret[len(STANDARD_PREFIX) :])
    return secret.encode()


def standard_secret(secret: str) -> str:
    """The secret as a Standard Webhooks receiver takes it: ``whsec_`` + base64 of the key."""
    return STANDARD_PREFIX + base64.b64encode(standard_key(secret)).decode()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` over ``"<id>.<timestamp>.<body>"``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(standard_key(secret), signed, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, body: bytes, *, delivery_id: str, timestamp: int) -> dict[str, str]:
    """Both signatures: ours (kept for the receivers that check it) and Standard Webhooks'."""
    return {
        SIGNATURE_HEADER: signature(secret, body, timestamp),
        DELIVERY_HEADER: delivery_id,
        STANDARD_ID_HEADER: delivery_id,
        STANDARD_TIMESTAMP_HEADER: str(timestamp),
        STANDARD_SIGNATURE_HEADER: standard_signature(secret, delivery_id, timestamp, body),
    }


@dataclass(frozen=True)
class WebhookSender:
    timeout: float = 5.0
    targets: WebhookTargets = field(default_factory=WebhookTargets)
    resolver: Resolver = resolve

    def post(self, url: str, body: bytes, *, secret: str, delivery_id: str, now: float) -> int:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "voxloop-hub",
            **signed_headers(secret, body, delivery_id=delivery_id, timestamp=int(now)),
        }
        try:
            connection, target = self._connection(url)
            try:
                connection.request("POST", target, body=body, headers=headers)
                status = connection.getresponse().status
            finally:
                connection.close()
        except RuleError as exc:
            raise DeliveryError(f"webhook refused: {exc.detail}", permanent=True) from None
        except ValueError as exc:  # a port that is not a number, an address that is not one
            raise DeliveryError(f"webhook_url cannot be used: {exc}", permanent=True) from None
        except (http.client.HTTPException, TimeoutError, OSError) as exc:
            raise DeliveryError(f"webhook unreachable: {type(exc).__name__}: {exc}") from None
        if 200 <= status < 300:
            return status
        retry = status in (408, 425, 429) or status >= 500
        raise DeliveryError(
            f"webhook answered {status} {http.client.responses.get(status, '')}".rstrip(), permanent=not retry
        )

    def _connection(self, url: str) -> tuple[http.client.HTTPConnection, str]:
        """A connection to the checked address of the URL's host, and the request target."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RuleError("webhook_url must be an http:// or https:// URL", "webhook_url")
        secure = parts.scheme == "https"
        port = parts.port or (443 if secure else 80)
        address = self.targets.address_for(parts.hostname, port, self.resolver)
        kind = http.client.HTTPSConnection if secure else http.client.HTTPConnection
        connection = kind(parts.hostname, port, timeout=self.timeout)

        def pinned(_where: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
            return socket.create_connection((address, port), *args, **kwargs)  # type: ignore[arg-type]

        connection._create_connection = pinned  # the name stays for Host and TLS; the address is fixed
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return connection, target
