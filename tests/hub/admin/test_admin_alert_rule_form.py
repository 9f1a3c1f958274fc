"""/admin/alert-rules: a rule's condition set with form fields (rating at most, NPS at most,
a comment, a contact asked for, reasons; a window's measure, threshold, minutes and responses;
a signal's figures; an action's events), on SQLite and PostgreSQL. What the page fills in is
what is posted; a refused condition comes back as it was sent with the problem beside its
field and nothing stored; the JSON of the experts' text area still works."""

from __future__ import annotations

import json
from typing import Any

from tests.hub.admin.test_admin_survey_questions import changed, filled
from tests.hub.conftest import rows

RULES = "/admin/alert-rules"


def new_rule(admin: Any, **values: str) -> dict[str, Any]:
    """The page's "add a rule" form as it is filled in, with ``values`` (dots as __) changed."""
    form = changed(filled(admin.text(RULES), RULES), **{"name": "Form rule", **values})
    form.pop("condition_from", None)
    form["condition_from"] = ["form"]
    return form


def stored(app: Any, name: str = "Form rule") -> list[tuple[str, dict[str, Any]]]:
    return [
        (kind, json.loads(c)) for kind, c in rows(app, "SELECT kind, condition FROM alert_rule WHERE name = ?", (name,))
    ]


def beside(page: str, field: str) -> str:
    """The problem shown beside ``field`` (its element follows the field)."""
    start = page.index(f'id="e-{field.replace(".", "-")}"')
    return page[start : page.index("</p>", start)]


def test_a_response_condition_is_made_of_fields(admin: Any, app: Any, people: Any) -> None:
    form = new_rule(admin, c__rating_at_most="2", c__contact_requested="on")
    form["c.reason_in"] = ["queue", "staff"]
    form.pop("c.with_comment", None)
    answer = admin.post(RULES, form)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:1500]
    assert stored(app) == [
        ("response", {"rating_at_most": 2, "contact_requested": True, "reason_in": ["queue", "staff"]})
    ]


def test_the_add_form_starts_on_rating_at_most_one(admin: Any, people: Any) -> None:
    fields = dict(filled(admin.text(RULES), RULES))
    assert fields["c.rating_at_most"] == "1" and fields["kind"] == "response" and fields["condition_from"] == "form"


def test_a_window_condition_is_made_of_fields(admin: Any, app: Any, people: Any) -> None:
    form = new_rule(
        admin,
        kind="window",
        c__measure="index_below",
        c__threshold="-20",
        c__window_minutes="60",
        c__min_responses="10",
        c__baseline_days="3",  # only a volume drop compares days: not read
    )
    assert admin.post(RULES, form).status_code == 200
    assert stored(app) == [("window", {"index_below": -20, "window_minutes": 60, "min_responses": 10})]


def test_signal_and_action_rules_take_the_ticked_boxes(admin: Any, app: Any, people: Any) -> None:
    signal = new_rule(admin, kind="signal", name="Signals")
    signal["c.kpi_in"] = ["unhappy_share"]
    assert admin.post(RULES, signal).status_code == 200
    assert stored(app, "Signals") == [("signal", {"kpi_in": ["unhappy_share"]})]
    every = new_rule(admin, kind="signal", name="Every signal")
    every["c.kpi_in"] = ["smiley_index", "unhappy_share"]
    assert admin.post(RULES, every).status_code == 200
    assert stored(app, "Every signal") == [("signal", {})]


def test_a_refused_condition_comes_back_filled_with_the_problem_beside_its_field(
    admin: Any, app: Any, people: Any
) -> None:
    form = new_rule(
        admin, kind="window", c__measure="negative_share_at_least", c__threshold="lots", c__window_minutes="15"
    )
    answer = admin.post(RULES, form)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "negative_share_at_least must be a number" in beside(page, "c.threshold")
    again = dict(filled(page, RULES))
    assert again["name"] == "Form rule" and again["kind"] == "window" and again["c.threshold"] == "lots"
    assert again["c.measure"] == "negative_share_at_least"
    assert 'aria-describedby="e-c-threshold"' in page
    assert stored(app) == []

    reasons = new_rule(admin)
    reasons["c.reason_in"] = ["weather"]  # no survey offers it
    page = admin.post(RULES, reasons).get_data(as_text=True)
    assert "no survey offers the reason" in beside(page, "c.reason_in")
    assert stored(app) == []


def test_a_rule_page_shows_its_condition_in_the_fields_and_keeps_it_when_saved(
    admin: Any, app: Any, people: Any
) -> None:
    assert admin.post(RULES, new_rule(admin, c__rating_at_most="2", c__with_comment="on")).status_code == 200
    [(rule_id,)] = rows(app, "SELECT id FROM alert_rule WHERE name = 'Form rule'")
    page = admin.text(f"{RULES}/{rule_id}")
    fields = dict(filled(page, f"{RULES}/{rule_id}"))
    assert fields["c.rating_at_most"] == "2" and fields["c.with_comment"] == "on"
    form = changed(filled(page, f"{RULES}/{rule_id}"), c__nps_at_most="6")
    assert admin.post(f"{RULES}/{rule_id}", form).status_code == 302
    assert stored(app) == [("response", {"rating_at_most": 2, "nps_at_most": 6, "with_comment": True})]


def test_the_experts_json_is_used_when_chosen(admin: Any, app: Any, people: Any) -> None:
    form = new_rule(admin, condition='{"nps_at_most": 3}')
    form["condition_from"] = ["form", "json"]
    assert admin.post(RULES, form).status_code == 200
    assert stored(app) == [("response", {"nps_at_most": 3})]


def test_the_form_needs_its_csrf_token(admin: Any, app: Any, people: Any) -> None:
    form = new_rule(admin)
    answer = admin.client.post(RULES, data={k: v for k, v in form.items() if k != "csrf_token"})
    assert answer.status_code in (400, 403)
    assert stored(app) == []


def test_a_refused_setting_is_shown_beside_its_own_field(admin: Any, app: Any, people: Any) -> None:
    no_channel = new_rule(admin)
    no_channel.pop("email", None)
    page = admin.post(RULES, no_channel).get_data(as_text=True)
    assert "a rule needs a channel" in beside(page, "email")
    bad_url = new_rule(admin, webhook_url="ftp://example.org")
    page = admin.post(RULES, bad_url).get_data(as_text=True)
    assert "webhook_url must be an http" in beside(page, "webhook_url")
    assert 'aria-describedby="e-webhook_url"' in page
    touchpoint = new_rule(admin, scope="touchpoint", place="B001/nowhere")
    page = admin.post(RULES, touchpoint).get_data(as_text=True)
    assert beside(page, "place")
    assert stored(app) == []


def test_reasons_are_offered_by_their_text_in_the_persons_language(admin: Any, people: Any) -> None:
    page = admin.text(RULES)
    box = page[page.index('name="c.reason_in" value="queue"') :]
    assert box[: box.index("</label>")].endswith("Waiting at the till <code>queue</code>")
