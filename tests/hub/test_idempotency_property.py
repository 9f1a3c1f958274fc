"""Delivery is idempotent: however a terminal's batches are split, repeated and reordered, the
hub ends in the state of every response delivered exactly once.

The expected state is computed here from the items themselves (answers, rollup counts per
local day, sequence ranges), never by asking a second database.

Hypothesis runs many examples inside one test function, so they share its function-scoped
database: each example starts by deleting what the previous one delivered.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.db import database
from shared.protocol import format_time, parse_time
from tests.hub.conftest import connected, rows

BERLIN = ZoneInfo("Europe/Berlin")
REASONS = ["queue", "staff", "stock", "cleanliness", "price"]

PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,  # no example database written into the working tree
)


# --- generating responses and delivery plans ----------------------------------------------


@st.composite
def captures(draw: st.DrawFn) -> list[dict]:
    """What 1-12 customers answered: a rating, maybe reasons, minutes before the hub's now
    (up to three days back, so local days and the UTC/Berlin midnight vary)."""
    n = draw(st.integers(min_value=1, max_value=12))
    return [
        {
            "rating": draw(st.integers(min_value=1, max_value=4)),
            "reasons": draw(st.lists(st.sampled_from(REASONS), unique=True, max_size=3)),
            "minutes_ago": draw(st.integers(min_value=0, max_value=3 * 24 * 60)),
        }
        for _ in range(n)
    ]


@st.composite
def delivery_plans(draw: st.DrawFn, n: int) -> list[list[int]]:
    """Batches of item indexes, with repeats and in any order; every item is in some batch."""
    batches = draw(
        st.lists(st.lists(st.integers(min_value=0, max_value=n - 1), max_size=2 * n), min_size=1, max_size=5)
    )
    for index in range(n):
        if not any(index in batch for batch in batches):
            batch = batches[draw(st.integers(min_value=0, max_value=len(batches) - 1))]
            batch.insert(draw(st.integers(min_value=0, max_value=len(batch))), index)
    return batches


def make_items(terminal, clock, specs: list[dict]) -> list[dict]:
    items = []
    for spec in specs:
        answers = [{"question": "rating", "kind": "smiley", "value": spec["rating"]}]
        if spec["reasons"]:
            answers.append({"question": "reason", "kind": "choice", "value": spec["reasons"]})
        captured = clock() - timedelta(minutes=spec["minutes_ago"])
        items.append(terminal.response(answers=answers, captured_at=format_time(captured)))
    return items


# --- the state, expected and actual -------------------------------------------------------


def reset_deliveries(app, terminal) -> None:
    """Forget everything delivered (children before parents) and the terminal's sequence state."""
    with connected(app), database.atomic():
        for table in ("answer", "response_conflict", "rollup_daily", "sync_log", "seen_nonce", "response"):
            database.execute_sql(f"DELETE FROM {table}")
        database.execute_sql(
            f"UPDATE terminal SET seq_ranges = '[]', last_seq = 0 WHERE id = {database.param}", (terminal.device_id,)
        )
    terminal.seq = 0


def expected_state(items: list[dict]) -> dict:
    answers, rollups = {}, Counter()
    for item in items:
        day = parse_time(item["captured_at"]).astimezone(BERLIN).date().isoformat()
        stored = []
        for answer in item["answers"]:
            if answer["kind"] == "choice":
                stored += [(answer["question"], "choice", None, option) for option in answer["value"]]
            else:
                stored.append((answer["question"], answer["kind"], answer["value"], None))
        answers[item["id"]] = sorted(stored, key=repr)
        for question, _kind, number, text in stored:
            rollups[("kiosk", question, day, str(number) if number is not None else text)] += 1
    seqs = sorted(item["seq"] for item in items)
    assert seqs == list(range(1, len(items) + 1))  # a reset terminal numbers its items 1..N
    return {
        "ids": {item["id"] for item in items},
        "answers": answers,
        "rollups": dict(rollups),
        "seq_ranges": [[1, len(items)]],
    }


def actual_state(app, terminal) -> dict:
    answers: dict[str, list] = {}
    for response_id, *answer in rows(app, "SELECT response_id, question, kind, number, text FROM answer"):
        answers.setdefault(str(response_id), []).append(tuple(answer))
    ((ranges,),) = rows(app, "SELECT seq_ranges FROM terminal WHERE id = ?", (terminal.device_id,))
    return {
        "ids": {str(response_id) for (response_id,) in rows(app, "SELECT id FROM response")},
        "answers": {key: sorted(value, key=repr) for key, value in answers.items()},
        "rollups": {
            (channel, question, str(day), value): n
            for channel, question, day, value, n in rows(
                app, "SELECT channel, question, day, value, count FROM rollup_daily"
            )
        },
        "seq_ranges": json.loads(ranges),
    }


def rollup_places(app) -> set[tuple]:
    """The (store, touchpoint) pairs the rollup counts for."""
    return set(rows(app, "SELECT DISTINCT store_id, touchpoint_id FROM rollup_daily"))


def terminal_place(app, terminal) -> tuple:
    ((store_id, touchpoint_id),) = rows(
        app, "SELECT store_id, touchpoint_id FROM terminal WHERE id = ?", (terminal.device_id,)
    )
    return (store_id, touchpoint_id)


# --- properties ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(data=st.data(), specs=captures())
def test_any_delivery_plan_ends_in_the_state_of_each_item_delivered_once(app, clock, terminal, data, specs):
    reset_deliveries(app, terminal)
    items = make_items(terminal, clock, specs)
    plan = data.draw(delivery_plans(len(items)), label="plan")

    delivered: set[str] = set()
    for batch in plan:
        answer = terminal.post_batch([items[i] for i in batch])
        assert answer.status_code == 200, answer.get_json()
        expected_statuses = []
        for i in batch:
            expected_statuses.append("duplicate" if items[i]["id"] in delivered else "accepted")
            delivered.add(items[i]["id"])
        assert [r["status"] for r in answer.get_json()["results"]] == expected_statuses

    assert actual_state(app, terminal) == expected_state(items)
    assert rollup_places(app) == {terminal_place(app, terminal)}


@PROPERTY_SETTINGS
@given(data=st.data(), specs=captures())
def test_an_item_sent_again_with_another_rating_is_a_conflict_and_changes_nothing(app, clock, terminal, data, specs):
    reset_deliveries(app, terminal)
    items = make_items(terminal, clock, specs)
    terminal.post_batch(items)
    index = data.draw(st.integers(min_value=0, max_value=len(items) - 1), label="index")
    old = items[index]["answers"][0]["value"]
    new = data.draw(st.sampled_from([r for r in range(1, 5) if r != old]), label="new rating")
    changed = {**items[index], "answers": [{"question": "rating", "kind": "smiley", "value": new}]}

    answer = terminal.post_batch([changed])

    assert answer.get_json()["results"] == [{"id": changed["id"], "status": "conflict", "code": "response_conflict"}]
    stored = rows(app, "SELECT number FROM answer WHERE response_id = ? AND question = 'rating'", (changed["id"],))
    assert stored == [(old,)]
    assert actual_state(app, terminal) == expected_state(items)
