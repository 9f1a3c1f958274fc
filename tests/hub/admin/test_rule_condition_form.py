"""An alert rule's condition as form fields and back (hub/admin/rule_condition_form.py): every
condition the rule service takes survives the round trip through the fields, only the fields
of the rule's kind are read, and what is not a number reaches the rule check as written."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from hub.admin.rule_condition_form import condition_from_form, field_of, form_from_condition
from hub.services.alerts.conditions import (
    parse_action_condition,
    parse_response_condition,
    parse_signal_condition,
    parse_window_condition,
)

CONDITIONS = [
    ("response", {"rating_at_most": 1}),
    ("response", {"nps_at_most": 6, "with_comment": True}),
    ("response", {"contact_requested": True, "reason_in": ["queue", "staff"]}),
    ("window", {"negative_share_at_least": 50, "window_minutes": 15, "min_responses": 4}),
    ("window", {"index_below": -20.5, "window_minutes": 60, "min_responses": 10}),
    ("window", {"volume_drop_percent": 70, "window_minutes": 60, "baseline_days": 7, "min_responses": 5}),
    ("window", {"terminal_silent": True}),
    ("signal", {}),
    ("signal", {"kpi_in": ["smiley_index"]}),
    ("action", {}),
    ("action", {"events_in": ["action.task_done"]}),
]
PARSERS = {
    "response": parse_response_condition,
    "window": parse_window_condition,
    "signal": parse_signal_condition,
    "action": parse_action_condition,
}


def as_form(fields: dict) -> MultiDict:
    """The fields as a browser sends them: boxes one value each, unticked boxes and empty fields not at all."""
    sent = MultiDict()
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            if one not in ("", None):
                sent.add(name, one)
    return sent


@pytest.mark.parametrize(("kind", "condition"), CONDITIONS, ids=[repr(c) for _, c in CONDITIONS])
def test_a_condition_survives_the_form(kind, condition):
    again = condition_from_form(kind, as_form(form_from_condition(kind, condition)))
    assert again == condition
    PARSERS[kind](again)  # and the rule service takes it


def test_only_the_fields_of_the_rules_kind_are_read():
    form = MultiDict({"c.rating_at_most": "2", "c.measure": "index_below", "c.threshold": "-10", "c.kpi_in": "x"})
    assert condition_from_form("response", form) == {"rating_at_most": 2}
    assert condition_from_form("window", form) == {"index_below": -10}


def test_what_is_no_number_reaches_the_check_as_written_and_is_shown_beside_its_field():
    form = MultiDict({"c.measure": "index_below", "c.threshold": "low", "c.window_minutes": "1,5"})
    condition = condition_from_form("window", form)
    assert condition == {"index_below": "low", "window_minutes": 1.5}
    assert field_of("condition.index_below") == "c.threshold"
    assert field_of("condition.reason_in") == "c.reason_in"
    assert field_of("condition") == "c" and field_of("touchpoint") == "place" and field_of("name") == "name"
