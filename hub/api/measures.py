"""/api/v1/measures: operational measures (hub/services/measures.py). ``GET`` lists them;
``PUT /api/v1/measures/<code>`` loads a batch of values of one measure, idempotent by store
and period, and answers how many were created, unchanged and replaced (with what they
replaced); a batch with any bad row (a store the caller may not write among them) writes
nothing and answers 422 with every bad row. An HQ admin's batch may define a new measure
(name, unit, kind, grain); API tokens need measures:write."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from hub.api import bp
from hub.api.people import person
from hub.api.request_body import json_body
from hub.clock import now
from hub.models import Measure, User
from hub.services import measures
from hub.services.access import Scope
from shared.errors import NotFound, RequestError, VoxloopError

PUT_FIELDS = frozenset({"name", "unit", "kind", "grain", "values"})
VALUE_FIELDS = frozenset({"store", "period", "value"})
WRITERS = ("hq_admin", "regional_manager", "store_manager")


def measure_as_dict(measure: Measure) -> dict[str, Any]:
    return {
        "code": measure.code,
        "name": measure.name,
        "unit": measure.unit,
        "kind": measure.kind,
        "grain": measure.grain,
    }


@bp.get("/measures")
@person(grant="measures:write")
def list_measures(user: User, scope: Scope) -> Response:
    return jsonify({"measures": [measure_as_dict(m) for m in measures.measures()]})


def _item_error(index: int, item: Any) -> measures.RowError | None:
    if not isinstance(item, dict):
        return measures.RowError(index, "not_an_object", "each value is an object {store, period, value}")
    unknown = sorted(set(item) - VALUE_FIELDS)
    if unknown:
        return measures.RowError(index, "malformed_row", f"unknown fields: {', '.join(unknown)}")
    missing = sorted(VALUE_FIELDS - set(item))
    if missing:
        return measures.RowError(index, "missing_field", f"missing: {', '.join(missing)}")
    if not isinstance(item["store"], str) or not isinstance(item["period"], str):
        return measures.RowError(index, "wrong_type", "store and period are strings")
    if isinstance(item["value"], bool) or not isinstance(item["value"], int | float):
        return measures.RowError(index, "wrong_type", "the value is a number")
    return None


def _rows(code: str, values: Any) -> list[measures.Row]:
    if not isinstance(values, list) or not values:
        raise RequestError("malformed_request", "send 'values': a list of {store, period, value}")
    if len(values) > measures.MAX_BATCH:
        raise RequestError("malformed_request", f"send at most {measures.MAX_BATCH} values a request")
    errors = [e for e in (_item_error(i, item) for i, item in enumerate(values)) if e is not None]
    if errors:
        raise measures.RowsRefused(errors)
    return [measures.Row(i, code, item["store"], item["period"], item["value"]) for i, item in enumerate(values)]


def _definition(code: str, body: dict[str, Any]) -> dict[str, measures.Definition]:
    """The measure's definition sent with the values ({} when none): name and unit strings of
    at most 100 characters (a name not blank), kind and grain both or neither."""
    for name in ("name", "unit", "kind", "grain"):
        if name in body and not isinstance(body[name], str):
            raise RequestError("malformed_request", f"{name} is a string")
    if "name" in body and not body["name"]:
        raise RequestError("malformed_request", "a name is not empty")
    if any(len(body.get(k, "")) > measures.MAX_TEXT for k in ("name", "unit")):
        raise RequestError("malformed_request", f"name and unit hold at most {measures.MAX_TEXT} characters")
    if body.get("kind", "count") not in Measure.KINDS or body.get("grain", "hour") not in Measure.GRAINS:
        raise RequestError(
            "malformed_request", f"kind is one of {', '.join(Measure.KINDS)}, grain one of {', '.join(Measure.GRAINS)}"
        )
    if "kind" not in body or "grain" not in body:
        return {}
    return {code: measures.definition(code, body)}


@bp.put("/measures/<code>")
@person(write=True, roles=WRITERS, grant="measures:write")
def put_measure(user: User, scope: Scope, code: str) -> Response:
    if not measures.CODE.match(code):
        raise NotFound("unknown_measure", "a measure's code is 1 to 40 lower-case letters, digits or '_'")
    body = json_body(request, request.get_data(cache=True))
    if not isinstance(body, dict):
        raise RequestError("malformed_request", "send a JSON object")
    unknown = sorted(set(body) - PUT_FIELDS)
    if unknown:
        raise RequestError("malformed_request", f"unknown fields: {', '.join(unknown)}")
    definitions = _definition(code, body)
    rows = _rows(code, body.get("values"))
    known = Measure.get_or_none(Measure.code == code)
    given = definitions.get(code)
    if known is not None and given is not None and (known.kind, known.grain) != (given.kind, given.grain):
        raise VoxloopError("measure_conflict", f"the measure {code} is a {known.kind} per {known.grain}, not as sent")
    outcome = measures.load(scope, rows, now=now(), definitions=definitions, may_define=user.role == "hq_admin")
    return jsonify(
        {
            "measure": measure_as_dict(measures.measure_by_code(code)),
            "created": outcome.created,
            "unchanged": outcome.unchanged,
            "replaced": [r.as_dict() for r in outcome.replaced],
        }
    )
