"""/admin/alert-rules: list, add, change, switch on and off the alert rules. Every rule is
checked by hub/services/alerts/rules.py before it is kept (what cannot work is refused with
the setting and the reason). A webhook's signing secret is shown once, when the hub makes it;
afterwards only its last characters."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.admin.base import attempt, bp, editors, may_edit, readers
from hub.admin.rule_condition_form import condition_from_form, field_of, form_from_condition
from hub.clock import now
from hub.i18n import current_language, gettext, lazy_gettext
from hub.models import AlertRule
from hub.services import catalog, listings
from hub.services.alerts import rule_book, rules
from hub.services.alerts.conditions import ACTION_EVENTS, SIGNAL_KPIS, TERMINAL_SILENT, describe
from hub.services.outbox.transports.webhook import standard_secret
from shared.errors import RuleError

EXAMPLES = {
    "response": ['{"rating_at_most": 1}', '{"nps_at_most": 6, "with_comment": true}', '{"reason_in": ["queue"]}'],
    "window": [
        '{"negative_share_at_least": 50, "window_minutes": 15, "min_responses": 4}',
        '{"index_below": -20, "window_minutes": 60, "min_responses": 10}',
        '{"volume_drop_percent": 70, "window_minutes": 60, "baseline_days": 7, "min_responses": 5}',
        '{"terminal_silent": true}',
    ],
    "signal": ["{}", '{"kpi_in": ["smiley_index"]}'],
    "action": ["{}", '{"events_in": ["action.state_changed", "action.task_done"]}'],
}
KIND_NAMES = {
    "response": lazy_gettext("one response matches (checked at ingest)"),
    "window": lazy_gettext("the last minutes of a store, or a silent terminal (checked by jobs)"),
    "signal": lazy_gettext("a significant drop against the store's own baseline"),
    "action": lazy_gettext("an action of the stores changes (webhooks only)"),
}


MEASURE_NAMES = {
    "negative_share_at_least": lazy_gettext("share of negative answers at least (%)"),
    "index_below": lazy_gettext("smiley index below (-100 to 100)"),
    "volume_drop_percent": lazy_gettext("fewer responses than usual by at least (%)"),
    TERMINAL_SILENT: lazy_gettext("a terminal is silent in opening hours"),
}
KPI_NAMES = {"smiley_index": lazy_gettext("Smiley index"), "unhappy_share": lazy_gettext("Unhappy share (%)")}
MULTIPLE = ("c.reason_in", "c.kpi_in", "c.events_in", "condition_from")

SCOPE_NAMES = {
    "all": lazy_gettext("every store"),
    "region": lazy_gettext("one region"),
    "store": lazy_gettext("one store"),
    "touchpoint": lazy_gettext("one touchpoint"),
    "survey": lazy_gettext("one survey"),
}


@bp.app_template_global()
def scope_name(scope: str) -> str:
    """Where a rule applies, in words."""
    return str(SCOPE_NAMES.get(scope, scope))


def masked(secret: str | None) -> str:
    return "" if not secret else "•" * 8 + secret[-4:]


def settings_from_form(form: Any) -> dict[str, Any]:
    """The rule settings a form sends, in the form rules.py takes them: the condition from its
    fields (``condition_from=form``), or from the JSON of the experts' text area."""
    sources = form.getlist("condition_from")
    if "form" in sources and "json" not in sources:
        condition = condition_from_form(form.get("kind", ""), form)
    else:
        condition = _json_condition(form.get("condition"))
    store, _, touchpoint = (form.get("place") or "").partition("/")
    scope = form.get("scope", "all")
    numbers = {}
    for name in ("throttle_minutes", "sla_minutes"):
        text = (form.get(name) or "").strip()
        if not text.isdigit():
            raise RuleError(gettext("%(name)s must be a whole number", name=name.replace("_", " ")), name)
        numbers[name] = int(text)
    return {
        "name": form.get("name", ""),
        "kind": form.get("kind", ""),
        "scope": scope,
        "region": form.get("region") if scope == "region" else None,
        "store": (form.get("store") if scope == "store" else store) if scope in ("store", "touchpoint") else None,
        "touchpoint": touchpoint if scope == "touchpoint" else None,
        "survey": form.get("survey") if scope == "survey" else None,
        "condition": condition,
        "email": form.get("email") == "on",
        "webhook_url": (form.get("webhook_url") or "").strip() or None,
        "webhook_format": form.get("webhook_format") or None,
        "quiet_hours": form.get("quiet_hours") == "on",
        "active": form.get("active") == "on",
        **numbers,
    }


def _json_condition(text: str | None) -> Any:
    try:
        return json.loads(text or "")
    except ValueError as error:
        detail = gettext(
            "the condition is not valid JSON (%(error)s, column %(column)s)", error=error.msg, column=error.colno
        )
        raise RuleError(detail, "condition") from None


def _attempt(action: Callable[[], Any], done: str) -> tuple[bool, Any, dict[str, str]]:
    """``attempt`` that also says beside which field a refused rule's problem belongs."""
    beside: dict[str, str] = {}

    def run() -> Any:
        try:
            return action()
        except RuleError as error:
            beside[field_of(error.field or "condition")] = str(error.detail)
            raise

    ok, result = attempt(run, done)
    return ok, result, beside


