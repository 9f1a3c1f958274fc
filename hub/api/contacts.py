"""/api/v1/contacts/<reference>/agent-view: the agent's own view of a contact-centre contact
(hub/services/contact_centre.py): how hard it was (1-5) and whether it was resolved, with an
optional note; sent again, it replaces the view before. The contact is named as its
invitation named it: the asking system (``source`` in the body) and its contact id. An agent
rates their own contacts, a team lead those of their team, an HQ admin any; another's contact
answers 404. API tokens need contacts:write."""

from __future__ import annotations

from flask import Response, jsonify, request

from hub.api import bp
from hub.api.people import person
from hub.api.request_body import json_body
from hub.clock import now
from hub.models import User
from hub.services import contact_centre
from hub.services.access import Scope
from shared.errors import RequestError

FIELDS = frozenset({"source", "difficulty", "resolved", "note"})


@bp.post("/contacts/<reference>/agent-view")
@person(write=True, roles=contact_centre.COACHING_ROLES, grant="contacts:write")
def post_agent_view(user: User, scope: Scope, reference: str) -> Response:
    body = json_body(request, request.get_data(cache=True))
    if not isinstance(body, dict):
        raise RequestError("malformed_request", "send a JSON object")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise RequestError("malformed_request", f"unknown fields: {', '.join(unknown)}")
    if not isinstance(body.get("source"), str):
        raise RequestError("malformed_request", "source names the system the contact's invitation came from")
    coaching = contact_centre.coaching_scope_for(user)
    invitation = contact_centre.contact_in_scope(coaching, body["source"], reference)
    view = contact_centre.record_agent_view(
        coaching,
        invitation,
        difficulty=body.get("difficulty"),
        resolved=body.get("resolved"),
        note=body.get("note"),
        now=now(),
    )
    return jsonify(
        {
            "source": invitation.source,
            "reference": invitation.reference,
            "team": invitation.team,
            "agent": invitation.agent,
            "difficulty": view.difficulty,
            "resolved": bool(view.resolved),
            "note": view.note,
        }
    )
