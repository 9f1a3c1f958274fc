"""/admin/posters: the poster of a touchpoint, as PNG, SVG or PDF, opens its phone page."""

from __future__ import annotations

import io
import re
from typing import Any


def test_each_format_downloads_as_a_file(admin: Any, people: Any) -> None:
    magic = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<svg"}
    for kind, start in magic.items():
        answer = admin.get(f"/admin/posters/download?place=B001/exit&language=en&format={kind}")
        assert answer.status_code == 200, kind
        assert answer.data.startswith(start)
        assert answer.headers["Content-Disposition"] == f'attachment; filename="voxloop-poster-B001-exit.{kind}"'


def test_the_svg_poster_leads_with_the_chosen_language_and_its_code_opens_the_phone_page(
    admin: Any, app: Any, people: Any
) -> None:
    svg = admin.get("/admin/posters/download?place=B001/exit&language=en&format=svg").get_data(as_text=True)
    calls = re.findall(r'font-weight="700" fill="#1b1f24">([^<]+)<', svg)
    assert calls == ["How was your visit? Tell us – in under a minute."]
    png = admin.get("/admin/posters/download?place=B001/exit&language=de&format=png").data
    from PIL import Image
    from pyzbar.pyzbar import decode

    found = decode(Image.open(io.BytesIO(png)))
    assert found and found[0].data.decode().startswith(app.config["PUBLIC_URL"] + "/m/")
    page = admin.client.get(found[0].data.decode().removeprefix(app.config["PUBLIC_URL"]))
    assert page.status_code == 200 and "Berlin Mitte" in page.get_data(as_text=True)


def test_an_unknown_touchpoint_or_format_is_refused(admin: Any, people: Any) -> None:
    assert admin.get("/admin/posters/download?place=B001/nope&format=png").status_code == 404
    assert admin.get("/admin/posters/download?place=B001/exit&format=gif").status_code == 400
    assert admin.get("/admin/posters/download?place=B001/exit&format=png&expires=soon").status_code == 400
