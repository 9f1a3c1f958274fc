"""The phone messenger, served by the hub.

    GET  /m/<token>                               the conversation (server-rendered first message)
    POST /m/<token>                               the plain form, for browsers without JavaScript
    GET  /m/c/<token>                             a tap's continuation (the terminal's thank-you QR
    POST /m/c/<token>                             code): the follow-up without the rating, and its form
    PUT  /api/v1/phone/<token>/responses/<id>     the script's answers, partial or complete (JSON,
                                                  in the hub's API and its OpenAPI document); a
                                                  continuation code (no dots) in place of the token
                                                  sends a tap's follow-up
    GET  /m/static/<name>?v=<version>             the script and style files (the page inlines
                                                  them; the service worker imports the script)
    GET  /m/sw.js                                 the service worker (scope /m/)

Views parse, call the hub through hub/services/phone.py and render. Refusals a person sees are
friendly pages in their language (never a trace); the JSON endpoint answers RFC 9457 problems.
"""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, make_response, render_template, request
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound as HttpNotFound
from werkzeug.exceptions import RequestEntityTooLarge

from hub.api.request_body import json_body
from hub.clock import now
from hub.problems import problem
from hub.services.phone import (
    ContinuedTap,
    PhoneTouchpoint,
    QrKeys,
    RateLimits,
    address_bucket,
    open_continuation,
    open_touchpoint,
    read_phone_token,
    receipt_answered,
    record_follow_up,
    record_phone_response,
    tap_so_far,
)
from hub.state import state
from mobile_web import assets, tickets
from mobile_web.conversation import (
    choose_language,
    language_links,
    page_languages,
    response_from_form,
    summary,
    survey_view,
)
from mobile_web.texts import PROBLEM_PAGES, spoken, texts
from shared.errors import FormError, RateLimited, RequestError, TokenError, VoxloopError
from shared.ids import is_uuid, uuid7
from shared.protocol import format_time

log = logging.getLogger("voxloop.phone")
bp = Blueprint("phone", __name__, template_folder="templates")  # routes name their full paths


def content_security_policy() -> str:
    """Nothing from another origin; no script or style but the page's own two, allowed by their
    hashes; the only script URL a Trusted Types policy may make is the service worker's."""
    return (
        f"default-src 'self'; script-src {assets.csp_source('phone.js')}; style-src {assets.csp_source('phone.css')}; "
        "img-src 'self' data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'; object-src 'none'; require-trusted-types-for 'script'; "
        "trusted-types voxloop"
    )


@bp.context_processor
def _inlined() -> dict[str, Any]:
    # our own files, never user data; assets.inline() refuses any that could close its tag
    return {
        "inline_css": Markup(assets.inline("phone.css")),  # noqa: S704
        "inline_js": Markup(assets.inline("phone.js")),  # noqa: S704
        "asset_version": assets.version(),
    }


# --- the conversation -----------------------------------------------------------------------


@bp.get("/m/<token>")
def page(token: str) -> Response:
    place = _open(token, now())
    if receipt_answered(place):
        raise TokenError("token_used")
    return _render_page(place, token, status=200)


@bp.post("/m/<token>")
def post_form(token: str) -> Response:
    """The plain form: every answer at once, CSRF-checked; refusals show the form again with
    the answers kept."""
    at = now()
    fingerprint = _fingerprint(token)
    served = tickets.read_ticket(_secret(), request.form.get("ticket"), fingerprint, at)
    place = _open(token, at, served_at=served.served if served else None)
    language = _language(place, request.form.get("lang"))
    survey = survey_view(place.current_survey(), language, place.store.name)
    if not _same_origin() or not tickets.csrf_ok(
        _secret(), request.cookies.get(tickets.CSRF_COOKIE), request.form.get("csrf")
    ):
        return _render_page(place, token, status=403, problem_key="csrf_failed", values=request.form)
    response_id = request.form.get("response_id", "")
    if not is_uuid(response_id):
        response_id = uuid7(at, os.urandom(10))
    item, errors = response_from_form(
        request.form,
        survey,
        response_id=response_id,
        store=place.store.code,
        touchpoint=place.touchpoint.code,
        language=language,
        now=at,
    )
    if errors:
        return _render_page(place, token, status=422, problem_key="invalid_form", errors=errors, values=request.form)
    try:
        result = _record(place, item, served, at)
    except RateLimited as limited:
        page = _render_page(place, token, status=429, problem_key="rate_limited", values=request.form)
        page.headers["Retry-After"] = str(limited.retry_after)
        return page
    except RequestError:
        return _render_page(place, token, status=422, problem_key="invalid_form", values=request.form)
    words = texts(language, place.store.name)
    html = render_template(
        "phone/thanks.html",
        words=words,
        language=language,
        store=place.store,
        touchpoint=place.touchpoint,
        lines=summary(survey, item),
        contact="contact" in item,
        again=place.claims.receipt is None,
        status=result.status,
    )
    return _page_response(html, 200)


