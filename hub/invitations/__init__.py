"""The customer's side of an invitation (hub/services/invitation_links.py):

    GET  /invite/<token>        the personal link: recorded as opened, then the phone page for
                                this invitation (one response)
    GET  /unsubscribe/<token>   a page that asks whether to stop the invitations, in the
                                invitation's language
    POST /unsubscribe/<token>   stops them: the page's button, and the one-click unsubscribe a
                                mail client sends (RFC 8058, body ``List-Unsubscribe=One-Click``)

The unsubscribe POST carries no CSRF token by design: a mail provider sends it without a
session, and the secret in the link is the proof (the guard leaves this blueprint's POSTs to
it). The arguments are named ``token`` so hub/logs.py keeps them out of log lines.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template

from hub.clock import now
from hub.i18n import in_language
from hub.services.invitation_keys import InvitationKeys
from hub.services.invitation_links import open_link, unsubscribe, unsubscribe_language
from hub.services.invitations import InvitationSettings
from hub.services.qr_tokens import QrKeys

bp = Blueprint("invitations", __name__)


def _keys() -> InvitationKeys:
    return InvitationKeys.from_secret(current_app.config["SECRET_KEY"])


@bp.get("/invite/<token>")
def follow(token: str) -> Response:
    opened = open_link(
        token,
        keys=_keys(),
        qr_keys=QrKeys.from_config(current_app.config),
        settings=InvitationSettings.from_config(current_app.config),
        now=now(),
    )
    return redirect(f"/m/{opened.phone_token}?lang={opened.language}", code=303)


@bp.get("/unsubscribe/<token>")
def ask_to_unsubscribe(token: str) -> str:
    language = unsubscribe_language(token, keys=_keys(), now=now())
    with in_language(language):
        return render_template("invitations/unsubscribe.html", lang=language, done=False)


@bp.post("/unsubscribe/<token>")
def do_unsubscribe(token: str) -> str:
    language = unsubscribe(token, keys=_keys(), now=now())
    with in_language(language):
        return render_template("invitations/unsubscribe.html", lang=language, done=True)
