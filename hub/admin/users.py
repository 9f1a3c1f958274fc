"""/admin/users: the people who sign in, their role and the stores or regions they look
after; adding people, changing roles, switching someone off, setting a new password."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.admin.base import attempt, bp, editors, form_list, may_edit, one, readers
from hub.auth.guard import current_user
from hub.clock import now
from hub.models import Region, Store, User, UserRegion, UserStore
from hub.services import users
from shared.errors import NotFound

ROLE_NAMES = {
    "hq_admin": "HQ admin (changes everything)",
    "hq_analyst": "HQ analyst (reads everything)",
    "regional_manager": "Regional manager (stores of their regions)",
    "store_manager": "Store manager (their stores)",
}


def _user(user_id: int) -> User:
    return one(User, User.id == user_id, "person")


def _picked(form: Any) -> tuple[list[Store], list[Region]]:
    codes = form_list(form, "store")
    names = form_list(form, "region")
    stores = list(Store.select().where(Store.code.in_(codes or [""])))
    regions = list(Region.select().where(Region.name.in_(names or [""])))
    if len(stores) != len(set(codes)) or len(regions) != len(set(names)):
        raise NotFound("not_found", "no such store or region")
    return stores, regions


def _links() -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    stores: dict[int, list[str]] = {}
    for user_id, code in UserStore.select(UserStore.user, Store.code).join(Store).order_by(Store.code).tuples():
        stores.setdefault(user_id, []).append(code)
    regions: dict[int, list[str]] = {}
    for user_id, name in UserRegion.select(UserRegion.user, Region.name).join(Region).order_by(Region.name).tuples():
        regions.setdefault(user_id, []).append(name)
    return stores, regions


def _choices() -> dict[str, Any]:
    return {
        "roles": ROLE_NAMES,
        "all_stores": list(Store.select(Store.code, Store.name).order_by(Store.code)),
        "all_regions": list(Region.select().order_by(Region.name)),
        "may_edit": may_edit(),
    }


@bp.get("/users", endpoint="users")
@readers
def users_page() -> str:
    return _render_list({})


def _render_list(values: Any, status: int = 200) -> Any:
    stores, regions = _links()
    people = list(User.select().order_by(User.active.desc(), User.role, User.name))
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

    ok, user = attempt(create, "Person added.")
    if not ok:
        return _render_list({k: v for k, v in form.items() if k != "password"}, 400)
    return redirect(url_for("admin.user", user_id=user.id))


@bp.get("/users/<int:user_id>")
@readers
def user(user_id: int) -> str:
    person = _user(user_id)
    stores, regions = _links()
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
    person, form = _user(user_id), request.form

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
    person = _user(user_id)
    attempt(lambda: users.set_password(person, request.form.get("password", "")), "New password set.")
    return redirect(url_for("admin.user", user_id=user_id))
