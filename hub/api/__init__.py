"""The JSON API under /api/v1: terminal enrollment, sync and config; described by the
OpenAPI document in openapi.json next to this file."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from hub.api import enroll, openapi, sync, terminal_config  # noqa: E402,F401  (routes register on bp)
