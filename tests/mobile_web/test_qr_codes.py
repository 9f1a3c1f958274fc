"""Posters: the code printed on them decodes to a link the page accepts."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from hub.services.qr_codes import Poster, matrix, write_poster
from hub.services.qr_tokens import phone_url
from mobile_web.cli import qr
from shared.crypto import unb64url
from tests.conftest import missing_system_package
from tests.mobile_web.conftest import SECRET, phone_token

CALLS = (("Wie war Ihr Besuch?", "Code scannen"), ("How was your visit?", "Scan the code"))


def decode_qr(path: Path) -> str:
    try:
        from pyzbar.pyzbar import decode
    except ImportError as exc:  # the zbar shared library is missing
        missing_system_package(f"pyzbar cannot load libzbar ({exc}); apt-get install libzbar0")
    from PIL import Image

    [found] = decode(Image.open(path))
    return found.data.decode()


def test_a_png_poster_decodes_to_a_link_the_page_accepts(client, store, tmp_path):
    url = phone_url("https://hub.example.org", phone_token())
    write_poster(Poster(url=url, store="Berlin Mitte", touchpoint="Exit", calls=CALLS), tmp_path / "poster.png")
    decoded = decode_qr(tmp_path / "poster.png")
    assert decoded == url
    assert client.get(urlsplit(decoded).path).status_code == 200


def test_an_svg_poster_is_vector_text_and_one_path_of_modules(tmp_path):
    url = phone_url("https://hub.example.org", phone_token())
    poster = Poster(url=url, store="Bäckerei <Süd> & Co", touchpoint="Kasse", calls=CALLS, valid_until="31.12.2026")
    write_poster(poster, tmp_path / "poster.svg")
    svg = ElementTree.parse(tmp_path / "poster.svg").getroot()  # noqa: S314 - a file this test wrote
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "Bäckerei <Süd> & Co" in texts and "How was your visit?" in texts and "31.12.2026" in texts
    [path] = [p for p in svg.iter("{http://www.w3.org/2000/svg}path")]
    dark = sum(cell for row in matrix(url, border=4) for cell in row)
    assert path.get("d").count("M") == dark


def test_a_pdf_poster_is_one_a4_page(tmp_path):
    url = phone_url("https://hub.example.org", phone_token())
    write_poster(Poster(url=url, store="Berlin Mitte", touchpoint="Exit", calls=CALLS), tmp_path / "poster.pdf")
    data = (tmp_path / "poster.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    assert b"/MediaBox [ 0 0 595.44 842.04 ]" in data  # A4 in points
    assert data.count(b"/Type /Page\n") == 1 or data.count(b"/Type /Page ") == 1


def test_an_unknown_poster_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\.png, \.pdf or \.svg"):
        write_poster(Poster(url="x", store="s", touchpoint="t", calls=CALLS), tmp_path / "poster.gif")


@pytest.fixture
def hub_env(monkeypatch, database_url, tmp_path, store):
    monkeypatch.setenv("VOXLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("VOXLOOP_SECRET_KEY", SECRET)
    monkeypatch.setenv("VOXLOOP_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("VOXLOOP_PUBLIC_URL", "https://hub.example.org")


def test_the_poster_command_signs_receipt_and_last_day(hub_env, tmp_path):
    output = tmp_path / "receipt.png"
    result = CliRunner().invoke(
        qr,
        [
            *("poster", "--store", "B001", "--touchpoint", "exit"),
            *("--receipt", "R-9", "--expires", "2026-12-31", "-o", str(output)),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "valid through 2026-12-31" in result.output
    url = decode_qr(output)
    claims = json.loads(unb64url(url.rsplit("/", 1)[1].split(".")[1]))
    assert claims["r"] == "R-9"
    assert claims["e"] == int(datetime(2027, 1, 1, tzinfo=ZoneInfo("Europe/Berlin")).timestamp())


def test_the_url_command_prints_a_link_and_keys_lists_the_ring(hub_env, monkeypatch):
    monkeypatch.setenv("VOXLOOP_QR_KEY_IDS", "k2,k1")
    url = CliRunner().invoke(qr, ["url", "--store", "B001", "--touchpoint", "exit"]).output.strip()
    assert url.startswith("https://hub.example.org/m/v1.")
    assert json.loads(unb64url(url.rsplit("/", 1)[1].split(".")[1]))["k"] == "k2"
    keys = CliRunner().invoke(qr, ["keys"]).output.splitlines()
    assert keys[0].startswith("k2  signs new codes") and keys[1].startswith("k1  reads only")


def test_a_poster_for_an_unknown_store_says_so(hub_env, tmp_path):
    result = CliRunner().invoke(qr, ["poster", "--store", "X9", "--touchpoint", "exit", "-o", str(tmp_path / "p.png")])
    assert result.exit_code != 0
    assert "unknown_store" in result.output
