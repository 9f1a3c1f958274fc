"""The keys of invitations, each derived from the hub's secret under its own label:

- the address is sealed at rest (AES-256-GCM, hub/services/personal_data.py) bound to the
  invitation's public id, and opened only to address its messages;
- the address's keyed hash (HMAC-SHA256) is all the suppression list and the interval rule
  keep: they compare addresses without holding one, and a copy of the database cannot confirm
  a guessed address without the key;
- the personal link and the unsubscribe link are tokens in the hub's one format
  (shared/crypto.py ``make_token``) naming the invitation's public id, each under its own key,
  so neither link can be made from the other.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from shared.crypto import derive_key, make_token, read_token
from shared.errors import TokenError

LINK_KEY_ID = "inv1"
UNSUBSCRIBE_KEY_ID = "uns1"


@dataclass(frozen=True)
class InvitationKeys:
    seal: bytes
    address: bytes
    link: bytes
    unsubscribe: bytes

    @classmethod
    def from_secret(cls, secret_key: str) -> InvitationKeys:
        return cls(
            seal=derive_key(secret_key, "voxloop invitation address seal v1"),
            address=derive_key(secret_key, "voxloop invitation address hash v1"),
            link=derive_key(secret_key, "voxloop invitation link v1"),
            unsubscribe=derive_key(secret_key, "voxloop invitation unsubscribe v1"),
        )

    def address_hash(self, channel: str, address: str) -> str:
        """The same person gives the same hash however the address is written (case, spaces)."""
        normal = address.strip().lower() if channel == "email" else "".join(address.split())
        return hmac.new(self.address, f"{channel}:{normal}".encode(), hashlib.sha256).hexdigest()

    def link_token(self, public_id: str) -> str:
        return make_token({"i": public_id}, LINK_KEY_ID, self.link)

    def unsubscribe_token(self, public_id: str) -> str:
        return make_token({"u": public_id}, UNSUBSCRIBE_KEY_ID, self.unsubscribe)

    def read_link(self, token: str, now: float) -> str:
        return _claim(token, {LINK_KEY_ID: self.link}, "i", now)

    def read_unsubscribe(self, token: str, now: float) -> str:
        return _claim(token, {UNSUBSCRIBE_KEY_ID: self.unsubscribe}, "u", now)


def _claim(token: str, secrets: dict[str, bytes], name: str, now: float) -> str:
    claims = read_token(token, secrets, now)
    value = claims.get(name)
    if not isinstance(value, str):
        raise TokenError("malformed_token")
    return value


def invite_url(public_url: str, keys: InvitationKeys, public_id: str) -> str:
    return f"{public_url.rstrip('/')}/invite/{keys.link_token(public_id)}"


def unsubscribe_url(public_url: str, keys: InvitationKeys, public_id: str) -> str:
    return f"{public_url.rstrip('/')}/unsubscribe/{keys.unsubscribe_token(public_id)}"


def phone_receipt(public_id: str) -> str:
    """The receipt the phone page binds the invitation's one response to."""
    return f"inv:{public_id}"
