"""Pagination of the API's lists: ``limit`` and an opaque ``cursor``, the same on every list.

A cursor is the sort key of the last row of a page (keyset pagination), so the next page
starts after that row whatever was inserted meanwhile: every row that existed when paging
began comes exactly once, rows that arrive behind the cursor come on a later page. It is
base64url JSON ``[list name, key...]``; clients treat it as opaque and get it back in the
``next`` link of the body and in the ``Link`` header (RFC 8288).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Response, jsonify, request

from shared.errors import RequestError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

Key = tuple[Any, ...]
T = TypeVar("T")


def bad_parameter(name: str, detail: str) -> RequestError:
    return RequestError("bad_parameter", detail, parameter=name)


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for: at most ``limit`` rows after the row with key ``after``."""

    name: str  # which list: a cursor of one list is refused by another
    limit: int
    after: Key | None


def encode_cursor(name: str, key: Key) -> str:
    raw = json.dumps([name, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


Shape = Sequence[type | tuple[type, ...]]  # the type(s) of each value of a list's key


def decode_cursor(name: str, cursor: str, shape: Shape) -> Key:
    """The key in ``cursor``, which must belong to list ``name`` and hold values of ``shape``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad_parameter("cursor", "the cursor is not one this API gave out") from None
    if not isinstance(value, list) or not value or value[0] != name or len(value) != len(shape) + 1:
        raise bad_parameter("cursor", f"the cursor does not belong to the {name} list")
    key = tuple(value[1:])
    for item, kind in zip(key, shape, strict=True):
        if not isinstance(item, kind) or isinstance(item, bool):
            raise bad_parameter("cursor", "the cursor is not one this API gave out")
    return key


def page_request(name: str, shape: Shape) -> PageRequest:
    """``?limit`` (1..MAX_LIMIT, default DEFAULT_LIMIT) and ``?cursor`` of this request."""
    text = request.args.get("limit", "")
    if text == "":
        limit = DEFAULT_LIMIT
    elif not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise bad_parameter("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    else:
        limit = int(text)
    cursor = request.args.get("cursor", "")
    return PageRequest(name, limit, decode_cursor(name, cursor, shape) if cursor else None)


def page_of(items: Sequence[T], key: Callable[[T], Key], page: PageRequest) -> tuple[list[T], Key | None]:
    """One page of a list held in memory: the items after the cursor in key order, and the key
    to continue from (None: this was the last page)."""
    ordered = sorted(items, key=key)
    rest = [item for item in ordered if page.after is None or key(item) > page.after]
    chosen = rest[: page.limit]
    return chosen, key(chosen[-1]) if len(rest) > page.limit else None


def next_url(page: PageRequest, next_key: Key | None) -> str | None:
    """This request's URL with the cursor of the next page, or None after the last page."""
    if next_key is None:
        return None
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
    args.append(("cursor", encode_cursor(page.name, next_key)))
    return f"{request.base_url}?{urlencode(args)}"


def paged_answer(body: dict[str, Any], page: PageRequest, next_key: Key | None) -> Response:
    """``body`` with its ``next`` link, and the same link in a Link header when there is one."""
    link = next_url(page, next_key)
    answer = jsonify({**body, "next": link})
    if link:
        answer.headers["Link"] = f'<{link}>; rel="next"'
    return answer
