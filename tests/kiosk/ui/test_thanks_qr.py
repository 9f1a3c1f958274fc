"""The thank-you's QR code, decoded by a real decoder (zbar) from what the window shows."""

from __future__ import annotations

import pytest

from tests.conftest import missing_system_package


@pytest.fixture(scope="module")
def qr_run(run_scenario):
    return run_scenario("qr")


def decode(image):
    try:
        from pyzbar.pyzbar import decode
    except ImportError as exc:  # pyzbar loads libzbar0 with ctypes
        missing_system_package(f"pyzbar cannot load zbar ({exc}): apt-get install libzbar0")
    return [symbol.data.decode() for symbol in decode(image)]


def test_the_thank_you_qr_code_on_screen_decodes_to_the_phone_url(qr_run):
    from PIL import Image

    from kiosk.terminal import demo_config

    assert qr_run["screen"] == "thanks"
    x, y, w, h = qr_run["card"]
    height = qr_run["window_size"][1]
    region = Image.open(qr_run["shot"]).crop((int(x), int(height - y - h), int(x + w), int(height - y)))
    assert decode(region) == [demo_config()["phone_url"]]


def test_the_qr_code_has_a_quiet_zone_of_four_modules():
    from kiosk.qr_texture import QUIET_ZONE, qr_modules

    modules = qr_modules("https://feedback.example.org/m/abc")
    size = len(modules)
    assert all(len(row) == size for row in modules)
    for i in range(QUIET_ZONE):
        assert not any(modules[i]) and not any(modules[size - 1 - i])
        assert not any(row[i] or row[size - 1 - i] for row in modules)
    assert modules[QUIET_ZONE][QUIET_ZONE]  # the finder pattern's corner starts right after it
