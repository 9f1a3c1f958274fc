"""The outbox: everything that leaves the hub (alerts, escalations, digests, reports, signals,
close-the-loop emails, test alerts) is queued here and delivered by the jobs.

    queueing.py   queue(...): the one call that writes a message (in the caller's transaction)
                  and wakes this process's delivery jobs; dedupe and gathering keys; a
                  person's digest or report queued once in its own transaction
    delivery.py   a delivery run: claims due messages, sends each once, retries with backoff,
                  gives up visibly (hub/queries/outbox.py holds the statements)
    render/       what a message says, one module per kind
    links.py      links in messages: the case page, signed expiring acknowledge links
    transports/   email over SMTP and signed webhooks over HTTP, and their DeliveryError
    overview.py   what HQ's deliveries page shows, and sending a failed message again

Queueing imports nothing from the services that queue, so any of them can call it; only the
rendering reads what they stored (rules, cases, responses) when a message goes out.
"""

from hub.services.outbox.queueing import already_queued, queue, queue_personal_email, wakers

__all__ = ["already_queued", "queue", "queue_personal_email", "wakers"]
