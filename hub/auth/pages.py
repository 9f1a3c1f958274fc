"""/login and /logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.auth.guard import end_session, start_session
from hub.clock import now
from hub.services.sign_in import sign_in as check_password
from shared.errors import VoxloopError

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this hub: never an open redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or urlsplit(target).netloc:
        return url_for("pages.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def sign_in() -> str | Response | tuple[str, int]:
    next_page = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("login.html", next_page=next_page, error=None, email="")
    email = request.form.get("email", "")
    try:
        user = check_password(email, request.form.get("password", ""), address=request.remote_addr or "?", now=now())
    except VoxloopError as error:
        return render_template("login.html", next_page=next_page, error=error.detail, email=email), error.status
    start_session(user)
    return redirect(next_page)


@bp.post("/logout")
def sign_out() -> Response:
    end_session()
    return redirect(url_for("auth.sign_in"))
