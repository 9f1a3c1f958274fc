"""Targets: the most specific one applies (touchpoint > store > region > all); HQ admins set
them on /admin/targets (with the form's CSRF token; everyone else 403); the overview, the
store page and each touchpoint show the figure recomputed from the raw answers next to its
target, the gap, and whether it is met."""

from __future__ import annotations

import re

import pytest

from hub.models import Region, Store, Target, Touchpoint
from hub.services import targets
from shared.errors import RequestError
from shared.scoring import nps, smiley_index
from tests.hub.conftest import ADMIN_PASSWORD, PASSWORD, connected
from tests.hub.test_dashboards import (  # noqa: F401 (fixtures)
    FACES,
    PERIOD,
    feedback,
    merged,
    page,
    raw_counts,
    shown,
    sign_in,
)
from tests.hub.test_sign_in import csrf_of


def row(html: str, table: str, **attributes: str) -> dict[str, str]:
    body = re.search(rf'<table id="{table}">(.*?)</table>', html, re.S).group(1)
    wanted = "".join(rf'[^>]*{k.replace("_", "-")}="{re.escape(v)}"' for k, v in attributes.items())
    found = re.search(rf"<tr{wanted}[^>]*>(.*?)</tr>", body, re.S).group(1)
    return {k: re.sub(r"<[^>]+>", "", v).strip() for k, v in re.findall(r'<td class="(\w+)">(.*?)</td>', found, re.S)}


@pytest.fixture
def places(app, people):
    """B001 in region North with its touchpoint exit; H002 in South."""
    with connected(app):
        b001 = Store.get(Store.code == "B001")
        return {
            "north": Region.get(Region.name == "North"),
            "b001": b001,
            "exit": Touchpoint.get((Touchpoint.store == b001) & (Touchpoint.code == "exit")),
            "h002": Store.get(Store.code == "H002"),
        }


# --- which target applies ---------------------------------------------------------------------------


def test_the_most_specific_target_applies(app, clock, places):
    with connected(app):
        for value, place in ((10, {}), (20, {"region": places["north"]}), (30, {"store": places["b001"]})):
            targets.set_target("smiley_index", value, now=clock(), **place)
        targets.set_target("smiley_index", 40, now=clock(), touchpoint=places["exit"])

        def value(**place):
            found = targets.applicable("smiley_index", **place)
            return found.value if found else None

        assert value(store=places["b001"], touchpoint=places["exit"]) == 40
        assert value(store=places["b001"]) == 30
        assert value(store=places["h002"]) == 10  # South has no target of its own
        assert value(region_id=places["north"].id) == 20
        assert value() == 10
        assert targets.applicable("nps", store=places["b001"]) is None
        targets.delete_target(targets.applicable("smiley_index", touchpoint=places["exit"]).id)
        assert value(touchpoint=places["exit"]) == 30
        targets.delete_target(targets.applicable("smiley_index", store=places["b001"]).id)
        assert value(store=places["b001"]) == 20


def test_setting_a_target_again_changes_it(app, clock, places):
    with connected(app):
        targets.set_target("nps", 10, now=clock(), store=places["b001"])
        targets.set_target("nps", 25, now=clock(), store=places["b001"])
        assert [(t.scope_key, t.value) for t in Target.select()] == [(f"store:{places['b001'].id}", 25.0)]


def test_a_target_off_its_scale_or_of_an_unknown_kpi_is_refused(app, clock):
    with connected(app):
        for kpi, value in (("nps", 120), ("csat", -1), ("volume", -5), ("happiness", 1)):
            with pytest.raises(RequestError):
                targets.set_target(kpi, value, now=clock())
        assert Target.select().count() == 0


# --- /admin/targets -----------------------------------------------------------------------------------


@pytest.fixture
def admin(client, places):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    return client


def test_an_hq_admin_sets_and_deletes_targets_on_the_page(app, admin, places):
    token = csrf_of(page(admin, "/admin/targets"))
    scope = f"store:{places['b001'].id}"
    answer = admin.post("/admin/targets", data={"kpi": "nps", "scope": scope, "value": "35", "csrf_token": token})
    assert answer.status_code == 302
    html = page(admin, "/admin/targets")
    assert row(html, "targets", data_kpi="nps", data_scope=scope)["value"] == "35.0"
    assert "Store B001 Berlin Mitte" in html
    with connected(app):
        target_id = Target.get().id
    assert admin.post(f"/admin/targets/{target_id}/delete", data={"csrf_token": token}).status_code == 302
    assert "No targets yet." in page(admin, "/admin/targets")


