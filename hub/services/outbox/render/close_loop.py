"""The close-the-loop email to a customer (hub/services/cases.py ``resolve``): the address
stays sealed in the response until this renders it, and is opened only to address it."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from hub.models import OutboxMessage, Response, Store
from hub.services.outbox.render.envelope import email
from hub.services.personal_data import open_contact
from shared.errors import NotFound


def close_loop_email(message: OutboxMessage, *, sender: str, contact_key: bytes, now: datetime) -> EmailMessage:
    payload = message.payload
    response = Response.get_or_none(Response.id == payload["response_id"])
    if response is None or response.contact_sealed is None:  # deleted after its retention period
        raise NotFound("not_found", "the customer's contact is no longer kept")
    address = open_contact(contact_key, bytes(response.contact_sealed), str(response.id))["address"]
    store = Store.get_by_id(message.store_id)
    lang = "de" if (response.locale or "").startswith("de") else "en"
    # the store's name, not the hub's
    subject = f"Ihr Feedback an {store.name}" if lang == "de" else f"Your feedback to {store.name}"
    ctx = {"store": store, "message": payload.get("message"), "by": payload.get("by"), "lang": lang}
    return email(message, to=address, subject=subject, template="close_loop", sender=sender, now=now, context=ctx)
