"""The JSON API for people (not terminals): signed in through the session cookie, with the
session's CSRF token in an X-CSRF-Token header on every write.

The device API's blueprint is exempt from the page CSRF check (hub/auth/guard.py), so the
routes for people check it here. ``GET /api/v1/me`` tells a client who is signed in and the
token to send.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request, session

from hub.api import bp
from hub.auth.guard import csrf_token, current_scope, current_user
from hub.models import User
from hub.services.access import Scope
from shared.errors import VoxloopError


def person(
    *, write: bool = False, roles: tuple[str, ...] = User.ROLES
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A route for signed-in people; ``write`` checks the CSRF header; ``roles`` who may call it.
    The view gets the caller's user and scope as its first two arguments."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                raise VoxloopError("sign_in_required", "sign in at /login first; the API uses the session cookie")
            if write:
                sent = request.headers.get("X-CSRF-Token", "")
                expected = session.get("csrf") or ""
                if not expected or not hmac.compare_digest(sent, expected):
                    raise VoxloopError("csrf_failed", "send the session's CSRF token (GET /api/v1/me) as X-CSRF-Token")
            if user.role not in roles:
                raise VoxloopError("forbidden", f"this needs the role {' or '.join(roles)}")
            scope: Scope = current_scope()
            return view(user, scope, *args, **kwargs)

        return wrapper

    return decorate


@bp.get("/me")
@person()
def me(user: User, scope: Scope) -> Response:
    return jsonify(
        {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "stores": None if scope.store_ids is None else sorted(scope.store_ids),
            "csrf_token": csrf_token(),
        }
    )
