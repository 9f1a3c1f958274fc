"""One place that turns errors into answers: RFC 9457 problem details for the API,
a plain page for people. Nothing here leaks a trace or a secret.

Problem documents are for machines and stay English whatever the request's language (a
detail marked for translation is read in English there); the page for people shows the title
and the detail in the person's language (hub/i18n.py)."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from markupsafe import escape
from peewee import OperationalError
from werkzeug.exceptions import HTTPException

from hub.i18n import in_language, lazy_gettext
from hub.logs import loggable_path
from shared.errors import CODES, VoxloopError

log = logging.getLogger("voxloop.hub")

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


# What a page says for the problems people meet on pages; the API keeps CODES' English titles.
PAGE_TITLES = {
    "bad_parameter": lazy_gettext("This page cannot show what its address asks for"),
    "malformed_request": lazy_gettext("The form is not complete or not valid."),
    "csrf_failed": lazy_gettext("The form could not be verified; reload the page and send it again."),
    "bad_credentials": lazy_gettext("The email address or the password is not right."),
    "too_many_attempts": lazy_gettext("Too many failed sign-ins; wait a while and try again."),
    "forbidden": lazy_gettext("Your role may not do this."),
    "not_found": lazy_gettext("Not found."),
    "unknown_store": lazy_gettext("There is no such store."),
    "already_exists": lazy_gettext("This exists already."),
    "invalid_rule": lazy_gettext("This alert rule cannot work."),
    "case_state": lazy_gettext("This step does not fit the case's state."),
    "rate_limited": lazy_gettext("Too many requests; wait a moment and try again."),
}


# What a page says for an HTTP error (the API answers CODES' problem documents instead).
ERROR_PAGES = {
    403: (lazy_gettext("Not for you"), lazy_gettext("Your role may not open this page.")),
    404: (
        lazy_gettext("This page does not exist"),
        lazy_gettext("The address may be mistyped, or what it showed is gone."),
    ),
    405: (lazy_gettext("This page cannot be opened this way"), lazy_gettext("Open it from its link instead.")),
    413: (lazy_gettext("Too much at once"), lazy_gettext("What was sent is larger than the hub takes.")),
    500: (
        lazy_gettext("Something went wrong on the hub"),
        lazy_gettext("The error has been logged for the operator. Try again in a while."),
    ),
    503: (
        lazy_gettext("The hub cannot reach its database"),
        lazy_gettext("The error has been logged for the operator. Try again in a while."),
    ),
}


def error_page(status: int) -> tuple[str, int]:
    """The hub's page for an HTTP error in the person's language, with a way back; a plain page
    in the same words if the layout itself cannot be drawn (no database for the menu)."""
    title, detail = (str(text) for text in ERROR_PAGES.get(status, ERROR_PAGES[500]))
    try:
        return render_template("error.html", title=title, detail=detail, status=status), status
    except Exception:  # the layout failed too: the words without it
        log.exception("error page without its layout on %s %s", request.method, _path())
        title, detail = escape(title), escape(detail)
        page = f'<!doctype html><title>{title}</title><h1>{title}</h1><p>{detail}</p><p><a href="/">voxloop</a></p>'
        return page, status


def page_text(error: VoxloopError) -> tuple[str, str]:
    """The title and detail of a problem as the person reads them: in their language where
    the code or the detail is translated."""
    title = str(PAGE_TITLES.get(error.code, error.title))
    detail = title if error.detail == error.title else str(error.detail)
    return title, detail


def problem(code: str, detail: str | None = None, status: int | None = None, **extra: object) -> Response:
    default_status, title = CODES[code]
    with in_language("en"):  # a detail marked for people's pages is read in English here
        detail = str(detail) if detail is not None else None
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
            title, detail = page_text(error)
            page = render_template("problem.html", title=title, detail=detail, retry=request.path if asked else None)
            return page, error.status
        return problem(error.code, error.detail, error.status, **error.extra)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | tuple[str, int]:
        code = _HTTP_CODES.get(error.code or 500)
        if not _wants_json() and (error.code or 500) >= 400:
            page = error_page(error.code or 500)
            response = app.make_response(page)
            if getattr(error, "valid_methods", None):
                response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        if code is None:
            return error.get_response()
        response = problem(code, error.description if code != "body_too_large" else None)
        if getattr(error, "valid_methods", None):  # a 405 must say what is allowed (RFC 9110)
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(OperationalError)
    def database_error(error: OperationalError) -> Response | tuple[str, int]:
        log.error("database error on %s %s: %s", request.method, _path(), error)
        return problem("database_unavailable") if _wants_json() else error_page(CODES["database_unavailable"][0])

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response | tuple[str, int]:
        log.exception("unhandled error on %s %s", request.method, _path())
        return problem("internal_error") if _wants_json() else error_page(500)