def test_a_refused_target_is_named_on_the_page_and_not_kept(app, admin):
    token = csrf_of(page(admin, "/admin/targets"))
    admin.post("/admin/targets", data={"kpi": "nps", "scope": "all", "value": "500", "csrf_token": token})
    assert "between -100 and 100" in page(admin, "/admin/targets")
    with connected(app):
        assert Target.select().count() == 0


def test_a_form_without_its_csrf_token_is_refused(app, admin):
    assert admin.post("/admin/targets", data={"kpi": "nps", "scope": "all", "value": "5"}).status_code == 403
    with connected(app):
        assert Target.select().count() == 0


@pytest.mark.parametrize("email", ["mia@example.org", "rolf@example.org", "ana@example.org"])
def test_everyone_but_hq_admins_gets_403(app, client, places, email):
    sign_in(client, email, PASSWORD)
    assert client.get("/admin/targets").status_code == 403
    token = csrf_of(page(client, "/dashboard"))
    assert (
        client.post(
            "/admin/targets", data={"kpi": "nps", "scope": "all", "value": "5", "csrf_token": token}
        ).status_code
        == 403
    )
    with connected(app):
        assert Target.select().count() == 0


# --- target against actual ---------------------------------------------------------------------------


@pytest.fixture
def with_targets(app, clock, places, feedback):  # noqa: F811
    with connected(app):
        targets.set_target("smiley_index", 90, now=clock())  # all: not met
        targets.set_target("nps", -50, now=clock())  # all: met
        targets.set_target("volume", 1, now=clock(), store=places["b001"])
        targets.set_target("smiley_index", 0, now=clock(), touchpoint=places["exit"])


def test_the_overview_shows_each_figure_against_its_target(app, client, with_targets):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    html = page(client, "/dashboard")
    index = smiley_index(merged(raw_counts(app, "rating", *PERIOD)), FACES).value
    promoters = nps(merged(raw_counts(app, "nps", *PERIOD))).value
    assert row(html, "target-table", data_kpi="smiley_index") == {
        "actual": shown(index),
        "target": "90.0",
        "gap": shown(index - 90),
        "met": "not met",
    }
    assert row(html, "target-table", data_kpi="nps")["gap"] == "+" + shown(promoters + 50)
    assert row(html, "target-table", data_kpi="nps")["met"] == "met"
    assert row(html, "target-table", data_kpi="volume")["target"] == "none"  # B001's is not HQ's


def test_a_store_manager_sees_their_stores_target(app, client, with_targets):
    sign_in(client, "mia@example.org", PASSWORD)
    per_day = sum(merged(raw_counts(app, "rating", *PERIOD, store_code="B001")).values()) / 28
    found = row(page(client, "/dashboard"), "target-table", data_kpi="volume")
    assert found == {"actual": shown(per_day), "target": "1.0", "gap": "+" + shown(per_day - 1), "met": "met"}


def test_the_store_page_shows_the_store_and_each_touchpoint_against_target(app, client, with_targets):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    html = page(client, "/dashboard/stores/B001")
    counts = merged(raw_counts(app, "rating", *PERIOD, store_code="B001"))
    index = smiley_index(counts, FACES).value
    assert row(html, "target-table", data_kpi="smiley_index")["target"] == "90.0"  # the touchpoint's is narrower
    exit_row = row(html, "touchpoint-target-table", data_code="exit", data_kpi="smiley_index")
    assert exit_row == {
        "actual": shown(index),
        "target": "0.0",
        "gap": ("+" if index > 0 else "") + shown(index),
        "met": "met" if index >= 0 else "not met",
    }
    volume = row(html, "touchpoint-target-table", data_code="exit", data_kpi="volume")
    assert volume["actual"] == shown(sum(counts.values()) / 28) and volume["target"] == "1.0"
