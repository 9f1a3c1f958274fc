"""Request Tracker 5 over its REST 2 API (``/REST/2.0/``), token authentication.

The token (an RT auth token of a user with the rights SeeQueue, CreateTicket, ShowTicket,
ModifyTicket, CommentOnTicket, ReplyToTicket and ShowTicketComments on the queue) goes in the
``Authorization: token ...`` header, never in a URL; nothing here logs it or puts it in an
error. A ticket is found again by the tag in its subject (``Subject LIKE '[voxloop #12]'``),
its changes by TicketSQL's ``LastUpdated >= '...'`` (RT reads that time in the token user's
time zone: give that user UTC, as docs/helpdesk.md says). ``resolved`` and ``rejected`` are
finished; a new ticket's state is ``new``, one someone took up is ``open``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from hub.services.helpdesk import HelpDeskRefused, HelpDeskUnavailable, NewTicket, TicketState, register

DONE = ("resolved", "rejected", "deleted")
RETRY_STATUSES = (408, 425, 429)
PAGE = 100


class RequestTracker:
    """One RT queue, as the token's user sees it."""

    def __init__(self, *, base_url: str, token: str, queue: str, timeout: float = 10) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise HelpDeskRefused("the help desk's URL must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.api = self.base_url + "/REST/2.0"
        self._token = token
        self.queue = queue
        self.timeout = timeout

    def __repr__(self) -> str:  # never the token
        return f"RequestTracker({self.base_url!r}, queue={self.queue!r})"

    # --- the HelpDesk interface -----------------------------------------------------------------

    def create_ticket(self, ticket: NewTicket) -> str:
        answer = self._call(
            "POST",
            "/ticket",
            {"Queue": self.queue, "Subject": ticket.subject, "Content": ticket.body, "ContentType": "text/plain"},
        )
        if not isinstance(answer, dict) or "id" not in answer:
            raise HelpDeskUnavailable("Request Tracker made no ticket id")
        return str(answer["id"])

    def find_ticket(self, reference: str) -> str | None:
        query = f"Queue = {_quoted(self.queue)} AND Subject LIKE {_quoted(reference)}"
        found = [t for t in self._search(query, "Subject") if reference in str(t.get("Subject", ""))]
        return str(min(int(t["id"]) for t in found)) if found else None

    def ticket_state(self, external_id: str) -> TicketState:
        answer = self._call("GET", f"/ticket/{_number(external_id)}")
        return _state(str(answer["id"]), answer)

    def changed_since(self, since: str | None) -> list[TicketState]:
        query = f"Queue = {_quoted(self.queue)}"
        if since:
            query += f" AND LastUpdated >= {_quoted(since.replace('T', ' ').rstrip('Z'))}"
        return [_state(str(t["id"]), t) for t in self._search(query, "Status,LastUpdated")]

    def last_comment(self, external_id: str) -> str | None:
        history = self._all(f"/ticket/{_number(external_id)}/history", {"fields": "Type"})
        said = [t for t in history if t.get("Type") in ("Comment", "Correspond")]
        if not said:
            return None
        attachments = self._all(
            f"/transaction/{_number(str(said[-1]['id']))}/attachments", {"fields": "Content,ContentType"}
        )
        texts = [
            str(a.get("Content") or "") for a in attachments if str(a.get("ContentType", "")).startswith("text/plain")
        ]
        text = "\n".join(t.strip() for t in texts if t.strip())
        return text or None

    def add_comment(self, external_id: str, text: str) -> None:
        self._call("POST", f"/ticket/{_number(external_id)}/comment", {"Content": text, "ContentType": "text/plain"})

    def resolve(self, external_id: str, note: str) -> None:
        if self.ticket_state(external_id).done:
            return  # finished there already (a retry, or resolved in both places)
        self.add_comment(external_id, note)
        self._call("PUT", f"/ticket/{_number(external_id)}", {"Status": "resolved"})

    def ticket_url(self, external_id: str) -> str:
        return f"{self.base_url}/Ticket/Display.html?id={_number(external_id)}"

    # --- HTTP -----------------------------------------------------------------------------------

    def _search(self, query: str, fields: str) -> list[dict[str, Any]]:
        return self._all("/tickets", {"query": query, "fields": fields, "orderby": "id"})

    def _all(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            answer = self._call("GET", path, params={**params, "page": str(page), "per_page": str(PAGE)})
            batch = answer.get("items") or []
            items += batch
            if len(batch) < PAGE:
                return items
            page += 1

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, params: dict[str, str] | None = None
    ) -> Any:
        url = self.api + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - http(s) only, checked in __init__
        request.add_header("Authorization", f"token {self._token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json; charset=utf-8")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 - http(s) only, checked above
                raw = answer.read()
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()
            what = f"Request Tracker answered {status} to {method} {path}"
            if status >= 500 or status in RETRY_STATUSES:
                raise HelpDeskUnavailable(what) from None
            raise HelpDeskRefused(what) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise HelpDeskUnavailable(f"Request Tracker cannot be reached: {type(reason).__name__}") from None
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise HelpDeskUnavailable(
                f"Request Tracker answered {method} {path} with something other than JSON"
            ) from None


def _state(external_id: str, item: dict[str, Any]) -> TicketState:
    status = str(item.get("Status", ""))
    return TicketState(
        external_id=external_id, state=status, updated=str(item.get("LastUpdated", "")), done=status in DONE
    )


def _quoted(text: str) -> str:
    """A TicketSQL string."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _number(external_id: str) -> str:
    if not external_id.isdigit():
        raise HelpDeskRefused(f"{external_id!r} is not a Request Tracker id")
    return external_id


register("rt", RequestTracker)
