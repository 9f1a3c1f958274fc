"""/admin/terminals: every terminal in the person's scope with its health (last contact, app
version, queue, quarantine, clock offset, last error, silent), enrollment codes shown once
with a QR code to scan, and revoking with a confirmation step.

Managers see the terminals of their own stores, read only; HQ analysts see all, read only;
HQ admins make codes and revoke."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from hub.admin.base import EVERYONE, bp, editors, may_edit, place
from hub.auth.guard import current_scope, require_role
from hub.clock import now
from hub.i18n import gettext, lazy_gettext
from hub.models import Store, Terminal
from hub.services import enrollment, listings
from hub.services.qr_codes import matrix
from hub.services.terminal_health import is_silent
from shared.errors import RequestError

viewers = require_role(*EVERYONE)


def qr_svg(text: str) -> Markup:
    """``text`` as an inline SVG QR code: one path, no scripts, drawn from the code's modules
    (nothing user-typed goes into the markup)."""
    modules = matrix(text, border=4)
    size = len(modules)
    path = "".join(f"M{x} {y}h1v1h-1z" for y, row in enumerate(modules) for x, dark in enumerate(row) if dark)
    return Markup(  # noqa: S704 - numbers only, no text from anyone
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="enrollment QR code" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    )


def _in_scope(store_code: str | None) -> Store | None:
    """The store filter asked for, if any; a store outside the scope is "not found"."""
    if not store_code:
        return None
    return listings.store(store_code, current_scope())


def _terminal(terminal_id: str) -> Terminal:
    return listings.terminal(terminal_id, current_scope())


STATUS_NAMES = {"active": lazy_gettext("active"), "revoked": lazy_gettext("revoked")}


@bp.app_template_global()
def terminal_status(status: str) -> str:
    return str(STATUS_NAMES.get(status, status))


@bp.get("/terminals")
@viewers
def terminals() -> str:
    scope = current_scope()
    only = _in_scope(request.args.get("store"))
    found = listings.terminals(scope, only)
    return render_template(
        "admin/terminals.html",
        terminals=found,
        silent={t.id for t in found if is_silent(t)},
        store=only,
        places=listings.places(scope) if may_edit() else [],
        may_edit=may_edit(),
        ttl=current_app.config["ENROLLMENT_CODE_TTL_HOURS"],
    )


@bp.get("/terminals/<terminal_id>")
@viewers
def terminal(terminal_id: str) -> str:
    t = _terminal(terminal_id)
    logs = listings.sync_log(t)
    return render_template("admin/terminal.html", t=t, silent=is_silent(t), logs=logs, may_edit=may_edit())


@bp.post("/terminals/codes")
@editors
def enrollment_code() -> Any:
    """A new single-use code, shown on this answer only (the hub keeps just its hash)."""
    store, touchpoint = place(request.form.get("place", ""))
    hours = request.form.get("ttl_hours", "")
    hours_value = int(hours) if hours.isdigit() else int(current_app.config["ENROLLMENT_CODE_TTL_HOURS"])
    if not 1 <= hours_value <= 24 * 14:
        raise RequestError("malformed_request", "an enrollment code is valid for 1 hour to 14 days")
    at = now()
    code = enrollment.make_code(store, touchpoint, now=at, ttl=timedelta(hours=hours_value))
    hub_url = current_app.config["PUBLIC_URL"]
    page = render_template(
        "admin/enroll_code.html",
        code=code,
        store=store,
        touchpoint=touchpoint,
        hub_url=hub_url,
        expires=at + timedelta(hours=hours_value),
        qr=qr_svg(enrollment.enrollment_payload(hub_url, code)),
    )
    answer = make_response(page)
    answer.headers["Cache-Control"] = "no-store"  # shown once: not kept by the browser either
    return answer


@bp.get("/terminals/<terminal_id>/revoke")
@editors
def confirm_revoke(terminal_id: str) -> str:
    return render_template("admin/revoke.html", t=_terminal(terminal_id))


@bp.post("/terminals/<terminal_id>/revoke")
@editors
def revoke(terminal_id: str) -> Response:
    t = _terminal(terminal_id)
    if request.form.get("confirm") != t.id:
        return redirect(url_for("admin.confirm_revoke", terminal_id=t.id))
    enrollment.revoke(t.id, now=now())
    flash(gettext("Terminal %(name)s revoked: its next sync is refused (revoked_device).", name=t.name), "ok")
    return redirect(url_for("admin.terminal", terminal_id=t.id))
