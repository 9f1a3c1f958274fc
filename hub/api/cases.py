"""/api/v1/cases: the caller's cases, read and worked (acknowledge, comment, assign, called
back, resolve). Cases of stores outside the caller's scope answer 404."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request

from hub.api import bp
from hub.api.people import person
from hub.api.request_body import json_body
from hub.clock import now
from hub.models import Case, User
from hub.services import case_classification, cases
from hub.services.access import Scope
from hub.services.helpdesk.handover import ticket_as_dict, tickets_as_dicts
from hub.services.response_views import case_response_ids, response_views
from hub.state import state
from shared.errors import RequestError


def _body() -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    body = json_body(request, raw)
    if not isinstance(body, dict):
        raise RequestError("malformed_request", "send a JSON object")
    return body


def _public_url() -> str:
    return current_app.config["PUBLIC_URL"]


def _detail(scope: Scope, case: Case) -> dict[str, Any]:
    body = cases.case_as_dict(case, public_url=_public_url())
    body["classification"] = case_classification.classification_as_dict(case_classification.classification(case.id))
    body["ticket"] = ticket_as_dict(case.id)
    contacts = cases.contacts(scope, case, state().contact_key)
    views = response_views(case_response_ids(case.id), case.store.time_zone)
    body["responses"] = [{**v.as_dict(), "contact": contacts.get(v.id)} for v in views]
    body["events"] = [
        {
            "at": cases.iso_utc(e.at),
            "user": {"id": e.user.id, "name": e.user.name} if e.user_id else None,
            "action": e.action,
            "text": e.text,
        }
        for e in cases.events(case)
    ]
    body["messages"] = [
        {
            "id": m.id,
            "kind": m.kind,
            "channel": m.channel,
            "recipient": m.recipient if m.kind != "close_loop" else "customer",
            "state": m.state,
            "attempts": m.attempts,
            "last_error": m.last_error,
            "deliver_after": cases.iso_utc(m.deliver_after),
            "sent_at": cases.iso_utc(m.sent_at),
        }
        for m in cases.messages(case)
    ]
    return body


@bp.get("/cases")
@person(grant="cases:read")
def list_cases(user: User, scope: Scope) -> Response:
    wanted = request.args.get("state", "unresolved")
    if wanted == "":  # the pages' filter takes an empty one as every case; the API names "all"
        raise RequestError("malformed_request", "state must be one of the listed states, or all")
    breached = request.args.get("breached", "false")
    if breached not in ("true", "false"):
        raise RequestError("malformed_request", "breached must be true or false")
    found = cases.list_cases(
        scope,
        state=wanted,
        sort=request.args.get("sort", "recent"),
        age=request.args.get("age"),
        breached=breached == "true",
        now=now(),
        category=request.args.get("category"),
        priority=request.args.get("priority"),
    )
    classified = case_classification.classifications(c.id for c in found)
    tickets = tickets_as_dicts(c.id for c in found)
    listed = [
        {
            **cases.case_as_dict(c, public_url=_public_url()),
            "classification": case_classification.classification_as_dict(classified.get(c.id)),
            "ticket": tickets.get(c.id),
        }
        for c in found
    ]
    return jsonify({"cases": listed})


@bp.get("/cases/<int:case_id>")
@person(grant="cases:read")
def get_case(user: User, scope: Scope, case_id: int) -> Response:
    return jsonify(_detail(scope, cases.get_case(scope, case_id)))


@bp.post("/cases/<int:case_id>/acknowledge")
@person(write=True, grant="cases:write")
def acknowledge(user: User, scope: Scope, case_id: int) -> Response:
    return jsonify(_detail(scope, cases.acknowledge(scope, user, case_id, now=now())))


@bp.post("/cases/<int:case_id>/comments")
@person(write=True, grant="cases:write")
def comment(user: User, scope: Scope, case_id: int) -> tuple[Response, int]:
    cases.comment(scope, user, case_id, _body().get("text"), now=now())
    return jsonify(_detail(scope, cases.get_case(scope, case_id))), 201


@bp.post("/cases/<int:case_id>/assign")
@person(write=True, grant="cases:write")
def assign(user: User, scope: Scope, case_id: int) -> Response:
    body = _body()
    if "assignee" not in body:
        raise RequestError("malformed_request", 'send {"assignee": <user id or null>}')
    return jsonify(_detail(scope, cases.assign(scope, user, case_id, body["assignee"], now=now())))


@bp.post("/cases/<int:case_id>/customer-value")
@person(write=True, grant="cases:write")
def customer_value(user: User, scope: Scope, case_id: int) -> Response:
    """A CRM tells what the customer is worth to it; the case's priority takes it in."""
    body = _body()
    if "customer_value" not in body:
        raise RequestError("malformed_request", 'send {"customer_value": <number of at least 0, or null>}')
    case_classification.set_customer_value(scope, case_id, body["customer_value"], now=now())
    return jsonify(_detail(scope, cases.get_case(scope, case_id)))


@bp.post("/cases/<int:case_id>/called-back")
@person(write=True, grant="cases:write")
def called_back(user: User, scope: Scope, case_id: int) -> Response:
    return jsonify(_detail(scope, cases.called_back(scope, user, case_id, note=_body().get("note"), now=now())))


@bp.post("/cases/<int:case_id>/resolve")
@person(write=True, grant="cases:write")
def resolve(user: User, scope: Scope, case_id: int) -> Response:
    body = _body()
    notify = body.get("notify_customer", False)
    if not isinstance(notify, bool):
        raise RequestError("malformed_request", "notify_customer must be true or false")
    case = cases.resolve(
        scope,
        user,
        case_id,
        category=body.get("category"),
        note=body.get("note"),
        notify_customer=notify,
        customer_message=body.get("customer_message"),
        contact_key=state().contact_key,
        now=now(),
    )
    return jsonify(_detail(scope, case))
