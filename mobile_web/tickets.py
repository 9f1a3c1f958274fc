"""Signed page tickets and the no-JS form's CSRF check.

A page ticket records when the hub served the page for a token, signed so the browser can
neither move nor forge it, with a random part so every served page has its own. Answers
sent with it are checked against how fast a person can answer (phone_responses flags faster
ones ``suspect``); a ticket takes one response (and that response's later versions), named
by the ticket's digest; and a token that expired after the page was served still takes the
answers of that page, so a conversation begun in time is not lost.

The no-JS form carries a CSRF value: an HMAC of a random cookie (HttpOnly, SameSite=Strict,
path /m/). Another site can neither read the cookie nor compute the value, and the browser
does not send a Strict cookie with a cross-site post at all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.crypto import b64url, derive_key, make_token, read_token
from shared.errors import TokenError

_TICKET_KEY_ID = "p1"
TICKET_LIFETIME = timedelta(days=7)  # a conversation resumed later than this starts a new clock
CSRF_COOKIE = "vx_csrf"


@dataclass(frozen=True)
class PageTicket:
    served: datetime  # when the hub served the page
    digest: str  # names the page's one response (phone_ticket), never the ticket itself


def make_ticket(secret_key: str, token_fingerprint: str, now: datetime) -> str:
    claims = {"i": int(now.timestamp() * 1000), "h": token_fingerprint[:16], "n": secrets.token_urlsafe(9)}
    return make_token(claims, _TICKET_KEY_ID, derive_key(secret_key, "voxloop phone ticket"))


def read_ticket(secret_key: str, ticket: object, token_fingerprint: str, now: datetime) -> PageTicket | None:
    """The served page's ticket, or None for a missing, forged, foreign or stale one."""
    if not isinstance(ticket, str) or not ticket:
        return None
    try:
        claims = read_token(ticket, {_TICKET_KEY_ID: derive_key(secret_key, "voxloop phone ticket")}, now.timestamp())
    except TokenError:
        return None
    issued = claims.get("i")
    if claims.get("h") != token_fingerprint[:16] or not isinstance(issued, int):
        return None
    served = datetime.fromtimestamp(issued / 1000, UTC)
    if not now - TICKET_LIFETIME <= served <= now + timedelta(seconds=5):
        return None
    return PageTicket(served, hashlib.sha256(ticket.encode()).hexdigest()[:32])


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(24)


def csrf_value(secret_key: str, cookie: str) -> str:
    return b64url(hmac.new(derive_key(secret_key, "voxloop phone csrf"), cookie.encode(), hashlib.sha256).digest())


def csrf_ok(secret_key: str, cookie: str | None, value: str | None) -> bool:
    if not cookie or not value:
        return False
    return hmac.compare_digest(csrf_value(secret_key, cookie), value)
