"""Alerts: rules that decide which feedback someone must hear about, and how it reaches them.

    rules.py          the rules HQ sets (checked when saved) and the rule book kept in memory
    conditions.py     what a condition means, checked and applied without the database
    routing.py        route_alerts(): the ingest paths' one call; opens or joins cases, queues messages
    opening_hours.py  when a store is open, in its own time zone (quiet hours)
    escalation.py     unacknowledged cases go up a level at their SLA
    windows.py        windowed rules (negative share, index, volume drop) checked by a job
    digests.py        the daily digest per manager
    messages.py       what a message says (email templates, webhook payloads)
    delivery.py       the outbox: claims, sends once, retries with backoff, gives up visibly
    links.py          signed, expiring acknowledge links
    trial.py          test alerts (`voxloop hub alerts test --rule R`)

The jobs that run escalation, windows, digests and delivery live in hub/jobs.py; the case
that every alert opens is worked through hub/services/cases.py.

For other ingest paths: call ``route_alerts(responses, now=now)`` with the ``ValidResponse``
values just stored, inside the write transaction that stored them (after the insert). It is
idempotent per response and rule, and skips responses flagged ``partial``.
"""

from hub.services.alerts.routing import route_alerts

__all__ = ["route_alerts"]
