"""Keys, signed requests and signed QR tokens. No I/O: the clock and nonces come in.

Terminal requests are signed in the shape of RFC 9421 (HTTP Message Signatures) with
Ed25519 over the method, the path, the body's Content-Digest (RFC 9530), a created time and a
nonce; the key id is the device id the hub gave at enrollment::

    Content-Digest: sha-256=:<base64>:
    Signature-Input: sig1=("@method" "@path" "content-digest");created=1700000000;nonce="...";keyid="...";alg="ed25519"
    Signature: sig1=:<base64>:

Keys derived from the hub's secret: ``derive_key(secret, label)``, HKDF-SHA256 with one label
per purpose, so a key for one purpose says nothing about another.

QR tokens are compact HMAC-SHA256 tokens: ``v1.<claims>.<mac>`` with base64url parts; the
claims name the key id (``k``) so keys rotate without breaking codes already printed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.errors import EnrollmentError, SignatureError, TokenError

SIGNATURE_LABEL = "sig1"
COVERED = ('"@method"', '"@path"', '"content-digest"')
MAX_CLOCK_SKEW_SECONDS = 300


# --- keys ---------------------------------------------------------------------------------


def derive_key(secret: str | bytes, label: str) -> bytes:
    """A 32-byte key for one purpose (``label``, e.g. ``"voxloop contact v1"``) from a secret.

    HKDF-SHA256 without salt, the label as info. Printed QR codes and sealed contacts depend on
    the exact bytes, so neither the algorithm nor a label may change once in use.
    """
    raw = secret.encode() if isinstance(secret, str) else secret
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label.encode()).derive(raw)


def keyed_content_hash(key: bytes, content_hash: str) -> str:
    """What the hub stores for a response's ``content_hash``: its HMAC-SHA256 under a key derived
    from the hub's secret. Equal content still gives equal values (a retry is a duplicate, other
    content a conflict), but a copy of the database no longer confirms a guessed contact, since
    nobody can hash a guess without the key."""
    return hmac.new(key, content_hash.encode("ascii"), hashlib.sha256).hexdigest()


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def private_key_from_pem(data: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64url without padding: how it travels and is stored."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return b64url(raw)


def load_public_key(text: object) -> Ed25519PublicKey:
    if not isinstance(text, str):
        raise EnrollmentError("bad_public_key", "public_key must be 32 raw bytes, base64url")
    return _public_key(text)


@lru_cache(maxsize=1024)  # every signed request loads its terminal's key
def _public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = unb64url(text)
        if len(raw) != 32:
            raise ValueError
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        raise EnrollmentError("bad_public_key", "public_key must be 32 raw bytes, base64url") from None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- signed requests ----------------------------------------------------------------------


def content_digest(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def _params(created: int, nonce: str, key_id: str) -> str:
    return f'({" ".join(COVERED)});created={created};nonce="{nonce}";keyid="{key_id}";alg="ed25519"'


def _signature_base(method: str, path: str, digest: str, params: str) -> bytes:
    return (
        f'"@method": {method.upper()}\n"@path": {path}\n"content-digest": {digest}\n"@signature-params": {params}'
    ).encode()


def sign_request(
    key: Ed25519PrivateKey, key_id: str, method: str, path: str, body: bytes, *, created: int, nonce: str
) -> dict[str, str]:
    """The headers that make a request verifiable by the hub."""
    if not re.fullmatch(r"[A-Za-z0-9_\-]{8,64}", nonce):
        raise ValueError("nonce must be 8-64 URL-safe characters")
    digest = content_digest(body)
    params = _params(created, nonce, key_id)
    signature = key.sign(_signature_base(method, path, digest, params))
    return {
        "Content-Digest": digest,
        "Signature-Input": f"{SIGNATURE_LABEL}={params}",
        "Signature": f"{SIGNATURE_LABEL}=:{base64.b64encode(signature).decode()}:",
    }


@dataclass(frozen=True)
class SignedRequest:
    """What the signature headers claim, before anything is verified."""

    key_id: str
    created: int
    nonce: str
    params: str
    signature: bytes
    digest: str


_INPUT = re.compile(
    r'^sig1=(\("@method" "@path" "content-digest"\);created=(\d{1,12});nonce="([A-Za-z0-9_\-]{8,64})";'
    r'keyid="([A-Za-z0-9_\-]{1,64})";alg="ed25519")$'
)
_SIGNATURE = re.compile(r"^sig1=:([A-Za-z0-9+/=]{80,100}):$")


def read_signature(headers: Mapping[str, str]) -> SignedRequest:
    """Parse the three headers; raises SignatureError when they are missing or malformed."""
    sig_input, signature, digest = (headers.get(h) for h in ("Signature-Input", "Signature", "Content-Digest"))
    if not sig_input or not signature or not digest:
        raise SignatureError("missing_signature", "Signature-Input, Signature and Content-Digest are required")
    match, sig_match = _INPUT.match(sig_input), _SIGNATURE.match(signature)
    if not match or not sig_match:
        raise SignatureError(
            "malformed_signature",
            'expected sig1=("@method" "@path" "content-digest");created=..;nonce="..";keyid="..";alg="ed25519"',
        )
    params, created, nonce, key_id = match.groups()
    try:
        raw = base64.b64decode(sig_match.group(1), validate=True)
    except binascii.Error:
        raise SignatureError("malformed_signature", "the signature is not base64") from None
    return SignedRequest(key_id=key_id, created=int(created), nonce=nonce, params=params, signature=raw, digest=digest)


def check_created(signed: SignedRequest, now: float, max_skew: int = MAX_CLOCK_SKEW_SECONDS) -> None:
    """Reject signatures made too long ago or in the future (bounded replay window)."""
    if abs(now - signed.created) > max_skew:
        raise SignatureError(
            "stale_created",
            f"created is {int(signed.created - now)} s from the hub's clock; the limit is {max_skew} s. "
            "Correct the clock offset from the Date header and sign again.",
        )


def verify_request(public_key: Ed25519PublicKey, signed: SignedRequest, method: str, path: str, body: bytes) -> None:
    """Raise SignatureError unless the body matches its digest and the signature verifies."""
    if not hmac.compare_digest(content_digest(body), signed.digest):
        raise SignatureError("digest_mismatch")
    try:
        public_key.verify(signed.signature, _signature_base(method, path, signed.digest, signed.params))
    except InvalidSignature:
        raise SignatureError("bad_signature") from None


# --- QR tokens ----------------------------------------------------------------------------

TOKEN_PREFIX = "v1"  # noqa: S105 - a format version, not a secret


def make_token(claims: Mapping[str, Any], key_id: str, secret: bytes) -> str:
    """A signed token; claims are short: s store, t touchpoint, r receipt, e expiry (unix s)."""
    body = b64url(json.dumps({**claims, "k": key_id}, sort_keys=True, separators=(",", ":")).encode())
    mac = hmac.new(secret, f"{TOKEN_PREFIX}.{body}".encode(), hashlib.sha256).digest()
    return f"{TOKEN_PREFIX}.{body}.{b64url(mac)}"


def read_token(token: str, secrets: Mapping[str, bytes], now: float) -> dict[str, Any]:
    """The claims of a token signed by one of ``secrets`` (key id -> secret) and not expired."""
    parts = token.split(".") if isinstance(token, str) and len(token) < 1024 else []
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise TokenError("malformed_token")
    try:
        claims = json.loads(unb64url(parts[1]))
        mac = unb64url(parts[2])
    except (ValueError, binascii.Error):
        raise TokenError("malformed_token") from None
    if not isinstance(claims, dict) or not isinstance(claims.get("k"), str):
        raise TokenError("malformed_token")
    secret = secrets.get(claims["k"])
    if secret is None:
        raise TokenError("unknown_token_key")
    expected = hmac.new(secret, f"{TOKEN_PREFIX}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise TokenError("bad_token_signature")
    expiry = claims.get("e")
    if expiry is not None and (not isinstance(expiry, int) or now >= expiry):
        raise TokenError("expired_token")
    return claims
