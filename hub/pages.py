"""Pages for people. For now the front door: what this hub is and where to go next."""

from __future__ import annotations

from flask import Blueprint, render_template

from hub.db import is_sqlite

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    return render_template("index.html", database="SQLite" if is_sqlite() else "PostgreSQL")
