"""Alert rules: the defaults, adding and changing rules, each checked before it is kept.
The ingest path reads the kept rules compiled into a rule book (rule_book.py).

A rule's scope is every store (``all``) or one ``region`` (by name), ``store`` (by code),
``touchpoint`` (store code and touchpoint code) or ``survey`` (by key). Channels: email to the
people a case is routed to (``email``), and a webhook (``webhook_url`` with ``webhook_format``
json, slack or teams, signed with a secret the hub makes and shows to HQ admins).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from hub.db import write_transaction
from hub.i18n import lazy_gettext
from hub.models import AlertRule, Region, Store, Survey, SurveyVersion, Touchpoint
from hub.services.alerts.conditions import (
    parse_action_condition,
    parse_response_condition,
    parse_signal_condition,
    parse_window_condition,
)
from hub.services.alerts.rule_book import KINDS, forget_book
from hub.services.webhook_targets import WebhookTargets
from shared.errors import NotFound, RuleError

SCOPES = ("all", "region", "store", "touchpoint", "survey")
WEBHOOK_FORMATS = ("json", "slack", "teams")
# a name: no control characters, something besides blanks (openapi.json says the same)
_CONTROL = r"\u0000-\u001f\u007f"
_BLANK = r"\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
NAME = re.compile(f"[^{_CONTROL}]*[^{_BLANK}][^{_CONTROL}]*")
WEBHOOK_URL = re.compile(r"https?://[!-~]+")  # ASCII without blanks, as openapi.json says

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "key": "very_unhappy",
        "name": "Very unhappy customer",
        "kind": "response",
        "condition": {"rating_at_most": 1},
        "sla_minutes": 30,
    },
    {
        "key": "contact_requested",
        "name": "Customer asks for a call back",
        "kind": "response",
        "condition": {"contact_requested": True},
        "sla_minutes": 60,
    },
    {
        "key": "negative_share",
        "name": "Many unhappy customers",
        "kind": "window",
        "condition": {"negative_share_at_least": 50, "window_minutes": 15, "min_responses": 4},
        "sla_minutes": 30,
    },
    {
        "key": "terminal_silent",
        "name": "Terminal silent",
        "kind": "window",
        "condition": {"terminal_silent": True},  # hub/services/terminal_health.py raises it
        "sla_minutes": 120,
    },
]

_SETTINGS = {
    "name",
    "kind",
    "scope",
    "region",
    "store",
    "touchpoint",
    "survey",
    "condition",
    "email",
    "webhook_url",
    "webhook_format",
    "throttle_minutes",
    "sla_minutes",
    "quiet_hours",
    "active",
}


def ensure_default_rules(now: datetime) -> list[str]:
    """Make the default rules that do not exist yet (by key); what was made, for the report."""
    made = []
    for default in DEFAULT_RULES:
        if AlertRule.get_or_none(AlertRule.key == default["key"]) is None:
            data = {k: v for k, v in default.items() if k != "key"}
            create_rule(data, now=now, key=default["key"])
            made.append(f"created alert rule {default['key']!r}")
    return made


def known_reasons() -> set[str]:
    """Every choice option of every survey version (what ``reason_in`` may name)."""
    found: set[str] = set()
    for (definition,) in SurveyVersion.select(SurveyVersion.definition).tuples():
        for question in definition.get("questions", []):
            if question.get("kind") == "choice":
                found |= {option["id"] for option in question.get("options", [])}
    return found


def create_rule(data: Mapping[str, Any], *, now: datetime, key: str | None = None) -> AlertRule:
    values = _checked({}, data, creating=True)
    if values.get("webhook_url"):
        values["webhook_secret"] = secrets.token_urlsafe(32)
    at = now.replace(tzinfo=None)
    with write_transaction():
        rule = AlertRule.create(key=key, created_at=at, updated_at=at, **values)
    forget_book()
    return rule


def update_rule(rule_id: int, data: Mapping[str, Any], *, now: datetime) -> AlertRule:
    rule = rule_by_id(rule_id)
    values = _checked(rule_settings(rule), data, creating=False)
    if values.get("webhook_url") and not rule.webhook_secret:
        values["webhook_secret"] = secrets.token_urlsafe(32)
    with write_transaction():
        AlertRule.update(updated_at=now.replace(tzinfo=None), **values).where(AlertRule.id == rule.id).execute()
    forget_book()
    return rule_by_id(rule_id)


def rule_by_id(rule_id: int) -> AlertRule:
    rule = AlertRule.get_or_none(AlertRule.id == rule_id)
    if rule is None:
        raise NotFound("not_found", f"alert rule {rule_id} does not exist")
    return rule


def find_rule(reference: str) -> AlertRule:
    """A rule by id or by key (``very_unhappy``)."""
    if reference.isdigit():
        return rule_by_id(int(reference))
    rule = AlertRule.get_or_none(AlertRule.key == reference)
    if rule is None:
        raise NotFound("not_found", f"no alert rule has the id or key {reference!r}")
    return rule


def rule_settings(rule: AlertRule) -> dict[str, Any]:
    """A rule's settings in the form the API takes them (codes, not ids)."""
    touchpoint = Touchpoint.get_by_id(rule.touchpoint_id) if rule.touchpoint_id else None
    store_id = touchpoint.store_id if touchpoint else rule.store_id
    return {
        "name": rule.name,
        "kind": rule.kind,
        "scope": rule.scope,
        "region": Region.get_by_id(rule.region_id).name if rule.region_id else None,
        "store": Store.get_by_id(store_id).code if store_id else None,
        "touchpoint": touchpoint.code if touchpoint else None,
        "survey": Survey.get_by_id(rule.survey_id).key if rule.survey_id else None,
        "condition": rule.condition,
        "email": bool(rule.email),
        "webhook_url": rule.webhook_url,
        "webhook_format": rule.webhook_format,
        "throttle_minutes": rule.throttle_minutes,
        "sla_minutes": rule.sla_minutes,
        "quiet_hours": bool(rule.quiet_hours),
        "active": bool(rule.active),
    }


