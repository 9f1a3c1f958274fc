"""/admin/posters: pick a store's touchpoint (and the main language), download the QR poster
that opens its phone page, as PNG, SVG or PDF (hub/services/posters.py, the same as
``voxloop qr poster``). Making a poster signs a token and stores nothing, so analysts may
download posters too."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from flask import current_app, render_template, request
from werkzeug.wrappers import Response

from hub.admin.base import bp, may_edit, place, readers
from hub.auth.guard import current_scope
from hub.models import Store, Touchpoint
from hub.services import listings
from hub.services.posters import poster_for, valid_through
from hub.services.qr_codes import Poster, write_poster
from hub.services.qr_tokens import QrKeys, make_phone_token, phone_url
from shared.errors import RequestError
from shared.languages import LANGUAGE_NAMES

FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


def _poster(store: Store, touchpoint: Touchpoint, language: str | None, last_day: date | None) -> Poster:
    """The poster of a touchpoint on a fresh phone token, valid through ``last_day``."""
    until = valid_through(store, last_day)
    token = make_phone_token(QrKeys.from_config(current_app.config), store.code, touchpoint.code, expires=until)
    url = phone_url(current_app.config["PUBLIC_URL"], token)
    return poster_for(store, touchpoint, url, language=language, last_day=last_day)


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
    poster = _poster(store, touchpoint, request.args.get("language"), last_day)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"poster.{kind}"
        write_poster(poster, path)
        data = path.read_bytes()
    name = f"voxloop-poster-{store.code}-{touchpoint.code}.{kind}"
    answer = current_app.response_class(data, mimetype=FORMATS[kind])
    answer.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return answer
