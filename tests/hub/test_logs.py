"""The hub's log lines: JSON, one object a line, with the request's id, which also goes back in
the X-Request-Id header; tokens, bearer credentials and email addresses never show."""

from __future__ import annotations

import io
import json
import logging

import pytest

from hub.logs import JsonFormatter, LineHandler, configure_logging, loggable_path, redact


def test_every_answer_carries_a_request_id_made_by_the_hub(client):
    first, second = client.get("/livez"), client.get("/livez")
    assert len(first.headers["X-Request-Id"]) == 32
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_a_trusted_proxys_request_id_is_kept_and_anyone_elses_replaced(client):
    offered = {"X-Request-Id": "nginx-7f3a9c1e2b4d"}
    from_proxy = client.get("/livez", headers=offered, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    from_anyone = client.get("/livez", headers=offered, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    malformed = client.get("/livez", headers={"X-Request-Id": "a b\tc"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})

    assert from_proxy.headers["X-Request-Id"] == "nginx-7f3a9c1e2b4d"
    assert from_anyone.headers["X-Request-Id"] not in ("nginx-7f3a9c1e2b4d", "")
    assert malformed.headers["X-Request-Id"] != "a b\tc"
    assert from_proxy.headers.getlist("X-Request-Id") == ["nginx-7f3a9c1e2b4d"]


def test_a_line_logged_during_a_request_names_its_id(app, client):
    stream = io.StringIO()
    handler = LineHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("voxloop.hub")
    logger.addHandler(handler)
    try:
        app.config["PROPAGATE_EXCEPTIONS"] = False

        @app.get("/test-failure/<token>")
        def failing(token: str) -> str:
            raise RuntimeError("boom")

        answer = client.get("/test-failure/v1.eyJzIjoiQjAwMSJ9.c2lnbmF0dXJl")
    finally:
        logger.removeHandler(handler)
    assert answer.status_code == 500
    (line,) = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["request_id"] == answer.headers["X-Request-Id"]
    assert line["level"] == "ERROR" and line["logger"] == "voxloop.hub"
    assert line["message"] == "unhandled error on GET /test-failure/REDACTED"
    assert "RuntimeError: boom" in line["exc"]


def test_a_record_becomes_one_json_line_with_its_extra_fields_and_secrets_masked():
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("INFO", stream)
    try:
        logging.getLogger("voxloop.test").warning(
            "refused %s with Bearer abc.def-123 for %s",
            "customer@example.com",
            "https://hub.example/m/v1.eyJzIjoiQjAwMSJ9.c2lnbmF0dXJl",
            extra={"outbox_message": 7},
        )
        logging.getLogger("voxloop.test").debug("not at INFO")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.captureWarnings(False)
    (text,) = stream.getvalue().splitlines()
    line = json.loads(text)
    assert line["message"] == "refused <email> with Bearer REDACTED for https://hub.example/m/v1.REDACTED"
    assert line["outbox_message"] == 7 and line["level"] == "WARNING" and "time" in line and "pid" in line


@pytest.mark.parametrize(
    ("path", "rule", "arguments", "shown"),
    [
        (
            "/cases/17/ack/v1.abc.def",
            "/cases/<int:case_id>/ack/<token>",
            {"case_id": 17, "token": "x"},
            "/cases/17/ack/REDACTED",
        ),
        ("/password-reset/Zm9vYmFy", "/password-reset/<token>", {"token": "Zm9vYmFy"}, "/password-reset/REDACTED"),
        (
            "/api/v1/phone/v1.a.b/responses/0190",
            "/api/v1/phone/<token>/responses/<response_id>",
            {"token": "v1.a.b", "response_id": "0190"},
            "/api/v1/phone/REDACTED/responses/0190",
        ),
        ("/nowhere/" + "x" * 40, None, None, "/nowhere/REDACTED"),
        ("/login", "/login", {}, "/login"),
    ],
)
def test_a_logged_path_keeps_no_token(path, rule, arguments, shown):
    assert loggable_path(path, rule, arguments) == shown


def test_redact_masks_email_addresses_and_tokens_only():
    assert redact("to a.b+c@mail.example.org: 550") == "to <email>: 550"
    assert redact("case 17 acknowledged") == "case 17 acknowledged"
