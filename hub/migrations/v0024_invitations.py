"""Invitations to give feedback after a visit or a contact (hub/services/invitations.py), and
the contact centre's side of a contact (hub/services/contact_centre.py).

- ``invitation``: one customer asked for feedback about one visit or contact, unique by the
  asking system (``source``) and its receipt or contact id (``reference``), so a retried request
  invites once. The address is sealed (``address_sealed``, AES-GCM bound to the public id) and
  blanked once nothing will be sent to it any more; ``address_hash`` (HMAC under a key derived
  from the hub's secret, never the plain address) is what the interval rule compares, and is
  blanked after the interval. ``public_id`` names the invitation in its links and in the
  phone page's receipt (``inv:<public_id>``), so the phone page takes one response for it.
  ``agent`` and ``team`` are pseudonymous ids of the contact centre's people.
- ``invitation_suppression``: the keyed hashes of the addresses that unsubscribed.
- ``agent_view``: the agent's own rating of a contact (difficulty 1-5, resolved or not).
- ``contact_centre_member``: the team a team lead leads and the agent id a person works under.
"""

STATEMENTS = [
    """CREATE TABLE invitation (
        id {serial},
        public_id TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        reference TEXT NOT NULL,
        store_id INTEGER NOT NULL REFERENCES store (id),
        touchpoint_id INTEGER NOT NULL REFERENCES touchpoint (id),
        channel TEXT NOT NULL,
        language TEXT NOT NULL,
        send_after {ts} NOT NULL,
        address_sealed {bytes},
        address_hash TEXT,
        agent TEXT,
        team TEXT,
        state TEXT NOT NULL,
        reason TEXT,
        message_id INTEGER,
        reminder_message_id INTEGER,
        created_by INTEGER REFERENCES app_user (id),
        created_at {ts} NOT NULL,
        sent_at {ts},
        reminded_at {ts},
        opened_at {ts},
        unsubscribed_at {ts},
        UNIQUE (source, reference))""",
    "CREATE INDEX invitation_due ON invitation (state, send_after)",
    "CREATE INDEX invitation_address ON invitation (address_hash, sent_at)",
    "CREATE INDEX invitation_store ON invitation (store_id, channel)",
    "CREATE INDEX invitation_team ON invitation (team, agent)",
    """CREATE TABLE invitation_suppression (
        address_hash TEXT PRIMARY KEY,
        created_at {ts} NOT NULL)""",
    """CREATE TABLE agent_view (
        invitation_id INTEGER PRIMARY KEY REFERENCES invitation (id),
        difficulty INTEGER NOT NULL,
        resolved {bool} NOT NULL,
        note TEXT,
        user_id INTEGER REFERENCES app_user (id),
        created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL)""",
    """CREATE TABLE contact_centre_member (
        user_id INTEGER PRIMARY KEY REFERENCES app_user (id),
        team TEXT,
        agent TEXT)""",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
