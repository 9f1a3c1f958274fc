"""/api/v1/alert-rules: HQ reads the alert rules; HQ admins add, change (PATCH, including
``active: false`` to switch one off) and test them. A rule that cannot work is refused with
422 invalid_rule, naming the setting (``field``) and why."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, jsonify, request

from hub.api import bp
from hub.api.people import person
from hub.api.request_body import json_body
from hub.clock import now
from hub.models import AlertRule, User
from hub.services.access import Scope
from hub.services.alerts import rules
from hub.services.alerts.trial import queue_test_alert
from shared.errors import RequestError

HQ = ("hq_admin", "hq_analyst")
ADDRESS = re.compile(r"^[^@\u0000-\u0020\u007f]+@[^@\u0000-\u0020\u007f]+$")  # as TestInput in openapi.json says
MAX_TEST_ADDRESSES = 20


def _as_dict(rule: AlertRule, user: User) -> dict[str, Any]:
    return rules.rule_as_dict(rule, with_secret=user.role == "hq_admin")


def _object() -> dict[str, Any]:
    body = json_body(request, request.get_data(cache=True))
    if not isinstance(body, dict):
        raise RequestError("malformed_request", "send the rule as a JSON object")
    return body


@bp.get("/alert-rules")
@person(roles=HQ)
def list_rules(user: User, scope: Scope) -> Response:
    return jsonify({"rules": [_as_dict(r, user) for r in AlertRule.select().order_by(AlertRule.id)]})


@bp.post("/alert-rules")
@person(write=True, roles=("hq_admin",))
def create_rule(user: User, scope: Scope) -> tuple[Response, int]:
    rule = rules.create_rule(_object(), now=now())
    return jsonify(_as_dict(rule, user)), 201


@bp.get("/alert-rules/<int:rule_id>")
@person(roles=HQ)
def get_rule(user: User, scope: Scope, rule_id: int) -> Response:
    return jsonify(_as_dict(rules.rule_by_id(rule_id), user))


@bp.patch("/alert-rules/<int:rule_id>")
@person(write=True, roles=("hq_admin",))
def update_rule(user: User, scope: Scope, rule_id: int) -> Response:
    changes = _object()
    if ("kind" in changes) != ("condition" in changes):
        raise RequestError("malformed_request", "kind and condition are changed together (a condition is of its kind)")
    return jsonify(_as_dict(rules.update_rule(rule_id, changes, now=now()), user))


@bp.post("/alert-rules/<int:rule_id>/test")
@person(write=True, roles=("hq_admin",))
def test_rule(user: User, scope: Scope, rule_id: int) -> tuple[Response, int]:
    body = json_body(request, request.get_data(cache=True)) if request.get_data(cache=True) else {}
    to = body.get("to", []) if isinstance(body, dict) else None
    if (
        not isinstance(to, list)
        or len(to) > MAX_TEST_ADDRESSES
        or not all(isinstance(a, str) and len(a) <= 254 and ADDRESS.fullmatch(a) for a in to)
    ):
        raise RequestError("malformed_request", f"to must be a list of at most {MAX_TEST_ADDRESSES} email addresses")
    ids = queue_test_alert(rules.rule_by_id(rule_id), to=to, now=now())
    return jsonify({"queued": ids}), 202
