"""The migrated schema and the peewee models agree; migrating is idempotent; /healthz reports
the database and its migration state."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hub.db import database
from hub.migrations import available, migrate, pending
from hub.models import ALL_MODELS, Answer, Response, ResponseConflict
from tests.hub.conftest import connected


def model_columns(model) -> list[str]:
    return sorted(field.column_name for field in model._meta.sorted_fields)


@pytest.mark.parametrize("model", ALL_MODELS, ids=[m.__name__ for m in ALL_MODELS])
def test_the_migrated_table_of_each_model_exists(app, model):
    with connected(app):
        assert model._meta.table_name in database.get_tables()


@pytest.mark.parametrize("model", ALL_MODELS, ids=[m.__name__ for m in ALL_MODELS])
def test_the_migrated_columns_of_each_model_are_its_fields(app, model):
    with connected(app):
        columns = sorted(column.name for column in database.get_columns(model._meta.table_name))

    assert columns == model_columns(model)


# The comment search index (v0020) has no model: its shape differs by engine (an FTS5 virtual
# table with its shadow tables on SQLite, a tsvector table on PostgreSQL) and only the SQL of
# hub/queries/comment_search.py reads or writes it.
SEARCH_INDEX = ("comment_fts", "comment_search")


def test_every_migrated_table_has_a_model(app):
    with connected(app):
        tables = {t for t in database.get_tables() if not t.startswith("sqlite_")}  # SQLite's own
        tables = {t for t in tables if not t.startswith(SEARCH_INDEX)}

    assert tables - {"schema_migration"} == {model._meta.table_name for model in ALL_MODELS}


def test_every_shipped_migration_is_applied(app):
    with connected(app):
        assert pending(database.obj) == []
        applied = [row[0] for row in database.execute_sql("SELECT name FROM schema_migration ORDER BY version")]
    assert applied == [name for _version, name in available()]


def test_migrating_again_applies_nothing(app):
    with connected(app):
        assert migrate(database.obj) == []
        assert migrate(database.obj) == []
        assert pending(database.obj) == []
        assert database.execute_sql("SELECT COUNT(*) FROM schema_migration").fetchone()[0] == len(available())


def test_the_migrate_command_reports_an_up_to_date_schema(app, database_url, tmp_path, monkeypatch):
    from hub.cli import hub

    monkeypatch.setenv("VOXLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("VOXLOOP_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("VOXLOOP_INSTANCE_PATH", str(tmp_path / "cli-instance"))

    result = CliRunner().invoke(hub, ["migrate"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "the schema is up to date"


def test_healthz_says_ok_and_names_the_database(client, database_url):
    answer = client.get("/healthz")

    assert answer.status_code == 200
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    assert answer.get_json() == {"status": "ok", "database": kind}


# --- models read what ingest wrote ---------------------------------------------------------


def test_a_stored_response_is_found_through_its_model_by_the_id_the_terminal_sent(app, terminal):
    item = terminal.response(rating=3)
    terminal.post_batch([item])

    with connected(app):
        response = Response.get_or_none(Response.id == item["id"])
        answers = [(a.question, a.number) for a in Answer.select().where(Answer.response == item["id"])]

    assert response is not None
    assert str(response.id) == item["id"]
    assert answers == [("rating", 3)]


def test_a_kept_conflict_is_found_through_its_model_by_the_response_id(app, terminal):
    item = terminal.response(rating=3)
    terminal.post_batch([item])
    terminal.post_batch([{**item, "locale": "en"}])

    with connected(app):
        kept = list(ResponseConflict.select().where(ResponseConflict.response_id == item["id"]))

    assert [str(conflict.response_id) for conflict in kept] == [item["id"]]
