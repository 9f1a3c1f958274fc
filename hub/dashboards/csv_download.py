"""CSV downloads for people, written so a spreadsheet opens them as they are: UTF-8 with a byte
order mark (without one Excel reads the file in the machine's legacy code page and garbles
umlauts), and in the person's language: German with ';' between cells and a decimal comma, as
Excel set to German expects (it reads ',' as the decimal separator), English with ',' and a
decimal point. The page beside each download link says which (``csv_note``).

Machines keep plain CSV: the JSON API's downloads (/api/v1/...) do not come through here.
A text cell a spreadsheet would run as a formula gets a leading apostrophe (``csv_cell``);
numbers are written as numbers, so a negative index stays one."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, request
from markupsafe import Markup, escape

from hub.i18n import current_language, gettext

BOM = "\ufeff"
# a spreadsheet runs a cell that starts with one of these as a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class GermanExcel(csv.excel):
    """Excel's dialect in a German locale: cells separated by semicolons."""

    delimiter = ";"


def dialect(language: str) -> type[csv.Dialect]:
    return GermanExcel if language == "de" else csv.excel


def csv_cell(value: Any) -> str:
    """A cell as text; one a spreadsheet would run as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def number_cell(value: int | float, language: str) -> str | int | float:
    """A number as the language's spreadsheet reads it: a decimal comma in German."""
    if language == "de" and isinstance(value, float):
        return repr(value).replace(".", ",")
    return value


def cells(row: Sequence[Any], language: str) -> list[Any]:
    return [
        number_cell(cell, language) if isinstance(cell, int | float) and not isinstance(cell, bool) else csv_cell(cell)
        for cell in row
    ]


def csv_download(header: Sequence[str], rows: Iterable[Sequence[Any]], name: str) -> Response:
    """``rows`` under ``header`` as ``name``.csv for the signed-in person's spreadsheet."""
    for_machines = request.path.startswith("/api/")
    language = "en" if for_machines else current_language()
    out = io.StringIO()
    if not for_machines:
        out.write(BOM)
    writer = csv.writer(out, dialect=dialect(language))
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow(cells(row, language))
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def csv_note() -> Markup:
    """What the downloads of this page are, said beside their links."""
    if current_language() == "de":
        text = gettext("CSV for Excel in German: UTF-8, cells separated by semicolons, decimal comma.")
    else:
        text = gettext("CSV for Excel in English: UTF-8, cells separated by commas, decimal point.")
    return Markup('<small class="muted csv-note">') + escape(text) + Markup("</small>")
