"""Steps the invitation tests share: asking through the API, running the invitations job and
the delivery at the test clock, reading what the hub keeps."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from hub.jobs import deliverer_for
from hub.models import Invitation
from hub.services.invitation_sending import run_invitations
from hub.services.invitations import InvitationSettings
from shared.protocol import format_time
from tests.hub.conftest import connected
from tests.hub.test_api_tokens import bearer


def ask(clock: Any, reference: str, address: str = "eva@example.org", **overrides: Any) -> dict[str, Any]:
    return {
        "source": "pos",
        "reference": reference,
        "store": "B001",
        "touchpoint": "exit",
        "channel": "email",
        "language": "en",
        "send_after": format_time(clock() + timedelta(hours=1)),
        "address": address,
        **overrides,
    }


def post(client: Any, token: str, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/invitations", json=body, headers=bearer(token))


def run_job(app: Any) -> Any:
    with connected(app):
        return run_invitations(app.config["CLOCK"](), InvitationSettings.from_config(app.config))


def deliver(app: Any) -> Any:
    deliverer = deliverer_for(app, worker="test-worker")
    with connected(app):
        return deliverer.deliver_all_due(app.config["CLOCK"]())


def stored(app: Any, public_id: str) -> Invitation:
    with connected(app):
        return Invitation.get(Invitation.public_id == public_id)


def link_of(message: Any, kind: str = "invite") -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(rf"(\S+/{kind}/\S+)", text).group(1)
