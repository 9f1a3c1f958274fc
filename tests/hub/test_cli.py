"""``voxloop hub ...`` as an operator uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from voxloop_cli import main


@pytest.fixture
def voxloop(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("VOXLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("VOXLOOP_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("VOXLOOP_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("VOXLOOP_LANGUAGE", "en")  # the commands' messages read here are the English ones
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(main, list(args))
        if ok:
            assert result.exit_code == 0, result.output
        return result

    yield run
    from hub.db import database

    if hasattr(database.obj, "close_all"):
        database.obj.close_all()


def test_init_creates_the_schema_survey_and_an_admin_and_prints_how_to_sign_in(voxloop):
    output = voxloop("hub", "init", "--admin-email", "hq@example.org").output
    assert "database ready" in output
    assert "created survey 'exit'" in output
    assert "pending" not in voxloop("hub", "migrate").output
    assert re.search(r"sign in as hq@example.org with password \S{12,}", output)


def test_init_twice_creates_nothing_twice(voxloop):
    voxloop("hub", "init")
    output = voxloop("hub", "init").output
    assert "created" not in output
    assert "sign in as" not in output


def test_migrate_reports_an_up_to_date_schema(voxloop):
    voxloop("hub", "init")
    assert "the schema is up to date" in voxloop("hub", "migrate").output


def test_add_store_adds_its_exit_touchpoint(voxloop):
    voxloop("hub", "init")
    output = voxloop("hub", "add-store", "B001", "Berlin Mitte", "--time-zone", "Europe/Berlin").output
    assert "store B001 (Berlin Mitte, Europe/Berlin)" in output
    assert "touchpoint B001/exit" in output


def test_a_taken_store_code_is_a_clear_error(voxloop):
    voxloop("hub", "init")
    voxloop("hub", "add-store", "B001", "Berlin Mitte")
    result = voxloop("hub", "add-store", "B001", "Again", ok=False)
    assert result.exit_code == 1
    assert "store 'B001' exists already [already_exists]" in result.output


def test_an_unknown_time_zone_is_a_clear_error(voxloop):
    voxloop("hub", "init")
    result = voxloop("hub", "add-store", "X1", "Nowhere", "--time-zone", "Mars/Base", ok=False)
    assert result.exit_code == 1
    assert "not an IANA time zone" in result.output


def test_enroll_code_prints_a_code_the_terminal_command_and_a_qr(voxloop):
    voxloop("hub", "init")
    voxloop("hub", "add-store", "B001", "Berlin Mitte")
    output = voxloop("hub", "enroll-code", "--store", "B001").output
    code = re.search(r"enrollment code for B001/exit: ([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", output).group(1)
    assert f"voxloop kiosk enroll --hub http://127.0.0.1:8000 --code {code}" in output
    assert "█" in output  # the QR drawn with block characters


def test_enroll_code_for_an_unknown_store_is_a_clear_error(voxloop):
    voxloop("hub", "init")
    result = voxloop("hub", "enroll-code", "--store", "NOPE", ok=False)
    assert "store 'NOPE' does not exist [unknown_store]" in result.output


def test_revoke_device_of_an_unknown_terminal_is_a_clear_error(voxloop):
    voxloop("hub", "init")
    result = voxloop("hub", "revoke-device", "tUnknown", ok=False)
    assert "no terminal 'tUnknown' [not_found]" in result.output


def test_add_user_links_a_store_manager_to_their_store_and_prints_a_first_password(voxloop):
    voxloop("hub", "init")
    voxloop("hub", "add-store", "B001", "Berlin Mitte")
    output = voxloop("hub", "add-user", "mia@example.org", "Mia", "--role", "store_manager", "--store", "B001").output
    assert "added mia@example.org (store_manager; B001)" in output
    assert re.search(r"first password: \S{12,}", output)


def test_a_store_manager_without_a_store_is_refused(voxloop):
    voxloop("hub", "init")
    result = voxloop("hub", "add-user", "mia@example.org", "Mia", "--role", "store_manager", ok=False)
    assert "a store manager needs at least one --store" in result.output


def test_a_taken_email_is_refused(voxloop):
    voxloop("hub", "init", "--admin-email", "hq@example.org")
    result = voxloop("hub", "add-user", "HQ@example.org", "Again", "--role", "hq_analyst", ok=False)
    assert "a user 'hq@example.org' exists already [already_exists]" in result.output


def test_rebuild_rollups_counts_the_stored_responses_again(voxloop, database_url):
    from hub.db import open_database

    voxloop("hub", "init")
    voxloop("demo", "seed", "--stores", "2", "--days", "3", "--per-day", "5")
    db = open_database(database_url)

    def counts() -> list[tuple]:
        sql = "SELECT question, SUM(n) FROM score_daily WHERE store_id = 0 GROUP BY question"
        return db.execute_sql(sql).fetchall()

    seeded = sorted(counts())
    assert seeded
    db.execute_sql("DELETE FROM score_daily")
    db.close()
    output = voxloop("hub", "rebuild-rollups").output
    assert "rollups counted again from" in output and " 0 responses" not in output
    assert sorted(counts()) == seeded
    db.close()


def test_api_token_make_prints_the_token_once_and_list_never_shows_it(voxloop):
    voxloop("hub", "init", "--admin-email", "hq@example.org")
    output = voxloop(
        "hub", "api-token", "make", "hq@example.org", "--name", "Power BI", "--scope", "analytics:read"
    ).output
    token = re.search(r"token: (vxl_[0-9a-f]{8}_\S{43})", output).group(1)
    assert "API token 1 (" in output and "analytics:read" in output

    listed = voxloop("hub", "api-token", "list").output
    assert token[:12] in listed and "hq@example.org" in listed and "live" in listed and "Power BI" in listed
    assert token not in listed


def test_api_token_revoke_marks_the_token_revoked(voxloop):
    voxloop("hub", "init", "--admin-email", "hq@example.org")
    voxloop("hub", "api-token", "make", "hq@example.org", "--name", "script")
    assert "API token 1 (" in voxloop("hub", "api-token", "revoke", "1").output
    assert "revoked" in voxloop("hub", "api-token", "list").output


def test_api_token_make_refuses_unknown_people_and_scopes(voxloop):
    voxloop("hub", "init", "--admin-email", "hq@example.org")
    nobody = voxloop("hub", "api-token", "make", "who@example.org", "--name", "x", ok=False)
    assert "no person with the email" in nobody.output
    bad = voxloop("hub", "api-token", "make", "hq@example.org", "--name", "x", "--scope", "all", ok=False)
    assert "[bad_token_request]" in bad.output
