"""Help desks: a case handed over becomes a ticket in the ticket system the service team
already uses, and the two stay in step (docs/helpdesk.md).

    __init__.py        the connector interface (``HelpDesk``), what it reads and writes
                       (``NewTicket``, ``TicketState``), its errors, and the registry by name
    settings.py        the hub's settings for it (HELPDESK_*), and the connector they name
    request_tracker.py Request Tracker 5 over its REST 2 API
    content.py         what a ticket says about a case (no contact data unless configured)
    handover.py        handing a case over (the case page's button, the rules and stores a
                       setting names), and what the case page shows of its ticket
    outbound.py        the outbox's ``ticket`` channel: create (idempotent) and resolve
    sync.py            the sync job: queues what changed here, reads what changed there

Another system (Zendesk, Salesforce, Jira Service Management) is one module that implements
``HelpDesk`` and registers its factory under a name: ``register("zendesk", ZendeskDesk)``.
A connector raises ``HelpDeskUnavailable`` for what may pass (the help desk is down, answers
5xx, times out) and ``HelpDeskRefused`` for what will not (a bad token, an unknown queue); the
outbox retries the first with backoff and gives up on the second at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


class HelpDeskError(Exception):
    """A help desk did not do what was asked; the reason never holds a credential."""


class HelpDeskUnavailable(HelpDeskError):
    """Down, overloaded or slow: trying again later may work."""


class HelpDeskRefused(HelpDeskError):
    """Refused what was asked: trying again will not help."""


@dataclass(frozen=True)
class NewTicket:
    """A ticket to make: ``reference`` is a tag in its subject that finds it again."""

    reference: str
    subject: str
    body: str


@dataclass(frozen=True)
class TicketState:
    """A ticket as the help desk sees it. ``updated`` is the help desk's own time, as written
    by it (the cursor of the next poll); ``done`` says the help desk counts the state as
    finished (resolved, rejected)."""

    external_id: str
    state: str
    updated: str
    done: bool


class HelpDesk(Protocol):
    """What voxloop needs of a help desk. Every call may raise ``HelpDeskUnavailable`` or
    ``HelpDeskRefused``."""

    def create_ticket(self, ticket: NewTicket) -> str:
        """Make the ticket; its id in the help desk."""
        ...

    def find_ticket(self, reference: str) -> str | None:
        """The id of the ticket tagged ``reference``, if one was made (a create whose answer
        was lost): how a retried create makes no second ticket."""
        ...

    def ticket_state(self, external_id: str) -> TicketState: ...

    def changed_since(self, since: str | None) -> list[TicketState]:
        """The tickets of the hub's queue changed at or after ``since`` (the help desk's time,
        from an earlier ``TicketState.updated``; None: all)."""
        ...

    def last_comment(self, external_id: str) -> str | None:
        """The text of the ticket's last comment or reply, if any."""
        ...

    def add_comment(self, external_id: str, text: str) -> None: ...

    def resolve(self, external_id: str, note: str) -> None:
        """Comment ``note`` and set the ticket to the help desk's finished state."""
        ...

    def ticket_url(self, external_id: str) -> str:
        """Where a person opens the ticket in the help desk's own pages."""
        ...


Factory = Callable[..., HelpDesk]
_REGISTRY: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Make a connector known by ``name`` (what HELPDESK_SYSTEM says)."""
    _REGISTRY[name] = factory


def systems() -> tuple[str, ...]:
    _load_builtin()
    return tuple(sorted(_REGISTRY))


def connector(name: str, **settings: Any) -> HelpDesk:
    """The connector registered as ``name``, made with ``settings`` (base_url, token, queue,
    timeout)."""
    _load_builtin()
    if name not in _REGISTRY:
        raise KeyError(f"no help desk connector is called {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](**settings)


def _load_builtin() -> None:
    from hub.services.helpdesk import request_tracker  # noqa: F401 - registers "rt"