@bp.put("/api/v1/phone/<token>/responses/<response_id>")
def put_response(token: str, response_id: str) -> Response:
    """One version of a response: ``{"response": {...}, "ticket": "..."}``."""
    if not _same_origin():
        raise FormError("csrf_failed", "requests must come from this hub's own page")
    body = json_body(request, request.get_data(cache=False))
    if not isinstance(body, dict) or not isinstance(body.get("response"), dict):
        raise RequestError("malformed_request", 'the body is {"response": {...}, "ticket": "..."}')
    item = body["response"]
    if item.get("id") != response_id:
        raise RequestError("bad_id", "the response's id differs from the id in the URL")
    at = now()
    served = tickets.read_ticket(_secret(), body.get("ticket"), _fingerprint(token), at)
    if "." not in token:  # a continuation code: the follow-up of a tap
        tap = open_continuation(token, at, served_at=served.served if served else None)
        result = _record_follow_up(tap, item, served, at)
    else:
        place = _open(token, at, served_at=served.served if served else None)
        result = _record(place, item, served, at)
    if result.status == "conflict":
        return problem("response_conflict", "a response with this id exists with other answers; it stays", id=result.id)
    return jsonify(
        {
            "id": result.id,
            "status": result.status,
            "complete": result.complete,
            "hub_time": format_time(at),
        }
    )


# --- a tap's continuation ------------------------------------------------------------------


# The code is named ``token`` in the routes: hub/logs.py keeps such arguments out of log lines.


@bp.get("/m/c/<token>")
def continuation_page(token: str) -> Response:
    """The terminal's thank-you QR code: the tap's follow-up questions, never the rating again."""
    tap = open_continuation(token, now())
    return _render_page(tap.place, token, status=200, tap=tap)


@bp.post("/m/c/<token>")
def continuation_form(token: str) -> Response:
    """The plain form of a tap's follow-up: every answer at once, CSRF-checked."""
    at = now()
    served = tickets.read_ticket(_secret(), request.form.get("ticket"), _fingerprint(token), at)
    tap = open_continuation(token, at, served_at=served.served if served else None)
    place = tap.place
    language = _language(place, request.form.get("lang"))
    survey, _face = _follow_up_view(tap, language)
    if not _same_origin() or not tickets.csrf_ok(
        _secret(), request.cookies.get(tickets.CSRF_COOKIE), request.form.get("csrf")
    ):
        return _render_page(place, token, status=403, problem_key="csrf_failed", values=request.form, tap=tap)
    item, errors = response_from_form(
        request.form,
        survey,
        response_id=tap.response_id,
        store=place.store.code,
        touchpoint=place.touchpoint.code,
        language=language,
        now=at,
    )
    if errors:
        return _render_page(
            place, token, status=422, problem_key="invalid_form", errors=errors, values=request.form, tap=tap
        )
    try:
        result = _record_follow_up(tap, item, served, at)
    except RateLimited as limited:
        page = _render_page(place, token, status=429, problem_key="rate_limited", values=request.form, tap=tap)
        page.headers["Retry-After"] = str(limited.retry_after)
        return page
    except RequestError:
        return _render_page(place, token, status=422, problem_key="invalid_form", values=request.form, tap=tap)
    html = render_template(
        "phone/thanks.html",
        words=texts(language, place.store.name),
        language=language,
        store=place.store,
        touchpoint=place.touchpoint,
        lines=summary(survey, item),
        contact="contact" in item,
        again=False,
        status=result.status,
    )
    return _page_response(html, 200)


