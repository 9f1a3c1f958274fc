"""Pages for people: the front door, and for those signed in the stores they may see."""

from __future__ import annotations

from flask import Blueprint, render_template

from hub.auth.guard import current_scope, current_user
from hub.db import is_sqlite
from hub.services import listings

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    stores = None
    if current_user() is not None:
        stores = listings.stores(current_scope())
    return render_template("index.html", database="SQLite" if is_sqlite() else "PostgreSQL", stores=stores)
