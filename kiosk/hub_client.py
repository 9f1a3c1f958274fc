"""The terminal's side of the hub API: enroll, sync a signed batch, fetch the config.

The HTTP session is handed in (a ``requests.Session`` or anything with its ``request``
method), so tests and benchmarks drive a real hub or a fake transport without patching.
Every call returns the hub's answer or raises ``HubError`` with the problem's stable code.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.crypto import public_key_text, sign_request


class Session(Protocol):
    def request(self, method: str, url: str, **kwargs: Any) -> Any: ...


class HubError(Exception):
    """The hub refused (``code`` from its problem details) or could not be reached (``unreachable``)."""

    def __init__(self, code: str, detail: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code, self.detail, self.status = code, detail, status


@dataclass
class HubAnswer:
    status: int
    body: Any
    headers: dict[str, str]
    clock_offset_seconds: float | None  # hub clock minus our clock, from the Date header


class HubClient:
    def __init__(
        self,
        base_url: str,
        session: Session,
        *,
        device_id: str | None = None,
        key: Ed25519PrivateKey | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.device_id = device_id
        self.key = key
        self.timeout = timeout

    def enroll(self, code: str, key: Ed25519PrivateKey, *, name: str, app_version: str, now: datetime) -> HubAnswer:
        body = json.dumps(
            {"code": code, "public_key": public_key_text(key), "name": name, "app_version": app_version}
        ).encode()
        answer = self._send("POST", "/api/v1/enroll", body, {"Content-Type": "application/json"}, now)
        self.device_id, self.key = answer.body["device_id"], key
        return answer

    def sync(self, batch: dict[str, Any], *, now: datetime) -> HubAnswer:
        body = json.dumps(batch, separators=(",", ":"), ensure_ascii=False).encode()
        return self._signed("POST", "/api/v1/sync", body, now, {"Content-Type": "application/json"})

    def config(self, *, now: datetime, etag: str | None = None) -> HubAnswer:
        headers = {"If-None-Match": etag} if etag else {}
        return self._signed("GET", "/api/v1/config", b"", now, headers)

    def _signed(self, method: str, path: str, body: bytes, now: datetime, headers: dict[str, str]) -> HubAnswer:
        if not self.device_id or self.key is None:
            raise HubError("not_enrolled", "this terminal has no device id yet: enroll first")
        signature = sign_request(
            self.key, self.device_id, method, path, body, created=int(now.timestamp()), nonce=secrets.token_urlsafe(16)
        )
        return self._send(method, path, body, {**headers, **signature}, now)

    def _send(self, method: str, path: str, body: bytes, headers: dict[str, str], now: datetime) -> HubAnswer:
        try:
            reply = self.session.request(method, self.base_url + path, data=body, headers=headers, timeout=self.timeout)
        except Exception as exc:
            raise HubError("unreachable", f"{type(exc).__name__}: {exc}") from None
        offset = _clock_offset(reply.headers.get("Date"), now)
        if reply.status_code == 304:
            return HubAnswer(304, None, dict(reply.headers), offset)
        try:
            payload = reply.json()
        except ValueError:
            raise HubError("bad_answer", f"HTTP {reply.status_code} without JSON", reply.status_code) from None
        if reply.status_code >= 400:
            code = payload.get("code", "http_error") if isinstance(payload, dict) else "http_error"
            detail = payload.get("detail", "") if isinstance(payload, dict) else str(payload)[:200]
            raise HubError(code, detail, reply.status_code)
        return HubAnswer(reply.status_code, payload, dict(reply.headers), offset)


def _clock_offset(date_header: str | None, now: datetime) -> float | None:
    if not date_header:
        return None
    try:
        return parsedate_to_datetime(date_header).timestamp() - now.timestamp()
    except (TypeError, ValueError):
        return None
