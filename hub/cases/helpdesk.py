"""The case page's help desk section: the ticket's number, state and link, and the button
"Hand to help desk" (POST /cases/<id>/helpdesk: signed in, CSRF-checked, the case in the
person's scope and theirs to work; hub/services/helpdesk/handover.py)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, url_for
from werkzeug.wrappers import Response

from hub.auth.guard import current_scope, current_user, signed_in
from hub.cases.pages import WORDS, bp
from hub.clock import now
from hub.i18n import gettext, lazy_gettext
from hub.services.helpdesk.handover import QUEUED, hand_over, ticket_of
from hub.services.helpdesk.settings import HelpDeskSettings
from shared.errors import NotFound, VoxloopError

WORDS.update(
    {
        "handed_to_helpdesk": lazy_gettext("handed to the help desk"),
        "helpdesk_ticket": lazy_gettext("ticket made in the help desk"),
        "helpdesk_state": lazy_gettext("ticket state changed in the help desk"),
        "acknowledged_in_helpdesk": lazy_gettext("acknowledged in the help desk"),
        "resolved_in_helpdesk": lazy_gettext("resolved in the help desk"),
        "ticket_create": lazy_gettext("ticket"),
        "ticket_resolve": lazy_gettext("ticket resolution"),
        "ticket": lazy_gettext("help desk"),
    }
)
TICKET_STATES = {QUEUED: lazy_gettext("waiting to be sent")}


def _settings() -> HelpDeskSettings:
    return HelpDeskSettings.from_config(current_app.config)


@bp.app_template_global()
def helpdesk_section(case_id: int) -> dict[str, Any] | None:
    """What the case page shows of the help desk (the page has checked the case's scope): None
    when no help desk is configured and the case has no ticket."""
    settings = _settings()
    ticket = ticket_of(case_id)
    if ticket is None and not settings.enabled:
        return None
    return {
        "ticket": ticket,
        "state": str(TICKET_STATES.get(ticket.state, ticket.state)) if ticket else None,
        "system": settings.system,
    }


@bp.post("/<int:case_id>/helpdesk")
@signed_in
def hand_to_helpdesk(case_id: int) -> Response:
    try:
        hand_over(current_scope(), current_user(), case_id, settings=_settings(), now=now())
    except NotFound:
        raise
    except VoxloopError as error:
        flash(str(error.detail), "error")
    else:
        flash(gettext("Handed to the help desk: the ticket is made as soon as the help desk answers."), "ok")
    return redirect(url_for("cases.show", case_id=case_id))
