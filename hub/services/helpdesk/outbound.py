"""The outbox's ``ticket`` channel: what goes to the help desk, sent by the delivery job with
the outbox's retries and backoff (hub/services/outbox/delivery.py).

- ``ticket_create``: idempotent. A ticket already recorded is done; otherwise the help desk is
  asked for a ticket tagged with the case's reference first (a create whose answer was lost,
  or whose outcome a dying worker never recorded), and only when there is none one is made.
  The number is stored on success, so a retry never makes a second ticket.
- ``ticket_resolve``: the case was resolved here; the ticket gets the resolution as a comment
  and is resolved (nothing when it is finished there already). It waits (retried) while the
  ticket is not made yet.

A help desk that is down or answers 5xx is a temporary failure (retried); one that refuses
(a bad token, an unknown queue) a permanent one, shown on HQ's deliveries page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.db import write_transaction
from hub.models import Case, HelpdeskTicket, OutboxMessage
from hub.queries import cases as case_queries
from hub.services.helpdesk import HelpDeskError, HelpDeskRefused, HelpDeskUnavailable
from hub.services.helpdesk.content import ticket_for
from hub.services.helpdesk.settings import HelpDeskSettings
from hub.services.outbox.transports import DeliveryError


@dataclass(frozen=True)
class TicketSender:
    """Sends one ``ticket`` message (the Deliverer's ``tickets``)."""

    settings: HelpDeskSettings
    public_url: str
    contact_key: bytes

    def __call__(self, message: OutboxMessage, now: datetime) -> None:
        if not self.settings.enabled:
            raise DeliveryError("no help desk is configured")
        row = HelpdeskTicket.get_or_none(HelpdeskTicket.case == message.case_id)
        if row is None:
            raise DeliveryError("the case has no ticket record", permanent=True)
        try:
            if message.kind == "ticket_create":
                self._create(row, now)
            elif message.kind == "ticket_resolve":
                self._resolve(row, str((message.payload or {}).get("note") or ""), now)
            else:
                raise DeliveryError(f"the ticket channel does not send {message.kind}", permanent=True)
        except HelpDeskUnavailable as error:
            raise DeliveryError(str(error)) from None
        except HelpDeskRefused as error:
            raise DeliveryError(str(error), permanent=True) from None
        except HelpDeskError as error:
            raise DeliveryError(str(error)) from None

    def _create(self, row: HelpdeskTicket, now: datetime) -> None:
        if row.external_id:
            return  # made and recorded by an earlier attempt
        desk = self.settings.desk()
        external_id = desk.find_ticket(row.reference)
        if external_id is None:
            case = Case.get_by_id(row.case_id)
            key = self.contact_key if self.settings.send_contact else None
            external_id = desk.create_ticket(ticket_for(case, public_url=self.public_url, contact_key=key))
        state = desk.ticket_state(external_id)
        at = now.replace(tzinfo=None)
        with write_transaction():
            HelpdeskTicket.update(
                external_id=external_id, state=state.state, url=desk.ticket_url(external_id), updated_at=at
            ).where(HelpdeskTicket.case == row.case_id).execute()
            case_queries.add_events([(row.case_id, now, None, "helpdesk_ticket", f"#{external_id}", None)])

    def _resolve(self, row: HelpdeskTicket, note: str, now: datetime) -> None:
        if not row.external_id:
            raise DeliveryError("the ticket is not made yet")
        desk = self.settings.desk()
        desk.resolve(row.external_id, note)
        state = desk.ticket_state(row.external_id)
        with write_transaction():
            HelpdeskTicket.update(state=state.state, updated_at=now.replace(tzinfo=None)).where(
                HelpdeskTicket.case == row.case_id
            ).execute()
