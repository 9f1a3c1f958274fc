"""Actions and projects (hub/services/actions.py): what people decided to do about a figure,
who does it, by when, and since when it is in effect, so its effect can be measured
(hub/services/action_effects.py).

- ``action_project``: a name that groups actions, often one per store ("second till at peak
  hours in all Berlin stores").
- ``action``: a title, the goal figure (``kpi``: smiley_index, nps, csat or reason_share with
  its ``reason`` option, and the direction that counts as better), the scope it is measured
  for (``scope_key`` all | region:<id> | store:<id> | touchpoint:<id>, with the region, store
  or touchpoint), an owner, a due date, a state (planned, in_progress, done, dropped) and
  ``effect_from``: the first local day it is in effect. Where it came from: ``origin`` (hand,
  driver, signal, case, theme) and the signal it answers.
- ``action_participant``, ``action_case``: the people working it and the cases linked to it
  (several cases may link to one action).
- ``action_task``: one step one person does, with its due date and when it was done.
- ``action_event``: the audit trail, comments included (``kind`` commented).
"""

STATEMENTS = [
    """CREATE TABLE action_project (
        id {serial},
        name TEXT NOT NULL,
        description TEXT,
        created_by_id INTEGER REFERENCES app_user (id),
        created_at {ts} NOT NULL)""",
    """CREATE TABLE action (
        id {serial},
        project_id INTEGER REFERENCES action_project (id),
        title TEXT NOT NULL,
        description TEXT,
        kpi TEXT NOT NULL,
        reason TEXT,
        goal_direction TEXT NOT NULL,
        scope_key TEXT NOT NULL,
        region_id INTEGER REFERENCES region (id),
        store_id INTEGER REFERENCES store (id),
        touchpoint_id INTEGER REFERENCES touchpoint (id),
        owner_id INTEGER REFERENCES app_user (id),
        state TEXT NOT NULL,
        due_on DATE,
        effect_from DATE,
        origin TEXT NOT NULL,
        signal_id INTEGER REFERENCES signal (id),
        created_by_id INTEGER REFERENCES app_user (id),
        created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL,
        closed_at {ts})""",
    "CREATE INDEX action_store ON action (store_id, state)",
    "CREATE INDEX action_region ON action (region_id, state)",
    "CREATE INDEX action_project_actions ON action (project_id)",
    """CREATE TABLE action_participant (
        action_id INTEGER NOT NULL REFERENCES action (id),
        user_id INTEGER NOT NULL REFERENCES app_user (id),
        PRIMARY KEY (action_id, user_id))""",
    """CREATE TABLE action_case (
        action_id INTEGER NOT NULL REFERENCES action (id),
        case_id INTEGER NOT NULL REFERENCES alert_case (id),
        linked_at {ts} NOT NULL,
        PRIMARY KEY (action_id, case_id))""",
    "CREATE INDEX action_case_case ON action_case (case_id)",
    """CREATE TABLE action_task (
        id {serial},
        action_id INTEGER NOT NULL REFERENCES action (id),
        title TEXT NOT NULL,
        assignee_id INTEGER REFERENCES app_user (id),
        due_on DATE,
        done_at {ts},
        done_by_id INTEGER REFERENCES app_user (id),
        created_at {ts} NOT NULL)""",
    "CREATE INDEX action_task_action ON action_task (action_id)",
    """CREATE TABLE action_event (
        id {serial},
        action_id INTEGER NOT NULL REFERENCES action (id),
        at {ts} NOT NULL,
        user_id INTEGER REFERENCES app_user (id),
        kind TEXT NOT NULL,
        text TEXT,
        data TEXT)""",
    "CREATE INDEX action_event_action ON action_event (action_id, at)",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