def _sent(form: Any) -> dict[str, Any]:
    """The form as it was sent, to fill it in again (the boxes as lists)."""
    return {key: form.getlist(key) if key in MULTIPLE else form.get(key) for key in form}


def _reason_names() -> dict[str, str]:
    """Every reason a rule may name (any survey version's), by id, with its text in the
    person's language where a current survey has it."""
    language, names = current_language(), {}
    for survey in listings.surveys():
        for question in catalog.current_survey(survey).definition.get("questions", []):
            for option in question.get("options", []) if question.get("kind") == "choice" else []:
                text = option.get("text", {})
                names.setdefault(option["id"], text.get(language) or next(iter(text.values()), ""))
    return {reason: names.get(reason) or reason for reason in sorted(rules.known_reasons())}


def _choices() -> dict[str, Any]:
    return {
        "kinds": rule_book.KINDS,
        "scopes": rules.SCOPES,
        "formats": rules.WEBHOOK_FORMATS,
        "regions": listings.regions(),
        "stores": listings.all_stores(),
        "places": listings.places(),
        "surveys": listings.surveys(),
        "examples": {k: v for k, v in EXAMPLES.items() if k in rule_book.KINDS},
        "kind_names": KIND_NAMES,
        "may_edit": may_edit(),
        "reasons": _reason_names(),
        "measures": MEASURE_NAMES,
        "kpis": {kpi: KPI_NAMES.get(kpi, kpi) for kpi in SIGNAL_KPIS},
        "events": ACTION_EVENTS,
    }


def _form_values(settings: dict[str, Any]) -> dict[str, Any]:
    """What the form shows for saved ``settings`` (rules.rule_settings)."""
    place = f"{settings['store']}/{settings['touchpoint']}" if settings.get("touchpoint") else ""
    fields = form_from_condition(settings["kind"], settings["condition"])
    return {**settings, **fields, "place": place, "condition": json.dumps(settings["condition"])}


@bp.get("/alert-rules")
@readers
def alert_rules() -> Any:
    return _render_list(None)


def _render_list(values: Any, status: int = 200, beside: dict[str, str] | None = None) -> Any:
    listed = [(rule, rules.rule_settings(rule), describe(rule.kind, rule.condition)) for rule in listings.alert_rules()]
    defaults = {
        "kind": "response",
        "scope": "all",
        "condition": EXAMPLES["response"][0],
        **form_from_condition("response", json.loads(EXAMPLES["response"][0])),
        "email": True,
        "quiet_hours": True,
        "active": True,
        "throttle_minutes": 5,
        "sla_minutes": 30,
    }
    page = render_template(
        "admin/alert_rules.html", listed=listed, values=values or defaults, beside=beside or {}, **_choices()
    )
    return page, status


@bp.post("/alert-rules")
@editors
def create_alert_rule() -> Any:
    ok, rule, beside = _attempt(
        lambda: rules.create_rule(settings_from_form(request.form), now=now()), gettext("Rule added.")
    )
    if not ok:
        return _render_list(_sent(request.form), 400, beside)
    return _render_rule(rule, None, new_secret=rule.webhook_secret)


@bp.get("/alert-rules/<int:rule_id>")
@readers
def alert_rule(rule_id: int) -> Any:
    return _render_rule(rules.rule_by_id(rule_id), None)


def _render_rule(
    rule: AlertRule,
    values: Any,
    *,
    new_secret: str | None = None,
    status: int = 200,
    beside: dict[str, str] | None = None,
) -> Any:
    page = render_template(
        "admin/alert_rule.html",
        rule=rule,
        summary=describe(rule.kind, rule.condition),
        values=values or _form_values(rules.rule_settings(rule)),
        beside=beside or {},
        secret_hint=masked(rule.webhook_secret),
        new_secret=new_secret,
        standard_secret=standard_secret(new_secret) if new_secret else None,
        **_choices(),
    )
    answer = make_response(page, status)
    if new_secret:
        answer.headers["Cache-Control"] = "no-store"
    return answer


@bp.post("/alert-rules/<int:rule_id>")
@editors
def update_alert_rule(rule_id: int) -> Any:
    before = rules.rule_by_id(rule_id)
    ok, rule, beside = _attempt(
        lambda: rules.update_rule(rule_id, settings_from_form(request.form), now=now()), gettext("Rule saved.")
    )
    if not ok:
        return _render_rule(before, _sent(request.form), status=400, beside=beside)
    fresh = rule.webhook_secret if rule.webhook_secret != before.webhook_secret else None
    if fresh:
        return _render_rule(rule, None, new_secret=fresh)
    return redirect(url_for("admin.alert_rule", rule_id=rule_id))


@bp.post("/alert-rules/<int:rule_id>/active")
@editors
def switch_alert_rule(rule_id: int) -> Response:
    on = request.form.get("active") == "on"
    attempt(
        lambda: rules.update_rule(rule_id, {"active": on}, now=now()),
        gettext("Rule on.") if on else gettext("Rule off."),
    )
    if request.form.get("back") == "list":
        return redirect(url_for("admin.alert_rules"))
    return redirect(url_for("admin.alert_rule", rule_id=rule_id))
