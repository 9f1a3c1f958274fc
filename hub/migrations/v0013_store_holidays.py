"""A store's place for its public holidays: ``country`` (ISO 3166-1 alpha-2, e.g. DE) and
``subdivision`` (e.g. BY), both optional; on a public holiday there the store counts as closed
(hub/services/alerts/opening_hours.py)."""

STATEMENTS = [
    "ALTER TABLE store ADD COLUMN country TEXT",
    "ALTER TABLE store ADD COLUMN subdivision TEXT",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
