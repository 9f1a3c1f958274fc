"""The terminal: the one object the kiosk UI talks to.

``capture()`` checks a tap with the protocol's own validation (``shared.protocol``, the code
the hub trusts) and stores it durably before it returns (the thank-you shows after it); a tap
the check refuses is kept quarantined and raises ``InvalidCapture`` instead, so the UI shows
the error rather than thanks. ``config``
says what to show, ``status()`` how the terminal is doing, and a background worker syncs with
the hub (``start()``/``stop()``, ``sync_now()``). A terminal that is not enrolled (no client)
runs in demo mode: a built-in configuration, taps kept in ``demo.db``, nothing sent.

Threads: the UI calls everything here from its main thread. The sync worker runs on an
APScheduler thread, and ``on_config_change`` callbacks are called from that thread: the UI
hands them to its main thread (Kivy: ``Clock.schedule_once`` or ``@mainthread``). Nothing
here imports Kivy.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from kiosk import identity
from kiosk.hub_client import HubClient, Session
from kiosk.identity import APP_VERSION, DEFAULT_DATA_DIR, IdentityError
from kiosk.local_store import Captured, LocalStore
from kiosk.sync_worker import Backoff, SyncWorker, config_problem
from shared.continuation import LIFETIME_SECONDS, make_continuation
from shared.errors import Problem
from shared.protocol import SurveyDefinition, validate_response
from shared.scoring import is_low_rating as is_low_answer
from shared.terminal_settings import with_defaults

log = logging.getLogger("voxloop.kiosk")

SYNC_JOB = "sync"
SYNC_EXECUTOR = "kiosk_sync"


def system_clock() -> datetime:
    return datetime.now(UTC)


def demo_config() -> dict[str, Any]:
    """The built-in configuration of a terminal that is not enrolled (the hub's default survey)."""
    return json.loads(resources.files("kiosk").joinpath("demo_config.json").read_text(encoding="utf-8"))


class InvalidCapture(Exception):
    """A tap the protocol check refused. It is stored quarantined (kept, on the admin screen,
    counted in the heartbeat) and never sent; the shopper is not thanked."""

    def __init__(self, captured: Captured) -> None:
        self.captured = captured
        first = captured.problems[0]
        super().__init__(
            f"response {captured.seq} refused by the protocol check, kept quarantined: {first.code}: {first.message}"
        )


def protocol_check(config: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], list[Problem]]:
    """The problems ``shared.protocol.validate_response`` finds in a response of ``config``'s survey."""
    survey = SurveyDefinition.from_dict(config["survey"])

    def lookup(key: str, version: int) -> SurveyDefinition | None:
        return survey if (key, version) == (survey.key, survey.version) else None

    def check(body: Mapping[str, Any]) -> list[Problem]:
        return validate_response(dict(body), lookup)[1]

    return check


def is_low_rating(answers: Sequence[Mapping[str, Any]]) -> bool:
    """A bad experience the store should hear about now (shared.scoring.is_low_rating)."""
    return any(is_low_answer(answer.get("kind"), answer.get("value")) for answer in answers)


