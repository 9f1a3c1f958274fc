"""/dashboard/invitations: the response rates of invitations after a visit or contact per
store and channel (invited, sent, opened, answered), for the stores the person sees, the same
table as CSV, and a CSV upload of invitations for chains without the API (HQ admins, regional
and store managers, each for their stores): all rows or none, every bad row named by its line."""

from __future__ import annotations

from flask import Response, current_app, render_template

from hub.auth.guard import current_scope, current_user, signed_in
from hub.clock import now
from hub.csv_upload import UploadRefused, uploaded_csv
from hub.dashboards import params
from hub.dashboards.pages import bp, csv_response
from hub.i18n import gettext, lazy_gettext
from hub.services import invitation_rates, invitations
from hub.services.invitation_keys import InvitationKeys

UPLOADERS = ("hq_admin", "regional_manager", "store_manager")
# what each row error means, in the person's language (the detail beside it names the value)
ROW_ERRORS = {
    "missing_field": lazy_gettext("A column is empty or missing."),
    "malformed_row": lazy_gettext("The row does not have the file's shape, or repeats an earlier row."),
    "wrong_type": lazy_gettext("A value does not have its column's form."),
    "unknown_channel": lazy_gettext("The channel is not email or sms."),
    "bad_locale": lazy_gettext("The language is not de or en."),
    "bad_time": lazy_gettext("The send time is not a time with its zone, or too far ahead."),
    "wrong_store": lazy_gettext("You may not invite for this store, or it does not exist."),
    "wrong_touchpoint": lazy_gettext("The store has no such touchpoint."),
}


def _page(status: int = 200, **shown: object) -> tuple[str, int]:
    period = params.period("UTC")
    return render_template(
        "dashboards/invitations.html",
        rows=invitation_rates.response_rates(current_scope(), period),
        period=period,
        may_upload=current_user().role in UPLOADERS,
        columns=(*invitations.FIELDS, *invitations.OPTIONAL),
        row_errors=ROW_ERRORS,
        **shown,
    ), status


@bp.get("/dashboard/invitations")
@signed_in
def invitation_rates_page() -> tuple[str, int]:
    return _page()


@bp.post("/dashboard/invitations")
@signed_in
def upload_invitations() -> tuple[str, int]:
    if current_user().role not in UPLOADERS:
        return _page(403, failure=gettext("Your role may not invite customers."))
    try:
        filename, text = uploaded_csv()
    except UploadRefused as refused:
        return _page(400, failure=refused.message)
    try:
        made = invitations.invite(
            current_scope(),
            invitations.csv_asks(text),
            keys=InvitationKeys.from_secret(current_app.config["SECRET_KEY"]),
            settings=invitations.InvitationSettings.from_config(current_app.config),
            now=now(),
            user_id=current_user().id,
        )
    except invitations.InvitationsRefused as refused:
        return _page(422, failure=gettext("Nothing was imported: the file has bad rows."), errors=refused.errors)
    created = sum(1 for m in made if m.created)
    return _page(imported={"file": filename, "created": created, "known": len(made) - created})


@bp.get("/dashboard/invitations.csv")
@signed_in
def invitation_rates_csv() -> Response:
    period = params.period("UTC")
    rows = invitation_rates.response_rates(current_scope(), period)
    return csv_response(
        ["store", "channel", "invited", "sent", "opened", "answered"],
        [[r.store.code, r.channel, r.invited, r.sent, r.opened, r.answered] for r in rows],
        f"invitations-{period.start}-{period.end}",
    )
