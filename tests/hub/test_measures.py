"""Operational measures: loaded through the API (PUT /api/v1/measures/<code>) and the CSV import
(voxloop hub import-measures), idempotent by store, measure and period, all rows or none, each
store's token writing only its stores, periods in the store's local time; on SQLite and
PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from click.testing import CliRunner

from hub.models import Measure, MeasureValue
from tests.hub.conftest import ADMIN_PASSWORD, PASSWORD, assert_problem, connected, rows
from tests.hub.test_api_tokens import bearer, csrf_of, make
from tests.hub.test_dashboards import page, sign_in

TILLS = {"name": "Open tills", "unit": "tills", "kind": "level", "grain": "hour"}


def _put(client, token, code, values, **definition):
    return client.put(f"/api/v1/measures/{code}", json={**definition, "values": values}, headers=bearer(token))


def _values(app) -> list[tuple]:
    return rows(
        app,
        "SELECT s.code, m.code, v.period_start, v.day, v.hour, v.value FROM measure_value v "
        "JOIN store s ON s.id = v.store_id JOIN measure m ON m.id = v.measure_id ORDER BY s.code, v.period_start",
    )


def _normal(found: list[tuple]) -> list[tuple]:
    """Rows as Python values whatever the driver handed back."""
    return [
        (store, measure, str(start)[:16], str(day)[:10], hour, float(value))
        for store, measure, start, day, hour, value in found
    ]


@pytest.fixture
def admin_token(app, clock, people):
    return make(app, clock, people["admin"], "measures:write")


def test_an_admin_defines_a_measure_and_a_repeated_batch_changes_nothing(app, client, clock, people, admin_token):
    batch = [
        {"store": "B001", "period": "2026-11-20T10:00", "value": 3},
        {"store": "H002", "period": "2026-11-20T10:00", "value": 2},
    ]

    first = _put(client, admin_token, "open_tills", batch, **TILLS)
    written = clock().replace(tzinfo=None)
    clock.advance(minutes=5)
    again = _put(client, admin_token, "open_tills", batch)

    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["measure"] == {"code": "open_tills", **TILLS}
    assert (first.get_json()["created"], first.get_json()["unchanged"]) == (2, 0)
    assert again.get_json() | {"measure": None} == {"measure": None, "created": 0, "unchanged": 2, "replaced": []}
    assert _normal(_values(app)) == [
        ("B001", "open_tills", "2026-11-20 09:00", "2026-11-20", 10, 3.0),
        ("H002", "open_tills", "2026-11-20 09:00", "2026-11-20", 10, 2.0),
    ]
    with connected(app):
        assert {v.updated_at for v in MeasureValue.select()} == {written}


def test_a_changed_value_replaces_the_stored_one_and_says_so(app, client, clock, people, admin_token):
    _put(client, admin_token, "open_tills", [{"store": "B001", "period": "2026-11-20T10:00", "value": 3}], **TILLS)

    changed = _put(
        client,
        admin_token,
        "open_tills",
        [
            {"store": "B001", "period": "2026-11-20T10:00", "value": 4},
            {"store": "B001", "period": "2026-11-20T11:00", "value": 5},
        ],
    )

    body = changed.get_json()
    assert (body["created"], body["unchanged"]) == (1, 0)
    assert body["replaced"] == [{"line": 0, "store": "B001", "period": "2026-11-20T10:00", "was": 3.0, "now": 4.0}]
    assert [v[-1] for v in _normal(_values(app))] == [4.0, 5.0]


def test_a_stores_token_writes_its_store_and_is_refused_another_row_by_row(app, client, clock, people, admin_token):
    _put(client, admin_token, "open_tills", [{"store": "B001", "period": "2026-11-20T09:00", "value": 1}], **TILLS)
    mia = make(app, clock, people["mia"], "measures:write")

    mixed = _put(
        client,
        mia,
        "open_tills",
        [
            {"store": "B001", "period": "2026-11-20T10:00", "value": 3},
            {"store": "H002", "period": "2026-11-20T10:00", "value": 9},
            {"store": "H002", "period": "2026-11-20T11:00", "value": 9},
        ],
    )
    own = _put(client, mia, "open_tills", [{"store": "B001", "period": "2026-11-20T10:00", "value": 3}])

    problem = assert_problem(mixed, 422, "invalid_measures")
    assert [(e["line"], e["code"]) for e in problem["errors"]] == [(1, "wrong_store"), (2, "wrong_store")]
    assert own.get_json()["created"] == 1
    assert [(v[0], v[-1]) for v in _normal(_values(app))] == [("B001", 1.0), ("B001", 3.0)]


def test_a_store_manager_may_not_define_a_measure_and_an_analyst_gets_no_token(app, client, clock, people):
    mia = make(app, clock, people["mia"], "measures:write")

    refused = _put(client, mia, "footfall", [{"store": "B001", "period": "2026-11-20T10:00", "value": 3}], **TILLS)

    problem = assert_problem(refused, 422, "invalid_measures")
    assert problem["errors"][0]["code"] == "unknown_measure"
    with pytest.raises(Exception, match="no measures:write"):
        make(app, clock, people["ana"], "measures:write")
    assert _values(app) == []


def test_bad_rows_are_each_reported_and_nothing_is_written(app, client, clock, people, admin_token):
    _put(client, admin_token, "open_tills", [{"store": "B001", "period": "2026-11-20T09:00", "value": 1}], **TILLS)

    bad = _put(
        client,
        admin_token,
        "open_tills",
        [
            {"store": "B001", "period": "2026-11-20T09:00", "value": 7},  # good: a change
            {"store": "X999", "period": "2026-11-20T10:00", "value": 1},
            {"store": "B001", "period": "2026-11-20", "value": 1},
            {"store": "B001", "period": "2026-11-20T10:30", "value": 1},
            {"store": "B001", "period": "2026-11-20T11:00", "value": -1},
            {"store": "B001", "period": "2026-11-20T12:00", "value": 2e12},
            {"store": "B001", "period": "2026-11-20T09:00", "value": 7},
            {"store": "B001", "period": "2026-03-29T02:00", "value": 1},
        ],
    )

    problem = assert_problem(bad, 422, "invalid_measures")
    assert [(e["line"], e["code"]) for e in problem["errors"]] == [
        (1, "unknown_store"),
        (2, "bad_time"),
        (3, "bad_time"),
        (4, "value_out_of_range"),
        (5, "value_out_of_range"),
        (6, "duplicate_period"),
        (7, "bad_time"),
    ]
    assert "clocks go forward" in problem["errors"][-1]["detail"]
    assert _normal(_values(app)) == [("B001", "open_tills", "2026-11-20 08:00", "2026-11-20", 9, 1.0)]


def test_a_value_of_the_wrong_shape_is_refused_before_any_is_looked_at(app, client, clock, people, admin_token):
    bad = _put(
        client,
        admin_token,
        "open_tills",
        [{"store": "B001", "period": "2026-11-20T12:00", "value": "3"}, {"store": "B001", "period": 10, "value": 1}],
        **TILLS,
    )

    problem = assert_problem(bad, 422, "invalid_measures")
    assert [(e["line"], e["code"]) for e in problem["errors"]] == [(0, "wrong_type"), (1, "wrong_type")]
    with connected(app):
        assert Measure.select().count() == 0


def test_an_hour_on_the_days_the_clocks_change_lands_on_its_local_hour(app, client, clock, people, admin_token):
    answer = _put(
        client,
        admin_token,
        "open_tills",
        [
            {"store": "B001", "period": "2026-03-29T23:00", "value": 1},  # summer time begun: UTC+2
            {"store": "B001", "period": "2026-10-25T23:00", "value": 2},  # winter time again: UTC+1
            {"store": "B001", "period": "2026-10-25T02:00", "value": 3},  # the first 02:00 (UTC+2)
            {"store": "B001", "period": "2026-10-25T02:00+01:00", "value": 4},  # the second
        ],
        **TILLS,
    )

    assert answer.get_json()["created"] == 4
    assert _normal(_values(app)) == [
        ("B001", "open_tills", "2026-03-29 21:00", "2026-03-29", 23, 1.0),
        ("B001", "open_tills", "2026-10-25 00:00", "2026-10-25", 2, 3.0),
        ("B001", "open_tills", "2026-10-25 01:00", "2026-10-25", 2, 4.0),
        ("B001", "open_tills", "2026-10-25 22:00", "2026-10-25", 23, 2.0),
    ]


CSV_GOOD = """measure,store,period,value,name,unit,kind,grain
transactions,B001,2026-11-20,812,Transactions,receipts,count,day
transactions,H002,2026-11-20,640,,,,
open_tills,B001,2026-11-20T10:00,3,Open tills,tills,level,hour
"""


@pytest.fixture
def voxloop(app, database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("VOXLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("VOXLOOP_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("VOXLOOP_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("VOXLOOP_CLOCK_START", "2026-11-23T09:00:00+00:00")
    from voxloop_cli import main

    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args))

    yield run
    from hub.db import database

    if hasattr(database.obj, "close_all"):
        database.obj.close_all()


def test_the_cli_imports_a_csv_and_again_changes_nothing(app, store, other_store, voxloop, tmp_path):
    path = tmp_path / "measures.csv"
    path.write_text(CSV_GOOD, encoding="utf-8")

    first = voxloop("hub", "import-measures", str(path))
    again = voxloop("hub", "import-measures", str(path))

    assert first.exit_code == 0, first.output
    assert "3 value(s) created, 0 unchanged, 0 replaced; defined open_tills, transactions" in first.output
    assert "0 value(s) created, 3 unchanged, 0 replaced" in again.output
    assert sorted((v[0], v[1], v[-1]) for v in _normal(_values(app))) == [
        ("B001", "open_tills", 3.0),
        ("B001", "transactions", 812.0),
        ("H002", "transactions", 640.0),
    ]
    with connected(app):
        assert Measure.get(Measure.code == "transactions").grain == "day"


def test_the_cli_lists_every_bad_line_and_imports_nothing(app, store, other_store, voxloop, tmp_path):
    path = tmp_path / "measures.csv"
    path.write_text(
        CSV_GOOD + "transactions,B001,2026-11-21,many\nfootfall,B001,2026-11-21,10\ntransactions,B001,21.11.2026,5\n",
        encoding="utf-8",
    )

    result = voxloop("hub", "import-measures", str(path))

    assert result.exit_code == 1
    assert "line 5: the value is not a number [value_out_of_range]" in result.output
    assert "line 6: there is no measure 'footfall'" in result.output
    assert "line 7: '21.11.2026' is not a day" in result.output
    assert "nothing imported: 3 bad row(s)" in result.output
    assert _values(app) == []
    with connected(app):
        assert Measure.select().count() == 0


def test_periods_are_stored_as_dates(app, client, clock, people, admin_token):
    _put(
        client,
        admin_token,
        "transactions",
        [{"store": "B001", "period": "2026-11-20", "value": 812}],
        name="Transactions",
        unit="receipts",
        kind="count",
        grain="day",
    )
    with connected(app):
        value = MeasureValue.get()
        assert (value.day, value.hour, value.period_start) == (date(2026, 11, 20), None, datetime(2026, 11, 19, 23, 0))


# --- the upload page -----------------------------------------------------------------------------


def _upload(client, text: str, csrf: str | None):
    data = {"file": (io.BytesIO(text.encode("utf-8")), "measures.csv")}
    if csrf is not None:
        data["csrf_token"] = csrf
    return client.post("/admin/measures", data=data, content_type="multipart/form-data")


def test_an_hq_admin_uploads_a_csv_and_a_bad_file_lists_its_lines_and_imports_nothing(app, client, people):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    csrf = csrf_of(page(client, "/admin/measures"))

    bad = _upload(client, CSV_GOOD + "transactions,B001,2026-11-21,-4\n", csrf)
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert re.findall(r'<tr data-line="(\d+)">', html) == ["5"]
    assert "Nothing was imported" in html
    assert "The value is not a number from 0 to 10^12." in html  # what the code means, beside the detail
    assert _values(app) == []

    good = _upload(client, CSV_GOOD.replace("812", "813"), csrf)
    again = _upload(client, CSV_GOOD, csrf)

    assert "measures.csv imported: 3 new, 0 unchanged, 0 replaced." in good.get_data(as_text=True)
    replaced = again.get_data(as_text=True)
    assert "measures.csv imported: 0 new, 2 unchanged, 1 replaced." in replaced
    assert re.findall(r'<tr data-line="(\d+)">', replaced) == ["2"]
    assert sorted(v[-1] for v in _normal(_values(app))) == [3.0, 640.0, 812.0]


def test_the_upload_needs_the_forms_csrf_token_and_an_hq_admin(app, client, people):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    assert _upload(client, CSV_GOOD, None).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_of(page(client, "/admin/measures"))})
    sign_in(client, "mia@example.org", PASSWORD)
    assert client.get("/admin/measures").status_code == 403
    assert _values(app) == []


def test_a_missing_or_latin_1_file_is_refused_with_a_message_and_imports_nothing(app, client, people):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    csrf = csrf_of(page(client, "/admin/measures"))
    latin_1 = {
        "csrf_token": csrf,
        "file": (io.BytesIO("measure,store,day,value\nKäse,B001,2026-11-21,4\n".encode("latin-1")), "m.csv"),
    }
    refused = client.post("/admin/measures", data=latin_1, content_type="multipart/form-data")
    assert refused.status_code == 400 and "The file is not UTF-8 text." in refused.get_data(as_text=True)
    none = client.post("/admin/measures", data={"csrf_token": csrf}, content_type="multipart/form-data")
    assert none.status_code == 400 and "Choose a CSV file to upload." in none.get_data(as_text=True)
    assert _values(app) == []
