"""/account/api-tokens: a person makes, sees and revokes their own API tokens
(hub/services/api_tokens.py). A new token is shown once, on the answer that made it, which
no cache may keep; the forms carry the session's CSRF token like every form."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.auth.account import bp
from hub.auth.guard import current_user, signed_in
from hub.clock import now
from hub.i18n import gettext
from hub.services import api_tokens
from shared.errors import VoxloopError


@bp.post("/account/api-tokens")
@signed_in
def make_api_token() -> Response | tuple[str, int, dict[str, str]]:
    try:
        row, token = api_tokens.make_token(
            current_user(), request.form.get("name", ""), request.form.getlist("scope"), now=now()
        )
    except VoxloopError as error:
        flash(str(error.detail), "error")
        return redirect(url_for("account.show"))
    page = render_template("account/api_token_made.html", row=row, token=token, scopes=api_tokens.scopes_of(row))
    return page, 201, {"Cache-Control": "no-store"}


@bp.post("/account/api-tokens/<int:token_id>/revoke")
@signed_in
def revoke_api_token(token_id: int) -> Response:
    try:
        row = api_tokens.revoke_token(token_id, now=now(), user=current_user())
    except VoxloopError as error:
        flash(str(error.detail), "error")
    else:
        flash(
            gettext(
                "Revoked the API token %(name)s (%(prefix)s…): it is refused from now on.",
                name=row.name,
                prefix=row.prefix,
            ),
            "ok",
        )
    return redirect(url_for("account.show"))
