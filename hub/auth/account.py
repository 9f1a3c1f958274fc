"""/account: the signed-in person's own settings: their language (hub/i18n.py), how often
their email report comes (hub/services/reports.py), and their password (the current one required). The forms carry
the session's CSRF token like every form."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.auth.guard import current_scope, current_user, signed_in, start_session
from hub.clock import now
from hub.i18n import NAMES, gettext, lazy_gettext, refresh
from hub.models import Store
from hub.services import api_tokens, reports, users
from shared.errors import VoxloopError

bp = Blueprint("account", __name__)

CHOICES = {
    "weekly": lazy_gettext("Weekly, on Monday morning, for the week before"),
    "daily": lazy_gettext("Daily, each morning, for the day before"),
    "off": lazy_gettext("No report"),
}

SCOPE_TEXTS = {
    "analytics:read": lazy_gettext("read the analytics API (figures, daily rows, responses, signals)"),
    "cases:read": lazy_gettext("read cases"),
    "cases:write": lazy_gettext("work cases (acknowledge, comment, assign, call back, resolve)"),
    "actions:read": lazy_gettext("read actions, their tasks and their measured effect"),
    "actions:write": lazy_gettext("make and work actions (tasks, comments, states)"),
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
        languages=NAMES,
        zone=reports.report_zone(scope).key,
        hour=reports.REPORT_HOUR,
        api_tokens=api_tokens.tokens_of(current_user()),
        api_token_scopes={scope: SCOPE_TEXTS.get(scope, text) for scope, text in api_tokens.SCOPES.items()},
    )


@bp.post("/account/password")
@signed_in
def change_password() -> Response:
    form = request.form
    if form.get("new_password", "") != form.get("repeat_password", ""):
        flash(gettext("The two new passwords differ; nothing was changed."), "error")
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
        flash(str(error.detail)[:1].upper() + str(error.detail)[1:] + ".", "error")
    else:
        start_session(user)  # every other session of this person has ended
        flash(gettext("Your password is changed; you are signed out everywhere else."), "ok")
    return redirect(url_for("account.show"))


@bp.post("/account/report")
@signed_in
def set_report() -> Response:
    try:
        reports.set_report_frequency(current_user(), request.form.get("report_frequency", ""))
    except VoxloopError as error:
        flash(str(error.detail), "error")
    else:
        flash(gettext("Saved: %(choice)s.", choice=CHOICES[request.form["report_frequency"]]), "ok")
    return redirect(url_for("account.show"))


@bp.post("/account/language")
@signed_in
def set_language() -> Response:
    try:
        users.set_language(current_user(), request.form.get("language", ""))
    except VoxloopError as error:
        flash(str(error.detail), "error")
        return redirect(url_for("account.show"))
    g.pop("user", None)  # read again, and the language with it: the message is in the new one
    refresh()
    flash(gettext("Saved: your language."), "ok")
    return redirect(url_for("account.show"))


# the API token routes register on bp
from hub.auth import api_tokens as _api_token_routes  # noqa: E402,F401
