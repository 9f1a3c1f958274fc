"""Personal data at rest: a contact left for a call back is sealed with AES-256-GCM.

The key is derived from the hub's secret key (HKDF, its own label), so a copy of the
database alone does not reveal contacts. Sealed form: version byte, 12-byte nonce, ciphertext.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.crypto import derive_key

_VERSION = b"\x01"
_LABEL = "voxloop contact v1"
_CONTENT_HASH_LABEL = "voxloop content hash v1"


def contact_key(secret_key: str) -> bytes:
    return derive_key(secret_key, _LABEL)


def content_hash_key(secret_key: str) -> bytes:
    """The key of the stored content hashes (migration v0008 keyed the ones held before)."""
    return derive_key(secret_key, _CONTENT_HASH_LABEL)


def seal_contact(key: bytes, contact: Mapping[str, Any], response_id: str) -> bytes:
    """Encrypt; the response id is bound as associated data, so a sealed contact cannot be
    moved onto another response."""
    nonce = os.urandom(12)
    plaintext = json.dumps(dict(contact), sort_keys=True).encode()
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, response_id.encode())


def open_contact(key: bytes, sealed: bytes, response_id: str) -> dict[str, Any]:
    if sealed[:1] != _VERSION:
        raise ValueError("unknown sealed contact version")
    nonce, ciphertext = sealed[1:13], sealed[13:]
    return json.loads(AESGCM(key).decrypt(nonce, ciphertext, response_id.encode()))
