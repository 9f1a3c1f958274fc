"""Pages for people: the front door, and for those signed in their stores today (the cases
still to work, today's smiley index per store, the latest comments; HQ: of every store)."""

from __future__ import annotations

from flask import Blueprint, render_template

from hub.auth.guard import current_scope, current_user
from hub.clock import now
from hub.dashboards.comments import face_name
from hub.db import is_sqlite
from hub.services import analytics, today

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    if current_user() is None:
        return render_template("index.html", database="SQLite" if is_sqlite() else "PostgreSQL", mine=None)
    faces = analytics.survey_scales().faces
    return render_template(
        "index.html",
        mine=today.my_stores_today(current_scope(), now()),
        face_name=lambda face: face_name(face, faces),
    )
