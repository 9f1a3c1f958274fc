"""The sync worker: empties the terminal's outbox into the hub, each response exactly once.

One *round* (``run_once``) sends the pending responses, oldest first, in signed batches that
carry the terminal's heartbeat, until the outbox is empty or something fails. From each answer
it marks every item by its result (``accepted``/``duplicate``: delivered; ``invalid``/
``conflict``: quarantined, kept, never retried), queues again what the hub reports ``missing``
(a hub restored from a backup) and names in the next heartbeat those of them it will never
send (``unavailable``: quarantined or forgotten, so the hub stops asking for them), fetches the
configuration when the hub's ETag differs from the stored one, and forgets delivered responses
past the retention period. With nothing pending a
round still sends an empty batch: the heartbeat, and the hub's chance to ask for missing ones.

When a round fails (hub unreachable, 5xx, an answer that is not the protocol's), the next one
waits an exponential backoff with full jitter, capped; ``trigger()`` (a bad rating was just
captured, or support pressed "sync now") makes it due at once anyway. A revoked terminal
(403 ``revoked_device``) stops sending for good -- the state is kept in the settings -- while
capture goes on and nothing is deleted.

Clock: terminals drift, and some boot in 1970. The worker signs with its clock plus the offset
learned from the hub (``hub_time`` in a sync answer, else the ``Date`` header); a
``stale_created`` refusal teaches the offset from that refusal's ``Date`` header and the batch
is sent once more. Capture times stay as the terminal saw them; the hub flags implausible
ones ``clock_skew``. Times the worker stores (delivered, last sync, pruning) are hub time.

Time comes in as ``now`` (plus a monotonic clock for the time spent inside a round) and the
network through the HubClient's session, so tests step the worker without patching anything.
``tick``/``run_once`` run on one worker thread; ``trigger`` may be called from any thread.

State kept in the LocalStore settings: ``last_sync_at``, ``last_attempt_at``, ``last_error``,
``clock_offset_seconds``, ``revoked``/``revoked_at``, ``config``/``config_etag``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from kiosk.hub_client import HubAnswer, HubClient, HubError
from kiosk.identity import APP_VERSION
from kiosk.local_store import DELIVERED_STATUSES, QUARANTINE_STATUSES, LocalStore
from shared.protocol import (
    MAX_UNAVAILABLE_RANGES,
    Heartbeat,
    SurveyDefinition,
    format_time,
    make_batch,
    parse_time,
)
from shared.terminal_settings import settings_problem, sync_interval

log = logging.getLogger("voxloop.kiosk.sync")

RETENTION = timedelta(days=30)
PRUNE_EVERY = timedelta(hours=1)
# A round ends after this many batches even if more is pending (it is due again at once), so
# a misbehaving hub cannot keep one round going forever.
MAX_BATCHES_PER_ROUND = 200
REVOKED = "revoked_device: this terminal was revoked by the hub; taps are kept here, ask for re-enrollment"


@dataclass(frozen=True)
class Backoff:
    """Waits after failed rounds: ``uniform(0, min(cap, base * 2 ** (failures - 1)))``."""

    base: float = 2.0
    cap: float = 300.0

    def bound(self, failures: int) -> float:
        return min(self.cap, self.base * 2.0 ** min(max(failures - 1, 0), 30))


@dataclass(frozen=True)
class SyncOutcome:
    """What one round did."""

    ok: bool
    sent: int = 0
    delivered: int = 0
    quarantined: int = 0
    requeued: int = 0
    pending: int = 0
    error: str | None = None
    revoked: bool = False
    config_changed: bool = False
    retry_in_seconds: float | None = None

    def describe(self) -> str:
        done = (
            f"sent {self.sent}, delivered {self.delivered}, quarantined {self.quarantined}, "
            f"re-sent on request {self.requeued}, still pending {self.pending}"
        )
        if self.ok:
            extra = "; new configuration applied" if self.config_changed else ""
            warning = f"; {self.error}" if self.error else ""
            return f"sync ok: {done}{extra}{warning}"
        if self.revoked:
            return f"sync stopped: {self.error}; {done}"
        retry = f"; next try in {self.retry_in_seconds:.1f} s" if self.retry_in_seconds is not None else ""
        return f"sync failed: {self.error}; {done}{retry}"


def config_problem(config: object) -> str | None:
    """Why a configuration from the hub cannot be used, or None when it can."""
    if not isinstance(config, dict):
        return "the configuration is not a JSON object"
    for part in ("store", "touchpoint"):
        value = config.get(part)
        if not isinstance(value, dict) or not isinstance(value.get("code"), str) or not value["code"]:
            return f"{part} with a code is missing"
    survey = config.get("survey")
    if not isinstance(survey, dict):
        return "the survey is missing"
    try:
        SurveyDefinition.from_dict(survey)
    except ValueError as exc:
        return f"the survey is not usable: {exc}"
    return settings_problem(config.get("kiosk", {}))


class _HubDate:
    """The session the worker talks through; remembers the ``Date`` header of the hub's last
    answer. A refusal reaches the worker as a HubError without headers, and a ``stale_created``
    refusal is exactly the answer whose Date the terminal needs."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.date: str | None = None

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        self.date = None
        reply = self.session.request(method, url, **kwargs)
        self.date = reply.headers.get("Date")
        return reply


