"""Delivery: the outbox's due messages go out, each once, with retries and backoff.

One run (``deliver_due(now, channel=...)``) claims due messages of one channel in a short
write transaction (hub/queries/outbox.py: ``claim``), sends them outside any transaction
(emails over one SMTP session), and records each outcome if it still holds the claim:

- sent: done;
- a temporary failure (SMTP down, a timeout, a webhook answering 500): ``retry`` after
  ``base * 2 ** (attempts - 1)`` seconds, at most ``cap``; after ``give_up`` without success
  the message is ``failed``;
- a permanent failure (a refused recipient, a webhook answering 4xx, a deactivated recipient):
  ``failed`` at once.

- withdrawn: the message's case moved on since it was queued (resolved; acknowledged with
  nothing new), so it is not sent (hub/services/outbox/render/alert.py), and says why.

A failed message is never dropped silently: it stays on HQ's deliveries page, and the
deliverer's ``on_failed`` hears of it (hub/jobs.py hands in the alerts' escalation, so the open
case of a failed alert moves one level up and the next people hear of it). A worker that dies mid-send
leaves its claim to run out (``lease``); the message is then sent again: delivery is at least
once, and exactly once whenever the sender reports back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hub.db import write_transaction
from hub.models import AlertRule, OutboxMessage, User
from hub.queries import outbox as q
from hub.services.outbox.links import Links
from hub.services.outbox.render import Withdrawn, render_email, webhook_body
from hub.services.outbox.transports import DeliveryError
from hub.services.outbox.transports.email import SmtpSender
from hub.services.outbox.transports.webhook import WebhookSender

log = logging.getLogger("voxloop.outbox.delivery")

CHANNELS = ("email", "webhook", "ticket")  # ticket: a case handed to a help desk (hub/services/helpdesk)


@dataclass(frozen=True)
class Senders:
    email: SmtpSender
    webhook: WebhookSender


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 5
    cap_seconds: float = 300
    give_up: timedelta = timedelta(hours=48)
    batch: int = 20

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1)))


@dataclass
class DeliveryRun:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)

    def __iadd__(self, other: DeliveryRun) -> DeliveryRun:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.withdrawn += other.withdrawn
        return self

    def handled(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.failed) + len(self.withdrawn)


@dataclass(frozen=True)
class Deliverer:
    """What a delivery run needs besides the clock: senders, links, the contact key, a policy,
    and whom to tell when a message failed for good (``on_failed(message, now)``)."""

    senders: Senders
    links: Links
    contact_key: bytes
    policy: RetryPolicy = RetryPolicy()
    worker: str = "hub"
    on_failed: Callable[[OutboxMessage, datetime], object] | None = None
    # the ticket channel's sender (hub/services/helpdesk/outbound.py): sends one message or
    # raises DeliveryError; none: ticket messages wait, retried, until a help desk is configured
    tickets: Callable[[OutboxMessage, datetime], object] | None = None
    ticket_timeout: float = 10

    def lease(self, channel: str) -> timedelta:
        timeout = self.senders.email.timeout if channel == "email" else self.senders.webhook.timeout
        if channel == "ticket":
            timeout = self.ticket_timeout * 4  # a create asks up to four times (find, create, read back)
        return timedelta(seconds=max(120.0, 2 * (timeout + 1) * self.policy.batch))

    def deliver_due(self, now: datetime, *, channel: str) -> DeliveryRun:
        """Send what is due on one channel now; returns what happened to each message."""
        if not q.anything_due(now, channel):
            return DeliveryRun()
        with write_transaction():
            ids = q.claim(
                now, channel=channel, lease_until=now + self.lease(channel), worker=self.worker, limit=self.policy.batch
            )
        if not ids:
            return DeliveryRun()
        messages = list(OutboxMessage.select().where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id))
        if channel == "email":
            return self._emails(messages, now)
        if channel == "ticket":
            return self._tickets(messages, now)
        return self._webhooks(messages, now)

    def deliver_all_due(self, now: datetime, channels: tuple[str, ...] = CHANNELS) -> DeliveryRun:
        """Send everything due now, batch after batch."""
        run = DeliveryRun()
        for channel in channels:
            while True:
                step = self.deliver_due(now, channel=channel)
                run += step
                if step.handled() < self.policy.batch:
                    break
        return run

    # --- per channel --------------------------------------------------------------------------

    def _emails(self, messages: list[OutboxMessage], now: datetime) -> DeliveryRun:
        run = DeliveryRun()
        ready = []
        for message in messages:
            try:
                self._check_recipient(message)
                email = render_email(
                    message, links=self.links, sender=self.senders.email.sender, contact_key=self.contact_key, now=now
                )
                ready.append((message, email))
            except Withdrawn as why:
                self._withdraw(message, str(why), now, run)
            except DeliveryError as error:
                self._record(message, error, now, run)
            except Exception as error:  # a message that cannot be rendered must not block the rest
                log.exception("cannot render outbox message %s", message.id)
                self._record(message, DeliveryError(f"cannot render: {type(error).__name__}: {error}"), now, run)
        if not ready:
            return run
        try:
            with self.senders.email.connect() as session:
                for message, email in ready:
                    try:
                        session.send(email)
                    except DeliveryError as error:
                        self._record(message, error, now, run)
                        if not error.permanent:
                            raise  # the session is broken: the rest are retried too
                    else:
                        self._record(message, None, now, run)
        except DeliveryError as error:
            done = set(run.sent + run.retrying + run.failed)
            for message, _ in ready:
                if message.id not in done:
                    self._record(message, error, now, run)
        return run

    def _webhooks(self, messages: list[OutboxMessage], now: datetime) -> DeliveryRun:
        return self._one_by_one(messages, now, self._webhook)

    def _webhook(self, message: OutboxMessage, now: datetime) -> None:
        rule = AlertRule.get_or_none(AlertRule.id == message.rule_id)
        if rule is None or not rule.webhook_secret:
            raise DeliveryError("the rule has no webhook any more", permanent=True)
        body = webhook_body(message, links=self.links, now=now, form=rule.webhook_format or "json")
        self.senders.webhook.post(
            message.recipient,
            body,
            secret=rule.webhook_secret,
            delivery_id=str(message.id),
            now=now.timestamp(),
        )

    def _tickets(self, messages: list[OutboxMessage], now: datetime) -> DeliveryRun:
        return self._one_by_one(messages, now, self._ticket)

    def _ticket(self, message: OutboxMessage, now: datetime) -> None:
        if self.tickets is None:
            raise DeliveryError("no help desk is configured")
        self.tickets(message, now)

    def _one_by_one(
        self, messages: list[OutboxMessage], now: datetime, send: Callable[[OutboxMessage, datetime], None]
    ) -> DeliveryRun:
        """Send each message on its own (webhooks, tickets) and record what happened to it."""
        run = DeliveryRun()
        for message in messages:
            try:
                send(message, now)
            except Withdrawn as why:
                self._withdraw(message, str(why), now, run)
            except DeliveryError as error:
                self._record(message, error, now, run)
            except Exception as error:
                log.exception("cannot send outbox message %s", message.id)
                self._record(message, DeliveryError(f"{type(error).__name__}: {error}"), now, run)
            else:
                self._record(message, None, now, run)
        return run

    def _check_recipient(self, message: OutboxMessage) -> None:
        if message.user_id is None:
            return
        user = User.get_or_none(User.id == message.user_id)
        if user is None or not user.active:
            raise DeliveryError("the recipient's account is deactivated", permanent=True)

    def _withdraw(self, message: OutboxMessage, reason: str, now: datetime, run: DeliveryRun) -> None:
        with write_transaction():
            held = q.finish(message.id, self.worker, state="withdrawn", now=now, due_at=None, error=reason)
        if held:
            run.withdrawn.append(message.id)
            log.info("outbox message %s (%s) withdrawn: %s", message.id, message.kind, reason)

    def _record(self, message: OutboxMessage, error: DeliveryError | None, now: datetime, run: DeliveryRun) -> None:
        if error is None:
            state, due, reason = "sent", None, None
        elif error.permanent or now - _aware(message.created_at) >= self.policy.give_up:
            state, due, reason = "failed", None, error.reason
        else:
            state, due, reason = "retry", now + self.policy.delay(message.attempts), error.reason
        with write_transaction():
            held = q.finish(message.id, self.worker, state=state, now=now, due_at=due, error=reason)
        if not held:
            log.warning("outbox message %s: the claim ran out before the outcome (%s) was recorded", message.id, state)
            return
        {"sent": run.sent, "retry": run.retrying, "failed": run.failed}[state].append(message.id)
        # never the recipient: an address is personal data (the JSON log masks one in a reason)
        facts = {"outbox_message": message.id, "kind": message.kind, "channel": message.channel}
        if state == "sent":
            log.info("outbox message %s (%s, %s) sent", message.id, message.kind, message.channel, extra=facts)
        elif state == "retry":
            log.info(
                "outbox message %s (%s, %s) will be retried: %s",
                message.id,
                message.kind,
                message.channel,
                reason,
                extra=facts,
            )
        else:
            log.warning(
                "outbox message %s (%s, %s) failed: %s", message.id, message.kind, message.channel, reason, extra=facts
            )
            if self.on_failed is not None:
                self.on_failed(message, now)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
