"""Teams and their daily recommendation (hub/services/teams.py, hub/services/recommendations.py).

- ``team``: who works a store or a part of it (checkout team, fresh counter, service desk).
- ``team_reason``, ``team_touchpoint``: the reasons (options of the survey's choice questions)
  and touchpoints a team answers for; a team with no reason answers for every reason.
- ``team_member``: the people (app_user) of the team's store in it.
- ``recommendation``: one per store, team and store-local day (``team_key`` is the team's id,
  0 for the whole-store team of a store without teams), made by the morning job and kept, so it
  is the same wherever it is shown that day; ``reason`` None when nothing stands out. ``data``
  holds the evidence as it was that morning (figures, comment answer ids, what was tried).
  A dismissal keeps who, when and the word why.
- ``recommendation_event``: its audit trail (made, dismissed).
"""

STATEMENTS = [
    """CREATE TABLE team (
        id {serial},
        store_id INTEGER NOT NULL REFERENCES store (id),
        name TEXT NOT NULL,
        created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL,
        UNIQUE (store_id, name))""",
    """CREATE TABLE team_reason (
        team_id INTEGER NOT NULL REFERENCES team (id),
        option TEXT NOT NULL,
        PRIMARY KEY (team_id, option))""",
    """CREATE TABLE team_touchpoint (
        team_id INTEGER NOT NULL REFERENCES team (id),
        touchpoint_id INTEGER NOT NULL REFERENCES touchpoint (id),
        PRIMARY KEY (team_id, touchpoint_id))""",
    """CREATE TABLE team_member (
        team_id INTEGER NOT NULL REFERENCES team (id),
        user_id INTEGER NOT NULL REFERENCES app_user (id),
        PRIMARY KEY (team_id, user_id))""",
    "CREATE INDEX team_member_user ON team_member (user_id)",
    """CREATE TABLE recommendation (
        id {serial},
        store_id INTEGER NOT NULL REFERENCES store (id),
        team_key INTEGER NOT NULL,
        team_id INTEGER REFERENCES team (id),
        team_name TEXT NOT NULL,
        day DATE NOT NULL,
        question TEXT,
        reason TEXT,
        data TEXT NOT NULL,
        made_at {ts} NOT NULL,
        dismissed_at {ts},
        dismissed_by_id INTEGER REFERENCES app_user (id),
        dismissed_note TEXT,
        UNIQUE (store_id, team_key, day))""",
    "CREATE INDEX recommendation_day ON recommendation (day, store_id)",
    """CREATE TABLE recommendation_event (
        id {serial},
        recommendation_id INTEGER NOT NULL REFERENCES recommendation (id),
        at {ts} NOT NULL,
        user_id INTEGER REFERENCES app_user (id),
        kind TEXT NOT NULL,
        text TEXT)""",
    "CREATE INDEX recommendation_event_of ON recommendation_event (recommendation_id, at)",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
