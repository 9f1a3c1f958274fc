"""The phone page's static files (style, script, service worker), kept in memory with their
gzip form and a version taken from their content.

The page carries its style and script inline, so its whole first load is one request (on a
slow network every extra round trip costs 0.4-2 s); the Content-Security-Policy allows exactly
these two by their SHA-256 hashes, nothing else. The same files are also served under
/m/static/ with the version in the URL (``?v=``), for the service worker, which keeps them for
offline use in a cache named by that version.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC = Path(__file__).with_name("static")
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    gzipped: bytes
    content_type: str


@cache
def assets() -> dict[str, Asset]:
    found = {}
    for path in sorted(STATIC.iterdir()):
        if path.suffix in _TYPES:
            body = path.read_bytes()
            found[path.name] = Asset(path.name, body, gzip.compress(body, 9, mtime=0), _TYPES[path.suffix])
    return found


@cache
def version() -> str:
    """One version for all files: they are released together."""
    digest = hashlib.sha256()
    for asset in assets().values():
        digest.update(asset.name.encode() + b"\0" + asset.body)
    return digest.hexdigest()[:12]


def compress(body: bytes) -> bytes:
    return gzip.compress(body, 6, mtime=0)


@cache
def inline(name: str) -> str:
    """A file's text for inlining into the page (one request for the whole first load)."""
    text = assets()[name].body.decode()
    closing = "</script" if name.endswith(".js") else "</style"
    if closing in text.lower():
        raise ValueError(f"{name} must not contain {closing!r}: it is inlined into the page")
    return text


@cache
def csp_source(name: str) -> str:
    """The Content-Security-Policy source that allows exactly this inlined file."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(assets()[name].body).digest()).decode() + "'"
