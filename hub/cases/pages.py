"""/cases and /cases/<id>: the pages of the case workflow (see the package docstring)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.auth.guard import current_scope, current_user, require_role, signed_in
from hub.clock import now
from hub.i18n import case_state_name, gettext, lazy_gettext, strftime
from hub.models import Case
from hub.services import case_classification, cases
from hub.services.actions import actions_of_case
from hub.services.alerts.recipients import LEVEL_NAMES, LEVELS, first_reachable
from hub.services.alerts.rule_book import StoreFacts
from hub.services.outbox import overview
from hub.services.outbox.links import LinkError, read_ack_token
from hub.services.outbox.render.alert import summary_line
from hub.services.response_views import case_response_ids, response_views
from hub.state import state
from shared.errors import NotFound, VoxloopError

bp = Blueprint("cases", __name__, url_prefix="/cases")

LIST_FILTERS = ("unresolved", "open", "acknowledged", "resolved", "all")
SORT_NAMES = {
    "recent": lazy_gettext("latest alert first"),
    "newest": lazy_gettext("newest first"),
    "oldest": lazy_gettext("oldest first"),
    "sla": lazy_gettext("SLA due first"),
}
AGE_NAMES = {
    "day": lazy_gettext("opened in the last 24 h"),
    "week": lazy_gettext("opened in the last 7 days"),
    "older": lazy_gettext("older than 7 days"),
}
CATEGORY_NAMES = {
    "resolved_with_customer": lazy_gettext("Resolved with the customer"),
    "fixed_in_store": lazy_gettext("Fixed in the store"),
    "staff_coaching": lazy_gettext("Staff coaching"),
    "no_action_possible": lazy_gettext("No action possible"),
    "not_reachable": lazy_gettext("Customer not reachable"),
    "spam_or_test": lazy_gettext("Spam or test"),
    "other": lazy_gettext("Other"),
}


bp.add_app_template_filter(summary_line, "summary_line")

# what a case's trail and its messages say, in the person's language
WORDS = {
    "opened": lazy_gettext("opened"),
    "acknowledged": lazy_gettext("acknowledged"),
    "assigned": lazy_gettext("assigned"),
    "commented": lazy_gettext("commented"),
    "called_back": lazy_gettext("called back"),
    "customer_notified": lazy_gettext("customer notified"),
    "resolved": lazy_gettext("resolved"),
    "escalated": lazy_gettext("escalated"),
    "pending": lazy_gettext("pending"),
    "sending": lazy_gettext("sending"),
    "retry": lazy_gettext("retry"),
    "sent": lazy_gettext("sent"),
    "failed": lazy_gettext("failed"),
    "withdrawn": lazy_gettext("withdrawn"),
    "alert": lazy_gettext("alert"),
    "escalation": lazy_gettext("escalation"),
    "digest": lazy_gettext("digest"),
    "report": lazy_gettext("report"),
    "signal": lazy_gettext("signal"),
    "close_loop": lazy_gettext("close the loop"),
    "password_reset": lazy_gettext("password reset"),
    "test": lazy_gettext("test"),
    "email": lazy_gettext("email"),
    "webhook": "webhook",
}


@bp.app_template_filter("priority_reason")
def priority_reason(code: str) -> str:
    """What raised a case's priority, in words (hub/services/case_classification.py)."""
    return str(case_classification.REASON_NAMES.get(code, code.replace("_", " ")))


CLASSIFICATION_NAMES = {
    "category_names": case_classification.CATEGORY_NAMES,
    "priority_names": case_classification.PRIORITY_NAMES,
    "reply_language_names": {"de": lazy_gettext("German"), "en": lazy_gettext("English")},
}


@bp.app_template_global()
def case_word(code: str) -> str:
    """A case event, message kind, channel or message state in words."""
    return str(WORDS.get(code, code.replace("_", " ")))


@bp.app_template_filter("local")
def local_time(value: datetime | None, zone: str = "UTC", pattern: str = "%a %d %b %H:%M") -> str:
    if value is None:
        return ""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return strftime(aware.astimezone(ZoneInfo(zone)), pattern)  # names in the person's language


