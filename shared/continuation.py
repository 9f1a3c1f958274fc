"""Continuation codes: the thank-you screen's QR code that continues a tapped response on the
phone. No I/O: the clock comes in.

A terminal has no QR secret, but it has its own Ed25519 key, whose public half the hub took at
enrollment. So the terminal signs the code itself, offline, at the tap:

    byte 0        format version (1)
    bytes 1-16    the response id (the tap's UUID)
    bytes 17-20   expiry, unix seconds, big-endian
    then          three short strings, each a length byte and UTF-8: the terminal's key id
                  (its device id), the store code, the touchpoint code
    last 64       Ed25519 signature over ``voxloop continuation v1`` NUL and every byte before it

base64url without padding: about 150 characters, so the URL ``<public url>/m/c/<code>`` fits a
QR code of version 10 at error correction M (57 modules), which a phone reads at arm's length
from the terminal's screen. The label keeps a signature over a code from ever being a valid
signature over anything else the key signs (requests are signed over another text).
"""

from __future__ import annotations

import binascii
import struct
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.crypto import b64url, unb64url
from shared.errors import TokenError

VERSION = 1
LIFETIME_SECONDS = 2 * 60 * 60  # a code continues its tap for two hours
_LABEL = b"voxloop continuation v1\x00"
_SIGNATURE = 64
_MAX_TEXT = 64
_MAX_LENGTH = 400  # characters of a code; anything longer is not one


@dataclass(frozen=True)
class ContinuationClaims:
    """What a continuation code says; ``signed`` and ``signature`` for the check."""

    response_id: str
    expires: int
    key_id: str
    store: str
    touchpoint: str
    signed: bytes
    signature: bytes


def _text(value: str) -> bytes:
    raw = value.encode()
    if not 0 < len(raw) <= _MAX_TEXT:
        raise ValueError(f"{value!r} is not 1-{_MAX_TEXT} bytes")
    return bytes([len(raw)]) + raw


def make_continuation(
    key: Ed25519PrivateKey, *, response_id: str, key_id: str, store: str, touchpoint: str, expires: int
) -> str:
    """The code for one tapped response, signed by the terminal's key."""
    body = (
        bytes([VERSION])
        + uuid.UUID(response_id).bytes
        + struct.pack(">I", expires)
        + _text(key_id)
        + _text(store)
        + _text(touchpoint)
    )
    return b64url(body + key.sign(_LABEL + body))


def read_continuation(code: object) -> ContinuationClaims:
    """The claims of a code, not yet verified: TokenError ``malformed_token`` when it is no
    code at all. Check it with ``verify_continuation`` and the terminal's public key."""
    if not isinstance(code, str) or not 0 < len(code) <= _MAX_LENGTH:
        raise TokenError("malformed_token")
    try:
        raw = unb64url(code)
    except (ValueError, binascii.Error):
        raise TokenError("malformed_token") from None
    if b64url(raw) != code:  # one spelling per code: no padding, nothing outside the alphabet
        raise TokenError("malformed_token")
    body, signature = raw[:-_SIGNATURE], raw[-_SIGNATURE:]
    if len(body) < 21 or body[0] != VERSION:
        raise TokenError("malformed_token")
    texts, at = [], 21
    try:
        for _ in range(3):
            length = body[at]
            texts.append(body[at + 1 : at + 1 + length].decode())
            if len(texts[-1].encode()) != length or length == 0:
                raise ValueError("short")
            at += 1 + length
    except (IndexError, ValueError):
        raise TokenError("malformed_token") from None
    if at != len(body):
        raise TokenError("malformed_token")
    return ContinuationClaims(
        response_id=str(uuid.UUID(bytes=body[1:17])),
        expires=struct.unpack(">I", body[17:21])[0],
        key_id=texts[0],
        store=texts[1],
        touchpoint=texts[2],
        signed=body,
        signature=signature,
    )


def verify_continuation(claims: ContinuationClaims, public_key: Ed25519PublicKey, now: float) -> None:
    """TokenError unless the terminal's key signed the code and it runs at ``now``:
    ``bad_token_signature`` (forged or changed), ``expired_token`` (past its expiry) or
    ``malformed_token`` (an expiry further out than a code lives: a terminal's clock far
    ahead)."""
    try:
        public_key.verify(claims.signature, _LABEL + claims.signed)
    except InvalidSignature:
        raise TokenError("bad_token_signature") from None
    if now >= claims.expires:
        raise TokenError("expired_token")
    if claims.expires > now + LIFETIME_SECONDS + 600:
        raise TokenError("malformed_token", "the code's expiry lies further ahead than a code lives")
