"""Alerts: rules that decide which feedback someone must hear about, and the cases they open.

    rules.py          the rules HQ sets (checked when saved) and the rule book kept in memory
    conditions.py     what a condition means, checked and applied without the database
    routing.py        route_alerts(): the ingest paths' one call; opens or joins cases, queues messages
    recipients.py     who hears of an alert at each level (store, region, HQ)
    opening_hours.py  when a store is open, in its own time zone (quiet hours)
    escalation.py     unacknowledged cases go up a level at their SLA, or when their messages fail
    windows.py        windowed rules (negative share, index, volume drop) checked by a job
    trial.py          test alerts (`voxloop hub alerts test --rule R`)

Alerts queue their messages through hub/services/outbox (``queue``), which renders, sends,
retries and shows them to HQ; the jobs that run escalation, windows and delivery live in
hub/jobs.py; the case that every alert opens is worked through hub/services/cases.py.

For other ingest paths: call ``route_alerts(responses, now=now)`` with the ``ValidResponse``
values just stored, inside the write transaction that stored them (after the insert). It is
idempotent per response (a response is in at most one case: docs/cases.md), and skips
responses flagged ``partial``.
"""

from hub.services.alerts.routing import route_alerts

__all__ = ["route_alerts"]
