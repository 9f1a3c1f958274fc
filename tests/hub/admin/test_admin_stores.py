"""/admin/stores: stores and touchpoints made and changed through the pages land in the
database; bad input is refused on the form; names are shown escaped."""

from __future__ import annotations

from typing import Any

from tests.hub.conftest import rows

NEW_STORE = {
    "code": "M003",
    "name": "München Pasing",
    "region": "South",
    "time_zone": "Europe/Berlin",
    "languages": "de, en",
    "hours_mon": "08:00-20:00",
    "hours_sat": "09:00-13:00, 14:00-18:00",
}


def test_a_store_created_on_the_page_is_stored_with_its_hours(admin: Any, app: Any) -> None:
    answer = admin.post("/admin/stores", NEW_STORE)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/stores/M003")
    (name, zone, hours, languages) = rows(
        app,
        "SELECT s.name, s.time_zone, s.opening_hours, s.languages FROM store s "
        "JOIN region r ON r.id = s.region_id WHERE s.code = 'M003' AND r.name = 'South'",
    )[0]
    assert (name, zone) == ("München Pasing", "Europe/Berlin")
    assert hours == '{"mon":[["08:00","20:00"]],"sat":[["09:00","13:00"],["14:00","18:00"]]}'
    assert languages == '["de","en"]'
    assert "München Pasing" in admin.text("/admin/stores")


def test_a_time_zone_that_is_not_iana_is_refused_and_the_form_keeps_the_input(admin: Any, app: Any) -> None:
    answer = admin.post("/admin/stores", {**NEW_STORE, "time_zone": "Mars/Olympus"})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "is not an IANA time zone" in page and 'value="München Pasing"' in page
    assert rows(app, "SELECT COUNT(*) FROM store WHERE code = 'M003'") == [(0,)]


def test_overlapping_or_malformed_hours_are_refused(admin: Any, app: Any) -> None:
    for hours in ("08:00-12:00, 11:00-18:00", "8 to 5", "20:00-08:00"):
        answer = admin.post("/admin/stores/B001", {**NEW_STORE, "hours_mon": hours})
        assert answer.status_code == 400, hours
    assert rows(app, "SELECT name FROM store WHERE code = 'B001'") == [("Berlin Mitte",)]


def test_editing_a_store_changes_name_zone_hours_languages_and_region(admin: Any, app: Any, people: Any) -> None:
    data = {
        **NEW_STORE,
        "name": "Berlin Mitte Neu",
        "time_zone": "Europe/Vienna",
        "languages": "en, de",
        "region": "East",
        "hours_mon": "",
        "hours_sun": "10:00-16:00",
    }
    assert admin.post("/admin/stores/B001", data).status_code == 302
    stored = rows(
        app,
        "SELECT s.name, s.time_zone, s.languages, s.opening_hours, r.name FROM store s "
        "JOIN region r ON r.id = s.region_id WHERE s.code = 'B001'",
    )
    assert stored == [
        (
            "Berlin Mitte Neu",
            "Europe/Vienna",
            '["en","de"]',
            '{"sat":[["09:00","13:00"],["14:00","18:00"]],"sun":[["10:00","16:00"]]}',
            "East",
        )
    ]


def test_store_managers_are_linked_and_unlinked_on_the_store_page(admin: Any, app: Any, people: Any) -> None:
    hans, mia = people["hans"], people["mia"]
    assert admin.post("/admin/stores/B001/managers", {"manager": [str(hans.id)]}).status_code == 302
    linked = rows(app, "SELECT user_id FROM user_store WHERE store_id = (SELECT id FROM store WHERE code = 'B001')")
    assert linked == [(hans.id,)]
    assert mia.id not in {u for (u,) in linked}
    # a regional manager is not a store manager
    admin.post("/admin/stores/B001/managers", {"manager": [str(people["rolf"].id)]})
    assert rows(app, "SELECT user_id FROM user_store WHERE store_id = (SELECT id FROM store WHERE code = 'B001')") == [
        (hans.id,)
    ]


def test_touchpoints_are_added_and_changed(admin: Any, app: Any, people: Any) -> None:
    added = admin.post(
        "/admin/stores/B001/touchpoints", {"code": "till", "name": "Till 1", "kind": "checkout", "survey": "exit"}
    )
    assert added.status_code == 302
    changed = admin.post("/admin/stores/B001/touchpoints/till", {"name": "Till one", "kind": "table", "survey": "exit"})
    assert changed.status_code == 302
    assert rows(app, "SELECT name, kind FROM touchpoint WHERE code = 'till'") == [("Till one", "table")]
    taken = admin.post(
        "/admin/stores/B001/touchpoints", {"code": "till", "name": "again", "kind": "exit", "survey": "exit"}
    )
    assert taken.status_code == 302
    assert "has a touchpoint" in admin.text("/admin/stores/B001")
    assert (
        admin.post("/admin/stores/B001/touchpoints/nope", {"name": "x", "kind": "exit", "survey": "exit"}).status_code
        == 404
    )


def test_store_names_with_markup_are_escaped(admin: Any, people: Any) -> None:
    evil = '<script>alert("x")</script>'
    admin.post("/admin/stores", {**NEW_STORE, "name": evil})
    for page in ("/admin/stores", "/admin/stores/M003", "/admin/terminals", "/admin/posters"):
        text = admin.text(page)
        assert evil not in text, page
    assert "&lt;script&gt;" in admin.text("/admin/stores")