class Terminal:
    def __init__(
        self,
        data_dir: Path,
        *,
        client: HubClient | None,
        clock: Callable[[], datetime] = system_clock,
        random_bytes: Callable[[int], bytes] = os.urandom,
        rng: random.Random | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.client = client
        self.clock = clock
        self.random_bytes = random_bytes
        self.demo = client is None
        database = identity.demo_database_path(self.data_dir) if self.demo else identity.database_path(self.data_dir)
        self.store = LocalStore(database)
        self._set_config(self._initial_config())
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self.worker: SyncWorker | None = None
        if client is not None:
            self.worker = SyncWorker(
                self.store, client, rng=rng, backoff=backoff, on_config_change=self._config_arrived
            )
        self._scheduler: Any = None

    @classmethod
    def open(cls, data_dir: Path = DEFAULT_DATA_DIR, *, session: Session | None = None, **options: Any) -> Terminal:
        """The terminal of ``data_dir``, talking to its hub over ``requests`` (demo mode when not
        enrolled). Raises IdentityError when the enrollment record or key is damaged."""
        enrolled = identity.load(Path(data_dir))
        if enrolled is None:
            return cls(Path(data_dir), client=None, **options)
        if session is None:
            import requests

            session = requests.Session()
        client = HubClient(enrolled.hub, session, device_id=enrolled.device_id, key=enrolled.key)
        return cls(Path(data_dir), client=client, **options)

    # --- what to show -----------------------------------------------------------------------

    @property
    def config(self) -> dict[str, Any]:
        """The current configuration: store, touchpoint, survey, kiosk settings, phone_url."""
        return self._current[0]

    def on_config_change(self, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call ``callback(config)`` when a new configuration arrived (from the worker thread)."""
        self._listeners.append(callback)

    def _initial_config(self) -> dict[str, Any]:
        if self.demo:
            return demo_config()
        for config in (self.store.get("config"), identity.enrollment_config(self.data_dir)):
            if config_problem(config) is None:
                return config
        raise IdentityError(f"{self.data_dir} holds no usable configuration; re-enroll this terminal")

    def _set_config(self, config: dict[str, Any]) -> None:
        # One assignment: a capture on the UI thread never pairs a new config with the old check.
        config = _with_defaults(config)
        self._current = (config, protocol_check(config))

    def _config_arrived(self, config: dict[str, Any]) -> None:
        self._set_config(config)
        log.info(
            "new configuration applied: survey %s version %s", config["survey"]["key"], config["survey"]["version"]
        )
        for callback in list(self._listeners):
            try:
                callback(self._current[0])
            except Exception:
                log.exception("a configuration listener failed")

    # --- capture ----------------------------------------------------------------------------

    def capture(
        self, answers: list[dict[str, Any]], locale: str, *, contact: Mapping[str, Any] | None = None
    ) -> Captured:
        """Check one response, store it durably, then return it; a bad rating asks for a sync
        at once.

        Raises kiosk.local_store.StoreFull when the disk is full (nothing was stored), and
        InvalidCapture when the protocol check refused it (stored quarantined)."""
        config, check = self._current
        captured = self.store.record(
            config=config,
            answers=answers,
            locale=locale,
            now=self.clock(),
            random_bytes=self.random_bytes(10),
            press_interval=float(config["kiosk"]["press_interval_seconds"]),
            contact=contact,
            check=check,
        )
        if captured.problems:
            raise InvalidCapture(captured)
        if is_low_rating(answers):
            self.sync_now()
        return captured

    def continuation_url(self, captured: Captured) -> str | None:
        """The thank-you QR code's URL that continues this tap on a phone: the hub's
        ``continue_url`` and a code this terminal signs with its own key for the tap (its
        response id, store, touchpoint, an expiry two hours on by the hub's clock). None when
        the hub offers no continuation (an older hub) or the terminal is not enrolled: the
        screen shows the touchpoint's ``phone_url`` then."""
        config = self._current[0]
        base = config.get("continue_url")
        client = self.client
        if not base or client is None or client.key is None or not client.device_id or captured.problems:
            return None
        offset = float(self.store.get("clock_offset_seconds") or 0.0)  # hub clock minus ours
        code = make_continuation(
            client.key,
            response_id=captured.id,
            key_id=client.device_id,
            store=captured.body["store"],
            touchpoint=captured.body["touchpoint"],
            expires=int(self.clock().timestamp() + offset) + LIFETIME_SECONDS,
        )
        return base + code

    # --- how it is doing --------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """What the admin screen and ``voxloop kiosk status`` show."""
        counts = self.store.counts()
        config, store = self._current[0], self.store
        return {
            "mode": "demo" if self.demo else "enrolled",
            "device_id": self.client.device_id if self.client else None,
            "hub": self.client.base_url if self.client else None,
            "store": config["store"]["code"],
            "store_name": config["store"].get("name"),
            "touchpoint": config["touchpoint"]["code"],
            "app_version": APP_VERSION,
            "clock_offset_seconds": store.get("clock_offset_seconds"),
            "last_sync_at": store.get("last_sync_at"),
            "last_attempt_at": store.get("last_attempt_at"),
            "last_error": store.get("last_error"),
            "last_seq": store.get("last_seq", 0),
            "queue_depth": counts["pending"],
            "delivered": counts["delivered"],
            "quarantined": counts["quarantined"],
            "quarantine": store.quarantined(),
            "revoked": bool(store.get("revoked", False)),
        }

    # --- syncing ----------------------------------------------------------------------------

    def sync_now(self) -> None:
        """Ask for a sync round as soon as possible; returns at once."""
        if self.worker is None:
            return
        self.worker.trigger()
        scheduler = self._scheduler
        if scheduler is not None:
            try:
                scheduler.modify_job(SYNC_JOB, next_run_time=datetime.now(UTC))
            except Exception:  # stopped meanwhile; the trigger stays for the next start
                log.debug("sync job not running", exc_info=True)

    def start(self) -> None:
        """Run the sync worker in the background: a check every second, a round when due."""
        if self.worker is None or self._scheduler is not None:
            return
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        # APScheduler logs every run at INFO, and warns each second a round takes longer than
        # a second that it skipped the overlapping run (which is the point of max_instances=1).
        # Own loggers for the scheduler and this executor keep that out of the terminal's log.
        quiet = logging.getLogger("voxloop.kiosk.scheduler")
        quiet.setLevel(logging.ERROR)
        logging.getLogger(f"apscheduler.executors.{SYNC_EXECUTOR}").setLevel(logging.WARNING)
        scheduler = BackgroundScheduler(
            executors={SYNC_EXECUTOR: ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
            timezone=UTC,
            logger=quiet,
        )
        scheduler.add_job(
            self._tick,
            "interval",
            seconds=1,
            id=SYNC_JOB,
            executor=SYNC_EXECUTOR,
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        """Stop the worker, waiting for a round in progress to end."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=True)

    def close(self) -> None:
        self.stop()
        self.store.close()

    def _tick(self) -> None:
        assert self.worker is not None
        try:
            self.worker.tick(self.clock())
        except Exception:
            log.exception("sync tick failed")


def _with_defaults(config: dict[str, Any]) -> dict[str, Any]:
    return {**config, "kiosk": with_defaults(config.get("kiosk"))}
