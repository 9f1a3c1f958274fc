"""/admin/users: the people who sign in, their role and the stores or regions they look
after; adding people, changing roles, switching someone off, setting a new password."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.admin.base import attempt, bp, editors, form_list, may_edit, readers
from hub.auth.guard import current_user
from hub.clock import now
from hub.i18n import gettext, lazy_gettext
from hub.models import Region, Store, User
from hub.services import listings, users

# least privileged first: a new person is a store manager unless other rights are chosen on purpose
ROLE_NAMES = {
    "agent": lazy_gettext("Agent (their own contact centre results)"),
    "team_lead": lazy_gettext("Team lead (the contact centre results of their team)"),
    "store_manager": lazy_gettext("Store manager (their stores)"),
    "regional_manager": lazy_gettext("Regional manager (stores of their regions)"),
    "hq_analyst": lazy_gettext("HQ analyst (reads everything)"),
    "hq_admin": lazy_gettext("HQ admin (changes everything)"),
}
NEW_PERSON_ROLE = "store_manager"


def _picked(form: Any) -> tuple[list[Store], list[Region]]:
    return listings.picked_places(form_list(form, "store"), form_list(form, "region"))


def _choices() -> dict[str, Any]:
    return {
        "roles": ROLE_NAMES,
        "new_person_role": NEW_PERSON_ROLE,
        "all_stores": listings.all_stores(),
        "all_regions": listings.regions(),
        "may_edit": may_edit(),
    }


@bp.get("/users", endpoint="users")
@readers
def users_page() -> str:
    return _render_list({})


def _render_list(values: Any, status: int = 200) -> Any:
    stores, regions = listings.people_places()
    people = listings.people()
    page = render_template(
        "admin/users.html", people=people, stores=stores, regions=regions, values=values, **_choices()
    )
    return page, status


@bp.post("/users")
@editors
def create_user() -> Any:
    form = request.form

    def create() -> User:
        stores, regions = _picked(form)
        return users.add_user(
            form.get("email", "").strip(),
            form.get("name", "").strip(),
            form.get("role", ""),
            form.get("password", ""),
            now=now(),
            stores=stores,
            regions=regions,
        )

    ok, user = attempt(create, gettext("Person added."))
    if not ok:
        return _render_list({k: v for k, v in form.items() if k != "password"}, 400)
    return redirect(url_for("admin.user", user_id=user.id))


@bp.get("/users/<int:user_id>")
@readers
def user(user_id: int) -> str:
    person = listings.person(user_id)
    stores, regions = listings.people_places()
    return render_template(
        "admin/user.html",
        person=person,
        stores=set(stores.get(person.id, [])),
        regions=set(regions.get(person.id, [])),
        myself=person.id == current_user().id,
        **_choices(),
    )


@bp.post("/users/<int:user_id>")
@editors
def change_user(user_id: int) -> Response:
    person, form = listings.person(user_id), request.form

    def change() -> User:
        stores, regions = _picked(form)
        return users.change_user(
            person,
            name=form.get("name", ""),
            role=form.get("role", ""),
            stores=stores,
            regions=regions,
            active=form.get("active") == "on",
            acting=current_user(),
        )

    attempt(change, "Saved.")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@editors
def reset_password(user_id: int) -> Response:
    person = listings.person(user_id)
    attempt(lambda: users.set_password(person, request.form.get("password", "")), gettext("New password set."))
    return redirect(url_for("admin.user", user_id=user_id))
