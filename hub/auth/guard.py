"""The session, the signed-in user, CSRF on every form, and role checks for views.

Sessions are Flask's signed cookies: HttpOnly, SameSite=Lax, Secure when the hub's public
URL is https, and started afresh at every sign-in (nothing from before survives it). A session
names its person's session version (hub/services/users.py: ``end_sessions``), which signing
out, a new password and switching the person off raise, so every session of that person ends
at once in every hub process; it also ends after SESSION_IDLE_MINUTES without a request and
SESSION_HOURS after sign-in, by the hub's clock. Every
POST to a page (not the signed terminal API, not the phone page with its own check) must
carry the session's CSRF token.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g, redirect, request, session, url_for

from hub.clock import now
from hub.i18n import lazy_gettext
from hub.models import User
from hub.services.access import Scope, scope_for
from hub.services.users import end_sessions
from shared.errors import VoxloopError

# blueprints whose POSTs are checked elsewhere: the signed device API, the phone page and an
# invitation's unsubscribe link (its signed token; a mail client's one-click POST has no session)
_OWN_CHECKS = ("api.", "phone.", "invitations.")


def init_app(app: Flask) -> None:
    app.config.update(
        # Flask's default ("session") is already set, so a setdefault never named it
        SESSION_COOKIE_NAME="voxloop_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=str(app.config["PUBLIC_URL"]).startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["SESSION_HOURS"]),
    )
    app.before_request(_check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user
    app.jinja_env.globals["role_name"] = role_name


ROLE_NAMES = {
    "hq_admin": lazy_gettext("HQ admin"),
    "hq_analyst": lazy_gettext("HQ analyst"),
    "regional_manager": lazy_gettext("regional manager"),
    "store_manager": lazy_gettext("store manager"),
    "team_lead": lazy_gettext("team lead"),
    "agent": lazy_gettext("agent"),
}


def role_name(role: str) -> str:
    """A role as people read it, in their language."""
    return str(ROLE_NAMES.get(role, role))


def start_session(user: User) -> None:
    """A new session for ``user``: cleared first, so nothing set before sign-in survives."""
    session.clear()
    session.permanent = True
    session["user_id"] = user.id
    session["csrf"] = secrets.token_urlsafe(32)
    session["version"] = user.session_version
    session["started"] = session["seen"] = now().timestamp()


def end_session() -> None:
    """Sign out: every session of this person ends, on every device, not only this one."""
    user = current_user()
    if user is not None:
        end_sessions(user)
    session.clear()


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS") or (request.endpoint or "").startswith(_OWN_CHECKS):
        return
    if request.endpoint is None:
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent, expected):
        raise VoxloopError("csrf_failed", "the form could not be verified; reload the page and send it again")


def current_user() -> User | None:
    if "user" not in g:
        user_id = session.get("user_id")
        user = User.get_or_none(User.id == user_id) if user_id else None
        g.user = user if user is not None and user.active and _session_is_current(user) else None
    return g.user


def person_language() -> str | None:
    """The signed-in person's chosen language, if they chose one (hub/i18n.py)."""
    user = current_user()
    return user.language if user is not None else None


def _session_is_current(user: User) -> bool:
    """The session names the person's session version and is neither idle nor old; a
    request at least a minute after the last one moves its idle time on."""
    at, config = now().timestamp(), current_app.config
    started, seen = session.get("started", 0.0), session.get("seen", 0.0)
    if (
        session.get("version") != user.session_version
        or at - started > config["SESSION_HOURS"] * 3600
        or at - seen > config["SESSION_IDLE_MINUTES"] * 60
    ):
        return False
    if at - seen >= 60:
        session["seen"] = at
    return True


def current_scope() -> Scope:
    user = current_user()
    if user is None:
        raise VoxloopError("sign_in_required")
    if "scope" not in g:
        g.scope = scope_for(user)
    return g.scope


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pages for people: send strangers to the sign-in page, and back here afterwards."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def require_role(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if user.role not in roles:
                raise VoxloopError("forbidden", "your role may not open this page")
            return view(*args, **kwargs)

        return wrapper

    return decorate
