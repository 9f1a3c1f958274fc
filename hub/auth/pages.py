"""/login, /logout, and /password-reset for people who forgot their password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.auth.guard import end_session, start_session
from hub.clock import now
from hub.services import password_resets
from hub.services.sign_in import sign_in as check_password
from hub.state import state
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


SENT = "If an account has this email address, a link to set a new password is on its way to it."


@bp.route("/password-reset", methods=["GET", "POST"])
def ask_for_reset() -> str | tuple[str, int]:
    """The same answer whether or not the address belongs to someone."""
    if request.method == "GET":
        return render_template("password_reset_request.html", sent=None, error=None)
    try:
        password_resets.request_link(
            request.form.get("email", ""),
            address=request.remote_addr or "?",
            lang=request.accept_languages.best_match(password_resets.LANGUAGES, default="en"),
            contact_key=state().contact_key,
            now=now(),
        )
    except VoxloopError as error:
        return render_template("password_reset_request.html", sent=None, error=error.detail), error.status
    return render_template("password_reset_request.html", sent=SENT, error=None)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | tuple[str, int]:
    try:
        if request.method == "GET":
            password_resets.person_for(token, now=now())
            return _no_referrer(render_template("password_reset.html", error=None)), 200
        if request.form.get("password", "") != request.form.get("repeat_password", ""):
            raise VoxloopError("malformed_request", "the two passwords differ")
        password_resets.reset_password(token, request.form.get("password", ""), now=now())
    except VoxloopError as error:
        return _no_referrer(render_template("password_reset.html", error=error.detail)), error.status
    end_session()
    return redirect(url_for("auth.sign_in", reset="done"))


def _no_referrer(page: str) -> Response:
    """The link's token is in this page's address: never sent on as a Referer."""
    response = make_response(page)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
