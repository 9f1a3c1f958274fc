"""The JSON API under /api/v1: terminal enrollment, sync and config; for people (signed in, or
their API tokens) cases, alert rules and analytics; described by the OpenAPI document in
openapi.json next to this file."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# routes register on bp; alert_rules, cases and people are for people (session + CSRF header, or a token)
from hub.api import (  # noqa: E402,F401
    actions,
    alert_rules,
    analytics,
    cases,
    contacts,
    enroll,
    helpdesk,
    invitations,
    measure_signals,
    measures,
    openapi,
    people,
    signals,
    sync,
    terminal_config,
)