def _follow_up_view(tap: ContinuedTap, language: str) -> tuple[dict[str, Any], str | None]:
    """The survey as a tap's follow-up asks it: without the rating and what the terminal
    answered; and the face tapped, in words (None while the hub has not got the tap)."""
    place = tap.place
    so_far = tap_so_far(tap)
    if so_far.finished:
        raise TokenError("continuation_used", "this tap was continued on a phone already; thank you")
    survey = survey_view(place.current_survey(), language, place.store.name)
    face = None
    for question in survey["questions"]:
        if question["kind"] == "smiley" and so_far.face is not None:
            face = next((f["label"] for f in question["faces"] if f["value"] == so_far.face), None)
    questions = [
        question
        for question in survey["questions"]
        if question["kind"] != "smiley" and question["id"] not in so_far.answered
    ]
    if not questions:  # nothing left to ask: the terminal asked it all
        raise TokenError("continuation_used", "everything this survey asks was answered at the terminal")
    return {**survey, "questions": questions}, face


def _record_follow_up(tap: ContinuedTap, item: Any, served: tickets.PageTicket | None, at: datetime) -> Any:
    return record_follow_up(tap, item, ticket=served.digest if served else None, **_recorded_with(at))


# --- static files ---------------------------------------------------------------------------


@bp.get("/m/static/<name>")
def static_file(name: str) -> Response:
    asset = assets.assets().get(name)
    if asset is None or name == "sw.js":
        raise HttpNotFound()
    versioned = request.args.get("v") == assets.version()
    cache = "public, max-age=31536000, immutable" if versioned else "no-cache"
    return _asset_response(asset.body, asset.gzipped, asset.content_type, cache)


@bp.get("/m/sw.js")
def service_worker() -> Response:
    source = assets.assets()["sw.js"].body.replace(b"__VERSION__", assets.version().encode())
    response = _asset_response(source, assets.compress(source), "text/javascript; charset=utf-8", "no-cache")
    response.headers["Content-Security-Policy"] = "default-src 'self'"
    return response


def _asset_response(body: bytes, gzipped: bytes, content_type: str, cache: str) -> Response:
    etag = hashlib.sha256(body).hexdigest()[:16]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = Response(gzipped, content_type=content_type)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(body, content_type=content_type)
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache
    response.headers["Vary"] = "Accept-Encoding"
    return response


# --- refusals -------------------------------------------------------------------------------


def _wants_json() -> bool:
    return request.method == "PUT" or request.mimetype == "application/json"


@bp.errorhandler(VoxloopError)
def refused(error: VoxloopError) -> Response:
    if _wants_json():
        response = problem(error.code, error.detail, error.status, **error.extra)
    else:
        response = _problem_page(error.code, error.status, seconds=getattr(error, "retry_after", 0))
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.errorhandler(HttpNotFound)
def not_found(_error: HttpNotFound) -> Response:
    return _problem_page("not_found", 404)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> Response:
    # a refusal of the client's request, not a failure of the hub: 413, never the catch-all's 500
    return problem("body_too_large") if _wants_json() else _problem_page("body_too_large", 413)


@bp.errorhandler(Exception)
def failed(error: Exception) -> Response:
    from peewee import OperationalError

    code = "database_unavailable" if isinstance(error, OperationalError) else "internal_error"
    log.exception("phone page failed on %s %s", request.method, request.endpoint)  # never the path: it has the token
    return problem(code) if _wants_json() else _problem_page(code, 503 if code == "database_unavailable" else 500)


def _problem_page(code: str, status: int, seconds: int = 0) -> Response:
    language = choose_language(None, request.accept_languages, sorted(spoken()))
    words = texts(language, "")
    title, text = words["problems"][PROBLEM_PAGES.get(code, "error")]
    html = render_template(
        "phone/problem.html",
        words=words,
        language=language,
        title=title,
        text=text.replace("{seconds}", str(seconds)),
    )
    return _page_response(html, status)


# --- pieces -----------------------------------------------------------------------------------


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _open(token: str, at: datetime, served_at: datetime | None = None) -> PhoneTouchpoint:
    keys = QrKeys.from_config(current_app.config)
    claims = read_phone_token(
        token, keys, at.timestamp(), served_at=served_at.timestamp() if served_at is not None else None
    )
    return open_touchpoint(claims)


def _language(place: PhoneTouchpoint, requested: str | None) -> str:
    offered = page_languages(place.store.languages, place.current_survey().get("languages", ["de", "en"]))
    return choose_language(requested, request.accept_languages, offered)


