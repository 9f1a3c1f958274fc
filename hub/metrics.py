"""What a hub process counts for Prometheus, and the text a scrape of /metrics gets.

Counted as requests are answered (``init_app``: one after-request hook that reads the
endpoint and the status, so no view counts for itself; only the sync view adds its items):

- ``voxloop_ingest_items_total{result}``: items of terminal batches by result (accepted,
  duplicate, conflict, invalid);
- ``voxloop_sync_request_duration_seconds``: how long POST /api/v1/sync took, any outcome;
- ``voxloop_phone_answers_total{form,code}``: answers sent from the phone page (``script``:
  each version the page's script sends; ``plain``: the form without script) by status code;
- ``voxloop_rate_limited_requests_total{area}``: requests refused with 429, by blueprint
  (phone, auth, api, ...);
- ``voxloop_http_responses_total{area,code}``: every answer by blueprint and status code.

What the database knows (the outbox, the jobs, the terminals) is read at scrape time by the
collector of hub/services/operations_metrics.py, so every hub process tells the same figures.

Under gunicorn the workers are processes of their own: with ``PROMETHEUS_MULTIPROC_DIR`` set
(deploy/gunicorn.conf.py sets it and cleans it up) each writes its counts into that directory
and a scrape answered by any worker adds up all of them (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator

from flask import Flask, Response, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from hub.logs import STARTED_KEY

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
INGEST_RESULTS = ("accepted", "duplicate", "conflict", "invalid")
PHONE_FORMS = {"phone.put_response": "script", "phone.post_form": "plain"}

PROCESS = CollectorRegistry(auto_describe=True)
INGESTED = Counter("voxloop_ingest_items", "Items of terminal batches by ingest result.", ["result"], registry=PROCESS)
SYNC_SECONDS = Histogram(
    "voxloop_sync_request_duration_seconds",
    "Time to answer POST /api/v1/sync.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=PROCESS,
)
PHONE_ANSWERS = Counter(
    "voxloop_phone_answers",
    "Answers sent from the phone page, by form and status code.",
    ["form", "code"],
    registry=PROCESS,
)
RATE_LIMITED = Counter(
    "voxloop_rate_limited_requests", "Requests refused with 429 Too Many Requests.", ["area"], registry=PROCESS
)
RESPONSES = Counter(
    "voxloop_http_responses", "Answers by blueprint and status code.", ["area", "code"], registry=PROCESS
)
for _result in INGEST_RESULTS:
    INGESTED.labels(_result)  # present from the start, so rate() sees the first one


def count_ingested(results: Iterable[dict]) -> None:
    """The per-item results of one sync batch."""
    counts: dict[str, int] = {}
    for entry in results:
        status = str(entry.get("status"))
        counts[status] = counts.get(status, 0) + 1
    for status, number in counts.items():
        INGESTED.labels(status).inc(number)


def observe(endpoint: str | None, area: str, status: int, seconds: float | None) -> None:
    """One answered request."""
    code = str(status)
    RESPONSES.labels(area, code).inc()
    if status == 429:
        RATE_LIMITED.labels(area).inc()
    if endpoint == "api.sync" and seconds is not None:
        SYNC_SECONDS.observe(seconds)
    form = PHONE_FORMS.get(endpoint or "")
    if form is not None and request.method in ("PUT", "POST"):
        PHONE_ANSWERS.labels(form, code).inc()


def init_app(app: Flask) -> None:
    @app.after_request
    def _count(response: Response) -> Response:
        started = request.environ.get(STARTED_KEY)
        seconds = time.perf_counter() - started if started is not None else None
        observe(request.endpoint, request.blueprint or "none", response.status_code, seconds)
        return response


def multiprocess_directory() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _ThisProcess(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from PROCESS.collect()


def exposition(*collectors: Collector) -> bytes:
    """The text of a scrape: this process's counts (all workers' under multiprocess mode) and
    what ``collectors`` read."""
    registry = CollectorRegistry()
    if multiprocess_directory():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)
