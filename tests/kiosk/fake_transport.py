"""A fake transport for the terminal's HubClient: a ``request`` method that returns canned answers.

HubClient takes any object with ``requests.Session.request``'s shape, so the sync worker's unit
tests hand it a ``FakeTransport`` and look at what was sent. The answers have the hub's shapes
(docs/protocol.md); the real hub is exercised in test_sync_against_hub.py.

``FakeTransport(a, b, c)`` answers the first request with ``a``, the second with ``b``, and every
later one with ``c``. An answer is a ``Reply``, an exception to raise (the network failed), or a
function of the ``Sent`` request returning a ``Reply``. The hub's clock (its ``Date`` header and
``hub_time``) agrees with the terminal's signature unless ``hub_clock`` says otherwise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from shared.protocol import format_time

HUB_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ETAG = '"config-1"'


@dataclass
class Reply:
    status_code: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None  # a body that is not JSON

    def json(self) -> Any:
        if self.text is not None:
            raise ValueError("the body is not JSON")  # requests raises a ValueError subclass
        return self.payload


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    hub_now: datetime = HUB_NOW

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def path(self) -> str:
        return "/" + self.url.split("/", 3)[3]

    @property
    def created(self) -> int:
        return int(re.search(r";created=(\d+);", self.headers["Signature-Input"]).group(1))

    @property
    def responses(self) -> list[dict[str, Any]]:
        return self.json["responses"]


Answer = Reply | BaseException | Callable[[Sent], Reply]


class FakeTransport:
    def __init__(self, *answers: Answer, hub_clock: Callable[[], datetime] | None = None) -> None:
        self.answers = list(answers)
        self.hub_clock = hub_clock
        self.sent: list[Sent] = []

    def request(
        self,
        method: str,
        url: str,
        *,
        data: bytes = b"",
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Reply:
        sent = Sent(method, url, dict(headers or {}), data or b"")
        if self.hub_clock is not None:
            sent.hub_now = self.hub_clock()
        elif "Signature-Input" in sent.headers:
            sent.hub_now = datetime.fromtimestamp(sent.created, UTC)
        self.sent.append(sent)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        reply = answer(sent) if callable(answer) else answer
        return Reply(
            reply.status_code,
            reply.payload,
            {"Date": format_datetime(sent.hub_now, usegmt=True), **reply.headers},
            reply.text,
        )

    @property
    def syncs(self) -> list[Sent]:
        return [s for s in self.sent if s.path == "/api/v1/sync"]


def acknowledge(
    status: str = "accepted",
    *,
    missing: Iterable[Iterable[int]] = (),
    config_etag: str = ETAG,
    hub_time: datetime | None = None,
    by_seq: Mapping[int, str] | None = None,
) -> Callable[[Sent], Reply]:
    """A sync answer giving every item ``status`` (or ``by_seq[seq]``); ``hub_time`` defaults to
    the hub's clock."""

    def answer(sent: Sent) -> Reply:
        results = []
        for item in sent.responses:
            item_status = (by_seq or {}).get(item["seq"], status)
            result = {"id": item["id"], "status": item_status}
            if item_status == "invalid":
                result["code"] = "value_out_of_range"
                result["problems"] = [
                    {"code": "value_out_of_range", "message": "9 is outside 1..4", "path": "answers[0]"}
                ]
            elif item_status == "conflict":
                result["code"] = "response_conflict"
            results.append(result)
        body = {
            "hub_time": format_time(hub_time or sent.hub_now),
            "results": results,
            "missing": [list(r) for r in missing],
            "config_etag": config_etag,
        }
        return Reply(200, body, {"Content-Type": "application/json"})

    return answer


def problem(status: int, code: str, detail: str = "") -> Reply:
    """A refusal in the hub's problem details shape."""
    return Reply(
        status,
        {
            "type": f"https://voxloop.org/problems/{code}",
            "title": code,
            "status": status,
            "code": code,
            "detail": detail or code,
        },
        {"Content-Type": "application/problem+json"},
    )


def html(status: int = 502) -> Reply:
    """What a proxy in front of a dead hub answers."""
    return Reply(
        status, text="<html><body><h1>502 Bad Gateway</h1></body></html>", headers={"Content-Type": "text/html"}
    )


def config_reply(config: Any, etag: str = '"config-2"') -> Reply:
    return Reply(200, config, {"ETag": etag, "Content-Type": "application/json"})


def within_skew(answer: Callable[[Sent], Reply], hub_now: datetime, max_skew: int = 300) -> Callable[[Sent], Reply]:
    """``answer``, unless the signature's created time is more than ``max_skew`` s from the hub's
    clock: then the hub's stale_created refusal (as shared.crypto.check_created does)."""

    def checked(sent: Sent) -> Reply:
        if abs(sent.created - hub_now.timestamp()) > max_skew:
            return problem(401, "stale_created", f"created is {int(sent.created - hub_now.timestamp())} s off")
        return answer(sent)

    return checked
