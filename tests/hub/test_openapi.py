"""The OpenAPI document served at /api/v1/openapi.json describes the API the hub really has:
every route, and every answer a real request gets (its status, content type, headers and body)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from hub.services.enrollment import revoke
from shared.crypto import new_private_key, public_key_text
from tests.hub.conftest import connected, make_code

IGNORED_METHODS = {"HEAD", "OPTIONS"}  # added to every route by Flask
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture
def doc(client) -> dict[str, Any]:
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return answer.get_json()


# --- reading the document -----------------------------------------------------------------


def described_operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in doc["paths"].items() for method in item if method in HTTP_METHODS}


def app_operations(app) -> set[tuple[str, str]]:
    """(method, path) of every route under /api/v1 and /healthz, paths in OpenAPI's {name} form."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") or rule.rule == "/healthz":
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found |= {(method, path) for method in rule.methods - IGNORED_METHODS}
    return found


def follow(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references are expected, not {ref!r}"
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = follow(doc, node["$ref"])
    return node


def validator(doc: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for one schema of the document; its "#/components/..." references resolve
    because the document's components are embedded in the root."""
    return Draft202012Validator(
        {**schema, "components": doc["components"]}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def check_answer(doc: dict[str, Any], method: str, path: str, answer: Any) -> None:
    """The answer's status is listed for the operation, and its content type, headers and body
    are the ones documented for that status."""
    documented = doc["paths"][path][method.lower()]["responses"]
    status = str(answer.status_code)
    assert status in documented, f"{method} {path} answered {status}; the document lists {sorted(documented)}"
    spec = resolve(doc, documented[status])
    for header, described in spec.get("headers", {}).items():
        if described.get("required", True):  # only a header marked "required": false may be absent
            assert header in answer.headers, f"{method} {path} {status} lacks the documented {header} header"
    content = spec.get("content", {})
    if not content:
        assert answer.get_data() == b"", f"{method} {path} {status} has a body the document does not describe"
        return
    assert answer.mimetype in content, f"{method} {path} {status} is {answer.mimetype}, documented: {sorted(content)}"
    body = json.loads(answer.get_data())
    errors = [e.message for e in validator(doc, content[answer.mimetype]["schema"]).iter_errors(body)]
    assert errors == [], f"{method} {path} {status}: {errors}"


# --- the document and the routes ----------------------------------------------------------


def test_the_document_is_openapi_3_1(doc):
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] and doc["info"]["version"]


def test_every_schema_in_the_document_is_valid_json_schema(doc):
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)  # raises SchemaError


def test_every_route_of_the_app_is_described_method_by_method(app, doc):
    assert app_operations(app) - described_operations(doc) == set()


def test_every_described_operation_is_a_route_of_the_app(app, doc):
    assert described_operations(doc) - app_operations(app) == set()


def test_every_operation_has_an_id_and_documented_answers(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert operation.get("operationId"), f"{method} {path}"
            assert operation.get("responses"), f"{method} {path}"


# --- real answers against the document ----------------------------------------------------
# Each scenario makes one real request and returns (method, documented path, answer).

Scenario = Callable[..., tuple[str, str, Any]]


def _signed_config(terminal, **headers: str) -> Any:
    signed = terminal.signed_headers("GET", "/api/v1/config", b"")
    return terminal.client.get("/api/v1/config", headers={**signed, **headers})


def health_ok(app, client, clock, terminal):
    return "GET", "/healthz", client.get("/healthz")


def openapi_document(app, client, clock, terminal):
    return "GET", "/api/v1/openapi.json", client.get("/api/v1/openapi.json")


def enroll_created(app, client, clock, terminal):
    body = {"code": make_code(app, clock, "B001"), "public_key": public_key_text(new_private_key()), "name": "Exit 2"}
    return "POST", "/api/v1/enroll", client.post("/api/v1/enroll", json=body)


def enroll_unknown_code(app, client, clock, terminal):
    body = {"code": "ABCD-EFGH-JKLM", "public_key": public_key_text(new_private_key())}
    return "POST", "/api/v1/enroll", client.post("/api/v1/enroll", json=body)


def enroll_malformed_request(app, client, clock, terminal):
    return "POST", "/api/v1/enroll", client.post("/api/v1/enroll", json={"code": "ABCD-EFGH-JKLM"})


def enroll_wrong_content_type(app, client, clock, terminal):
    return "POST", "/api/v1/enroll", client.post("/api/v1/enroll", data="code=x", content_type="text/plain")


def enroll_body_too_large(app, client, clock, terminal):
    body = json.dumps({"code": "x" * app.config["MAX_CONTENT_LENGTH"], "public_key": ""})
    return "POST", "/api/v1/enroll", client.post("/api/v1/enroll", data=body, content_type="application/json")


def sync_with_every_item_status(app, client, clock, terminal):
    stored = terminal.response(rating=4)
    terminal.post_batch([stored])
    batch = [
        terminal.response(rating=2),  # accepted
        stored,  # duplicate
        {**stored, "answers": [{"question": "rating", "kind": "smiley", "value": 1}]},  # conflict
        terminal.response(rating=9),  # invalid
        "not an object",  # invalid, no id
    ]
    answer = terminal.post_batch(batch, heartbeat={"last_seq": 20, "queue_depth": 0})
    assert [r["status"] for r in answer.get_json()["results"]] == [
        "accepted",
        "duplicate",
        "conflict",
        "invalid",
        "invalid",
    ]
    assert answer.get_json()["missing"] != []
    return "POST", "/api/v1/sync", answer


def sync_with_ids_of_other_types(app, client, clock, terminal):
    batch = [terminal.response(id=42), terminal.response(id={"uuid": "x"}), terminal.response(id=None)]
    answer = terminal.post_batch(batch)
    assert [(r["status"], r["code"]) for r in answer.get_json()["results"]] == [("invalid", "bad_id")] * 3
    return "POST", "/api/v1/sync", answer


def sync_unsigned(app, client, clock, terminal):
    answer = client.post("/api/v1/sync", json={"v": 1, "responses": []})
    return "POST", "/api/v1/sync", answer


def sync_stale(app, client, clock, terminal):
    answer = terminal.post_batch([], created=int(clock().timestamp()) - 3600)
    return "POST", "/api/v1/sync", answer


def sync_malformed_json(app, client, clock, terminal):
    return "POST", "/api/v1/sync", terminal.post_raw(b"{")


def sync_wrong_content_type(app, client, clock, terminal):
    return "POST", "/api/v1/sync", terminal.post_raw(b'{"v": 1, "responses": []}', content_type="text/plain")


def sync_batch_too_large(app, client, clock, terminal):
    return "POST", "/api/v1/sync", terminal.post_batch([{}] * (app.config["SYNC_MAX_ITEMS"] + 1))


def sync_body_too_large(app, client, clock, terminal):
    return "POST", "/api/v1/sync", terminal.post_raw(b" " * (app.config["MAX_CONTENT_LENGTH"] + 1))


def sync_revoked(app, client, clock, terminal):
    with connected(app):
        revoke(terminal.device_id, now=clock())
    return "POST", "/api/v1/sync", terminal.post_batch([terminal.response()])


def config_ok(app, client, clock, terminal):
    return "GET", "/api/v1/config", _signed_config(terminal)


def config_not_modified(app, client, clock, terminal):
    etag = _signed_config(terminal).headers["ETag"]
    return "GET", "/api/v1/config", _signed_config(terminal, **{"If-None-Match": etag})


def config_unsigned(app, client, clock, terminal):
    return "GET", "/api/v1/config", client.get("/api/v1/config")


def config_revoked(app, client, clock, terminal):
    with connected(app):
        revoke(terminal.device_id, now=clock())
    return "GET", "/api/v1/config", _signed_config(terminal)


def _signed_in_hq(app, client, terminal, responses: int = 0) -> None:
    from hub.models import User
    from tests.hub.alerting import sign_in_as

    if responses:
        terminal.post_batch([terminal.response(rating=1 + i % 4) for i in range(responses)])
    with connected(app):
        sign_in_as(client, User.get(User.email == "admin@example.org"))


def analytics_overview_ok(app, client, clock, terminal):
    _signed_in_hq(app, client, terminal, responses=3)
    return "GET", "/api/v1/analytics/overview", client.get("/api/v1/analytics/overview?store=B001")


def analytics_trend_first_page(app, client, clock, terminal):
    _signed_in_hq(app, client, terminal, responses=3)
    answer = client.get("/api/v1/analytics/trend?grain=week&limit=2")
    assert answer.get_json()["next"] and answer.headers["Link"]
    return "GET", "/api/v1/analytics/trend", answer


def analytics_stores_ok(app, client, clock, terminal):
    _signed_in_hq(app, client, terminal, responses=3)
    return "GET", "/api/v1/analytics/stores", client.get("/api/v1/analytics/stores")


def analytics_touchpoints_ok(app, client, clock, terminal):
    _signed_in_hq(app, client, terminal, responses=3)
    return "GET", "/api/v1/analytics/touchpoints", client.get("/api/v1/analytics/touchpoints?store=B001")


def analytics_daily_ok(app, client, clock, terminal):
    _signed_in_hq(app, client, terminal, responses=3)
    answer = client.get("/api/v1/analytics/daily")
    assert answer.get_json()["days"]
    return "GET", "/api/v1/analytics/daily", answer


def analytics_responses_first_page(app, client, clock, terminal):
    _signed_in_hq(app, client, terminal, responses=3)
    answer = client.get("/api/v1/analytics/responses?limit=2")
    assert len(answer.get_json()["responses"]) == 2 and answer.get_json()["next"]
    return "GET", "/api/v1/analytics/responses", answer


def analytics_measure_links_ok(app, client, clock, terminal):
    from hub.services import measures
    from hub.services.access import Scope

    _signed_in_hq(app, client, terminal, responses=3)
    with connected(app):
        day = clock().date().isoformat()
        rows = [measures.Row(h, "open_tills", "B001", f"{day}T{h:02d}:00", h % 4 + 1) for h in range(24)]
        tills = measures.Definition("open_tills", "Open tills", "tills", "level", "hour")
        measures.load(Scope(0, "hq_admin", None), rows, now=clock(), definitions={"open_tills": tills}, may_define=True)
    answer = client.get("/api/v1/analytics/measure-links?store=B001")
    assert next(link["figure"] for link in answer.get_json()["links"]) == "smiley_index"
    return "GET", "/api/v1/analytics/measure-links", answer


def analytics_bad_parameter(app, client, clock, terminal):
    _signed_in_hq(app, client, terminal)
    return "GET", "/api/v1/analytics/daily", client.get("/api/v1/analytics/daily?limit=0")


def analytics_unknown_store(app, client, clock, terminal):
    _signed_in_hq(app, client, terminal)
    return "GET", "/api/v1/analytics/responses", client.get("/api/v1/analytics/responses?store=NOPE")


def analytics_signed_out(app, client, clock, terminal):
    return "GET", "/api/v1/analytics/overview", client.get("/api/v1/analytics/overview")


SCENARIOS: list[tuple[Scenario, int]] = [
    (health_ok, 200),
    (openapi_document, 200),
    (enroll_created, 201),
    (enroll_unknown_code, 400),
    (enroll_malformed_request, 400),
    (enroll_wrong_content_type, 415),
    (enroll_body_too_large, 413),
    (sync_with_every_item_status, 200),
    (sync_with_ids_of_other_types, 200),
    (sync_unsigned, 401),
    (sync_stale, 401),
    (sync_malformed_json, 400),
    (sync_wrong_content_type, 415),
    (sync_batch_too_large, 413),
    (sync_body_too_large, 413),
    (sync_revoked, 403),
    (config_ok, 200),
    (config_not_modified, 304),
    (config_unsigned, 401),
    (config_revoked, 403),
    (analytics_overview_ok, 200),
    (analytics_trend_first_page, 200),
    (analytics_stores_ok, 200),
    (analytics_touchpoints_ok, 200),
    (analytics_daily_ok, 200),
    (analytics_responses_first_page, 200),
    (analytics_measure_links_ok, 200),
    (analytics_bad_parameter, 400),
    (analytics_unknown_store, 404),
    (analytics_signed_out, 401),
]


@pytest.mark.parametrize(("scenario", "status"), SCENARIOS, ids=[s.__name__ for s, _ in SCENARIOS])
def test_a_real_answer_is_described_by_the_document(app, client, clock, terminal, doc, scenario, status):
    method, path, answer = scenario(app, client, clock, terminal)

    assert answer.status_code == status, answer.get_data(as_text=True)
    check_answer(doc, method, path, answer)


# --- the checker itself refuses what the document does not allow --------------------------


def test_the_checker_refuses_a_status_the_document_does_not_list(client, doc):
    answer = client.get("/healthz")
    answer.status_code = 418

    with pytest.raises(AssertionError, match="418"):
        check_answer(doc, "GET", "/healthz", answer)


def test_the_checker_refuses_a_body_that_breaks_the_schema(client, doc):
    answer = client.get("/healthz")
    answer.set_data(json.dumps({"status": "fine"}))

    with pytest.raises(AssertionError, match="fine"):
        check_answer(doc, "GET", "/healthz", answer)
