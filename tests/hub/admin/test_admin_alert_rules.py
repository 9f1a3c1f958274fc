"""/admin/alert-rules: rules added, changed and switched on and off through the pages, checked
by the rule service; a webhook secret is shown once, then only its end."""

from __future__ import annotations

import json
from typing import Any

from tests.hub.conftest import rows

RULE = {
    "name": "Queue trouble",
    "kind": "response",
    "scope": "store",
    "store": "B001",
    "condition": '{"reason_in": ["queue"], "rating_at_most": 2}',
    "email": "on",
    "throttle_minutes": "10",
    "sla_minutes": "45",
    "quiet_hours": "on",
    "active": "on",
}


def test_a_rule_added_on_the_page_is_stored_as_given(admin: Any, app: Any, people: Any) -> None:
    answer = admin.post("/admin/alert-rules", RULE)
    assert answer.status_code == 200
    (kind, scope, store, condition, email, throttle, sla, quiet, active) = rows(
        app,
        "SELECT r.kind, r.scope, s.code, r.condition, r.email, r.throttle_minutes, r.sla_minutes, r.quiet_hours, "
        "r.active FROM alert_rule r JOIN store s ON s.id = r.store_id WHERE r.name = 'Queue trouble'",
    )[0]
    assert (kind, scope, store, throttle, sla) == ("response", "store", "B001", 10, 45)
    assert json.loads(condition) == {"reason_in": ["queue"], "rating_at_most": 2}
    assert email and quiet and active
    assert "Queue trouble" in admin.text("/admin/alert-rules")


def test_a_rule_that_cannot_work_is_refused_with_the_reason(admin: Any, app: Any, people: Any) -> None:
    cases = {
        '{"rating_at_most": 0}': "rating_at_most must be a whole number",
        '{"reason_in": ["weather"]}': "no survey offers the reason",
        "{not json": "not valid JSON",
    }
    for condition, why in cases.items():
        answer = admin.post("/admin/alert-rules", {**RULE, "condition": condition})
        assert answer.status_code == 400 and why in answer.get_data(as_text=True), condition
    no_channel = admin.post("/admin/alert-rules", {k: v for k, v in RULE.items() if k != "email"})
    assert "a rule needs a channel" in no_channel.get_data(as_text=True)
    assert rows(app, "SELECT COUNT(*) FROM alert_rule WHERE name = 'Queue trouble'") == [(0,)]


def test_a_rule_is_changed_and_switched_off_and_on(admin: Any, app: Any, people: Any) -> None:
    (rule_id,) = rows(app, "SELECT id FROM alert_rule WHERE key = 'very_unhappy'")[0]
    changed = admin.post(
        f"/admin/alert-rules/{rule_id}",
        {**RULE, "scope": "region", "region": "North", "condition": '{"rating_at_most": 1}'},
    )
    assert changed.status_code == 302
    stored = rows(
        app,
        f"SELECT r.scope, g.name, r.sla_minutes FROM alert_rule r JOIN region g ON g.id = r.region_id "
        f"WHERE r.id = {rule_id}",
    )
    assert stored == [("region", "North", 45)]
    admin.post(f"/admin/alert-rules/{rule_id}/active", {})
    assert not rows(app, f"SELECT active FROM alert_rule WHERE id = {rule_id}")[0][0]
    admin.post(f"/admin/alert-rules/{rule_id}/active", {"active": "on"})
    assert rows(app, f"SELECT active FROM alert_rule WHERE id = {rule_id}")[0][0]


def test_a_webhook_secret_is_shown_once_and_then_only_its_end(admin: Any, app: Any, people: Any) -> None:
    answer = admin.post(
        "/admin/alert-rules", {**RULE, "webhook_url": "https://hooks.example.org/x", "webhook_format": "slack"}
    )
    ((rule_id, secret),) = rows(app, "SELECT id, webhook_secret FROM alert_rule WHERE name = 'Queue trouble'")
    assert secret in answer.get_data(as_text=True) and answer.headers["Cache-Control"] == "no-store"
    later = admin.text(f"/admin/alert-rules/{rule_id}")
    assert secret not in later and secret[-4:] in later
    assert secret not in admin.text("/admin/alert-rules")
    assert secret not in admin.client.application.test_client().get(f"/admin/alert-rules/{rule_id}").get_data(
        as_text=True
    )


def test_rule_names_with_markup_are_escaped(admin: Any, people: Any) -> None:
    evil = "<script>document.title='x'</script>"
    admin.post("/admin/alert-rules", {**RULE, "name": evil})
    for page in ("/admin/alert-rules",):
        text = admin.text(page)
        assert evil not in text and "&lt;script&gt;" in text


def test_the_silent_terminal_rule_is_listed_and_keeps_its_one_condition(admin: Any, app: Any, people: Any) -> None:
    assert "a terminal silent in opening hours" in admin.text("/admin/alert-rules")
    (rule_id,) = rows(app, "SELECT id FROM alert_rule WHERE key = 'terminal_silent'")[0]
    answer = admin.post(
        f"/admin/alert-rules/{rule_id}",
        {**RULE, "kind": "window", "scope": "all", "condition": '{"terminal_silent": true, "window_minutes": 5}'},
    )
    assert answer.status_code == 400 and "nothing else" in answer.get_data(as_text=True)


def test_every_kind_of_rule_keeps_its_kind_on_the_form(admin: Any, app: Any, people: Any) -> None:
    for kind, condition in (("window", '{"index_below": -20}'), ("signal", '{"kpi_in": ["smiley_index"]}')):
        answer = admin.post(
            "/admin/alert-rules", {**RULE, "name": f"A {kind} rule", "kind": kind, "condition": condition}
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert f'<option value="{kind}" selected>' in answer.get_data(as_text=True)
    assert rows(
        app, "SELECT kind FROM alert_rule WHERE name IN (?, ?) ORDER BY id", ("A window rule", "A signal rule")
    ) == [("window",), ("signal",)]
