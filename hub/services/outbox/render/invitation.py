"""An invitation to give feedback, and its one reminder (hub/services/invitation_sending.py):
in the customer's language, addressed from the sealed address (opened only to address it),
with the personal link and the one-click unsubscribe of RFC 8058 (``List-Unsubscribe`` with
the https link, ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``).

Checked when it goes out: an invitation whose customer unsubscribed, or a reminder whose
customer answered meanwhile, is ``Withdrawn``, not sent."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from flask_babel import gettext as _

from hub.i18n import in_language
from hub.models import Invitation, OutboxMessage, Store, Touchpoint
from hub.services.invitation_keys import InvitationKeys, invite_url, unsubscribe_url
from hub.services.invitations import answered
from hub.services.outbox.links import Links
from hub.services.outbox.render.alert import Withdrawn
from hub.services.outbox.render.envelope import email
from hub.services.personal_data import open_contact

CONTACT_CENTRE_KIND = "contact_centre"


def _checked(message: OutboxMessage) -> Invitation:
    invitation = Invitation.get_or_none(Invitation.id == message.payload.get("invitation"))
    if invitation is None or invitation.address_sealed is None:
        raise Withdrawn("the customer's address is no longer kept")
    if invitation.state != "sent":
        raise Withdrawn(f"the invitation is {invitation.state}")
    if message.kind == "invitation_reminder" and answered(invitation):
        raise Withdrawn("the customer answered the invitation")
    return invitation


def invitation_sms(message: OutboxMessage, *, links: Links) -> tuple[str, str]:
    """The number and the text of an invitation or reminder by SMS: short, with both links."""
    invitation = _checked(message)
    keys = InvitationKeys.from_secret(links.secret_key)
    number = open_contact(keys.seal, bytes(invitation.address_sealed), invitation.public_id)["address"]
    store = Store.get_by_id(invitation.store_id)
    with in_language(invitation.language):
        text = _(
            "%(store)s asks for your feedback: %(link)s No more invitations: %(unsubscribe)s",
            store=store.name,
            link=invite_url(links.public_url, keys, invitation.public_id),
            unsubscribe=unsubscribe_url(links.public_url, keys, invitation.public_id),
        )
    return number, text


def invitation_email(message: OutboxMessage, *, links: Links, sender: str, now: datetime) -> EmailMessage:
    invitation = _checked(message)
    reminder = message.kind == "invitation_reminder"
    keys = InvitationKeys.from_secret(links.secret_key)
    address = open_contact(keys.seal, bytes(invitation.address_sealed), invitation.public_id)["address"]
    store = Store.get_by_id(invitation.store_id)
    kind = Touchpoint.get_by_id(invitation.touchpoint_id).kind
    unsubscribe = unsubscribe_url(links.public_url, keys, invitation.public_id)
    with in_language(invitation.language):
        subject = (
            _("Reminder: your feedback to %(store)s", store=store.name)
            if reminder
            else _("Your feedback to %(store)s", store=store.name)
        )
        mail = email(
            message,
            to=address,
            subject=subject,
            template="invitation",
            sender=sender,
            now=now,
            context={
                "lang": invitation.language,
                "store": store.name,
                "reminder": reminder,
                "contact_centre": kind == CONTACT_CENTRE_KIND,
                "link": invite_url(links.public_url, keys, invitation.public_id),
                "unsubscribe": unsubscribe,
            },
        )
    mail["List-Unsubscribe"] = f"<{unsubscribe}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return mail
