"""/healthz: is the hub up and can it reach its database (for load balancers and monitors)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from hub.db import database, is_sqlite
from hub.migrations import pending

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        database.execute_sql("SELECT 1").fetchone()
        waiting = pending(database.obj)
    except Exception as exc:
        return jsonify({"status": "unavailable", "database": "unreachable", "error": type(exc).__name__}), 503
    body = {
        "status": "ok" if not waiting else "migrations_pending",
        "database": "sqlite" if is_sqlite() else "postgresql",
    }
    if waiting:
        body["pending_migrations"] = waiting
    return jsonify(body), 200 if not waiting else 503
