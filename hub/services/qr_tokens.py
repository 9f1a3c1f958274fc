"""Signed tokens that QR codes carry to the phone page: store, touchpoint, optional receipt
and expiry, and the key id. Keys are derived from the hub's secret; a new key id is added
when keys rotate, and old ones stay readable so printed posters keep working."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.crypto import make_token

CURRENT_KEY_ID = "k1"


def token_secrets(secret_key: str) -> dict[str, bytes]:
    """Key id -> HMAC secret, for every key id this hub still reads."""
    return {
        CURRENT_KEY_ID: HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"voxloop qr k1").derive(
            secret_key.encode()
        )
    }


def touchpoint_token(secret_key: str, store_code: str, touchpoint_code: str) -> str:
    """A token for a store's touchpoint, not bound to a receipt, not expiring (terminal screens)."""
    return make_token(
        {"s": store_code, "t": touchpoint_code}, CURRENT_KEY_ID, token_secrets(secret_key)[CURRENT_KEY_ID]
    )
