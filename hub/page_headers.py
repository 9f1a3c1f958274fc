"""The headers on everything the hub serves to people (the phone page sets its own, stricter for
its one inlined script): a Content-Security-Policy, no framing, no Referer beyond the hub, and no
copy of personal data or exports left in a browser or proxy cache.

The staff pages run no script, so ``script-src 'none'`` (the weather screen alone allows its
clock's one inline script by its hash: hub/dashboards/weather.py). Their styles are a few ``<style>``
blocks and short ``style`` attributes, all written in the templates, none filled in at render
time; the policy allows exactly those by their SHA-256 (``'unsafe-hashes'`` is what CSP needs to
let a hash match an attribute), found once at start in the templates folder. An injected style,
like an injected script, is refused.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from flask import Flask, Response, request

_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
_OWN_HEADERS = ("phone",)  # blueprints that send their own policy and caching


def style_hashes(templates: Path) -> list[str]:
    """CSP sources for every style block and attribute written in the page templates (not the
    emails, which no browser loads from the hub)."""
    found: set[str] = set()
    for path in sorted(templates.rglob("*.html")):
        if "email" in path.relative_to(templates).parts:
            continue
        text = path.read_text(encoding="utf-8")
        found.update(_STYLE_BLOCK.findall(text))
        found.update(_STYLE_ATTRIBUTE.findall(text))
    return sorted(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in found)


def content_security_policy(templates: Path) -> str:
    styles = " ".join(["'self'", "'unsafe-hashes'", *style_hashes(templates)])
    return (
        "default-src 'none'; script-src 'none'; "
        f"style-src {styles}; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


def init_app(app: Flask) -> None:
    policy = content_security_policy(Path(app.root_path) / (app.template_folder or "templates"))

    @app.after_request
    def _page_headers(response: Response) -> Response:
        if request.blueprint in _OWN_HEADERS:
            return response
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for older browsers
        # cases, accounts, dashboards and their CSV/JSON downloads hold personal data
        response.headers.setdefault("Cache-Control", "no-store")
        return response
