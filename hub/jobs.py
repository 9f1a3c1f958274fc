"""Background jobs: alert delivery, escalation, windowed rules, the classification of cases
that responses joined, daily digests, signals, silent terminals, each team's recommendation of
the day.

``voxloop hub jobs`` runs them in their own process; ``voxloop hub serve --with-jobs`` (or
JOBS_IN_SERVE=1) inside the web process. Several job processes may run against one
PostgreSQL: delivery claims each message for one worker (hub/queries/outbox.py), escalation
steps are compare-and-set, escalation and digest messages carry dedupe keys.

Each job is a plain function of ``now`` (``JOBS``); the scheduler only calls them with the
app's clock, so tests call the same functions with the time they choose. Delivery polls every
ALERT_POLL_MS (200 ms) and is woken at once when this process queues a message.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from hub.db import database
from hub.services.action_notifications import queue_effect_notices, queue_task_notices
from hub.services.alerts.escalation import escalate_due, undeliverable
from hub.services.alerts.windows import check_windows
from hub.services.case_classification import CLASSIFY_SECONDS, classify_queued
from hub.services.digests import queue_digests
from hub.services.helpdesk.outbound import TicketSender
from hub.services.helpdesk.settings import HelpDeskSettings
from hub.services.helpdesk.sync import sync as sync_helpdesk
from hub.services.invitation_sending import run_invitations
from hub.services.invitation_sms import deliver_sms
from hub.services.invitations import InvitationSettings
from hub.services.job_runs import HEARTBEAT, JobRunRecorder
from hub.services.measure_signals import check_measure_signals
from hub.services.outbox import wakers
from hub.services.outbox.delivery import Deliverer, RetryPolicy, Senders
from hub.services.outbox.links import Links
from hub.services.outbox.transports.email import SmtpSender
from hub.services.outbox.transports.sms import sms_provider
from hub.services.outbox.transports.webhook import WebhookSender
from hub.services.recommendations import MORNING_HOUR, make_recommendations
from hub.services.reports import queue_reports
from hub.services.retention import RetentionPeriods, apply_retention
from hub.services.signals import check_signals
from hub.services.terminal_health import check_terminals
from hub.services.webhook_targets import WebhookTargets

log = logging.getLogger("voxloop.jobs")

DELIVERY_JOBS = ("deliver_email", "deliver_webhook", "deliver_ticket")
WAKE_DELAY = timedelta(milliseconds=25)
# name -> seconds between runs (delivery: ALERT_POLL_MS)
INTERVALS = {
    "classify_cases": CLASSIFY_SECONDS,  # the open cases responses joined (each once)
    "escalate": 15,
    "windows": 60,
    "digests": 300,
    "reports": 300,
    "signals": 3600,
    "measure_signals": 3600,  # the index falls while a measure moves (each store once a day)
    "silent_terminals": 60,
    "retention": 3600,
    "action_notices": 900,  # tasks due soon and overdue (each told once)
    "action_effects": 3600,  # an action's effect measured (told once; new figures come daily)
    "helpdesk": 120,  # HELPDESK_POLL_SECONDS sets it
    "invitations": 60,
    "deliver_sms": 30,
    "recommendations": 300,
}


def deliverer_for(app: Flask, *, worker: str | None = None) -> Deliverer:
    """The delivery settings of ``app``: its SMTP server, webhook timeout, links and retries;
    a message that fails for good escalates its case (hub/services/alerts/escalation.py)."""
    from hub.state import state

    c = app.config
    with app.app_context():
        contact_key = state().contact_key
    return Deliverer(
        senders=Senders(
            email=SmtpSender(
                host=c["SMTP_HOST"],
                port=int(c["SMTP_PORT"]),
                sender=c["SMTP_FROM"],
                username=c["SMTP_USERNAME"],
                password=c["SMTP_PASSWORD"],
                starttls=bool(int(c["SMTP_STARTTLS"])),
                timeout=float(c["SMTP_TIMEOUT_SECONDS"]),
            ),
            webhook=WebhookSender(
                timeout=float(c["WEBHOOK_TIMEOUT_SECONDS"]),
                targets=WebhookTargets.from_setting(c["WEBHOOK_ALLOWED_NETWORKS"]),
            ),
        ),
        links=Links(c["PUBLIC_URL"], c["SECRET_KEY"], timedelta(hours=int(c["ALERT_LINK_TTL_HOURS"]))),
        contact_key=contact_key,
        policy=RetryPolicy(
            base_seconds=float(c["ALERT_RETRY_BASE_SECONDS"]),
            cap_seconds=float(c["ALERT_RETRY_MAX_SECONDS"]),
            give_up=timedelta(hours=float(c["ALERT_GIVE_UP_HOURS"])),
            batch=int(c["ALERT_BATCH_SIZE"]),
        ),
        worker=worker or f"{socket.gethostname()}:{os.getpid()}",
        on_failed=undeliverable,
        tickets=TicketSender(HelpDeskSettings.from_config(c), c["PUBLIC_URL"], contact_key),
        ticket_timeout=float(c["HELPDESK_TIMEOUT_SECONDS"]),
    )


def job_functions(app: Flask, deliverer: Deliverer) -> dict[str, Callable[[datetime], Any]]:
    """Every job as a function of ``now`` (run inside an app context with a connection)."""
    return {
        HEARTBEAT: lambda now: None,  # its recorded runs tell /readyz that the jobs run
        "deliver_email": lambda now: deliverer.deliver_all_due(now, ("email",)),
        "deliver_webhook": lambda now: deliverer.deliver_all_due(now, ("webhook",)),
        "deliver_ticket": lambda now: deliverer.deliver_all_due(now, ("ticket",)),
        # the help desk: hand over, read its changes, tell it of resolutions (hub/services/helpdesk)
        "helpdesk": lambda now: sync_helpdesk(HelpDeskSettings.from_config(app.config), now),
        "classify_cases": classify_queued,
        "escalate": escalate_due,
        "windows": check_windows,
        "digests": lambda now: queue_digests(
            now, hour=int(app.config["DIGEST_HOUR"]), public_url=app.config["PUBLIC_URL"]
        ),
        "reports": lambda now: queue_reports(now, public_url=app.config["PUBLIC_URL"]),
        "signals": check_signals,
        "measure_signals": check_measure_signals,
        "silent_terminals": lambda now: check_terminals(now, minutes=int(app.config["TERMINAL_SILENT_MINUTES"])),
        "retention": lambda now: apply_retention(now, RetentionPeriods.from_config(app.config)),
        "action_notices": lambda now: queue_task_notices(now, digest_hour=int(app.config["DIGEST_HOUR"])),
        "action_effects": queue_effect_notices,
        "invitations": lambda now: run_invitations(now, InvitationSettings.from_config(app.config)),
        "deliver_sms": lambda now: deliver_sms(
            now, provider=sms_provider(app), links=deliverer.links, worker=deliverer.worker, policy=deliverer.policy
        ),
        "recommendations": lambda now: make_recommendations(
            now, hour=int(app.config.get("RECOMMENDATION_HOUR", MORNING_HOUR))
        ),
    }


class JobRunner:
    """The jobs on an APScheduler BackgroundScheduler: delivery on one thread per channel (a
    hanging webhook never holds up email), the periodic jobs on a small pool."""

    def __init__(self, app: Flask, *, worker: str | None = None) -> None:
        self.app = app
        self.clock: Callable[[], datetime] = app.config["CLOCK"]
        self.deliverer = deliverer_for(app, worker=worker)
        self.jobs = job_functions(app, self.deliverer)
        self.runs = JobRunRecorder(self.deliverer.worker)
        self._scheduler: Any = None

    def run(self, name: str) -> Any:
        """Run one job now, as the scheduler does (also handy from a shell)."""
        with self.app.app_context():
            database.connect(reuse_if_open=True)
            ok = False
            try:
                result = self.jobs[name](self.clock())
                ok = True
                return result
            except Exception:
                log.exception("job %s failed", name)
                return None
            finally:
                self.runs.ran(name, self.clock(), ok=ok)
                database.close()

    def start(self) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        quiet = logging.getLogger("voxloop.jobs.scheduler")
        quiet.setLevel(logging.ERROR)
        for name in ("default", *DELIVERY_JOBS):
            logging.getLogger(f"apscheduler.executors.{name}").setLevel(logging.WARNING)
        scheduler = BackgroundScheduler(
            executors={
                "default": ThreadPoolExecutor(2),
                "deliver_email": ThreadPoolExecutor(1),
                "deliver_webhook": ThreadPoolExecutor(1),
                "deliver_ticket": ThreadPoolExecutor(1),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
            timezone=UTC,
            logger=quiet,
        )
        poll = timedelta(milliseconds=int(self.app.config["ALERT_POLL_MS"]))
        start = datetime.now(UTC)
        for name in DELIVERY_JOBS:
            scheduler.add_job(
                self.run,
                "interval",
                args=[name],
                seconds=poll.total_seconds(),
                id=name,
                executor=name,
                next_run_time=start,
            )
        heartbeat = {HEARTBEAT: int(self.app.config["JOBS_HEARTBEAT_SECONDS"])}
        helpdesk = {"helpdesk": int(self.app.config["HELPDESK_POLL_SECONDS"])}
        for name, seconds in {**INTERVALS, **heartbeat, **helpdesk}.items():
            scheduler.add_job(self.run, "interval", args=[name], seconds=seconds, id=name, next_run_time=start)
        scheduler.start()
        self._scheduler = scheduler
        with self.app.app_context():
            wakers().add(self.wake)

    def wake(self) -> None:
        """Run delivery as soon as possible: a message was queued in this process. The queuing
        transaction commits right after, so the run starts a moment later (WAKE_DELAY) to find
        it committed; if it is slower, the next poll finds it."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        now = datetime.now(UTC) + WAKE_DELAY
        for name in DELIVERY_JOBS:
            try:
                scheduler.modify_job(name, next_run_time=now)
            except Exception:  # stopped meanwhile
                log.debug("delivery job not running", exc_info=True)

    def stop(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        with self.app.app_context():
            wakers().discard(self.wake)
        if scheduler is not None:
            scheduler.shutdown(wait=True)
