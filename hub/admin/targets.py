"""/admin/targets: what each KPI should reach, for every store, a region, a store or a
touchpoint (hub/services/targets.py). HQ admins set and delete them; everyone else: 403."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.admin.base import bp, editors
from hub.auth.guard import current_user
from hub.clock import now
from hub.i18n import gettext
from hub.services import targets
from shared.errors import NotFound, VoxloopError


@bp.get("/targets")
@editors
def targets_page() -> str:
    return render_template(
        "admin/targets.html",
        targets=[(t, targets.scope_label(t)) for t in targets.list_targets()],
        kpis=targets.KPI_NAMES,
        ranges=targets.RANGES,
        **targets.places(),
    )


@bp.post("/targets")
@editors
def save_target() -> Response:
    try:
        value = float(request.form.get("value", ""))
        place = targets.place_named(request.form.get("scope", "all"))
        targets.set_target(request.form.get("kpi", ""), value, now=now(), by=current_user(), **place)
    except ValueError:
        flash(gettext("The target must be a number."), "error")
    except NotFound:
        raise
    except VoxloopError as error:
        flash(str(error.detail), "error")
    else:
        flash(gettext("Target saved."), "ok")
    return redirect(url_for("admin.targets_page"))


@bp.post("/targets/<int:target_id>/delete")
@editors
def delete_target(target_id: int) -> Response:
    targets.delete_target(target_id)
    flash(gettext("Target deleted."), "ok")
    return redirect(url_for("admin.targets_page"))
