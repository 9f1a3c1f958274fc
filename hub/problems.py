"""One place that turns errors into answers: RFC 9457 problem details for the API,
a plain page for people. Nothing here leaks a trace or a secret."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from peewee import OperationalError
from werkzeug.exceptions import HTTPException

from hub.logs import loggable_path
from shared.errors import CODES, VoxloopError

log = logging.getLogger("voxloop.hub")

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


def problem(code: str, detail: str | None = None, status: int | None = None, **extra: object) -> Response:
    default_status, title = CODES[code]
    body = {
        "type": f"https://voxloop.org/problems/{code}",
        "title": title,
        "status": status or default_status,
        "code": code,
        "detail": detail or title,
        **extra,
    }
    response = jsonify(body)
    response.status_code = body["status"]
    response.mimetype = "application/problem+json"
    return response


def _path() -> str:
    """The request's path without its tokens (a password reset link's, say)."""
    rule = request.url_rule.rule if request.url_rule is not None else None
    return loggable_path(request.path, rule, request.view_args)


def _wants_json() -> bool:
    """The API, a JSON body, and downloads (a script or a spreadsheet asked: no page)."""
    return (
        request.path.startswith("/api/")
        or request.mimetype == "application/json"
        or request.path.endswith((".csv", ".json"))
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(VoxloopError)
    def voxloop_error(error: VoxloopError) -> Response | tuple[str, int]:
        if not _wants_json():
            # a query parameter a page cannot use: the message, and the page without its query
            asked = error.code == "bad_parameter" and request.method == "GET"
            title = "This page cannot show what its address asks for" if asked else error.title
            page = render_template(
                "problem.html", title=title, detail=error.detail, retry=request.path if asked else None
            )
            return page, error.status
        return problem(error.code, error.detail, error.status, **error.extra)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        code = _HTTP_CODES.get(error.code or 500)
        if code is None or not _wants_json():
            return error.get_response()  # werkzeug's plain page for people
        response = problem(code, error.description if code != "body_too_large" else None)
        if getattr(error, "valid_methods", None):  # a 405 must say what is allowed (RFC 9110)
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(OperationalError)
    def database_error(error: OperationalError) -> Response:
        log.error("database error on %s %s: %s", request.method, _path(), error)
        return problem("database_unavailable")

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, _path())
        return problem("internal_error")
