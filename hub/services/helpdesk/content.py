"""What a ticket says about a case: store, rule, when, and per response the rating, the reasons
and the comment, in the hub's language, with a link back to the case page.

No personal contact data by default: a contact a customer left was given for a call back by
the store, and a help desk keeps what it receives outside the hub's retention rules. Only with
HELPDESK_SEND_CONTACT=1 (an operator who runs the call backs from the help desk) the contacts
go into the ticket; a stored contact always carries the customer's consent to be contacted.
"""

from __future__ import annotations

from hub.i18n import gettext, in_language
from hub.models import Case
from hub.services.access import Scope
from hub.services.cases import contacts
from hub.services.helpdesk import NewTicket
from hub.services.response_views import case_response_ids, iso_utc, response_views

REFERENCE_PREFIX = "voxloop"
MAX_RESPONSES = 50  # a window case can hold many; the case page has them all


def reference_of(case_id: int) -> str:
    """The tag in the ticket's subject that finds the ticket of this case again."""
    return f"[{REFERENCE_PREFIX} #{case_id}]"


def ticket_for(case: Case, *, public_url: str, contact_key: bytes | None = None) -> NewTicket:
    """The ticket for ``case``; with ``contact_key`` the contacts customers left are in it."""
    contacts = _contacts(case, contact_key) if contact_key is not None else {}
    views = response_views(case_response_ids(case.id, limit=MAX_RESPONSES), case.store.time_zone)
    page = f"{public_url.rstrip('/')}/cases/{case.id}"
    with in_language(None):
        subject = f"{reference_of(case.id)} {case.rule.name}: {case.store.code} {case.store.name}"
        lines = [
            gettext(
                "Case #%(id)s at %(store)s (%(code)s), rule: %(rule)s.",
                id=case.id,
                store=case.store.name,
                code=case.store.code,
                rule=case.rule.name,
            ),
            gettext("Opened: %(when)s (UTC)", when=iso_utc(case.opened_at)),
            gettext("Case page: %(url)s", url=page),
            "",
        ]
        for view in views:
            lines.append(
                gettext(
                    "Response of %(when)s (%(touchpoint)s, %(channel)s)",
                    when=view.local_time,
                    touchpoint=view.touchpoint,
                    channel=view.channel,
                )
            )
            if view.rating is not None:
                lines.append(
                    gettext(
                        "Rating: %(rating)s of %(faces)s (%(label)s)",
                        rating=view.rating,
                        faces=view.faces or "?",
                        label=view.rating_label or "",
                    )
                )
            if view.nps is not None:
                lines.append(gettext("Recommendation (0-10): %(nps)s", nps=view.nps))
            if view.reasons:
                lines.append(gettext("Reasons: %(reasons)s", reasons=", ".join(view.reasons)))
            if view.comment:
                lines.append(gettext("Comment: %(comment)s", comment=view.comment))
            if view.id in contacts:
                lines.append(
                    gettext("Contact (the customer agreed to be contacted): %(contact)s", contact=contacts[view.id])
                )
            elif view.contact_left:
                lines.append(gettext("The customer left a contact: it is on the case page."))
            lines.append("")
        if not views:
            lines.append(gettext("No single responses: this case comes from a window of responses."))
    return NewTicket(reference=reference_of(case.id), subject=subject, body="\n".join(lines).strip() + "\n")


def _contacts(case: Case, contact_key: bytes) -> dict[str, str]:
    """The contacts of the case, opened as the people who work it open them (the case's store
    only); one that cannot be opened with this hub's key is not sent."""
    sender = Scope(user_id=0, role="hq_admin", store_ids=frozenset({case.store_id}))
    return {rid: address for rid, address in contacts(sender, case, contact_key).items() if not address.startswith("(")}
