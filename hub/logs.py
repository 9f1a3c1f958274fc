"""The hub's log lines: one JSON object a line, each request's lines under one request id.

Every process of a hub logs this way: gunicorn's workers and master (deploy/gunicorn.conf.py),
``voxloop hub serve`` and ``voxloop hub jobs`` call ``configure_logging`` at start. A line is
``{"time", "level", "logger", "message", "pid"}``, the ``request_id`` of the request it belongs
to, ``exc`` with the traceback of an error, and whatever the caller passed as ``extra``.

A request's id comes from ``X-Request-Id`` when a trusted proxy (TRUSTED_PROXIES, as in
hub/client_address.py) sent it and it looks like an id; otherwise the hub makes one. It goes
back to the client in the response's ``X-Request-Id`` header, so a support call, nginx's log and
the hub's lines meet on one value.

Nothing secret belongs in a line, and the code logs no tokens, passwords, cookies or contact
addresses. The formatter also masks what would slip through anyway: QR and link tokens
(``v1.<claims>.<mac>``), bearer tokens and email addresses (an SMTP server's refusal names the
recipient), in the message and in the traceback.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask, Response, request

from hub.client_address import TrustedProxies

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_KEY = "voxloop.request_id"  # in the WSGI environ
STARTED_KEY = "voxloop.started"  # time.perf_counter() when the request came in
LOG_PATH_KEY = "voxloop.log_path"  # the path as the access log may show it (loggable_path)
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_request_id: ContextVar[str | None] = ContextVar("voxloop_request_id", default=None)

_MASKS = (
    (re.compile(r"\bv1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), "v1.REDACTED"),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 REDACTED"),
    (re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), "<email>"),
)
# The attributes every LogRecord has: anything else on a record came in through ``extra``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    """``text`` with tokens, bearer credentials and email addresses masked."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def current_request_id() -> str | None:
    return _request_id.get()


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON (see the module)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "pid": record.process,
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            line["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in line:
                line[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exc"] = redact(self.formatException(record.exc_info))
        elif record.stack_info:
            line["exc"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, default=str, ensure_ascii=False)


class LineHandler(logging.StreamHandler):
    """Writes each line with one system call, so the lines of several processes sharing a
    stream (gunicorn's master and workers, the journal) never interleave inside a line."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + "\n").encode("utf-8", "replace")
            try:
                fd = self.stream.fileno()
            except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
                self.stream.write(data.decode())
                self.flush()
                return
            self.flush()
            os.write(fd, data)
        except Exception:
            self.handleError(record)


_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_LONG_SEGMENT = re.compile(r"[^/]{33,}")


def loggable_path(path: str, rule: str | None = None, arguments: dict[str, Any] | None = None) -> str:
    """The path of a request as a log line may show it: the route with its arguments, except
    those named like a token (``/cases/17/ack/REDACTED``); a path that matched no route keeps
    no segment longer than 32 characters (a mistyped link still carries its token)."""
    if rule is None:
        return _LONG_SEGMENT.sub("REDACTED", redact(path))
    values = arguments or {}

    def shown(match: re.Match[str]) -> str:
        name = match.group(1)
        if "token" in name or name not in values:
            return "REDACTED"
        return redact(str(values[name]))

    return _VARIABLE.sub(shown, rule)


def configure_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Every logger of this process writes JSON lines to ``stream`` (stderr) from ``level`` up;
    Python's warnings become log lines too."""
    handler = LineHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=str(level).upper(), handlers=[handler], force=True)
    logging.captureWarnings(True)


class RequestIds:
    """WSGI middleware: each request's id (see the module) in the environ under
    ``voxloop.request_id``, in the context of its log lines and in the response's header.
    Outermost, so it sees the peer before hub/client_address.py rewrites REMOTE_ADDR."""

    def __init__(self, app: WSGIApplication, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    def request_id(self, environ: WSGIEnvironment) -> str:
        offered = environ.get("HTTP_X_REQUEST_ID", "")
        if offered and _VALID_ID.fullmatch(offered) and self.proxies.trusts(environ.get("REMOTE_ADDR") or ""):
            return offered
        return uuid.uuid4().hex

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ[STARTED_KEY] = time.perf_counter()
        request_id = environ[REQUEST_ID_KEY] = self.request_id(environ)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(k, v) for k, v in headers if k.lower() != REQUEST_ID_HEADER.lower()]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        token = _request_id.set(request_id)
        try:
            return self.app(environ, start)
        finally:
            _request_id.reset(token)


def init_app(app: Flask) -> None:
    """Leave the path of each request as a log line may show it in the environ, for the access
    log of the server in front (deploy/gunicorn.conf.py)."""

    @app.after_request
    def _log_path(response: Response) -> Response:
        rule = request.url_rule.rule if request.url_rule is not None else None
        request.environ[LOG_PATH_KEY] = loggable_path(request.path, rule, request.view_args)
        return response
