"""Who may open and change the admin pages: HQ admins change, HQ analysts read, managers see
only their own stores' terminals, and no form is taken without its CSRF token."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hub.conftest import rows

PAGES = (
    "/admin",
    "/admin/stores",
    "/admin/stores/B001",
    "/admin/surveys",
    "/admin/surveys/exit",
    "/admin/terminals",
    "/admin/users",
    "/admin/alert-rules",
    "/admin/posters",
)


def test_every_admin_page_renders_for_an_hq_admin_and_an_analyst(browser_for: Any) -> None:
    for name in ("admin", "ana"):
        browser = browser_for(name)
        for page in PAGES:
            assert browser.get(page).status_code == 200, (name, page)
        assert "Berlin Mitte" in browser.text("/admin/stores")


def test_an_analyst_reads_but_gets_no_forms_and_every_change_is_403(browser_for: Any) -> None:
    ana = browser_for("ana")
    assert "New store" not in ana.text("/admin/stores")
    assert "Enroll a terminal" not in ana.text("/admin/terminals")
    changes = {
        "/admin/stores": {"code": "X1", "name": "X", "time_zone": "Europe/Berlin", "languages": "de"},
        "/admin/stores/B001": {"name": "Renamed", "time_zone": "Europe/Berlin", "languages": "de"},
        "/admin/users": {"email": "x@example.org", "name": "X", "role": "hq_admin", "password": "x" * 12},
        "/admin/alert-rules": {"name": "X", "kind": "response", "condition": '{"rating_at_most": 1}'},
        "/admin/terminals/codes": {"place": "B001/exit"},
        "/admin/surveys/exit": {"languages": "de, en"},
    }
    for url, data in changes.items():
        assert ana.post(url, data).status_code == 403, url
    assert rows(ana.client.application, "SELECT name FROM store WHERE code = 'B001'") == [("Berlin Mitte",)]


@pytest.mark.parametrize("name", ["mia", "rolf"])
def test_managers_get_403_on_every_admin_page_but_their_terminals(browser_for: Any, name: str) -> None:
    manager = browser_for(name)
    for page in PAGES:
        if page != "/admin/terminals":
            assert manager.get(page).status_code == 403, page
    assert manager.get("/admin/terminals").status_code == 200
    assert manager.post("/admin/terminals/codes", {"place": "B001/exit"}).status_code == 403


def test_a_store_manager_never_sees_another_stores_terminals(
    browser_for: Any, terminal: Any, other_terminal: Any
) -> None:
    mia = browser_for("mia")
    page = mia.text("/admin/terminals")
    assert terminal.device_id in page and other_terminal.device_id not in page
    assert mia.get("/admin/terminals?store=H002").status_code == 404
    assert mia.get(f"/admin/terminals/{other_terminal.device_id}").status_code == 404
    assert terminal.device_id in mia.text(f"/admin/terminals/{terminal.device_id}")
    assert "Revoke" not in mia.text(f"/admin/terminals/{terminal.device_id}")


def test_a_post_without_the_csrf_token_is_refused(admin: Any, app: Any) -> None:
    answer = admin.client.post("/admin/stores/B001", data={"name": "Hijacked", "time_zone": "UTC", "languages": "de"})
    assert answer.status_code == 403
    wrong = admin.client.post(
        "/admin/stores/B001", data={"name": "Hijacked", "time_zone": "UTC", "languages": "de", "csrf_token": "guess"}
    )
    assert wrong.status_code == 403
    assert rows(app, "SELECT name FROM store WHERE code = 'B001'") == [("Berlin Mitte",)]


def test_strangers_are_sent_to_sign_in(client: Any, people: Any) -> None:
    answer = client.get("/admin/stores")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=/admin/stores")