def _same_origin() -> bool:
    """A browser names the page's origin in Origin; another site's origin is refused."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin.split("://", 1)[-1] == request.host


def _record(place: PhoneTouchpoint, item: Any, served: tickets.PageTicket | None, at: datetime) -> Any:
    return record_phone_response(
        place,
        item,
        served_at=served.served if served else None,
        ticket=served.digest if served else None,
        min_ms_per_answer=current_app.config["PHONE_MIN_MS_PER_ANSWER"],
        **_recorded_with(at),
    )


def _recorded_with(at: datetime) -> dict[str, Any]:
    """What every phone answer is checked and stored with: the client's address bucket (the
    address as hub/client_address.py decided it, trusted proxies honoured), the rate limits,
    the surveys, the keys and the time."""
    config = current_app.config
    return {
        "address_key": address_bucket(request.remote_addr or "", _secret()),
        "limits": RateLimits(
            config["PHONE_RATE_WINDOW_SECONDS"],
            config["PHONE_RATE_PER_TOKEN"],
            config["PHONE_RATE_PER_ADDRESS"],
            config["PHONE_BURST_RESPONSES"],
            config["PHONE_BURST_SECONDS"],
        ),
        "surveys": state().surveys,
        "contact_key": state().contact_key,
        "content_key": state().content_key,
        "now": at,
    }


def _render_page(
    place: PhoneTouchpoint,
    token: str,
    *,
    status: int,
    problem_key: str | None = None,
    errors: list[str] | None = None,
    values: Any = None,
    tap: ContinuedTap | None = None,
) -> Response:
    at = now()
    language = _language(place, request.values.get("lang"))
    definition = place.current_survey()
    offered = page_languages(place.store.languages, definition.get("languages", ["de", "en"]))
    words = texts(language, place.store.name)
    greeting = words["greeting"]
    if tap is None:
        survey = survey_view(definition, language, place.store.name)
    else:  # a tap's follow-up: greeted with what was tapped, the rating never asked again
        survey, face = _follow_up_view(tap, language)
        greeting = words["continue_greeting"].replace("{face}", face) if face else words["continue_greeting_unknown"]
        words = {**words, "status_used": words["continue_used"]}
    cookie = request.cookies.get(tickets.CSRF_COOKIE) or tickets.new_csrf_cookie()
    ticket = tickets.make_ticket(_secret(), _fingerprint(token), at)
    boot = {
        "responses": f"{request.script_root}/api/v1/phone/{token}/responses/",
        "store": place.store.code,
        "touchpoint": place.touchpoint.code,
        "receipt": tap is not None or place.claims.receipt is not None,  # one response: no "again"
        "lang": language,
        "ticket": ticket,
        "survey": survey,
        "texts": {key: value for key, value in words.items() if key not in ("problems", "faces")},
        "sw": f"{request.script_root}/m/sw.js",
        "v": assets.version(),
    }
    if tap is not None:
        boot["response_id"] = tap.response_id
    html = render_template(
        "phone/page.html",
        words=words,
        language=language,
        languages=language_links(offered, language),
        store=place.store,
        touchpoint=place.touchpoint,
        survey=survey,
        greeting=greeting,
        boot=boot,
        csrf=tickets.csrf_value(_secret(), cookie),
        ticket=ticket,
        response_id=tap.response_id if tap is not None else uuid7(at, os.urandom(10)),
        problem=words["problems"][problem_key] if problem_key else None,
        errors=[words[e] for e in errors or []],
        values=values or MultiDict(),
    )
    response = _page_response(html, status)
    response.headers["ETag"] = f'W/"{survey["key"]}.{survey["version"]}.{assets.version()}.{language}"'
    if request.cookies.get(tickets.CSRF_COOKIE) != cookie:
        response.set_cookie(
            tickets.CSRF_COOKIE,
            cookie,
            max_age=int(timedelta(days=1).total_seconds()),
            path="/m/",
            secure=request.is_secure,
            httponly=True,
            samesite="Strict",
        )
    return response


def _page_response(html: str, status: int) -> Response:
    body = html.encode()
    response = make_response(body, status)
    response.content_type = "text/html; charset=utf-8"
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response.set_data(assets.compress(body))
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["Referrer-Policy"] = "same-origin"  # the token never leaves the hub in a Referer
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    return response
