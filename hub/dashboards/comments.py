"""/dashboard/comments: what customers wrote, newest first, with filters, text search and a
theme term, a page at a time (hub/services/comment_browser.py, keyset pages); the same list
as CSV and JSON (capped). Comments are user text: the templates escape them and the CSV neutralises them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, render_template, request

from hub.auth.guard import current_scope, signed_in
from hub.dashboards import params
from hub.dashboards.pages import bp, csv_response
from hub.i18n import lazy_gettext
from hub.services import analytics, comment_browser
from hub.services.comment_browser import Comment, Criteria
from hub.services.comment_search import SearchSyntaxError

PAGE_SIZE = 50
EXPORT_CAP = 5000
CHANNELS = {"kiosk": lazy_gettext("Terminal"), "qr": lazy_gettext("Phone")}
FACE_WORDS = {
    "no rating": lazy_gettext("no rating"),
    "very unhappy": lazy_gettext("very unhappy"),
    "unhappy": lazy_gettext("unhappy"),
    "neutral": lazy_gettext("neutral"),
    "happy": lazy_gettext("happy"),
    "very happy": lazy_gettext("very happy"),
}
FILTERS = ("store", "touchpoint", "channel", "rating", "from", "to", "language", "q", "term")


def face_name(face: int | None, faces: int) -> str:
    """A face in words: the ends are "very", a five-face scale has a neutral middle."""
    if face is None:
        return "no rating"
    names = {
        4: ("very unhappy", "unhappy", "happy", "very happy"),
        5: ("very unhappy", "unhappy", "neutral", "happy", "very happy"),
    }
    scale = names.get(faces)
    return scale[face - 1] if scale and 1 <= face <= faces else f"{face} of {faces}"


@bp.app_template_global()
def face_words(name: str) -> str:
    """A face's name (``face_name``, English in exports) as the page says it."""
    return str(FACE_WORDS.get(name, name))


def _asked() -> tuple[Criteria, str, dict[str, str]]:
    """The criteria of the request (scoped), its theme term, and the filters as given."""
    scope = current_scope()
    given = {name: request.args.get(name, "").strip() for name in FILTERS}
    store_ids = scope.store_ids
    if given["store"]:
        store_ids = [analytics.store_in_scope(scope, given["store"]).id]
    scales = analytics.survey_scales()
    start, end = params.optional_date("from"), params.optional_date("to")
    if start and end and end < start:
        raise params.refuse("to", f"the period ends ({end}) before it starts ({start})")
    criteria = comment_browser.criteria(
        store_ids,
        smiley_question=scales.smiley,
        touchpoint=given["touchpoint"] or None,
        channel=params.choice("channel", tuple(CHANNELS), "") or None,
        face=params.optional_int("rating", 1, scales.faces),
        start=start,
        end=end,
        language=given["language"],
        search=given["q"] or None,
        term=given["term"],
    )
    return criteria, given["term"], given


def _searching(find: Callable[[], Any]) -> Any:
    """What ``find`` gives; a search text that is not a search is the request's fault (400)
    with the parser's message, never a server error."""
    try:
        return find()
    except SearchSyntaxError as error:
        raise params.refuse("q", f"the search cannot be read: {error}") from error


@bp.get("/dashboard/comments")
@signed_in
def comments() -> str:
    criteria, term, given = _asked()
    page = _searching(lambda: comment_browser.comment_page(criteria, term, request.args.get("after"), PAGE_SIZE))
    faces = analytics.survey_scales().faces
    return render_template(
        "dashboards/comments.html",
        page=page,
        given=given,
        filters={k: v for k, v in given.items() if v},
        first_page=not request.args.get("after"),
        faces=faces,
        face_name=lambda f: face_name(f, faces),
        labels=comment_browser.reason_labels(),
        channels=CHANNELS,
    )


def _export_rows() -> tuple[list[Comment], dict[str, str], int]:
    criteria, term, _ = _asked()
    found = _searching(lambda: comment_browser.export(criteria, term, EXPORT_CAP))
    return found, comment_browser.reason_labels(), analytics.survey_scales().faces


def _record(c: Comment, labels: dict[str, str], faces: int) -> dict[str, Any]:
    return {
        "response_id": c.response_id,
        "captured_at": c.captured_at.isoformat() + "Z",
        "store": c.store_code,
        "store_name": c.store_name,
        "touchpoint": c.touchpoint_code,
        "channel": c.channel,
        "language": c.language,
        "face": c.face,
        "face_name": face_name(c.face, faces) if c.face is not None else None,
        "reasons": [labels.get(r, r) for r in c.reasons],
        "comment": c.text,
        "cases": c.case_ids,
    }


@bp.get("/dashboard/comments.csv")
@signed_in
def comments_csv() -> Response:
    """The filtered comments (at most EXPORT_CAP, newest first); every text cell neutralised."""
    found, labels, faces = _export_rows()
    header = ["response_id", "captured_at", "store", "store_name", "touchpoint", "channel", "language"]
    header += ["face", "face_name", "reasons", "comment", "cases"]
    rows = []
    for c in found:
        record = _record(c, labels, faces)
        record["reasons"] = "; ".join(record["reasons"])
        record["cases"] = " ".join(str(i) for i in record["cases"])
        rows.append([record[h] for h in header])
    return csv_response(header, rows, "voxloop-comments")


@bp.get("/dashboard/comments.json")
@signed_in
def comments_json() -> Response:
    found, labels, faces = _export_rows()
    return jsonify({"comments": [_record(c, labels, faces) for c in found], "cap": EXPORT_CAP})
