"""/contact-centre: the coaching view of the contact centre (hub/services/contact_centre.py):
results per team and agent (contacts, answered, the customers' smiley index with its n, the
agents' own mean difficulty and resolved share), each agent's weekly trend, and the contacts
with the customer's comment beside the agent's view. A team lead sees their team, an agent
their own contacts, HQ every team; others get 403. An agent (or their team lead, or an HQ
admin) rates a contact from their side with a small form (CSRF-checked)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from hub.auth.guard import current_user, signed_in
from hub.clock import now
from hub.dashboards import params
from hub.i18n import gettext
from hub.services import contact_centre
from shared.errors import RequestError

bp = Blueprint("contact_centre", __name__)


@bp.get("/contact-centre")
@signed_in
def coaching_page() -> str:
    scope = contact_centre.coaching_scope_for(current_user())
    period = params.period("UTC")
    return render_template(
        "contact_centre/coaching.html",
        coaching=contact_centre.coaching(scope, period),
        period=period,
        may_rate=scope.may_rate,
    )


@bp.post("/contact-centre/contacts/<int:contact_id>/agent-view")
@signed_in
def rate_contact(contact_id: int) -> Response:
    scope = contact_centre.coaching_scope_for(current_user())
    invitation = contact_centre.contact_by_id(scope, contact_id)
    try:
        difficulty = int(request.form.get("difficulty", ""))
    except ValueError:
        difficulty = 0
    try:
        contact_centre.record_agent_view(
            scope,
            invitation,
            difficulty=difficulty,
            resolved=request.form.get("resolved") == "yes",
            note=request.form.get("note") or None,
            now=now(),
        )
    except RequestError:
        flash(gettext("Choose a difficulty from 1 to 5; a note holds at most 1000 characters."), "error")
    else:
        flash(gettext("Your view of the contact is saved."), "ok")
    return redirect(url_for("contact_centre.coaching_page", **{k: v for k, v in request.args.items()}), code=303)
