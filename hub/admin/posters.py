"""/admin/posters: pick a store's touchpoint (and the main language), download the QR poster
that opens its phone page, as PNG, SVG or PDF (drawn by mobile_web/qr_codes.py, the same as
``voxloop qr poster``). Making a poster signs a token and stores nothing, so analysts may
download posters too."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from werkzeug.wrappers import Response

from hub.admin.base import bp, may_edit, place, readers
from hub.auth.guard import current_scope
from hub.models import Store, Touchpoint
from hub.services import listings
from hub.services.qr_tokens import QrKeys, make_phone_token, phone_url
from mobile_web.conversation import page_languages
from mobile_web.qr_codes import Poster, write_poster
from mobile_web.texts import LANGUAGE_NAMES, texts
from shared.errors import RequestError

FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


def poster_for(store: Store, touchpoint: Touchpoint, language: str | None, last_day: date | None) -> Poster:
    """The poster of a touchpoint: a fresh phone token, the calls to action in the store's
    languages with ``language`` first, valid through ``last_day`` in the store's zone."""
    until = None
    if last_day is not None:
        until = datetime.combine(last_day + timedelta(days=1), time(), ZoneInfo(store.time_zone))
    token = make_phone_token(QrKeys.from_config(current_app.config), store.code, touchpoint.code, expires=until)
    languages = page_languages(store.languages, store.languages)
    if language in languages:
        languages = [language, *(lang for lang in languages if lang != language)]
    words = [texts(lang, store.name) for lang in languages]
    valid = None
    if last_day is not None:
        valid = " · ".join(w["poster_valid"].replace("{date}", last_day.strftime("%d.%m.%Y")) for w in words)
    return Poster(
        url=phone_url(current_app.config["PUBLIC_URL"], token),
        store=store.name,
        touchpoint=touchpoint.name,
        calls=tuple((w["poster_call"], w["poster_scan"]) for w in words),
        valid_until=valid,
    )


@bp.get("/posters")
@readers
def posters() -> str:
    places = listings.places(current_scope())
    return render_template(
        "admin/posters.html",
        places=places,
        chosen=request.args.get("store"),
        languages=LANGUAGE_NAMES,
        formats=FORMATS,
        may_edit=may_edit(),
    )


@bp.get("/posters/download")
@readers
def poster_download() -> Response:
    store, touchpoint = place(request.args.get("place", ""))
    current_scope().require_store(store.id)
    kind = request.args.get("format", "png")
    if kind not in FORMATS:
        raise RequestError("malformed_request", "a poster is a png, svg or pdf")
    last_day = None
    if request.args.get("expires"):
        try:
            last_day = date.fromisoformat(request.args["expires"])
        except ValueError:
            raise RequestError("malformed_request", "the last day is a date such as 2026-12-31") from None
    poster = poster_for(store, touchpoint, request.args.get("language"), last_day)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"poster.{kind}"
        write_poster(poster, path)
        data = path.read_bytes()
    name = f"voxloop-poster-{store.code}-{touchpoint.code}.{kind}"
    answer = current_app.response_class(data, mimetype=FORMATS[kind])
    answer.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return answer
