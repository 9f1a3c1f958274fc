"""Health and metrics for load balancers, monitors and Prometheus (deploy/README.md, "Monitoring").

- ``/livez``: the process is up and answers (no database): restart it when this fails.
- ``/healthz``: this process can serve requests: the database answers and the schema is current.
  Load balancers keep pointing here; it says nothing about the jobs or the outbox.
- ``/readyz``: the whole hub does its job: the above, and the jobs process's heartbeat is fresh
  and no due message is stuck in the outbox (hub/services/readiness.py). 503 with the failing
  checks otherwise. For monitors, not for a load balancer: an SMTP outage must not take the
  hub out of service.
- ``/metrics``: Prometheus text, only for the scraper named by METRICS_TOKEN (a bearer token)
  or METRICS_NETWORKS (its addresses); refused to everyone when neither is set.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from flask import Blueprint, Response, current_app, jsonify, request

from hub.client_address import TrustedProxies
from hub.clock import now
from hub.db import database, is_sqlite
from hub.metrics import CONTENT_TYPE, exposition
from hub.migrations import pending
from hub.problems import problem
from hub.services.operations_metrics import OperationsCollector
from hub.services.readiness import readiness

bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        database.execute_sql("SELECT 1").fetchone()
        waiting = pending(database.obj)
    except Exception as exc:
        return jsonify({"status": "unavailable", "database": "unreachable", "error": type(exc).__name__}), 503
    body = {
        "status": "ok" if not waiting else "migrations_pending",
        "database": "sqlite" if is_sqlite() else "postgresql",
    }
    if waiting:
        body["pending_migrations"] = waiting
    return jsonify(body), 200 if not waiting else 503


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    config = current_app.config
    state = readiness(
        now(),
        jobs_stale=timedelta(seconds=float(config["JOBS_STALE_SECONDS"])),
        outbox_stuck=timedelta(seconds=float(config["OUTBOX_STUCK_SECONDS"])),
    )
    response = jsonify(state.as_json())
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if state.ready else 503


@bp.get("/metrics")
def metrics() -> Response:
    if not _scraper_allowed():
        return problem("forbidden", "metrics are for the scraper named by METRICS_TOKEN or METRICS_NETWORKS")
    response = Response(exposition(OperationsCollector(now())), content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _scraper_allowed() -> bool:
    config = current_app.config
    token = str(config["METRICS_TOKEN"] or "")
    offered = request.headers.get("Authorization", "")
    scheme, _, credentials = offered.partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), token.encode()):
        return True
    networks = str(config["METRICS_NETWORKS"] or "")
    return bool(networks.strip()) and TrustedProxies(networks).trusts(request.remote_addr or "")
