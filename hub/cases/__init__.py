"""Case pages for people: my cases, a case (acknowledge, comment, assign, called back,
resolve), the acknowledge link from alert emails, and HQ's deliveries page (the outbox,
undeliverable messages, misrouted cases). Phone-first: store managers work cases on the go.
Views parse, call hub/services/cases.py and render hub/templates/cases/."""

from hub.cases import helpdesk as _helpdesk  # noqa: F401 - the help desk section's route
from hub.cases.pages import bp

__all__ = ["bp"]