@dataclass
class _Tally:
    sent: int = 0
    delivered: int = 0
    quarantined: int = 0
    requeued: int = 0
    batches: int = 0
    last_answer: HubAnswer | None = None


class SyncWorker:
    def __init__(
        self,
        store: LocalStore,
        client: HubClient,
        *,
        batch_size: int = 100,
        rng: random.Random | None = None,
        backoff: Backoff | None = None,
        app_version: str = APP_VERSION,
        on_config_change: Callable[[dict[str, Any]], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        retention: timedelta = RETENTION,
    ) -> None:
        self.store = store
        self._hub_date = _HubDate(client.session)
        self.client = HubClient(
            client.base_url, self._hub_date, device_id=client.device_id, key=client.key, timeout=client.timeout
        )
        self.batch_size = batch_size
        self.rng = rng or random.Random()  # jitter, not secrecy
        self.backoff = backoff or Backoff()
        self.app_version = app_version
        self.on_config_change = on_config_change
        self.monotonic = monotonic
        self.retention = retention
        self.failures = 0
        self.next_due: datetime | None = None  # None: due now
        self.offset = float(store.get("clock_offset_seconds") or 0.0)
        self.revoked = bool(store.get("revoked", False))
        self._wanted = threading.Event()
        self._last_prune: datetime | None = None
        # sequence numbers the hub asked for that this terminal will never send, for the next
        # heartbeat; kept in memory only (after a restart the hub asks again)
        self._unavailable: list[list[int]] = []

    # --- when -------------------------------------------------------------------------------

    def trigger(self) -> None:
        """Make the next tick run a round (thread-safe, returns at once)."""
        self._wanted.set()

    def is_due(self, now: datetime) -> bool:
        if self.revoked:
            return False
        if self._wanted.is_set() or self.next_due is None:
            return True
        wait = (self.next_due - now).total_seconds()
        # A clock set back (today -> 1970) would otherwise postpone the next round by decades.
        return wait <= 0 or wait > max(self.backoff.cap, self._interval()) + 1

    def tick(self, now: datetime) -> SyncOutcome | None:
        """Run a round if one is due; called every second by the terminal's scheduler."""
        return self.run_once(now) if self.is_due(now) else None

    # --- one round --------------------------------------------------------------------------

    def run_once(self, now: datetime) -> SyncOutcome:
        self._wanted.clear()
        if self.revoked:
            return SyncOutcome(ok=False, error=REVOKED, revoked=True, pending=self.store.counts()["pending"])
        try:
            return self._round(now)
        finally:
            self.store.checkpoint()  # the WAL back to nothing, the reserve made again if it can be

    def _round(self, now: datetime) -> SyncOutcome:
        started = self.monotonic()
        tally = _Tally()
        try:
            self._drain(now, started, tally)
        except HubError as exc:
            return self._failed(now, started, tally, exc)
        except Exception as exc:  # a bug or a disk problem must not end the worker thread
            log.exception("sync round failed inside the terminal")
            return self._failed(now, started, tally, HubError("terminal_error", f"{type(exc).__name__}: {exc}"))
        return self._succeeded(now, started, tally)

    def _drain(self, now: datetime, started: float, tally: _Tally) -> None:
        while tally.batches < MAX_BATCHES_PER_ROUND:
            # with no room to record acknowledgements, only the heartbeat goes: sending responses
            # would have them acknowledged and sent again, round after round
            sendable = self.store.can_acknowledge()
            items = self.store.pending(self.batch_size) if sendable else []
            reported = self._unavailable
            answer = self._sync(items, now, started)
            self._unavailable = []  # the hub has them now
            tally.batches += 1
            tally.last_answer = answer
            marked = self.store.apply_results(answer.body["results"], self._hub_now(now, started))
            tally.sent += len(items)
            tally.delivered += marked["delivered"]
            tally.quarantined += marked["quarantined"]
            if answer.body["missing"]:
                tally.requeued += self.store.requeue_missing(answer.body["missing"])
                self._unavailable = self.store.unsendable(answer.body["missing"])[:MAX_UNAVAILABLE_RANGES]
            # one more batch to name what will never come, unless the hub asked for exactly what
            # was just named (a hub that does not read ``unavailable``)
            if not (sendable and self.store.pending(1)) and self._unavailable in ([], reported):
                break

    def _sync(self, items: list[dict[str, Any]], now: datetime, started: float) -> HubAnswer:
        batch = make_batch(items, self._heartbeat())
        at = self._hub_now(now, started)
        try:
            answer = self.client.sync(batch, now=at)
        except HubError as exc:
            learned = _offset(self._hub_date.date, at) if exc.code == "stale_created" else None
            if learned is None:
                raise
            self.offset += learned
            log.info("the hub's clock is %.0f s from ours; signing again with the offset", self.offset)
            at = self._hub_now(now, started)
            answer = self.client.sync(batch, now=at)
        _check_answer(answer, items)
        hub_time = parse_time(answer.body.get("hub_time"))
        residual = (hub_time - at).total_seconds() if hub_time else answer.clock_offset_seconds
        if residual is not None:
            self.offset += residual
        return answer

    def _heartbeat(self) -> Heartbeat:
        counts = self.store.counts()
        return Heartbeat(
            queue_depth=counts["pending"],
            app_version=self.app_version,
            quarantined=counts["quarantined"],
            last_error=self.store.get("last_error"),
            last_seq=self.store.get("last_seq", 0),
            unavailable=tuple((first, last) for first, last in self._unavailable) or None,
        )

    def _succeeded(self, now: datetime, started: float, tally: _Tally) -> SyncOutcome:
        assert tally.last_answer is not None
        config_changed, warning = self._pull_config(tally.last_answer, now, started)
        at = self._hub_now(now, started)
        if self._last_prune is None or at - self._last_prune >= PRUNE_EVERY:
            pruned = self.store.prune_delivered(at, keep=self.retention)
            self._last_prune = at
            if pruned:
                log.info("forgot %d delivered responses older than %s", pruned, self.retention)
        self.failures = 0
        pending = self.store.counts()["pending"]
        more = pending > 0 and tally.batches >= MAX_BATCHES_PER_ROUND
        self.next_due = now if more else now + timedelta(seconds=self._interval())
        if not self.store.can_acknowledge():
            warning = "storage_full: the terminal's disk is full; responses wait until there is room"
        self.store.note(
            last_sync_at=format_time(at),
            last_attempt_at=format_time(at),
            last_error=warning,
            clock_offset_seconds=round(self.offset, 3),
        )
        return SyncOutcome(
            ok=True,
            sent=tally.sent,
            delivered=tally.delivered,
            quarantined=tally.quarantined,
            requeued=tally.requeued,
            pending=pending,
            error=warning,
            config_changed=config_changed,
        )

    def _failed(self, now: datetime, started: float, tally: _Tally, exc: HubError) -> SyncOutcome:
        at = self._hub_now(now, started)
        done = {
            "sent": tally.sent,
            "delivered": tally.delivered,
            "quarantined": tally.quarantined,
            "requeued": tally.requeued,
            "pending": self.store.counts()["pending"],
        }
        if exc.code == "revoked_device":
            self.revoked = True
            self.store.note(
                revoked=True, revoked_at=format_time(at), last_attempt_at=format_time(at), last_error=REVOKED
            )
            log.error("the hub revoked this terminal: sending stops, capture goes on")
            return SyncOutcome(ok=False, error=REVOKED, revoked=True, **done)
        self.failures += 1
        delay = self.rng.uniform(0, self.backoff.bound(self.failures))
        self.next_due = now + timedelta(seconds=delay)
        error = f"{exc.code}: {exc.detail}" + (f" (HTTP {exc.status})" if exc.status else "")
        # written only when the disk has room: a full disk may be why the round failed
        self.store.note(last_error=error, last_attempt_at=format_time(at), clock_offset_seconds=round(self.offset, 3))
        log.warning("sync failed (%s); next try in %.1f s", error, delay)
        return SyncOutcome(ok=False, error=error, retry_in_seconds=delay, **done)

    # --- configuration ----------------------------------------------------------------------

    def _pull_config(self, answer: HubAnswer, now: datetime, started: float) -> tuple[bool, str | None]:
        """Fetch and apply the configuration when the hub's ETag differs from ours; returns
        (applied, warning). A configuration that is not usable is refused, the old one stays."""
        etag, known = answer.body.get("config_etag"), self.store.get("config_etag")
        if not isinstance(etag, str) or etag == known:
            return False, None
        try:
            reply = self.client.config(now=self._hub_now(now, started), etag=known)
        except HubError as exc:
            return False, f"config not fetched: {exc.code}: {exc.detail}"
        if reply.status == 304:
            return False, None
        problem = config_problem(reply.body)
        if problem:
            log.error("refused a configuration from the hub: %s", problem)
            return False, f"config_refused: {problem}; the previous configuration stays"
        self.store.put(config=reply.body, config_etag=_header(reply.headers, "ETag") or etag)
        if self.on_config_change is not None:
            try:
                self.on_config_change(reply.body)
            except Exception:
                log.exception("a configuration listener failed")
        return True, None

    # --- helpers ----------------------------------------------------------------------------

    def _hub_now(self, now: datetime, started: float) -> datetime:
        """The hub's time as well as we know it: our clock, the learned offset, and the time
        this round has taken so far."""
        return now + timedelta(seconds=self.offset + (self.monotonic() - started))

    def _interval(self) -> float:
        config = self.store.get("config") or {}
        kiosk = config.get("kiosk") if isinstance(config, dict) else None
        return sync_interval(kiosk if isinstance(kiosk, dict) else None)


def _check_answer(answer: HubAnswer, items: list[dict[str, Any]]) -> None:
    """A sync answer must speak the protocol before anything is marked on its word."""
    body = answer.body
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise HubError("bad_answer", "the sync answer has no results list", answer.status)
    results = body["results"]
    if len(results) != len(items) or any(
        not isinstance(result, dict)
        or result.get("id") != item["id"]
        or result.get("status") not in DELIVERED_STATUSES | QUARANTINE_STATUSES
        for result, item in zip(results, items, strict=False)
    ):
        raise HubError("bad_answer", "the sync answer's results do not match the batch", answer.status)
    missing = body.get("missing") or []
    if not isinstance(missing, list) or not all(
        isinstance(r, list) and len(r) == 2 and all(isinstance(n, int) for n in r) for r in missing
    ):
        raise HubError("bad_answer", "the sync answer's missing ranges are malformed", answer.status)
    body["missing"] = missing


def _offset(date_header: str | None, at: datetime) -> float | None:
    if not date_header:
        return None
    try:
        return parsedate_to_datetime(date_header).timestamp() - at.timestamp()
    except (TypeError, ValueError):
        return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)
