"""/admin/teams: who works each store or part of it, mapped to reasons, touchpoints and people
(hub/services/teams.py), and the recommendations dismissed lately (HQ reads why); and the
dismissal of a recommendation from the start page. Everyone reads the teams of their stores;
HQ admins change every store's, a store manager their own stores'. Another store's team is a
404; every form carries the CSRF token."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.admin.base import EVERYONE, attempt, bp, form_list
from hub.auth.guard import current_scope, require_role, signed_in
from hub.clock import now
from hub.i18n import current_language, gettext
from hub.services import recommendations, teams
from hub.services.actions import reasons as survey_reasons
from hub.services.recommendation_words import described
from shared.errors import NotFound, VoxloopError

readers = require_role(*EVERYONE)


def _fields() -> dict[str, object]:
    return {
        "store": request.form.get("store", ""),
        "name": request.form.get("name", ""),
        "reasons": form_list(request.form, "reasons"),
        "touchpoints": form_list(request.form, "touchpoints"),
        "members": form_list(request.form, "members"),
    }


@bp.get("/teams")
@readers
def teams_page() -> str:
    scope = current_scope()
    stores = teams.list_teams(scope)
    editable = {s.id for s, _ in stores if teams.may_edit(scope, s.id)}
    return render_template(
        "admin/teams.html",
        stores=stores,
        editable=editable,
        people=teams.people_by_store(editable),
        touchpoints=teams.touchpoints_by_store(editable),
        reasons=survey_reasons(current_language()),
        dismissed=[described(s) for s in recommendations.dismissed(scope, now())] if scope.store_ids is None else [],
    )


@bp.post("/teams")
@readers
def create_team() -> Response:
    attempt(lambda: teams.save_team(current_scope(), _fields(), now=now()), gettext("Team saved."))
    return redirect(url_for("admin.teams_page"))


@bp.post("/teams/<int:team_id>")
@readers
def update_team(team_id: int) -> Response:
    attempt(lambda: teams.save_team(current_scope(), _fields(), now=now(), team_id=team_id), gettext("Team saved."))
    return redirect(url_for("admin.teams_page"))


@bp.post("/teams/<int:team_id>/delete")
@readers
def delete_team(team_id: int) -> Response:
    attempt(lambda: teams.delete_team(current_scope(), team_id), gettext("Team deleted."))
    return redirect(url_for("admin.teams_page"))


@bp.post("/recommendations/<int:recommendation_id>/dismiss")
@signed_in
def dismiss_recommendation(recommendation_id: int) -> Response:
    """Dismiss from the start page; a missing word why is said there, nothing is changed."""
    try:
        recommendations.dismiss(current_scope(), recommendation_id, request.form.get("note"), now=now())
    except NotFound:
        raise
    except VoxloopError as error:
        if error.code == "forbidden":
            raise
        flash(gettext("Say in a word why it is dismissed."), "error")
    else:
        flash(gettext("Recommendation dismissed."), "ok")
    return redirect(url_for("pages.index") + f"#recommendation-{recommendation_id}")
