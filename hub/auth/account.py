"""/account: the signed-in person's own settings: how often their email report comes
(hub/services/reports.py), and their password (the current one required). The forms carry
the session's CSRF token like every form."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.auth.guard import current_scope, current_user, signed_in, start_session
from hub.clock import now
from hub.models import Store
from hub.services import api_tokens, reports, users
from shared.errors import VoxloopError

bp = Blueprint("account", __name__)

CHOICES = {
    "weekly": "Weekly, on Monday morning, for the week before",
    "daily": "Daily, each morning, for the day before",
    "off": "No report",
}


@bp.get("/account")
@signed_in
def show() -> str:
    scope = current_scope()
    stores = list(scope.restrict(Store.select(Store.code, Store.name), Store.id).order_by(Store.code).limit(50))
    return render_template(
        "account.html",
        user=current_user(),
        every_store=scope.store_ids is None,
        stores=stores,
        choices=CHOICES,
        zone=reports.report_zone(scope).key,
        hour=reports.REPORT_HOUR,
        api_tokens=api_tokens.tokens_of(current_user()),
        api_token_scopes=api_tokens.SCOPES,
    )


@bp.post("/account/password")
@signed_in
def change_password() -> Response:
    form = request.form
    if form.get("new_password", "") != form.get("repeat_password", ""):
        flash("The two new passwords differ; nothing was changed.", "error")
        return redirect(url_for("account.show"))
    try:
        user = users.change_own_password(
            current_user(),
            form.get("current_password", ""),
            form.get("new_password", ""),
            address=request.remote_addr or "?",
            now=now(),
        )
    except VoxloopError as error:
        flash(error.detail[:1].upper() + error.detail[1:] + ".", "error")
    else:
        start_session(user)  # every other session of this person has ended
        flash("Your password is changed; you are signed out everywhere else.", "ok")
    return redirect(url_for("account.show"))


@bp.post("/account/report")
@signed_in
def set_report() -> Response:
    try:
        reports.set_report_frequency(current_user(), request.form.get("report_frequency", ""))
    except VoxloopError as error:
        flash(error.detail, "error")
    else:
        flash("Saved: " + CHOICES[request.form["report_frequency"]].lower() + ".", "ok")
    return redirect(url_for("account.show"))


# the API token routes register on bp
from hub.auth import api_tokens as _api_token_routes  # noqa: E402,F401
