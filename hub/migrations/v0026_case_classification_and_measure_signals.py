"""What the agent is told about a case, and signals that join feedback with a measure.

- ``case_classification``: one row per case (hub/services/case_classification.py): its
  ``category`` (checkout, staff, availability, prices, cleanliness, other), its ``priority``
  (high, normal, low) with the codes of what raised it (``priority_reasons``, a JSON list),
  the customer's ``language`` and the ``suggested_reply`` in it, and the ``customer_value`` a
  CRM may send through the cases API. Computed when the case is opened, again when responses
  join it or a follow-up adds reasons.
- ``measure_signal_rule``: a rule HQ sets on /admin/measure-signals
  (hub/services/measure_signals.py): the smiley index falls by at least ``index_drop`` points
  while a measure moves by at least ``measure_change`` % in ``direction`` (up or down), over
  the last 7 complete days against the 28 before; for every store or one.
- ``measure_signal``: a rule that held for a store and window, once (UNIQUE rule, store,
  window), with both figures and their n.
"""

STATEMENTS = [
    """CREATE TABLE case_classification (
        case_id INTEGER PRIMARY KEY REFERENCES alert_case (id),
        category TEXT NOT NULL,
        priority TEXT NOT NULL,
        priority_reasons TEXT NOT NULL,
        language TEXT NOT NULL,
        suggested_reply TEXT NOT NULL,
        customer_value {double},
        computed_at {ts} NOT NULL)""",
    "CREATE INDEX case_classification_category ON case_classification (category, priority)",
    "CREATE INDEX case_classification_priority ON case_classification (priority)",
    """CREATE TABLE measure_signal_rule (
        id {serial},
        name TEXT NOT NULL,
        measure_id INTEGER NOT NULL REFERENCES measure (id),
        store_id INTEGER REFERENCES store (id),
        direction TEXT NOT NULL,
        index_drop {double} NOT NULL,
        measure_change {double} NOT NULL,
        min_answers INTEGER NOT NULL,
        active {bool} NOT NULL,
        created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL)""",
    """CREATE TABLE measure_signal (
        id {serial},
        rule_id INTEGER NOT NULL REFERENCES measure_signal_rule (id),
        store_id INTEGER NOT NULL REFERENCES store (id),
        window_start DATE NOT NULL,
        window_end DATE NOT NULL,
        baseline_start DATE NOT NULL,
        baseline_end DATE NOT NULL,
        index_now {double} NOT NULL,
        index_before {double} NOT NULL,
        n_now INTEGER NOT NULL,
        n_before INTEGER NOT NULL,
        measure_now {double} NOT NULL,
        measure_before {double} NOT NULL,
        detected_at {ts} NOT NULL,
        UNIQUE (rule_id, store_id, window_start, window_end))""",
    "CREATE INDEX measure_signal_store ON measure_signal (store_id, id)",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
