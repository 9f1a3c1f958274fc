"""Erasure on request (``voxloop hub erase --contact``) and anonymising a staff member
(``voxloop hub anonymise-person``), on SQLite and PostgreSQL.

On SQLite the test reads the database file and its WAL byte by byte: after the erasure
neither the address nor its sealed form (raw, hex, base64) is anywhere in them, and no log line
of the run names it. What it takes was measured: SQLite leaves a deleted or shortened cell's
bytes in the page's free space unless secure_delete is on (Debian builds it on by default,
others do not), so the hub turns it on for these writes; VACUUM is not needed. On the hub's
own tables the cleared column ends its row and the shorter row is written over the old one's
end, so a control with secure_delete off finds nothing either: it cannot fail, so it is not
here (docs/data-protection.md). On PostgreSQL the rows are gone; what VACUUM later does with
the dead tuples is not byte-checked.
"""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.models import Case, CaseEvent, User
from tests.hub.alerting import rating, send
from tests.hub.conftest import connected, rows
from voxloop_cli import main

ADDRESS = "anna.schmidt@example.org"
OTHER = "bob@example.org"


@pytest.fixture
def voxloop(app, monkeypatch):
    """The command line against the test app's database, with its secret."""
    monkeypatch.setenv("VOXLOOP_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("VOXLOOP_INSTANCE_PATH", app.instance_path)
    monkeypatch.setenv("VOXLOOP_SECRET_KEY", app.config["SECRET_KEY"])
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        result = runner.invoke(main, list(args), input=input)
        assert result.exit_code == 0, result.output
        return result.output

    return run


@pytest.fixture
def logs(app, caplog):
    """Every log record of the run from the feedback on, at the hub's and the jobs' default
    level (LOG_LEVEL: INFO)."""
    caplog.set_level(logging.INFO)
    return caplog


def sqlite_path(app) -> Path | None:
    url = app.config["DATABASE_URL"]
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:") else None


def file_bytes(path: Path) -> bytes:
    """The database file and its WAL, as they lie on disk."""
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def traces(sealed: bytes) -> list[bytes]:
    """What would give the address away: itself, its sealed form raw, in hex and in base64."""
    return [ADDRESS.encode(), sealed, sealed.hex().encode(), base64.b64encode(sealed)]


def found(data: bytes, sealed: bytes) -> list[int]:
    return [i for i, trace in enumerate(traces(sealed)) if trace in data]


@pytest.fixture
def feedback(app, terminal, people):
    """Anna left her address twice (once also in her comment) and a conflicting retry; Bob
    left his; a third comment names Anna's address."""
    first = rating(terminal, 1, comment=f"Bitte rufen Sie mich an, {ADDRESS}", contact=ADDRESS)
    second = rating(terminal, 2, comment="Wieder zu voll", contact=ADDRESS.upper())
    bob = rating(terminal, 1, comment="Kasse zu", contact=OTHER)
    mention = rating(terminal, 3, comment=f"Meine Frau ({ADDRESS}) war auch da")
    send(terminal, first, second, bob, mention)
    retry = {**first, "answers": [{"question": "rating", "kind": "smiley", "value": 4}]}
    assert terminal.post_batch([retry]).get_json()["results"][0]["status"] == "conflict"
    return {"first": first["id"], "second": second["id"], "bob": bob["id"], "mention": mention["id"]}


def sealed_of(app, response_id: str) -> bytes:
    return bytes(rows(app, "SELECT contact_sealed FROM response WHERE id = ?", (response_id,))[0][0])


def checkpoint(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def test_an_erased_contact_leaves_no_byte_in_the_database_file_its_wal_or_the_logs(app, logs, feedback, voxloop):
    path = sqlite_path(app)
    sealed = sealed_of(app, feedback["first"])
    (conflict_body,) = rows(app, "SELECT body FROM response_conflict")[0]
    conflict_sealed = base64.b64decode(json.loads(conflict_body)["contact"]["sealed"])
    bob_sealed = sealed_of(app, feedback["bob"])
    if path is not None:
        checkpoint(path)
        before = file_bytes(path)
        assert found(before, sealed) == [0, 1] and base64.b64encode(conflict_sealed) in before

    output = voxloop("hub", "erase", "--contact", "-", input=ADDRESS.upper() + "\n")

    assert "erased the contact of 2 responses, 3 comments, 1 kept conflicts" in output
    run_log = logs.text + output
    assert ADDRESS not in run_log and ADDRESS.upper() not in run_log
    if path is None:  # PostgreSQL: the rows no longer hold it (dead tuples are VACUUM's, not checked)
        held = [bytes(v) for (v,) in rows(app, "SELECT contact_sealed FROM response WHERE contact_sealed IS NOT NULL")]
        assert held == [bob_sealed]
        texts = [t for (t,) in rows(app, "SELECT text FROM answer WHERE text IS NOT NULL")]
        assert not any(ADDRESS in t for t in texts) and "Kasse zu" in texts
        assert base64.b64encode(conflict_sealed).decode() not in rows(app, "SELECT body FROM response_conflict")[0][0]
        return
    after = file_bytes(path)
    assert found(after, sealed) == [] and found(after, conflict_sealed) == []
    assert bob_sealed in after  # Bob's contact was not his to erase
    assert b"Kasse zu" in after and b"Wieder zu voll" not in after


def test_an_erasure_removes_the_contact_and_the_comments_and_keeps_the_ratings(app, feedback, voxloop):
    voxloop("hub", "erase", "--contact", f"  {ADDRESS}  ")

    held = {str(i): sealed is not None for i, sealed in rows(app, "SELECT id, contact_sealed FROM response")}
    assert held == {
        feedback["first"]: False,
        feedback["second"]: False,
        feedback["bob"]: True,
        feedback["mention"]: False,
    }
    texts = {
        (str(r), q): t for r, q, t in rows(app, "SELECT response_id, question, text FROM answer WHERE kind = 'text'")
    }
    assert texts == {
        (feedback["first"], "comment"): None,
        (feedback["second"], "comment"): None,
        (feedback["bob"], "comment"): "Kasse zu",
        (feedback["mention"], "comment"): None,
    }
    assert rows(app, "SELECT COUNT(*) FROM answer WHERE kind = 'smiley'") == [(4,)]
    (body,) = rows(app, "SELECT body FROM response_conflict")[0]
    assert json.loads(body)["contact"] == {"erased": True}


def test_a_phone_number_is_matched_by_its_digits(app, terminal, people, voxloop):
    item = rating(terminal, 1, contact="+49 171 234-5678")
    send(terminal, item)
    assert "erased the contact of 1 responses" in voxloop("hub", "erase", "--contact", "+491712345678")
    assert rows(app, "SELECT contact_sealed FROM response") == [(None,)]


def test_an_address_nobody_left_erases_nothing_and_says_so(app, feedback, voxloop):
    output = voxloop("hub", "erase", "--contact", "nobody@example.org")
    assert "erased the contact of 0 responses, 0 comments, 0 kept conflicts" in output
    assert rows(app, "SELECT COUNT(*) FROM response WHERE contact_sealed IS NOT NULL") == [(3,)]


def test_an_empty_address_is_refused(app, voxloop):
    result = CliRunner().invoke(main, ["hub", "erase", "--contact", " "])
    assert result.exit_code != 0 and "give the email address or phone number" in result.output


# --- staff ----------------------------------------------------------------------------------------


def test_an_anonymised_person_keeps_the_audit_trail_under_a_pseudonym(app, clock, terminal, people, voxloop):
    from hub.services import cases
    from hub.services.access import scope_for

    send(terminal, rating(terminal, 1))
    with connected(app):
        mia = User.get(User.email == "mia@example.org")
        case = Case.get()
        cases.acknowledge(scope_for(mia), mia, case.id, now=clock())
        cases.comment(scope_for(mia), mia, case.id, "Ich kümmere mich", now=clock())
        mia_id = mia.id

    output = voxloop("hub", "anonymise-person", "mia@example.org")

    with connected(app):
        person = User.get_by_id(mia_id)
        trail = [(e.action, e.user_id) for e in CaseEvent.select().order_by(CaseEvent.id)]
    assert output.startswith(f"person {mia_id} is now {person.name}")
    assert person.name.startswith("Anonymised ") and person.email.endswith("@anonymised.invalid")
    assert not person.active and person.session_version == 1
    assert ("acknowledged", mia_id) in trail and ("commented", mia_id) in trail  # the trail stays
    assert rows(app, "SELECT COUNT(*) FROM user_store WHERE user_id = ?", (mia_id,)) == [(0,)]
    assert rows(app, "SELECT COUNT(*) FROM outbox_message WHERE recipient = 'mia@example.org'") == [(0,)]
    assert rows(app, "SELECT COUNT(*) FROM app_user WHERE name LIKE ? OR email LIKE ?", ("%Mia%", "%mia%")) == [(0,)]
    path = sqlite_path(app)
    if path is not None:
        checkpoint(path)
        assert b"mia@example.org" not in file_bytes(path)


def test_anonymising_nobody_is_a_clear_error(app, voxloop):
    result = CliRunner().invoke(main, ["hub", "anonymise-person", "nobody@example.org"])
    assert result.exit_code != 0 and "no person with that email" in result.output
