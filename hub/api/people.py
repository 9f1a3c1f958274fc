"""The JSON API for people (not terminals): signed in through the session cookie, with the
session's CSRF token in an X-CSRF-Token header on every write; or, for machines, with one of
the person's API tokens as ``Authorization: Bearer <token>`` (hub/services/api_tokens.py),
which needs no CSRF token (a browser never adds that header on its own) but a token scope
that the route grants. Either way the caller sees what the person sees.

The device API's blueprint is exempt from the page CSRF check (hub/auth/guard.py), so the
routes for people check it here. ``GET /api/v1/me`` tells a client who is signed in and the
token to send.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any

from flask import Response, g, jsonify, request, session

from hub.api import bp
from hub.auth.guard import csrf_token, current_scope, current_user
from hub.clock import now
from hub.models import User
from hub.services import api_tokens
from hub.services.access import Scope
from shared.errors import VoxloopError


def person(
    *, write: bool = False, roles: tuple[str, ...] = User.ROLES, grant: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A route for signed-in people; ``write`` checks the CSRF header of a session; ``roles``
    who may call it; ``grant`` the API token scope that lets a machine call it (None: a
    session only). The view gets the caller's user and scope as its first two arguments."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            sent = _bearer_token()
            user = _token_holder(sent, grant) if sent is not None else _session_person(write)
            if user.role not in roles:
                raise VoxloopError("forbidden", f"this needs the role {' or '.join(roles)}")
            scope: Scope = current_scope()
            return view(user, scope, *args, **kwargs)

        return wrapper

    return decorate


def _bearer_token() -> str | None:
    kind, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if kind.lower() == "bearer" else None


def _token_holder(sent: str, needed: str | None) -> User:
    """The person whose live token was sent, once the token's scopes allow the route; the
    guard's current user and scope are theirs for this request."""
    api_token, user = api_tokens.authenticate(sent, now=now())
    api_tokens.require_scope(api_token, needed)
    g.user = user
    g.api_token = api_token
    return user


def _session_person(write: bool) -> User:
    user = current_user()
    if user is None:
        raise VoxloopError(
            "sign_in_required", "sign in at /login first, or send an API token as 'Authorization: Bearer <token>'"
        )
    if write:
        sent = request.headers.get("X-CSRF-Token", "")
        expected = session.get("csrf") or ""
        if not expected or not hmac.compare_digest(sent, expected):
            raise VoxloopError("csrf_failed", "send the session's CSRF token (GET /api/v1/me) as X-CSRF-Token")
    return user


@bp.get("/me")
@person(grant=api_tokens.ANY_SCOPE)
def me(user: User, scope: Scope) -> Response:
    api_token = g.get("api_token")
    return jsonify(
        {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "stores": None if scope.store_ids is None else sorted(scope.store_ids),
            "csrf_token": None if api_token else csrf_token(),
            "token": None
            if api_token is None
            else {"name": api_token.name, "prefix": api_token.prefix, "scopes": api_tokens.scopes_of(api_token)},
        }
    )
