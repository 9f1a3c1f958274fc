"""Password hashing with scrypt (memory-hard), in a self-describing string.

The cost is N=2^17, r=8, p=1 (128 MiB, about a third of a second): what OWASP's password
storage cheat sheet recommends for scrypt today. scrypt rather than Argon2id because the
standard library has it (no compiled dependency on the hub's hosts) and the stored hashes
are already scrypt, so an old hash is checked with the parameters it names and replaced at
the next successful sign-in (``needs_rehash``). Tests lower the cost with the
``PASSWORD_SCRYPT_LOG2_N`` setting of their app; production never sets it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from flask import current_app, has_app_context

LOG2_N, R, P = 17, 8, 1
_MAX_LOG2_N = 20  # a stored hash naming more than this is refused, not computed


def _log2_n() -> int:
    if has_app_context():
        return int(current_app.config.get("PASSWORD_SCRYPT_LOG2_N") or LOG2_N)
    return LOG2_N


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem: scrypt needs 128 * n * r bytes; OpenSSL's default cap (32 MiB) is below 2^17
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20, dklen=32)


def hash_password(password: str) -> str:
    n, salt = 2 ** _log2_n(), os.urandom(16)
    return "$".join(["scrypt", str(n), str(R), str(P), _b64(salt), _b64(_scrypt(password, salt, n, R, P))])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        n_, r_, p_ = int(n), int(r), int(p)
    except ValueError:
        return False
    if scheme != "scrypt" or not (1 < n_ <= 2**_MAX_LOG2_N and 0 < r_ <= 32 and 0 < p_ <= 16):
        return False
    return hmac.compare_digest(_scrypt(password, _unb64(salt), n_, r_, p_), _unb64(digest))


def parameters() -> str:
    """The scheme and cost a new hash is made with, as its string begins (``scrypt$131072$8$1``)."""
    return "$".join(["scrypt", str(2 ** _log2_n()), str(R), str(P)])


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` was made with other parameters than a new hash would be."""
    return "$".join(stored.split("$")[:4]) != parameters()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)
