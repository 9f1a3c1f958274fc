"""`voxloop hub import-invitations FILE`: a chain without an API invites from a CSV file, all
rows or none, every bad row named by its line, a file imported again inviting nobody twice;
on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.hub.conftest import rows
from tests.hub.test_measures import voxloop  # noqa: F401 (the command line, a fixture)

HEADER = "source,reference,store,touchpoint,channel,language,send_after,address,agent,team\n"
GOOD = HEADER + (
    "shop,O-1,B001,exit,email,de,2026-11-24T10:00:00+01:00,anna@example.org,,\n"
    "shop,O-2,H002,exit,email,en,2026-11-24T10:00:00+01:00,ben@example.org,,\n"
    "shop,O-3,B001,exit,email,de,2026-11-24T10:00:00+01:00,Anna@Example.org,,\n"
)


def test_a_csv_invites_once_and_again_invites_nobody(app, store, other_store, voxloop, tmp_path):  # noqa: F811
    path = tmp_path / "invitations.csv"
    path.write_text(GOOD, encoding="utf-8")
    done = voxloop("hub", "import-invitations", str(path))
    assert done.exit_code == 0, done.output
    assert "3 invitation(s) made (2 scheduled, 1 skipped), 0 known already" in done.output
    again = voxloop("hub", "import-invitations", str(path))
    assert again.exit_code == 0, again.output
    assert "0 invitation(s) made (none new), 3 known already" in again.output
    found = rows(app, "SELECT reference, state, address_sealed IS NULL FROM invitation ORDER BY reference")
    assert [(r, s, bool(forgotten)) for r, s, forgotten in found] == [
        ("O-1", "scheduled", False),
        ("O-2", "scheduled", False),
        ("O-3", "skipped", True),  # the same person within the interval: no address kept
    ]


def test_a_file_with_bad_lines_names_each_and_imports_nothing(app, store, other_store, voxloop, tmp_path):  # noqa: F811
    path = tmp_path / "invitations.csv"
    path.write_text(
        GOOD
        + "shop,O-4,X999,exit,email,de,2026-11-24T10:00:00+01:00,carl@example.org,,\n"
        + "shop,O-5,B001,exit,fax,de,tomorrow,carl@example.org,,\n",
        encoding="utf-8",
    )
    done = voxloop("hub", "import-invitations", str(path))
    assert done.exit_code != 0
    assert "line 5:" in done.output and "[wrong_store]" in done.output
    assert "line 6:" in done.output and "[unknown_channel]" in done.output and "[bad_time]" in done.output
    assert "line 2:" not in done.output
    assert rows(app, "SELECT COUNT(*) FROM invitation") == [(0,)]


def test_a_file_without_the_columns_is_refused(app, store, voxloop, tmp_path):  # noqa: F811
    path = tmp_path / "invitations.csv"
    path.write_text("reference,address\nO-1,anna@example.org\n", encoding="utf-8")
    done = voxloop("hub", "import-invitations", str(path))
    assert done.exit_code != 0 and "line 1:" in done.output and "the header lacks" in done.output


def test_an_erasure_request_reaches_the_invitations(app, store, other_store, voxloop, tmp_path):  # noqa: F811
    path = tmp_path / "invitations.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert voxloop("hub", "import-invitations", str(path)).exit_code == 0
    done = voxloop("hub", "erase", "--contact", "ANNA@example.org")
    assert done.exit_code == 0, done.output
    assert done.output.strip().endswith("; invitations 2") and "anna" not in done.output.lower()
    found = rows(
        app, "SELECT reference, state, reason, address_sealed, address_hash FROM invitation ORDER BY reference"
    )
    assert [(r, s, why) for r, s, why, _sealed, _hash in found] == [
        ("O-1", "suppressed", "erased"),
        ("O-2", "scheduled", None),  # another customer
        ("O-3", "skipped", "interval"),
    ]
    assert [(sealed is None, h is None) for _r, _s, _w, sealed, h in found] == [
        (True, True),
        (False, False),
        (True, True),
    ]


def _upload(client, text: str, csrf: str | None):
    from io import BytesIO

    data = {"file": (BytesIO(text.encode()), "invitations.csv")}
    if csrf is not None:
        data["csrf_token"] = csrf
    return client.post("/dashboard/invitations", data=data, content_type="multipart/form-data")


def test_a_store_manager_uploads_invitations_for_their_store_only(app, client, people):
    from tests.hub.alerting import sign_in_as

    csrf = sign_in_as(client, people["mia"])  # B001 only
    refused = _upload(client, GOOD, csrf)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'data-line="3"' in page and "You may not invite for this store" in page
    assert 'data-line="2"' not in page
    assert rows(app, "SELECT COUNT(*) FROM invitation") == [(0,)]
    mine = HEADER + GOOD.splitlines(keepends=True)[1]
    done = _upload(client, mine, csrf)
    assert done.status_code == 200 and "1 new invitations, 0 known already" in done.get_data(as_text=True)
    assert rows(app, "SELECT reference FROM invitation") == [("O-1",)]
    assert _upload(client, mine, None).status_code == 403  # the form's CSRF token
    sign_in_as(client, people["ana"])  # an HQ analyst reads, does not invite
    assert "import-failure" not in client.get("/dashboard/invitations").get_data(as_text=True)
    assert 'action="/dashboard/invitations"' not in client.get("/dashboard/invitations").get_data(as_text=True)


def test_a_latin_1_file_is_refused_in_the_persons_language_and_invites_nobody(app, client, people):
    from io import BytesIO

    from tests.hub.alerting import sign_in_as

    csrf = sign_in_as(client, people["mia"])
    data = {"csrf_token": csrf, "file": (BytesIO(GOOD.replace("O-1", "Ö-1").encode("latin-1")), "i.csv")}
    refused = client.post(
        "/dashboard/invitations", data=data, content_type="multipart/form-data", headers={"Accept-Language": "de"}
    )
    assert refused.status_code == 400
    assert "Die Datei ist kein UTF-8-Text." in refused.get_data(as_text=True)
    assert rows(app, "SELECT COUNT(*) FROM invitation") == [(0,)]
