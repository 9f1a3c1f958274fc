"""/api/v1/invitations: a POS, shop or CRM asks voxloop to invite a customer for feedback
about a visit or contact (hub/services/invitations.py). Idempotent by source and reference:
the first request answers 201 with the invitation, a request sent again 200 with the same one
(``created`` false), and nobody is invited twice. A bad request makes nothing and answers 422
``invalid_invitations`` naming each bad field; a store outside the caller's stores is one of
them. API tokens need invitations:write."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from hub.api import bp
from hub.api.people import person
from hub.api.request_body import json_body
from hub.clock import now
from hub.models import User
from hub.services import invitations
from hub.services.access import Scope
from hub.services.invitation_keys import InvitationKeys
from shared.errors import RequestError

WRITERS = ("hq_admin", "regional_manager", "store_manager")
KNOWN = frozenset(invitations.FIELDS) | frozenset(invitations.OPTIONAL)


@bp.post("/invitations")
@person(write=True, roles=WRITERS, grant="invitations:write")
def post_invitation(user: User, scope: Scope) -> Response:
    body = json_body(request, request.get_data(cache=True))
    if not isinstance(body, dict):
        raise RequestError("malformed_request", "send a JSON object")
    unknown = sorted(set(body) - KNOWN)
    if unknown:
        raise RequestError("malformed_request", f"unknown fields: {', '.join(unknown)}")
    wrong = [name for name, value in body.items() if not isinstance(value, str | None)]
    if wrong:
        raise RequestError("malformed_request", f"these fields are strings: {', '.join(sorted(wrong))}")
    ask = invitations.ask_from(0, body)
    (made,) = invitations.invite(
        scope,
        [ask],
        keys=InvitationKeys.from_secret(current_app.config["SECRET_KEY"]),
        settings=invitations.InvitationSettings.from_config(current_app.config),
        now=now(),
        user_id=user.id,
    )
    answer = jsonify({**invitations.as_dict(made.invitation), "created": made.created})
    answer.status_code = 201 if made.created else 200
    return answer
