"""API tokens: how a machine (a BI tool, a script, an integration) reads and works a person's
data through /api/v1 without a session.

A token belongs to a person and sees exactly what that person sees (their scope, decided
anew on every request), narrowed further by the token's scopes. It is shown once, when it is
made: the hub keeps only its SHA-256 (the token carries 256 random bits, so a fast hash is
enough) and its prefix, which names it in lists and logs. A revoked token, or one of a person
switched off, is refused. ``last_used_at`` is written at most once a minute, so a BI load of
many pages does not turn every read into a write.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from hub.db import write_transaction
from hub.models import ApiToken, User
from shared.errors import NotFound, VoxloopError

# scope -> what it allows; a route names the one it needs (hub/api/people.py)
SCOPES = {
    "analytics:read": "read the analytics API (figures, daily rows, responses, signals)",
    "cases:read": "read cases",
    "cases:write": "work cases (acknowledge, comment, assign, call back, resolve)",
    "actions:read": "read actions, their tasks and their measured effect",
    "actions:write": "make and work actions (tasks, comments, states)",
    "measures:write": "load operational measures (footfall, transactions, open tills) of the person's stores",
    "invitations:write": "invite customers of the person's stores to give feedback after a visit or contact",
    "contacts:write": "record the agent's own view of a contact centre contact",
}
ANY_SCOPE = "*"  # a route every token may call (who am I)
MARK = "vxl_"  # how every API token starts, so secret scanners can spot one
MAX_NAME = 100
LAST_USED_STEP = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def scopes_of(token: ApiToken) -> list[str]:
    return token.scopes.split()


def _checked_scopes(user: User, scopes: list[str]) -> list[str]:
    chosen = sorted(set(scopes))
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown or not chosen:
        raise VoxloopError("bad_token_request", f"choose one or more scopes of {', '.join(SCOPES)}")
    if "cases:write" in chosen and user.role == "hq_analyst":
        raise VoxloopError("bad_token_request", "an HQ analyst reads cases but does not work them: no cases:write")
    if "actions:write" in chosen and user.role == "hq_analyst":
        raise VoxloopError("bad_token_request", "an HQ analyst reads actions but does not work them: no actions:write")
    if "measures:write" in chosen and user.role == "hq_analyst":
        raise VoxloopError(
            "bad_token_request", "an HQ analyst reads measures but does not load them: no measures:write"
        )
    return chosen


def make_token(user: User, name: str, scopes: list[str], *, now: datetime) -> tuple[ApiToken, str]:
    """A new token of ``user`` named ``name`` (what uses it, e.g. "Power BI"); returns the
    stored row and the token itself, which is never shown again."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise VoxloopError("bad_token_request", f"name the token (what will use it) in 1 to {MAX_NAME} characters")
    chosen = _checked_scopes(user, scopes)
    prefix = MARK + secrets.token_hex(4)
    token = f"{prefix}_{secrets.token_urlsafe(32)}"
    with write_transaction():
        row = ApiToken.create(
            user=user.id,
            name=name,
            prefix=prefix,
            token_hash=_hash(token),
            scopes=" ".join(chosen),
            created_at=_naive(now),
        )
    return row, token


def tokens_of(user: User) -> list[ApiToken]:
    """The person's tokens, revoked ones too (they say when), newest first."""
    return list(ApiToken.select().where(ApiToken.user == user.id).order_by(ApiToken.id.desc()))


def all_tokens() -> list[ApiToken]:
    """Every person's tokens (for the command line), with their owners."""
    return list(ApiToken.select(ApiToken, User).join(User).order_by(ApiToken.id))


def revoke_token(token_id: int, *, now: datetime, user: User | None = None) -> ApiToken:
    """Revoke a token from now on; ``user``: only among that person's own tokens (the
    command line, run by the operator, passes none). Revoking twice keeps the first time."""
    query = ApiToken.select().where(ApiToken.id == token_id)
    if user is not None:
        query = query.where(ApiToken.user == user.id)
    with write_transaction():
        token = query.first()
        if token is None:
            raise NotFound("not_found", f"no API token {token_id}")
        if token.revoked_at is None:
            token.revoked_at = _naive(now)
            token.save()
    return token


def authenticate(token: str, *, now: datetime) -> tuple[ApiToken, User]:
    """The live token and its active owner for a bearer ``token``, or ``bad_api_token``."""
    found = None
    if token.startswith(MARK) and len(token) < 200:
        found = ApiToken.select(ApiToken, User).join(User).where(ApiToken.token_hash == _hash(token)).first()
    if found is None or found.revoked_at is not None or not found.user.active:
        raise VoxloopError("bad_api_token", "send a live API token as 'Authorization: Bearer <token>'")
    naive_now = _naive(now)
    if found.last_used_at is None or naive_now - found.last_used_at >= LAST_USED_STEP:
        with write_transaction():
            ApiToken.update(last_used_at=naive_now).where(ApiToken.id == found.id).execute()
        found.last_used_at = naive_now
    return found, found.user


def require_scope(token: ApiToken, needed: str | None) -> None:
    """``needed``: the scope a route asks for; None: a route for people only (no token)."""
    if needed == ANY_SCOPE:
        return
    if needed is None:
        raise VoxloopError("insufficient_scope", "this route takes a signed-in session, not an API token")
    if needed not in scopes_of(token):
        raise VoxloopError("insufficient_scope", f"this needs an API token with the scope {needed}")
