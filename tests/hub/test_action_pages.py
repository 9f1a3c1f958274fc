"""The action pages (/actions): made from a form (CSRF, typed text kept when refused), from a
reason on the drivers page, worked with tasks and comments, another store's action a 404,
HQ's counts, the CSV export, and the effect with its chart."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from hub.clock import now as hub_now
from hub.models import Action, ActionEvent, ActionTask, User
from hub.services import actions
from hub.services.access import scope_for
from tests.hub.alerting import sign_in_as
from tests.hub.conftest import START, connected


def _new(client, token, **fields):
    return client.post("/actions/new", data={"csrf_token": token, **fields})


def _made(app, person, store, **extra):
    with connected(app):
        fields = {"title": "Second till at peak hours", "kpi": "smiley_index", "scope": f"store:{store.id}", **extra}
        return actions.create_action(scope_for(person), person, fields, now=START)


def test_a_store_manager_creates_an_action_through_the_form_and_lands_on_its_page(app, client, people, store):
    token = sign_in_as(client, people["mia"])

    answer = _new(client, token, title="Second till at peak hours", kpi="smiley_index", scope=f"store:{store.id}")

    assert answer.status_code == 302
    page = client.get(answer.headers["Location"])
    assert page.status_code == 200
    assert "Second till at peak hours" in page.get_data(as_text=True)
    with connected(app):
        assert Action.get().created_by_id == people["mia"].id


def test_a_form_without_the_csrf_token_is_refused_and_makes_nothing(app, client, people, store):
    sign_in_as(client, people["mia"])

    answer = client.post("/actions/new", data={"title": "x", "kpi": "nps", "scope": f"store:{store.id}"})

    assert answer.status_code == 403
    with connected(app):
        assert Action.select().count() == 0


def test_a_refused_form_says_why_and_keeps_what_was_typed(app, client, people, other_store):
    token = sign_in_as(client, people["mia"])

    answer = _new(
        client, token, title="Fix the <b>queue</b>", description="Because", kpi="nps", scope=f"store:{other_store.id}"
    )

    body = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "in your stores" in body
    assert 'value="Fix the &lt;b&gt;queue&lt;/b&gt;"' in body
    assert ">Because</textarea>" in body


def test_the_drivers_page_link_fills_the_form_with_the_reason_and_the_store(app, client, people, store):
    sign_in_as(client, people["mia"])

    page = client.get("/actions/new?kpi=reason_share&reason=queue&store=B001&origin=driver&title=Waiting+at+the+till")

    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<option value="reason_share" selected>' in body
    assert '<option value="queue" selected>' in body
    assert f'<option value="store:{store.id}" selected>' in body
    assert '<input type="hidden" name="origin" value="driver">' in body


def test_another_stores_action_is_not_found_on_its_page_and_for_every_step(app, client, people, store, other_store):
    theirs = _made(app, people["hans"], other_store)
    token = sign_in_as(client, people["mia"])

    assert client.get(f"/actions/{theirs.id}").status_code == 404
    for path, data in (
        ("edit", {"state": "done"}),
        ("tasks", {"title": "x"}),
        ("comment", {"text": "x"}),
        ("cases", {"case": "1"}),
    ):
        assert client.post(f"/actions/{theirs.id}/{path}", data={"csrf_token": token, **data}).status_code == 404
    with connected(app):
        assert Action.get_by_id(theirs.id).state == "planned"
        assert ActionEvent.select().where(ActionEvent.action == theirs.id).count() == 1


def test_a_task_is_added_and_done_from_the_page(app, client, people, store):
    action = _made(app, people["mia"], store)
    token = sign_in_as(client, people["mia"])

    added = client.post(
        f"/actions/{action.id}/tasks",
        data={"csrf_token": token, "title": "Call the area manager", "assignee": str(people["mia"].id)},
    )
    with connected(app):
        task = ActionTask.get()
    done = client.post(f"/actions/{action.id}/tasks/{task.id}", data={"csrf_token": token, "done": "1"})

    assert added.status_code == done.status_code == 302
    with connected(app):
        assert ActionTask.get_by_id(task.id).done_by_id == people["mia"].id
    page = client.get(f"/actions/{action.id}").get_data(as_text=True)
    assert 'class="task done"' in page


def test_a_refused_comment_keeps_the_page_and_a_state_change_is_saved(app, client, people, store):
    action = _made(app, people["mia"], store)
    token = sign_in_as(client, people["mia"])

    refused = client.post(f"/actions/{action.id}/comment", data={"csrf_token": token, "text": "x" * 5000})
    saved = client.post(
        f"/actions/{action.id}/edit",
        data={
            "csrf_token": token,
            "state": "in_progress",
            "effect_from": "2026-11-23",
            "due_on": "",
            "owner": str(people["mia"].id),
        },
    )

    assert refused.status_code == 422
    assert "x" * 5000 + "</textarea>" in refused.get_data(as_text=True)
    assert saved.status_code == 302
    with connected(app):
        stored = Action.get_by_id(action.id)
        assert (stored.state, stored.effect_from) == ("in_progress", date(2026, 11, 23))


def test_hq_sees_every_actions_progress_and_a_manager_only_theirs(app, client, people, store, other_store):
    _made(app, people["mia"], store, due_on="2026-11-01")
    _made(app, people["hans"], other_store, title="Clean the entrance")

    sign_in_as(client, people["ana"])
    hq = client.get("/actions").get_data(as_text=True)
    sign_in_as(client, people["mia"])
    mia = client.get("/actions").get_data(as_text=True)

    assert 'data-count="overdue">1<' in hq and 'data-count="planned">2<' in hq
    assert "Clean the entrance" in hq and "Second till" in hq
    assert "Clean the entrance" not in mia and "Second till" in mia


def test_the_csv_export_holds_the_actions_in_scope_with_their_progress(app, client, people, store, other_store):
    mine = _made(app, people["mia"], store, due_on="2026-11-01")
    _made(app, people["hans"], other_store)
    sign_in_as(client, people["mia"])

    answer = client.get("/actions/export.csv")

    rows = list(csv.DictReader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert answer.mimetype == "text/csv"
    assert [(r["id"], r["state"], r["overdue"], r["effect"]) for r in rows] == [
        (str(mine.id), "planned", "yes", "pending")
    ]


def test_the_page_shows_the_measured_effect_with_the_trend_and_the_start_marked(app, client, people):
    from tests.hub.action_data import planted_fleet

    fleet = planted_fleet(app)
    with connected(app):
        admin = User.get(User.email == "admin@example.org")
        action = actions.create_action(
            scope_for(admin),
            admin,
            {
                "title": "Second till",
                "kpi": "smiley_index",
                "scope": f"region:{fleet.region_id}",
                "effect_from": "2026-09-28",
            },
            now=START,
        )
        assert hub_now() == START
    app.config["CLOCK"].at = datetime(2026, 10, 26, 10, 0, tzinfo=UTC)
    sign_in_as(client, people["admin"])

    page = client.get(f"/actions/{action.id}").get_data(as_text=True)

    assert 'id="verdict">clear improvement<' in page
    assert "A clear improvement: +" in page
    assert '<line class="marker"' in page
    assert page.count('<polyline class="series other"') >= 1
    assert "<td>2026-09-28</td>" in page
    listed = client.get("/actions").get_data(as_text=True)
    assert f'data-action="{action.id}"' in listed and 'data-verdict="clear"' in listed


def test_a_title_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(app, client, people, store):
    _made(app, people["mia"], store, title='=HYPERLINK("http://example.org")')
    sign_in_as(client, people["mia"])

    rows = list(csv.DictReader(io.StringIO(client.get("/actions/export.csv").get_data().decode("utf-8-sig"))))

    assert rows[0]["title"] == '\'=HYPERLINK("http://example.org")'


def test_an_action_started_from_a_case_links_it(app, client, people, store):
    from hub.models import AlertRule, Case

    with connected(app):
        case = Case.create(
            store=store.id,
            rule=AlertRule.select().first(),
            state="open",
            opened_at=START,
            last_alert_at=START,
            alert_count=1,
            escalation_level=0,
            misrouted=False,
        )
    token = sign_in_as(client, people["mia"])

    form = client.get(f"/actions/new?case={case.id}&store=B001").get_data(as_text=True)
    made = _new(
        client,
        token,
        title="Train the team on returns",
        kpi="smiley_index",
        scope=f"store:{store.id}",
        origin="case",
        cases=str(case.id),
    )

    assert f'name="cases" value="{case.id}"' in form and 'name="origin" value="case"' in form
    assert made.status_code == 302
    with connected(app):
        action = Action.get()
        assert (action.origin, actions.linked_cases(scope_for(people["mia"]), action)) == ("case", [case.id])


def test_the_effect_is_said_in_the_persons_language(app, client, people, store):
    with connected(app):
        User.update(language="de").where(User.id == people["mia"].id).execute()
    action = _made(app, people["mia"], store, effect_from="2026-11-16")  # a week ago, no answers at all
    sign_in_as(client, people["mia"])

    page = client.get(f"/actions/{action.id}").get_data(as_text=True)

    assert 'id="verdict">Wirkung ausstehend<' in page
    assert "Zu wenige Antworten vor der Maßnahme (0 in den 28 Tagen bis 15.11.2026, 200 nötig)" in page


def test_a_case_page_names_the_actions_linked_to_it(app, client, people, store):
    from hub.models import AlertRule, Case

    with connected(app):
        case = Case.create(
            store=store.id,
            rule=AlertRule.select().first(),
            state="open",
            opened_at=START,
            last_alert_at=START,
            alert_count=1,
            escalation_level=0,
            misrouted=False,
        )
    action = _made(app, people["mia"], store, origin="case", cases=[case.id], title="Train the <team>")
    sign_in_as(client, people["mia"])

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert f'<a href="/actions/{action.id}">Train the &lt;team&gt;</a>' in page


def test_an_action_started_from_a_signal_answers_it(app, client, people, store):
    from hub.models import Signal

    with connected(app):
        day = date(2026, 11, 22)
        signal = Signal.create(
            store=store.id,
            kpi="smiley_index",
            window_start=day,
            window_end=day,
            baseline_start=day,
            baseline_end=day,
            current_value=10.0,
            current_n=50,
            baseline_value=30.0,
            baseline_n=400,
            p_value=0.0001,
            test="welch",
            detected_at=START,
            state="open",
        )
    token = sign_in_as(client, people["mia"])

    form = client.get(f"/actions/new?signal={signal.id}&store=B001&kpi=smiley_index").get_data(as_text=True)
    made = _new(
        client,
        token,
        title="Find out what went wrong",
        kpi="smiley_index",
        scope=f"store:{store.id}",
        origin="signal",
        signal=str(signal.id),
    )

    assert f'name="signal" value="{signal.id}"' in form and 'name="origin" value="signal"' in form
    assert made.status_code == 302
    with connected(app):
        assert (Action.get().origin, Action.get().signal_id) == ("signal", signal.id)
