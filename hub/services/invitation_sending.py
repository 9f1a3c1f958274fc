"""The ``invitations`` job: invitations go out at their time, one reminder at most, and the
address is forgotten once nothing more will be sent to it.

Each run (a function of ``now``, hub/jobs.py):

1. due invitations (``scheduled``, ``send_after`` passed) are checked again (an unsubscribe or
   another invitation since: ``suppressed`` or ``skipped``, the address forgotten) and queued
   in the outbox (kind ``invitation``, a dedupe key per invitation), ``sent``; the message
   holds no address: it is opened from its seal when the message is rendered
   (hub/services/outbox/render/invitation.py);
2. one reminder (kind ``invitation_reminder``) ``reminder_after`` the invitation, unless the
   customer answered or unsubscribed (checked again when it is rendered, so a reminder queued
   a moment before the answer is withdrawn, not sent);
3. the sealed address of every invitation nothing more will be sent to is blanked: after the
   reminder went out, after the invitation went out when no reminder comes (none configured,
   answered, unsubscribed), or when the invitation was suppressed or skipped.

Every step changes a row only from the state it read (compare and set), in short write
transactions, so two job processes send each invitation and reminder once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from hub.db import write_transaction
from hub.models import Invitation
from hub.queries.invitations import addresses_done, standing
from hub.services.invitations import InvitationSettings, answered
from hub.services.outbox import queue

BATCH = 1000  # invitations looked at per step and run
CHUNK = 50  # changed per write transaction: few commits, short holds of SQLite's writer


@dataclass
class InvitationRun:
    queued: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    held_back: list[int] = field(default_factory=list)
    forgotten: list[int] = field(default_factory=list)


def run_invitations(now: datetime, settings: InvitationSettings) -> InvitationRun:
    run = InvitationRun()
    due = list(
        Invitation.select()
        .where((Invitation.state == "scheduled") & (Invitation.send_after <= _naive(now)))
        .order_by(Invitation.send_after)
        .limit(BATCH)
    )
    for first in range(0, len(due), CHUNK):
        with write_transaction():
            for invitation in due[first : first + CHUNK]:
                _send(invitation, now, settings, run)
    if settings.reminder_after is not None:
        waiting = [
            i
            for i in Invitation.select()
            .where(
                (Invitation.state == "sent")
                & Invitation.reminded_at.is_null()
                & Invitation.address_sealed.is_null(False)
                & (Invitation.sent_at <= _naive(now - settings.reminder_after))
            )
            .limit(BATCH)
            if not answered(i)  # step 3 forgets their addresses, so they are not read again
        ]
        for first in range(0, len(waiting), CHUNK):
            with write_transaction():
                for invitation in waiting[first : first + CHUNK]:
                    _remind(invitation, now, run)
    _forget_addresses(settings, run)
    return run


def _send(invitation: Invitation, now: datetime, settings: InvitationSettings, run: InvitationRun) -> None:
    """Inside the caller's write transaction."""
    state, reason = "sent", None
    unsubscribed, recent = standing(
        invitation.address_hash, now - settings.interval, now + settings.interval, invitation.id
    )
    if unsubscribed:
        state, reason = "suppressed", "unsubscribed"
    elif recent:
        state, reason = "skipped", "interval"
    changed = (
        Invitation.update(state=state, reason=reason, sent_at=_naive(now) if state == "sent" else None)
        .where((Invitation.id == invitation.id) & (Invitation.state == "scheduled"))
        .execute()
    )
    if not changed:
        return  # another job process took it
    if state != "sent":
        Invitation.update(address_sealed=None).where(Invitation.id == invitation.id).execute()
        run.held_back.append(invitation.id)
        return
    message_id = _queue(invitation, "invitation", now)
    Invitation.update(message_id=message_id).where(Invitation.id == invitation.id).execute()
    run.queued.append(invitation.id)


def _remind(invitation: Invitation, now: datetime, run: InvitationRun) -> None:
    """Inside the caller's write transaction."""
    changed = (
        Invitation.update(reminded_at=_naive(now))
        .where((Invitation.id == invitation.id) & (Invitation.state == "sent") & Invitation.reminded_at.is_null())
        .execute()
    )
    if not changed:
        return
    message_id = _queue(invitation, "invitation_reminder", now)
    Invitation.update(reminder_message_id=message_id).where(Invitation.id == invitation.id).execute()
    run.reminded.append(invitation.id)


def _forget_addresses(settings: InvitationSettings, run: InvitationRun) -> None:
    """Every invitation still holding an address is looked at (not a first few: those waiting
    for their reminder would hide the rest)."""
    done = addresses_done(settings.reminder_after is not None)
    for first in range(0, len(done), CHUNK):
        with write_transaction():
            Invitation.update(address_sealed=None).where(Invitation.id.in_(done[first : first + CHUNK])).execute()
    run.forgotten += done


def _queue(invitation: Invitation, kind: str, now: datetime) -> int | None:
    # the recipient is a placeholder: the address stays sealed until the message is rendered
    return queue(
        kind=kind,
        channel=invitation.channel,
        recipient="customer",
        store_id=invitation.store_id,
        dedupe_key=f"{kind}:{invitation.id}",
        payload={"invitation": invitation.id},
        now=now,
    )


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
