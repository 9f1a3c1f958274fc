"""Reading a JSON request body strictly: the right content type, valid JSON, or a clear error."""

from __future__ import annotations

import json
from typing import Any

from flask import Request

from shared.errors import RequestError


def json_body(request: Request, raw: bytes) -> Any:
    if request.mimetype != "application/json":
        raise RequestError("wrong_content_type", f"send Content-Type: application/json, not {request.mimetype!r}")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError("malformed_json", f"the body is not valid JSON: {exc}") from None
