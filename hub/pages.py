"""Pages for people: the front door, and for those signed in the stores they may see."""

from __future__ import annotations

from flask import Blueprint, render_template
from peewee import JOIN

from hub.auth.guard import current_scope, current_user
from hub.db import is_sqlite
from hub.models import Region, Store

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    stores = None
    if current_user() is not None:
        query = Store.select(Store, Region).join(Region, JOIN.LEFT_OUTER).order_by(Store.code)
        stores = list(current_scope().restrict(query, Store.id))
    return render_template("index.html", database="SQLite" if is_sqlite() else "PostgreSQL", stores=stores)
