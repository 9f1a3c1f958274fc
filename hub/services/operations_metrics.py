"""The figures of /metrics that the database holds, read at each scrape, so every hub process
answers the same (hub/metrics.py has what a process counts itself):

- ``voxloop_outbox_waiting_messages{channel}``: the outbox's depth (not sent, not given up);
- ``voxloop_outbox_oldest_due_age_seconds{channel}``: how long the oldest due message waits;
- ``voxloop_outbox_failed_messages{channel}``: messages given up (undeliverable);
- ``voxloop_outbox_delivery_failures_total{channel}``: failed attempts of the messages held;
- ``voxloop_job_last_run_timestamp_seconds{job}``, ``voxloop_job_last_success_timestamp_seconds{job}``,
  ``voxloop_job_failures_total{job}``: the background jobs (hub/services/job_runs.py);
- ``voxloop_jobs_heartbeat_age_seconds``: since the jobs process last showed a sign of life;
- ``voxloop_terminals{status}`` and ``voxloop_terminals_silent``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hub.queries import operations as q
from hub.services.job_runs import HEARTBEAT, job_runs

CHANNELS = ("email", "ticket", "webhook")  # every outbox channel, so its gauges exist before its first message


class OperationsCollector(Collector):
    """Reads the figures when collected (inside a request with a database connection)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        yield from self._outbox()
        yield from self._jobs()
        yield from self._terminals()

    def _outbox(self) -> Iterator[Metric]:
        at = self.now.astimezone(UTC).replace(tzinfo=None)
        figures = {f.channel: f for f in q.outbox_figures(self.now)}
        waiting = GaugeMetricFamily("voxloop_outbox_waiting_messages", "Messages not sent yet.", labels=["channel"])
        oldest = GaugeMetricFamily(
            "voxloop_outbox_oldest_due_age_seconds", "Age of the oldest due message not sent.", labels=["channel"]
        )
        failed = GaugeMetricFamily(
            "voxloop_outbox_failed_messages", "Messages given up as undeliverable.", labels=["channel"]
        )
        attempts = CounterMetricFamily(
            "voxloop_outbox_delivery_failures", "Failed delivery attempts of the messages held.", labels=["channel"]
        )
        for channel in sorted({*CHANNELS, *figures}):
            f = figures.get(channel)
            waiting.add_metric([channel], f.waiting if f else 0)
            due = f.oldest_due if f else None
            oldest.add_metric([channel], max(0.0, (at - due).total_seconds()) if due is not None else 0.0)
            failed.add_metric([channel], f.failed if f else 0)
            attempts.add_metric([channel], f.failed_attempts if f else 0)
        yield from (waiting, oldest, failed, attempts)

    def _jobs(self) -> Iterator[Metric]:
        last_run = GaugeMetricFamily(
            "voxloop_job_last_run_timestamp_seconds", "When each background job last ran.", labels=["job"]
        )
        last_success = GaugeMetricFamily(
            "voxloop_job_last_success_timestamp_seconds", "When each background job last succeeded.", labels=["job"]
        )
        failures = CounterMetricFamily("voxloop_job_failures", "Failed runs of each background job.", labels=["job"])
        heartbeat = GaugeMetricFamily(
            "voxloop_jobs_heartbeat_age_seconds", "Seconds since the jobs process last recorded its heartbeat."
        )
        for run in job_runs():
            last_run.add_metric([run.name], run.last_run_at.timestamp())
            if run.last_success_at is not None:
                last_success.add_metric([run.name], run.last_success_at.timestamp())
            failures.add_metric([run.name], run.failures)
            if run.name == HEARTBEAT:
                heartbeat.add_metric([], max(0.0, (self.now - run.last_run_at).total_seconds()))
        yield from (last_run, last_success, failures)
        if heartbeat.samples:
            yield heartbeat

    def _terminals(self) -> Iterator[Metric]:
        by_status = GaugeMetricFamily("voxloop_terminals", "Enrolled terminals by status.", labels=["status"])
        for status, count in sorted(q.terminals_by_status().items()):
            by_status.add_metric([status], count)
        yield by_status
        yield GaugeMetricFamily(
            "voxloop_terminals_silent",
            "Active terminals silent while their store is open (TERMINAL_SILENT_MINUTES).",
            value=q.silent_terminals(),
        )
