"""What the figures mean: a help page in German and English that explains the smiley index's
scale, the NPS, n, the 95 % interval, a signal's test and the weather, linked from the
dashboards beside those figures; the signals page says a test's result in words, with the
test's name and p-value in small print."""

from __future__ import annotations

import re

import pytest

from hub.services.signals import ALPHA
from tests.hub.alerting import sign_in_as
from tests.hub.test_dashboards import page
from tests.hub.test_signals import planted_drop, run_job, signals_of

PARTS = ("smiley-index", "nps", "n", "interval", "signals", "gain", "weather")


@pytest.fixture
def admin(client, people):
    sign_in_as(client, people["admin"])
    return client


def test_the_help_page_explains_every_figure_in_english(admin):
    html = page(admin, "/help/figures")
    assert "<h1>What the figures mean</h1>" in html
    assert all(f'id="{part}"' in html for part in PARTS)
    assert "from -100 to +100" in html and "the unhappiest face -100, the happiest +100" in html
    assert "95 % interval" in html and "fewer than one of 2000 such weeks" in html  # ALPHA = 0.0005
    assert ALPHA == 0.0005


def test_the_help_page_speaks_german(admin):
    html = admin.get("/help/figures", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "<h1>Was die Zahlen bedeuten</h1>" in html and '<html lang="de">' in html
    assert "von -100 bis +100" in html and "95-%-Intervall" in html
    assert "What the figures mean" not in html and "The smiley index runs" not in html


def test_the_help_page_needs_no_sign_in(client):
    assert client.get("/help/figures").status_code == 200


@pytest.mark.parametrize(
    ("path", "part"),
    [
        ("/dashboard", ""),
        ("/dashboard/stores/B001", ""),
        ("/dashboard/drivers", "#gain"),
        ("/dashboard/signals", "#signals"),
    ],
)
def test_the_dashboards_link_to_it_beside_their_figures(admin, path, part):
    html = page(admin, path)
    assert f'<a class="figures-help" href="/help/figures{part}">What the figures mean</a>' in html
    german = admin.get(path, headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert f'href="/help/figures{part}">Was die Zahlen bedeuten</a>' in german


def test_a_signal_says_its_result_in_words_with_the_test_in_small_print(app, clock, admin, terminal):
    planted_drop(terminal)
    run_job(app, clock)
    share = signals_of(app)[1]
    html = page(admin, "/dashboard/signals")
    row = html[html.index(f'id="signal-{share.id}"') :].split("</tr>", 1)[0]
    verdict = re.search(r'<strong class="verdict">([^<]+)</strong><br><small class="muted">([^<]+)</small>', row)
    assert verdict.group(1) == (
        "very clearly lower than usual" if share.p_value < ALPHA / 1000 else "clearly lower than usual"
    )
    assert verdict.group(2).startswith("one-sided z-test on weekly means")
    assert re.search(r'<td class="num p-value"><small class="muted">[^<]+</small></td>', row)
    german = admin.get("/dashboard/signals", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "niedriger als üblich" in german
