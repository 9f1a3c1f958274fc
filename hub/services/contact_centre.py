"""Contact-centre feedback: the customer's view of a call or chat (an invitation that names the
pseudonymous agent and team, answered on the phone page) beside the agent's own view of it
(difficulty 1-5, resolved or not), as results per team and agent and a coaching view with the
weekly trend and the comments.

Who sees what (``CoachingScope``, decided on every request like hub/services/access.py's store
scope): HQ every team; a team lead the teams they lead (``contact_centre_member.team``); an
agent only the contacts they worked (``contact_centre_member.agent``); nobody else any. A
contact outside the scope answers "not found", so its existence is not revealed. The agent
rates their own contacts; a team lead those of their team; an HQ admin any; an HQ analyst reads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hub.db import write_transaction
from hub.models import AgentView, ContactCentreMember, Invitation, User
from hub.queries.invitations import contacts
from hub.services.access import HQ_ROLES
from hub.services.analytics import Period, survey_scales
from shared.errors import NotFound, RequestError, VoxloopError
from shared.scoring import Score, smiley_index

COACHING_ROLES = (*sorted(HQ_ROLES), "team_lead", "agent")
MAX_NOTE = 1000
TREND_WEEKS = 8


@dataclass(frozen=True)
class CoachingScope:
    user_id: int
    role: str
    teams: frozenset[str] | None  # None: every team
    agent: str | None  # set: only this agent's contacts

    def sees(self, team: str | None, agent: str | None) -> bool:
        if self.agent is not None:
            return agent == self.agent
        return self.teams is None or team in self.teams

    @property
    def may_rate(self) -> bool:
        return self.role != "hq_analyst"


def coaching_scope_for(user: User) -> CoachingScope:
    if user.role in HQ_ROLES:
        return CoachingScope(user.id, user.role, None, None)
    member = ContactCentreMember.get_or_none(ContactCentreMember.user == user.id)
    if user.role == "team_lead":
        return CoachingScope(user.id, user.role, frozenset({member.team} if member and member.team else ()), None)
    if user.role == "agent":
        # an agent without an agent id sees nothing: an id no invitation can name ("!" is not allowed)
        return CoachingScope(user.id, user.role, None, member.agent if member and member.agent else "!")
    raise VoxloopError("forbidden", f"this needs the role {' or '.join(COACHING_ROLES)}")


def set_member(user: User, *, team: str | None, agent: str | None) -> None:
    """Name the team a team lead leads and the agent id a person works under."""
    with write_transaction():
        ContactCentreMember.insert(user=user.id, team=team, agent=agent).on_conflict(
            conflict_target=[ContactCentreMember.user], update={"team": team, "agent": agent}
        ).execute()


# --- the agent's view ----------------------------------------------------------------------


def contact_in_scope(scope: CoachingScope, source: str, reference: str) -> Invitation:
    invitation = Invitation.get_or_none(
        (Invitation.source == source) & (Invitation.reference == reference) & Invitation.agent.is_null(False)
    )
    if invitation is None or not scope.sees(invitation.team, invitation.agent):
        raise NotFound("not_found", "no such contact")
    return invitation


def contact_by_id(scope: CoachingScope, invitation_id: int) -> Invitation:
    invitation = Invitation.get_or_none((Invitation.id == invitation_id) & Invitation.agent.is_null(False))
    if invitation is None or not scope.sees(invitation.team, invitation.agent):
        raise NotFound("not_found", "no such contact")
    return invitation


def record_agent_view(
    scope: CoachingScope, invitation: Invitation, *, difficulty: Any, resolved: Any, note: Any, now: datetime
) -> AgentView:
    """The agent's view of one contact, given again: replaced (the last word counts)."""
    if not scope.may_rate:
        raise VoxloopError("forbidden", "an HQ analyst reads the contact centre's results but does not rate contacts")
    if isinstance(difficulty, bool) or not isinstance(difficulty, int) or not 1 <= difficulty <= 5:
        raise RequestError("malformed_request", "difficulty is a whole number from 1 (easy) to 5 (very hard)")
    if not isinstance(resolved, bool):
        raise RequestError("malformed_request", "resolved is true or false")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise RequestError("malformed_request", f"a note is text of at most {MAX_NOTE} characters")
    at = now.astimezone(UTC).replace(tzinfo=None)
    values = {"difficulty": difficulty, "resolved": resolved, "note": note or None, "user": scope.user_id}
    with write_transaction():
        AgentView.insert(invitation=invitation.id, created_at=at, updated_at=at, **values).on_conflict(
            conflict_target=[AgentView.invitation], update={**values, "updated_at": at}
        ).execute()
    return AgentView.get(AgentView.invitation == invitation.id)


# --- results -------------------------------------------------------------------------------


@dataclass
class AgentResult:
    team: str
    agent: str
    contacts: int = 0
    answered: int = 0
    faces: dict[int, int] = field(default_factory=dict)
    difficulty_sum: int = 0
    rated: int = 0
    resolved: int = 0
    trend: list[tuple[date, Score]] = field(default_factory=list)

    def index(self, faces: int) -> Score:
        return smiley_index(self.faces, faces)

    @property
    def mean_difficulty(self) -> float | None:
        return self.difficulty_sum / self.rated if self.rated else None

    @property
    def resolved_share(self) -> float | None:
        """Contacts the agent rated resolved, in % of those rated."""
        return 100.0 * self.resolved / self.rated if self.rated else None


@dataclass(frozen=True)
class Coaching:
    faces: int
    agents: list[AgentResult]  # by team, then agent
    contacts: list[dict[str, Any]]  # newest first: the customer's answer beside the agent's view


def coaching(scope: CoachingScope, period: Period) -> Coaching:
    """Results per team and agent over the contacts invited in ``period`` (UTC days), each
    agent's weekly trend of the smiley index over the last TREND_WEEKS weeks of it, and the
    contacts with their comments and the agent's view."""
    start = datetime.combine(period.start, time(0), UTC)
    end = datetime.combine(period.end + timedelta(days=1), time(0), UTC)
    found = contacts(scope.teams, scope.agent, start, end)
    found = [c for c in found if scope.sees(c["team"], c["agent"])]  # the statement's filter, checked again
    faces = survey_scales().faces
    results: dict[tuple[str, str], AgentResult] = {}
    weekly: dict[tuple[str, str], dict[date, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for contact in found:
        key = (contact["team"] or "", contact["agent"])
        result = results.setdefault(key, AgentResult(*key))
        result.contacts += 1
        if contact["smiley"] is not None:
            result.answered += 1
            face = int(contact["smiley"])
            result.faces[face] = result.faces.get(face, 0) + 1
            day = contact["invited_at"].date()
            week = weekly[key][day - timedelta(days=day.weekday())]
            week[face] = week.get(face, 0) + 1
        if contact["difficulty"] is not None:
            result.rated += 1
            result.difficulty_sum += int(contact["difficulty"])
            result.resolved += 1 if contact["resolved"] else 0
    for key, result in results.items():
        weeks = sorted(weekly[key].items())[-TREND_WEEKS:]
        result.trend = [(monday, smiley_index(counts, faces)) for monday, counts in weeks]
    return Coaching(faces, [results[k] for k in sorted(results)], found)
