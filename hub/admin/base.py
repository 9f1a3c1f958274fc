"""The admin blueprint, its index page, and what every admin view shares: who may read,
who may change, and how a refused change is shown on the form instead of as an error page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, flash, render_template

from hub.auth.guard import current_user, require_role
from hub.models import Store, Touchpoint
from hub.services import catalog
from shared.errors import NotFound, VoxloopError

bp = Blueprint("admin", __name__, url_prefix="/admin")

HQ = ("hq_admin", "hq_analyst")
EVERYONE = (*HQ, "regional_manager", "store_manager")

readers = require_role(*HQ)  # analysts read every admin page
editors = require_role("hq_admin")  # only HQ admins change anything


def may_edit() -> bool:
    user = current_user()
    return user is not None and user.role == "hq_admin"


def attempt(action: Callable[[], Any], done: str) -> tuple[bool, Any]:
    """Run a change; a refusal (bad input, taken code) is flashed for the form and the
    result is (False, None). A missing thing stays a 404."""
    try:
        result = action()
    except NotFound:
        raise
    except VoxloopError as error:
        flash(str(error.detail), "error")
        return False, None
    except ValueError as error:
        flash(str(error), "error")
        return False, None
    flash(done, "ok")
    return True, result


def place(text: str) -> tuple[Store, Touchpoint]:
    """A store's touchpoint from a form's ``STORE/TOUCHPOINT`` choice (codes hold no '/')."""
    store_code, _, touchpoint_code = text.partition("/")
    store = catalog.store_by_code(store_code)
    return store, catalog.touchpoint_by_code(store, touchpoint_code)


def form_list(form: Mapping[str, Any], name: str) -> list[str]:
    """A multi-value field (checkboxes, multi-select) without empty entries."""
    getter = getattr(form, "getlist", None)
    values = getter(name) if getter else [form.get(name)]
    return [v.strip() for v in values if v and v.strip()]


@bp.get("")
@readers
def index() -> str:
    return render_template("admin/index.html", may_edit=may_edit())
