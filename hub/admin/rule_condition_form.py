"""An alert rule's condition as form fields, and back: what hub/services/alerts/conditions.py
takes, written with selects, numbers and checkboxes instead of JSON.

Fields are named ``c.<setting>``: for a response rule ``c.rating_at_most`` (1-5),
``c.nps_at_most`` (0-10), ``c.with_comment``, ``c.contact_requested`` and ``c.reason_in`` (one
box per reason); for a window rule ``c.measure`` (a measure or a silent terminal),
``c.threshold``, ``c.window_minutes``, ``c.min_responses`` and ``c.baseline_days``; for a signal
rule ``c.kpi_in``; for an action rule ``c.events_in``. Only the fields of the rule's kind are
read. What is not a number is passed on as written, so the rule's own check names the field
and says what is wrong. Nothing here touches the database or Flask.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hub.services.alerts.conditions import (
    ACTION_EVENTS,
    RESPONSE_KEYS,
    SIGNAL_KPIS,
    TERMINAL_SILENT,
    WINDOW_MEASURES,
    WINDOW_SETTINGS,
)

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
FLAGS = ("with_comment", "contact_requested")


def _number(text: str | None) -> Any:
    """A number as the form wrote it; the text itself when it is none (the check refuses it)."""
    text = (text or "").strip().replace(",", ".")
    if not _NUMBER.fullmatch(text):
        return text
    return float(text) if "." in text else int(text)


def condition_from_form(kind: str, form: Any) -> dict[str, Any]:
    """The condition of a rule of ``kind`` that the form's ``c.*`` fields say.
    ``form`` is a werkzeug MultiDict (``getlist``)."""
    if kind == "window":
        return _window(form)
    if kind == "signal":
        return _every_or_some(form, "kpi_in", SIGNAL_KPIS)
    if kind == "action":
        return _every_or_some(form, "events_in", ACTION_EVENTS)
    condition: dict[str, Any] = {}
    for key in ("rating_at_most", "nps_at_most"):
        if (form.get(f"c.{key}") or "").strip():
            condition[key] = _number(form.get(f"c.{key}"))
    for flag in FLAGS:
        if form.get(f"c.{flag}"):
            condition[flag] = True
    reasons = [r for r in form.getlist("c.reason_in") if r]
    if reasons:
        condition["reason_in"] = reasons
    return condition


def _window(form: Any) -> dict[str, Any]:
    measure = (form.get("c.measure") or "").strip()
    if measure == TERMINAL_SILENT:
        return {TERMINAL_SILENT: True}
    condition = {measure: _number(form.get("c.threshold"))}
    for setting in WINDOW_SETTINGS:
        if setting == "baseline_days" and measure != "volume_drop_percent":
            continue
        if (form.get(f"c.{setting}") or "").strip():
            condition[setting] = _number(form.get(f"c.{setting}"))
    return condition


def _every_or_some(form: Any, key: str, every: tuple[str, ...]) -> dict[str, Any]:
    """{} for every one (none ticked or all ticked), else the ones ticked."""
    chosen = [value for value in form.getlist(f"c.{key}") if value]
    return {} if not chosen or set(chosen) == set(every) else {key: chosen}


def form_from_condition(kind: str, condition: Mapping[str, Any]) -> dict[str, Any]:
    """The ``c.*`` fields that show a saved condition (lists for the boxes)."""
    fields: dict[str, Any] = {}
    if kind == "window":
        measure = next((m for m in (*WINDOW_MEASURES, TERMINAL_SILENT) if m in condition), "")
        fields["c.measure"] = measure
        if measure != TERMINAL_SILENT:
            fields["c.threshold"] = _text(condition.get(measure))
        for setting in WINDOW_SETTINGS:
            fields[f"c.{setting}"] = _text(condition.get(setting))
    elif kind == "signal":
        fields["c.kpi_in"] = list(condition.get("kpi_in") or SIGNAL_KPIS)
    elif kind == "action":
        fields["c.events_in"] = list(condition.get("events_in") or ACTION_EVENTS)
    else:
        for key in RESPONSE_KEYS:
            if key == "reason_in":
                fields["c.reason_in"] = list(condition.get("reason_in") or [])
            elif key in FLAGS:
                fields[f"c.{key}"] = "on" if condition.get(key) else ""
            else:
                fields[f"c.{key}"] = _text(condition.get(key))
    return fields


def _text(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def field_of(setting: str) -> str:
    """The form field a refused setting is shown beside: ``condition.rating_at_most`` is
    ``c.rating_at_most``, a window's measure is its threshold, the whole condition ``c``, a
    touchpoint the ``place`` choice."""
    if setting == "touchpoint":
        return "place"
    if not setting.startswith("condition"):
        return setting
    name = setting.partition(".")[2]
    if name in WINDOW_MEASURES:
        return "c.threshold"
    if name == TERMINAL_SILENT:
        return "c.measure"
    return f"c.{name}" if name else "c"