def rule_as_dict(rule: AlertRule, *, with_secret: bool) -> dict[str, Any]:
    body = {"id": rule.id, "key": rule.key, **rule_settings(rule)}
    if with_secret:
        body["webhook_secret"] = rule.webhook_secret
    body["created_at"] = rule.created_at.isoformat() + "Z"
    body["updated_at"] = rule.updated_at.isoformat() + "Z"
    return body


_NEW_RULE = {
    "scope": "all",
    "email": True,
    "webhook_url": None,
    "webhook_format": None,
    "throttle_minutes": 5,
    "quiet_hours": True,
    "active": True,
    "sla_minutes": 30,
}
_NUMBERS = (("throttle_minutes", 0, 24 * 60), ("sla_minutes", 1, 7 * 24 * 60))


def _checked(current: Mapping[str, Any], changes: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The model values of ``current`` settings with ``changes`` applied, or RuleError."""
    _check_changes(changes, creating=creating)
    s = {**_NEW_RULE, **current, **changes}
    _check_name_and_condition(s)
    _check_flags_and_numbers(s)
    url, form = _webhook(s["webhook_url"], s["webhook_format"])
    if not s["email"] and url is None:
        raise RuleError(lazy_gettext("a rule needs a channel: email true, a webhook_url, or both"), "email")
    if s["kind"] == "action" and url is None:  # the people of an action hear by email anyway
        raise RuleError(lazy_gettext("an action rule sends webhooks: it needs a webhook_url"), "webhook_url")
    values = {
        "name": s["name"].strip(),
        "kind": s["kind"],
        "condition": s["condition"],
        "email": s["email"],
        "webhook_url": url,
        "webhook_format": form,
        "throttle_minutes": s["throttle_minutes"],
        "sla_minutes": s["sla_minutes"],
        "quiet_hours": s["quiet_hours"],
        "active": s["active"],
    }
    values.update(_scope(s))
    return values


def _check_changes(changes: Mapping[str, Any], *, creating: bool) -> None:
    if not isinstance(changes, Mapping):
        raise RuleError(lazy_gettext("send the rule as a JSON object"))
    unknown = sorted(set(changes) - _SETTINGS)
    if unknown:
        detail = lazy_gettext(
            "unknown setting %(name)s; rules have %(names)s", name=repr(unknown[0]), names=", ".join(sorted(_SETTINGS))
        )
        raise RuleError(detail, unknown[0])
    if creating:
        for required in ("name", "kind", "condition"):
            if required not in changes:
                raise RuleError(lazy_gettext("a rule needs %(name)s", name=repr(required)), required)


def _check_name_and_condition(s: Mapping[str, Any]) -> None:
    if not isinstance(s["name"], str) or not NAME.fullmatch(s["name"]) or len(s["name"]) > 120:
        raise RuleError(lazy_gettext("name must be a text of 1 to 120 characters without control characters"), "name")
    if s["kind"] not in KINDS:
        raise RuleError(lazy_gettext("kind must be one of %(kinds)s", kinds=", ".join(KINDS)), "kind")
    if s["kind"] == "response":
        parse_response_condition(s["condition"], known_reasons())
    elif s["kind"] == "signal":
        parse_signal_condition(s["condition"])
    elif s["kind"] == "action":
        parse_action_condition(s["condition"])
    else:
        parse_window_condition(s["condition"])


def _check_flags_and_numbers(s: dict[str, Any]) -> None:
    for flag in ("email", "quiet_hours", "active"):
        if not isinstance(s[flag], bool):
            raise RuleError(lazy_gettext("%(name)s must be true or false", name=flag), flag)
    for number, low, high in _NUMBERS:
        value = s[number]
        if isinstance(value, float) and value.is_integer():  # 5.0: JSON Schema's integer takes it
            value = s[number] = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            detail = lazy_gettext(
                "%(name)s must be a whole number from %(low)s to %(high)s", name=number, low=low, high=high
            )
            raise RuleError(detail, number)


def _webhook(url: object, form: object) -> tuple[str | None, str | None]:
    """The webhook URL and its format (json when none is given); no format without a URL."""
    if form is not None and form not in WEBHOOK_FORMATS:
        detail = lazy_gettext("webhook_format must be one of %(formats)s", formats=", ".join(WEBHOOK_FORMATS))
        raise RuleError(detail, "webhook_format")
    if url is None:
        return None, None
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        port_ok = parts is None or parts.port is None or parts.port > 0
    except ValueError:  # an unclosed [ or a port that is no number
        parts, port_ok = None, False
    well_formed = port_ok and isinstance(url, str) and WEBHOOK_URL.fullmatch(url) and len(url) <= 2000
    if parts is None or not well_formed or parts.scheme not in ("http", "https") or not parts.hostname:
        raise RuleError(lazy_gettext("webhook_url must be an http:// or https:// URL"), "webhook_url")
    WebhookTargets.from_setting(current_app.config["WEBHOOK_ALLOWED_NETWORKS"]).check_url_host(parts.hostname)
    return url, form or "json"


def _scope(s: Mapping[str, Any]) -> dict[str, Any]:
    scope = s["scope"]
    if scope not in SCOPES:
        raise RuleError(lazy_gettext("scope must be one of %(scopes)s", scopes=", ".join(SCOPES)), "scope")
    found: dict[str, Any] = {"scope": scope, "region": None, "store": None, "touchpoint": None, "survey": None}
    for name in ("region", "store", "touchpoint", "survey"):
        if s.get(name) is not None and (not isinstance(s[name], str) or "\x00" in s[name]):
            raise RuleError(lazy_gettext("%(name)s must be a text (without NUL) or null", name=name), name)
    needs = {"region": ("region",), "store": ("store",), "touchpoint": ("store", "touchpoint"), "survey": ("survey",)}
    for name in needs.get(scope, ()):
        if not isinstance(s.get(name), str) or not s[name]:
            raise RuleError(lazy_gettext("a %(scope)s rule names its %(name)s", scope=scope, name=name), name)
    if scope == "region":
        found["region"] = Region.get_or_none(Region.name == s["region"])
        if found["region"] is None:
            raise RuleError(lazy_gettext("there is no region %(name)s", name=repr(s["region"])), "region")
    elif scope in ("store", "touchpoint"):
        store = Store.get_or_none(Store.code == s["store"])
        if store is None:
            raise RuleError(lazy_gettext("there is no store %(code)s", code=repr(s["store"])), "store")
        if scope == "store":
            found["store"] = store
        else:
            found["touchpoint"] = Touchpoint.get_or_none(
                (Touchpoint.store == store) & (Touchpoint.code == s["touchpoint"])
            )
            if found["touchpoint"] is None:
                detail = lazy_gettext(
                    "store %(store)s has no touchpoint %(code)s", store=repr(store.code), code=repr(s["touchpoint"])
                )
                raise RuleError(detail, "touchpoint")
    elif scope == "survey":
        found["survey"] = Survey.get_or_none(Survey.key == s["survey"])
        if found["survey"] is None:
            raise RuleError(lazy_gettext("there is no survey %(key)s", key=repr(s["survey"])), "survey")
    return found
