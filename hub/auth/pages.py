"""/login, /logout, and /password-reset for people who forgot their password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.auth.guard import end_session, start_session
from hub.clock import now
from hub.i18n import current_language, lazy_gettext
from hub.problems import page_text
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
        return render_template("login.html", next_page=next_page, error=page_text(error)[1], email=email), error.status
    start_session(user)
    return redirect(next_page)


@bp.post("/logout")
def sign_out() -> Response:
    end_session()
    return redirect(url_for("auth.sign_in"))


@bp.route("/password-reset", methods=["GET", "POST"])
def ask_for_reset() -> str | tuple[str, int]:
    """The same answer whether or not the address belongs to someone."""
    if request.method == "GET":
        return render_template("password_reset_request.html", sent=None, error=None)
    try:
        password_resets.request_link(
            request.form.get("email", ""),
            address=request.remote_addr or "?",
            lang=current_language(),  # the email speaks the language of this page
            contact_key=state().contact_key,
            now=now(),
        )
    except VoxloopError as error:
        return render_template("password_reset_request.html", sent=None, error=page_text(error)[1]), error.status
    return render_template("password_reset_request.html", sent=True, error=None)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | tuple[str, int]:
    try:
        if request.method == "GET":
            password_resets.person_for(token, now=now())
            return _no_referrer(render_template("password_reset.html", error=None)), 200
        if request.form.get("password", "") != request.form.get("repeat_password", ""):
            raise VoxloopError("malformed_request", lazy_gettext("the two passwords differ"))
        password_resets.reset_password(token, request.form.get("password", ""), now=now())
    except VoxloopError as error:
        return _no_referrer(render_template("password_reset.html", error=_sentence(page_text(error)[1]))), error.status
    end_session()
    return redirect(url_for("auth.sign_in", reset="done"))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _no_referrer(page: str) -> Response:
    """The link's token is in this page's address: never sent on as a Referer."""
    response = make_response(page)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
