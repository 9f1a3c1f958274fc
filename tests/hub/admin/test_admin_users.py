"""/admin/users: people added, changed, switched off and given a new password on the pages."""

from __future__ import annotations

from typing import Any

from hub.services.passwords import verify_password
from tests.hub.conftest import connected, rows


def test_a_person_added_on_the_page_can_sign_in_with_their_stores(admin: Any, app: Any, people: Any) -> None:
    answer = admin.post(
        "/admin/users",
        {
            "email": "Nina@Example.org",
            "name": "Nina",
            "role": "store_manager",
            "password": "twelve chars ok",
            "store": ["H002"],
        },
    )
    assert answer.status_code == 302
    (user_id, role, password_hash) = rows(
        app, "SELECT id, role, password_hash FROM app_user WHERE email = 'nina@example.org'"
    )[0]
    assert role == "store_manager" and password_hash.startswith("scrypt$")
    assert verify_password("twelve chars ok", password_hash)
    assert rows(
        app, f"SELECT s.code FROM user_store u JOIN store s ON s.id = u.store_id WHERE u.user_id = {user_id}"
    ) == [("H002",)]


def test_a_short_password_or_taken_email_is_refused(admin: Any, app: Any, people: Any) -> None:
    short = admin.post(
        "/admin/users", {"email": "z@example.org", "name": "Z", "role": "hq_analyst", "password": "short"}
    )
    assert short.status_code == 400 and "12 characters" in short.get_data(as_text=True)
    taken = admin.post(
        "/admin/users", {"email": "mia@example.org", "name": "Z", "role": "hq_analyst", "password": "long enough pass"}
    )
    assert taken.status_code == 400 and "exists already" in taken.get_data(as_text=True)
    assert rows(app, "SELECT COUNT(*) FROM app_user WHERE email = 'z@example.org'") == [(0,)]


def test_role_stores_and_regions_change_and_a_person_is_switched_off(admin: Any, app: Any, people: Any) -> None:
    mia = people["mia"]
    answer = admin.post(f"/admin/users/{mia.id}", {"name": "Mia R", "role": "regional_manager", "region": ["South"]})
    assert answer.status_code == 302
    assert rows(app, f"SELECT name, role, active FROM app_user WHERE id = {mia.id}")[0][:2] == (
        "Mia R",
        "regional_manager",
    )
    assert not rows(app, f"SELECT active FROM app_user WHERE id = {mia.id}")[0][0]
    assert rows(app, f"SELECT COUNT(*) FROM user_store WHERE user_id = {mia.id}") == [(0,)]
    assert rows(
        app, f"SELECT r.name FROM user_region u JOIN region r ON r.id = u.region_id WHERE u.user_id = {mia.id}"
    ) == [("South",)]


def test_an_admin_cannot_remove_their_own_admin_role(admin: Any, app: Any, people: Any) -> None:
    me = people["admin"]
    admin.post(f"/admin/users/{me.id}", {"name": "Admin", "role": "hq_analyst", "active": "on"})
    admin.post(f"/admin/users/{me.id}", {"name": "Admin", "role": "hq_admin"})  # not active
    assert rows(app, f"SELECT role, active FROM app_user WHERE id = {me.id}") in (
        [("hq_admin", True)],
        [("hq_admin", 1)],
    )
    assert "cannot remove your own admin role" in admin.text(f"/admin/users/{me.id}")


def test_a_new_password_replaces_the_old_one(admin: Any, app: Any, people: Any) -> None:
    hans = people["hans"]
    assert admin.post(f"/admin/users/{hans.id}/password", {"password": "a brand new secret"}).status_code == 302
    with connected(app):
        from hub.models import User

        assert verify_password("a brand new secret", User.get_by_id(hans.id).password_hash)


def test_names_with_markup_are_escaped(admin: Any, people: Any) -> None:
    evil = "<img src=x onerror=alert(1)>"
    admin.post(
        f"/admin/users/{people['hans'].id}", {"name": evil, "role": "store_manager", "active": "on", "store": ["H002"]}
    )
    for page in ("/admin/users", f"/admin/users/{people['hans'].id}", "/admin/stores/H002"):
        assert evil not in admin.text(page)


def test_add_a_person_offers_the_store_manager_role_first_and_chosen(admin: Any, people: Any) -> None:
    """Least privilege by default: the form starts on the store-level role; HQ admin is offered
    last and only chosen on purpose."""
    import re

    page = admin.get("/admin/users").get_data(as_text=True)
    form = page[page.index('action="/admin/users"') :]
    select = form[form.index('<select id="role"') : form.index("</select>")]
    options = re.findall(r'<option value="(\w+)" ?(selected)?', select)
    offered = [value for value, _ in options]
    stores_to_hq = ["store_manager", "regional_manager", "hq_analyst", "hq_admin"]
    assert [role for role in offered if role in stores_to_hq] == stores_to_hq and offered[-1] == "hq_admin"
    assert [value for value, chosen in options if chosen] == ["store_manager"]


def test_a_person_added_without_a_role_is_refused_never_made_admin(admin: Any, app: Any, people: Any) -> None:
    answer = admin.post("/admin/users", {"email": "r@example.org", "name": "R", "password": "long enough pass"})
    assert answer.status_code == 400
    assert rows(app, "SELECT COUNT(*) FROM app_user WHERE email = 'r@example.org'") == [(0,)]
    page = answer.get_data(as_text=True)
    assert 'value="r@example.org"' in page  # the form comes back filled


def test_a_refused_form_keeps_the_role_that_was_chosen(admin: Any, people: Any) -> None:
    answer = admin.post("/admin/users", {"email": "h@example.org", "name": "H", "role": "hq_admin", "password": "x"})
    assert answer.status_code == 400
    assert '<option value="hq_admin" selected>' in answer.get_data(as_text=True)
