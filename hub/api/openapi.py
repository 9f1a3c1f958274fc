"""GET /api/v1/openapi.json: the API's OpenAPI 3.1 document (kept in openapi.json beside
this module; tests check real answers against it)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import Response, jsonify

from hub.api import bp

_DOCUMENT = Path(__file__).with_name("openapi.json")


@cache
def document() -> dict[str, Any]:
    return json.loads(_DOCUMENT.read_text(encoding="utf-8"))


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())
