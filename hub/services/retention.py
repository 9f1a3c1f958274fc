"""Retention: what the hub keeps, and for how long (docs/data-protection.md has the table).

The hourly ``retention`` job (hub/jobs.py) deletes, each by its setting in hub/config.py:

- a contact left for a call back (``response.contact_sealed``): RETENTION_CONTACT_DAYS after
  the last case holding its response was resolved, or after receipt when no case holds it; a
  response in a case not yet resolved keeps its contact while the case is worked, but never
  longer than RETENTION_CONTACT_MAX_DAYS after receipt. The rating and the rest of the
  response stay (they are anonymous without the contact);
- the sealed contact in a kept conflicting version (``response_conflict.body``) by the same
  periods from its receipt, and the whole conflict after RETENTION_CONFLICT_DAYS;
- sign-in attempts and password reset requests after RETENTION_SIGN_IN_DAYS;
- what a sent message said (``outbox_message.payload``) RETENTION_OUTBOX_DAYS after it was
  sent (the record of who was told what kind of thing when stays);
- an invited customer's sealed address (``invitation.address_sealed``), which the invitations
  job blanks once nothing more is sent to it, at the latest RETENTION_INVITATION_ADDRESS_DAYS
  after the invitation's time; its keyed hash (what the interval rule compares) once the
  interval (INVITATION_INTERVAL_DAYS) after it has passed;
- sync logs after RETENTION_SYNC_LOG_DAYS; seen nonces once no signature could still use them
  (twice SIGNATURE_MAX_SKEW_SECONDS, at least 15 minutes); a help desk's event ids once no
  signed event could still be replayed (twice the inbound signature's window: 10 minutes).

Every step is an idempotent delete or blanking in short write transactions of at most
``BATCH`` rows, so two job processes running it at once delete each row once (the second finds
nothing) and a hub on SQLite never waits long for its writer. On SQLite the job's connection
overwrites what it deletes (``PRAGMA secure_delete``), so the bytes leave the file, not only
the table (tests/hub/test_erasure.py measures it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from peewee import fn

from hub.db import database, is_sqlite, write_transaction
from hub.models import (
    Case,
    CaseResponse,
    HelpdeskEvent,
    Invitation,
    LoginAttempt,
    OutboxMessage,
    PasswordReset,
    Response,
    ResponseConflict,
    SeenNonce,
    SyncLog,
)
from hub.services.helpdesk.inbound import TOLERANCE_SECONDS

BATCH = 500
# a help desk's event id is kept while a replay of its signed event could still pass
HELPDESK_EVENT_AGE = timedelta(seconds=2 * TOLERANCE_SECONDS)
ERASED_CONTACT = {"erased": True}


@dataclass(frozen=True)
class RetentionPeriods:
    contact_days: int = 90
    contact_max_days: int = 365
    sign_in_days: int = 30
    outbox_days: int = 30
    sync_log_days: int = 90
    conflict_days: int = 90
    nonce_seconds: int = 900
    invitation_address_days: int = 14
    invitation_hash_days: int = 30

    @classmethod
    def from_config(cls, config: Any) -> RetentionPeriods:
        periods = cls(
            contact_days=int(config["RETENTION_CONTACT_DAYS"]),
            contact_max_days=int(config["RETENTION_CONTACT_MAX_DAYS"]),
            sign_in_days=int(config["RETENTION_SIGN_IN_DAYS"]),
            outbox_days=int(config["RETENTION_OUTBOX_DAYS"]),
            sync_log_days=int(config["RETENTION_SYNC_LOG_DAYS"]),
            conflict_days=int(config["RETENTION_CONFLICT_DAYS"]),
            nonce_seconds=max(900, 2 * int(config["SIGNATURE_MAX_SKEW_SECONDS"])),
            invitation_address_days=int(config["RETENTION_INVITATION_ADDRESS_DAYS"]),
            invitation_hash_days=max(1, int(float(config["INVITATION_INTERVAL_DAYS"]))),
        )
        for name, value in asdict(periods).items():
            if value < 1:
                raise ValueError(f"retention period {name} must be at least 1, not {value}")
        return periods


@dataclass
class RetentionRun:
    """How many rows each step deleted or blanked."""

    counts: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        return ", ".join(f"{name} {count}" for name, count in self.counts.items())


def apply_retention(now: datetime, periods: RetentionPeriods) -> RetentionRun:
    """Delete what has outlived its period at ``now``."""
    at = now.astimezone(UTC).replace(tzinfo=None)
    sign_in = at - _days(periods.sign_in_days)
    steps: list[tuple[str, Callable[[], int]]] = [
        ("contacts", lambda: _expired_contacts(at, periods)),
        ("conflict_contacts", lambda: _expired_conflict_contacts(at, periods)),
        (
            "conflicts",
            lambda: _delete(ResponseConflict, ResponseConflict.received_at < at - _days(periods.conflict_days)),
        ),
        ("sign_in_attempts", lambda: _delete(LoginAttempt, LoginAttempt.attempted_at < sign_in)),
        (
            "password_resets",
            lambda: _delete(PasswordReset, (PasswordReset.requested_at < sign_in) & (PasswordReset.expires_at < at)),
        ),
        ("outbox_payloads", lambda: _sent_payloads(at, periods)),
        ("invitation_addresses", lambda: _invitation_addresses(at, periods)),
        ("invitation_address_hashes", lambda: _invitation_address_hashes(at, periods)),
        ("sync_logs", lambda: _delete(SyncLog, SyncLog.received_at < at - _days(periods.sync_log_days))),
        ("nonces", lambda: _delete(SeenNonce, SeenNonce.created_at < at - timedelta(seconds=periods.nonce_seconds))),
        ("helpdesk_events", lambda: _delete(HelpdeskEvent, HelpdeskEvent.received_at < at - HELPDESK_EVENT_AGE)),
    ]
    run = RetentionRun()
    with overwriting_deletes():
        for name, step in steps:
            run.counts[name] = step()
    return run


@contextmanager
def overwriting_deletes() -> Iterator[None]:
    """On SQLite: this connection zeroes what it deletes or overwrites (secure_delete) while
    inside, so deleted personal data leaves the file's free space too."""
    if not is_sqlite():
        yield
        return
    (before,) = database.execute_sql("PRAGMA secure_delete").fetchone()  # Debian's default is on
    database.execute_sql("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        database.execute_sql(f"PRAGMA secure_delete = {int(before)}")


def checkpoint() -> tuple[int, int, int] | None:
    """SQLite: copy the WAL into the database file and truncate it, so old page images (with
    deleted data) leave the WAL; (busy, WAL frames, frames copied), busy 1 when a reader kept
    it from finishing. None on PostgreSQL."""
    if not is_sqlite():
        return None
    return tuple(database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _in_batches(select_ids: Callable[[], list[Any]], change: Callable[[list[Any]], int]) -> int:
    """Read a batch of ids (the read ends before the write: a SQLite snapshot still being read
    would block the write), change them in one short write transaction, until none is left."""
    done = 0
    while True:
        ids = select_ids()
        if not ids:
            return done
        with write_transaction():
            done += change(ids)
        if len(ids) < BATCH:
            return done


def _delete(model: Any, condition: Any) -> int:
    if "id" not in model._meta.fields:  # a composite key (seen_nonce): one statement
        with write_transaction():
            return model.delete().where(condition).execute()
    return _in_batches(
        lambda: [row.id for row in model.select(model.id).where(condition).limit(BATCH)],
        lambda ids: model.delete().where(model.id.in_(ids)).execute(),
    )


def _expired_contacts(at: datetime, periods: RetentionPeriods) -> int:
    cutoff, ceiling = at - _days(periods.contact_days), at - _days(periods.contact_max_days)
    still_needed = (
        CaseResponse.select(CaseResponse.case)
        .join(Case, on=(CaseResponse.case == Case.id))
        .where((CaseResponse.response == Response.id) & ((Case.state != "resolved") | (Case.resolved_at >= cutoff)))
    )
    expired = Response.contact_sealed.is_null(False) & (
        (Response.received_at < ceiling) | ((Response.received_at < cutoff) & ~fn.EXISTS(still_needed))
    )
    return _in_batches(
        lambda: [r.id for r in Response.select(Response.id).where(expired).limit(BATCH)],
        # the condition again: a job process running at the same time may have cleared them
        lambda ids: Response.update(contact_sealed=None).where(Response.id.in_(ids) & expired).execute(),
    )


def _expired_conflict_contacts(at: datetime, periods: RetentionPeriods) -> int:
    cutoff = at - _days(periods.contact_days)
    rows = [
        (c.id, c.body)
        for c in ResponseConflict.select(ResponseConflict.id, ResponseConflict.body).where(
            (ResponseConflict.received_at < cutoff) & ResponseConflict.body.contains('"contact"')
        )
    ]
    return erase_conflict_contacts(rows)


def erase_conflict_contacts(rows: list[tuple[int, str]]) -> int:
    """Replace the sealed contact in these kept conflicts' bodies; returns how many changed."""
    changed = 0
    for conflict_id, body in rows:
        data = json.loads(body)
        if not isinstance(data, dict) or data.get("contact") in (None, ERASED_CONTACT):
            continue
        data["contact"] = ERASED_CONTACT
        with write_transaction():
            ResponseConflict.update(body=json.dumps(data, sort_keys=True)).where(
                ResponseConflict.id == conflict_id
            ).execute()
        changed += 1
    return changed


def _sent_payloads(at: datetime, periods: RetentionPeriods) -> int:
    cutoff = at - _days(periods.outbox_days)
    old = (OutboxMessage.state == "sent") & (OutboxMessage.sent_at < cutoff) & (OutboxMessage.payload != {})
    return _in_batches(
        lambda: [m.id for m in OutboxMessage.select(OutboxMessage.id).where(old).limit(BATCH)],
        lambda ids: OutboxMessage.update(payload={}).where(OutboxMessage.id.in_(ids) & old).execute(),
    )


def _invitation_addresses(at: datetime, periods: RetentionPeriods) -> int:
    moment = fn.COALESCE(Invitation.sent_at, Invitation.send_after)
    old = Invitation.address_sealed.is_null(False) & (moment < at - _days(periods.invitation_address_days))
    return _in_batches(
        lambda: [i.id for i in Invitation.select(Invitation.id).where(old).limit(BATCH)],
        lambda ids: Invitation.update(address_sealed=None).where(Invitation.id.in_(ids) & old).execute(),
    )


def _invitation_address_hashes(at: datetime, periods: RetentionPeriods) -> int:
    moment = fn.COALESCE(Invitation.sent_at, Invitation.send_after)
    old = (
        Invitation.address_hash.is_null(False)
        & (Invitation.state != "scheduled")
        & (moment < at - _days(periods.invitation_hash_days))
    )
    return _in_batches(
        lambda: [i.id for i in Invitation.select(Invitation.id).where(old).limit(BATCH)],
        lambda ids: Invitation.update(address_hash=None).where(Invitation.id.in_(ids) & old).execute(),
    )
