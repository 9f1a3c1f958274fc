"""/admin/measures: the operational measures and a CSV upload of their values for HQ admins
(hub/services/measures.py): all rows or none; a file with a bad row lists every bad row by
its line and writes nothing."""

from __future__ import annotations

from flask import render_template

from hub.admin.base import bp, editors
from hub.auth.guard import current_scope
from hub.clock import now
from hub.csv_upload import UploadRefused, uploaded_csv
from hub.i18n import gettext, lazy_gettext
from hub.services import measures
from hub.services.access import Scope

# what each row error means, in the person's language (the detail beside it names the value)
ROW_ERRORS = {
    "missing_field": lazy_gettext("A column is empty or missing."),
    "malformed_row": lazy_gettext("The row has more cells than the header."),
    "unknown_measure": lazy_gettext("There is no such measure; define it with kind and grain."),
    "invalid_measure": lazy_gettext("The new measure's name, unit, kind or grain cannot be used."),
    "unknown_store": lazy_gettext("There is no store with this code."),
    "wrong_store": lazy_gettext("You may not load values of this store."),
    "bad_time": lazy_gettext("The period is not a store-local day or hour of this measure."),
    "value_out_of_range": lazy_gettext("The value is not a number from 0 to 10^12."),
    "wrong_type": lazy_gettext("The value is not a number."),
    "duplicate_period": lazy_gettext("The same store, measure and period come twice in the file."),
    "measure_conflict": lazy_gettext("The measure exists with another kind or grain."),
}


def _page(status: int = 200, **shown: object) -> tuple[str, int]:
    return render_template(
        "admin/measures.html",
        measures=measures.measures(),
        columns=measures.CSV_COLUMNS,
        row_errors=ROW_ERRORS,
        **shown,
    ), status


@bp.get("/measures")
@editors
def measures_page() -> tuple[str, int]:
    return _page()


@bp.post("/measures")
@editors
def upload_measures() -> tuple[str, int]:
    try:
        filename, text = uploaded_csv()
    except UploadRefused as refused:
        return _page(400, failure=refused.message)
    scope: Scope = current_scope()
    try:
        done = measures.import_csv(scope, text, now=now(), may_define=True)
    except measures.RowsRefused as refused:
        return _page(422, failure=gettext("Nothing was imported: the file has bad rows."), errors=refused.errors)
    return _page(outcome=done, filename=filename)
