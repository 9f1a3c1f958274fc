"""/dashboard/invitations: the response rates of invitations after a visit or contact per
store and channel (invited, sent, opened, answered), for the stores the person sees, and the
same table as CSV."""

from __future__ import annotations

from flask import Response, render_template

from hub.auth.guard import current_scope, signed_in
from hub.dashboards import params
from hub.dashboards.pages import bp, csv_response
from hub.services import invitation_rates


def _rows() -> tuple[list[invitation_rates.RateRow], object]:
    period = params.period("UTC")
    return invitation_rates.response_rates(current_scope(), period), period


@bp.get("/dashboard/invitations")
@signed_in
def invitation_rates_page() -> str:
    rows, period = _rows()
    return render_template("dashboards/invitations.html", rows=rows, period=period)


@bp.get("/dashboard/invitations.csv")
@signed_in
def invitation_rates_csv() -> Response:
    rows, period = _rows()
    return csv_response(
        ["store", "channel", "invited", "sent", "opened", "answered"],
        [[r.store.code, r.channel, r.invited, r.sent, r.opened, r.answered] for r in rows],
        f"invitations-{period.start}-{period.end}",
    )
