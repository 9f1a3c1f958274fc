"""Signed tokens that QR codes carry to the phone page: store, touchpoint, optional receipt
and expiry, and the key id (shared/crypto.py make_token / read_token).

Keys and rotation. The hub reads every key id listed in ``QR_KEY_IDS`` (default ``k1``); the
first one signs new codes. A key's secret is derived from ``SECRET_KEY`` with HKDF under its
own label (``voxloop qr <key id>``), unless ``QR_SECRETS`` pins it to a secret of its own
(``"k1=<secret>,k3=<secret>"``; the key is then derived from that secret the same way).

- Rotate: ``QR_KEY_IDS=k2,k1``. New codes are signed with k2; posters printed with k1 keep
  working for as long as k1 stays in the list.
- Retire: drop k1 from the list; its codes are refused (``unknown_token_key``).
- Change SECRET_KEY without breaking posters: pin the old keys to the old secret first,
  ``QR_SECRETS=k1=<old SECRET_KEY>``, then add a new key id for new codes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.crypto import derive_key, make_token, read_token
from shared.errors import TokenError

CURRENT_KEY_ID = "k1"  # the default signing key id (QR_KEY_IDS)
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_RECEIPT = re.compile(r"^[A-Za-z0-9_.:/-]{1,64}$")


def _derive(secret: str, key_id: str) -> bytes:
    return derive_key(secret, f"voxloop qr {key_id}")


def _key_ids(key_ids: str | list[str] | tuple[str, ...]) -> list[str]:
    ids = [k.strip() for k in key_ids.split(",")] if isinstance(key_ids, str) else [k.strip() for k in key_ids]
    ids = [k for k in ids if k]
    bad = [k for k in ids if not _KEY_ID.match(k)]
    if not ids or bad:
        raise ValueError(f"QR_KEY_IDS must list key ids of 1-16 letters, digits, '_' or '-' (got {key_ids!r})")
    return list(dict.fromkeys(ids))


def pinned_secrets(pinned: str | Mapping[str, str] | None) -> dict[str, str]:
    """QR_SECRETS read: key id -> its own secret."""
    if not pinned:
        return {}
    if isinstance(pinned, Mapping):
        return {str(k): str(v) for k, v in pinned.items()}
    text = pinned.strip()
    if text.startswith("{"):
        return {str(k): str(v) for k, v in json.loads(text).items()}
    found = {}
    for item in text.split(","):
        key_id, sep, secret = item.strip().partition("=")
        if not sep or not secret:
            raise ValueError("QR_SECRETS is 'k1=<secret>,k2=<secret>' (or a JSON object)")
        found[key_id.strip()] = secret.strip()
    return found


def token_secrets(
    secret_key: str, key_ids: str | list[str] | tuple[str, ...] = CURRENT_KEY_ID, pinned: Any = None
) -> dict[str, bytes]:
    """Key id -> HMAC secret, for every key id this hub still reads; the first one signs."""
    own = pinned_secrets(pinned)
    return {key_id: _derive(own.get(key_id, secret_key), key_id) for key_id in _key_ids(key_ids)}


@dataclass(frozen=True)
class QrKeys:
    """The key ring: every readable key id and the one that signs new codes."""

    secrets: Mapping[str, bytes]

    @property
    def signing_id(self) -> str:
        return next(iter(self.secrets))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> QrKeys:
        return cls(
            token_secrets(config["SECRET_KEY"], config.get("QR_KEY_IDS") or CURRENT_KEY_ID, config.get("QR_SECRETS"))
        )


def make_phone_token(
    keys: QrKeys,
    store_code: str,
    touchpoint_code: str,
    *,
    receipt: str | None = None,
    expires: datetime | None = None,
) -> str:
    """A token for the phone page; bound to one receipt (one response) when ``receipt`` is given."""
    claims: dict[str, Any] = {"s": store_code, "t": touchpoint_code}
    if receipt is not None:
        if not _RECEIPT.match(receipt):
            raise ValueError("a receipt id is 1-64 letters, digits or . _ : / -")
        claims["r"] = receipt
    if expires is not None:
        claims["e"] = int(expires.timestamp())
    return make_token(claims, keys.signing_id, keys.secrets[keys.signing_id])


def touchpoint_token(secret_key: str, store_code: str, touchpoint_code: str, keys: QrKeys | None = None) -> str:
    """A token for a store's touchpoint, not bound to a receipt, not expiring (terminal screens).

    Without ``keys``: the running hub's key ring when called inside its app with the same
    secret (so terminals' codes follow a rotation of QR_KEY_IDS), else the default ring."""
    if keys is None:
        from flask import current_app, has_app_context

        if has_app_context() and current_app.config.get("SECRET_KEY") == secret_key:
            keys = QrKeys.from_config(current_app.config)
        else:
            keys = QrKeys(token_secrets(secret_key))
    return make_phone_token(keys, store_code, touchpoint_code)


@dataclass(frozen=True)
class PhoneClaims:
    """What a valid phone token grants."""

    store: str
    touchpoint: str
    receipt: str | None
    expires: int | None
    key_id: str
    fingerprint: str  # sha-256 of the token: names it in rate limits without storing it


def read_phone_token(token: str, keys: QrKeys, now: float, *, served_at: float | None = None) -> PhoneClaims:
    """The claims of a phone token, or TokenError. ``served_at``: when the page that sends
    answers was served (a signed page ticket); a token that expired since still takes them,
    so a conversation begun in time is not lost."""
    try:
        claims = read_token(token, keys.secrets, now)
    except TokenError as error:
        if error.code != "expired_token" or served_at is None:
            raise
        claims = read_token(token, keys.secrets, served_at)
    store, touchpoint, receipt = claims.get("s"), claims.get("t"), claims.get("r")
    if not isinstance(store, str) or not isinstance(touchpoint, str) or not isinstance(receipt, str | None):
        raise TokenError("malformed_token")
    return PhoneClaims(
        store=store,
        touchpoint=touchpoint,
        receipt=receipt,
        expires=claims.get("e"),
        key_id=claims["k"],
        fingerprint=hashlib.sha256(token.encode()).hexdigest(),
    )


def phone_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/m/{token}"