def _sla(case: Case, at: datetime) -> str | None:
    """ "acknowledge within 12 min" or "overdue by 5 min" while the case is open."""
    if case.state != "open" or case.ack_due_at is None:
        return None
    minutes = int((case.ack_due_at.replace(tzinfo=UTC) - at).total_seconds() // 60)
    if minutes >= 0:
        return gettext("acknowledge within %(n)s min", n=minutes)
    return gettext("overdue by %(n)s min", n=-minutes)


@bp.get("")
@signed_in
def my_cases() -> str:
    """The list, filtered and sorted by what the query asks (anything unknown: the default)."""
    args = request.args
    shown = args.get("state", "unresolved") if args.get("state") in LIST_FILTERS else "unresolved"
    sort = args.get("sort") if args.get("sort") in cases.SORTS else "recent"
    age = args.get("age") if args.get("age") in cases.AGES else None
    breached = args.get("breached") == "1"
    category = args.get("category") if args.get("category") in case_classification.CATEGORIES else None
    priority = args.get("priority") if args.get("priority") in case_classification.PRIORITIES else None
    at = now()
    found = cases.list_cases(
        current_scope(),
        state=shown,
        sort=sort,
        age=age,
        breached=breached,
        now=at,
        category=category,
        priority=priority,
    )
    return render_template(
        "cases/list.html",
        cases=found,
        shown=shown,
        filters=LIST_FILTERS,
        sort=sort,
        sorts=SORT_NAMES,
        age=age,
        ages=AGE_NAMES,
        breached=breached,
        counts=cases.response_counts(found),
        sla={c.id: _sla(c, at) for c in found},
        late={c.id for c in found if cases.breached(c, at)},
        category=category,
        priority=priority,
        classified=case_classification.classifications(c.id for c in found),
        **CLASSIFICATION_NAMES,
    )


def _page(case_id: int, *, drafts: dict[str, str] | None = None, error: str | None = None) -> str:
    """The case page; after a refused step, with what the person typed (``drafts``) and why."""
    scope = current_scope()
    case = cases.get_case(scope, case_id)
    views = response_views(case_response_ids(case.id), case.store.time_zone)
    contacts = cases.contacts(scope, case, state().contact_key)
    facts = StoreFacts.of(case.store)
    workers: list[Any] = []
    if cases.may_work(scope, case) and case.state != "resolved":
        seen = set()
        for level in range(len(LEVELS)):
            _, people = first_reachable(facts, level)
            for p in people:
                if p.user_id not in seen:
                    seen.add(p.user_id)
                    workers.append(p)
    messages = cases.messages(case)
    names = cases.names_of(
        [case.assignee_id, case.acknowledged_by_id, case.resolved_by_id, case.called_back_by_id]
        + [w.user_id for w in workers]
        + [m.user_id for m in messages]
    )
    return render_template(
        "cases/case.html",
        case=case,
        responses=views,
        response_count=cases.response_counts([case])[case.id],
        contacts=contacts,
        events=cases.events(case),
        messages=messages,
        may_work=cases.may_work(scope, case),
        sla=_sla(case, now()),
        late=cases.breached(case, now()),
        level=str(LEVEL_NAMES[min(case.escalation_level, len(LEVEL_NAMES) - 1)]),
        categories=CATEGORY_NAMES,
        workers=workers,
        names=names,
        can_notify=bool(cases.close_loop_targets(scope, case, state().contact_key)),
        zone=case.store.time_zone,
        prior=cases.prior_cases(scope, case, state().contact_key),
        linked_actions=actions_of_case(scope, case.id),
        drafts=drafts or {},
        error=error,
        max_text=cases.MAX_TEXT,
        classification=case_classification.classification(case.id),
        **CLASSIFICATION_NAMES,
    )


@bp.get("/<int:case_id>")
@signed_in
def show(case_id: int) -> str:
    return _page(case_id)


def _kept(case_id: int, action: Any, done: str, drafts: dict[str, str]) -> Response | tuple[str, int]:
    """Run a step that carries typed text; refused, the page comes back with the text kept."""
    try:
        action(current_scope(), current_user())
    except NotFound:
        raise
    except VoxloopError as error:
        return _page(case_id, drafts=drafts, error=error.detail), 422
    flash(done, "ok")
    return redirect(url_for("cases.show", case_id=case_id))


def _act(case_id: int, action: Any, done: str) -> Response:
    """Run a case step; a refused step (wrong state, bad input) is shown on the case page."""
    try:
        action(current_scope(), current_user())
    except NotFound:
        raise
    except VoxloopError as error:
        flash(str(error.detail), "error")
    else:
        flash(done, "ok")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/<int:case_id>/acknowledge")
@signed_in
def acknowledge(case_id: int) -> Response:
    return _act(case_id, lambda s, u: cases.acknowledge(s, u, case_id, now=now()), gettext("Acknowledged."))


@bp.post("/<int:case_id>/comment")
@signed_in
def comment(case_id: int) -> Response | tuple[str, int]:
    text = request.form.get("text", "")
    act = lambda s, u: cases.comment(s, u, case_id, text, now=now())  # noqa: E731
    return _kept(case_id, act, gettext("Comment added."), {"comment": text})


@bp.post("/<int:case_id>/assign")
@signed_in
def assign(case_id: int) -> Response:
    raw = request.form.get("assignee", "")
    assignee = int(raw) if raw.isdigit() else None
    return _act(case_id, lambda s, u: cases.assign(s, u, case_id, assignee, now=now()), gettext("Assignment saved."))


@bp.post("/<int:case_id>/called-back")
@signed_in
def called_back(case_id: int) -> Response:
    note = request.form.get("note")
    return _act(
        case_id, lambda s, u: cases.called_back(s, u, case_id, note=note, now=now()), gettext("Call back recorded.")
    )


@bp.post("/<int:case_id>/resolve")
@signed_in
def resolve(case_id: int) -> Response | tuple[str, int]:
    form = request.form
    return _kept(
        case_id,
        lambda s, u: cases.resolve(
            s,
            u,
            case_id,
            category=form.get("category"),
            note=form.get("note"),
            notify_customer=form.get("notify_customer") == "on",
            customer_message=form.get("customer_message"),
            contact_key=state().contact_key,
            now=now(),
        ),
        gettext("Resolved."),
        {"note": form.get("note", ""), "customer_message": form.get("customer_message", "")},
    )


@bp.get("/<int:case_id>/ack/<token>")
@signed_in
def acknowledge_link(case_id: int, token: str) -> Response:
    """The link in an alert email: acknowledges for the signed-in person it was sent to."""
    scope, user = current_scope(), current_user()
    case = cases.get_case(scope, case_id)  # another store's case: 404, link or not
    try:
        addressee = read_ack_token(current_app.config["SECRET_KEY"], token, case_id, now())
    except LinkError as error:
        if str(error) == "expired":
            flash(gettext("This acknowledge link has expired; acknowledge here instead."), "error")
        else:
            flash(gettext("This acknowledge link is not valid; acknowledge here instead."), "error")
        return redirect(url_for("cases.show", case_id=case_id))
    if addressee != user.id:
        flash(gettext("This link was sent to someone else; acknowledge here if the case is yours to work."), "error")
    elif case.state != "open":
        flash(gettext("This case is %(state)s already.", state=case_state_name(case.state)), "ok")
    else:
        return _act(
            case_id, lambda s, u: cases.acknowledge(s, u, case_id, now=now()), gettext("Acknowledged. Thank you.")
        )
    return redirect(url_for("cases.show", case_id=case_id))


# --- HQ: deliveries and misrouted cases ---------------------------------------------------------


@bp.get("/deliveries")
@require_role("hq_admin", "hq_analyst")
def deliveries() -> str:
    found = overview.overview()
    return render_template(
        "cases/deliveries.html",
        counts=found.counts,
        troubled=found.troubled,
        recent=found.recent,
        stores=found.stores,
        misrouted=cases.misrouted_cases(current_scope()),
    )


@bp.post("/deliveries/<int:message_id>/retry")
@require_role("hq_admin")
def retry_delivery(message_id: int) -> Response:
    changed = overview.send_again(message_id, now=now())
    if changed:
        flash(gettext("Queued again."), "ok")
    else:
        flash(gettext("Only failed messages can be sent again."), "error")
    return redirect(url_for("cases.deliveries"))
