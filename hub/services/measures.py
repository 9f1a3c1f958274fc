"""Operational measures per store and time: footfall, transactions, open tills, staff on shift,
queue minutes, stock-outs. What is measured is a ``Measure`` (a code, a name, a unit, a kind:
count, level or duration, and a grain: hour or day); its values are kept per store and period.

A period is named in the store's local time, as people and tills name it ("2026-03-29T23:00",
or "2026-03-29" for a daily measure); a local hour may carry its UTC offset to say which of the
two 02:00 hours of the night the clocks go back it is (without one, the first). The value is
stored under the period's first instant in UTC with the store-local day and hour it stands
for, as responses are (hub/services/response_records.py local_time): the dashboards read
store-local hours.

Loading (the API's PUT /api/v1/measures/<code>, the CLI's and the upload page's CSV) goes
through ``load``: every row is checked first and every bad row reported with its line, and a
batch with any bad row writes nothing; a good batch is written in one transaction, idempotent
by store, measure and period: a value sent again changes nothing, a changed value replaces
the stored one and is reported as replaced. Who loads writes only the stores in their scope;
only HQ admins (and the operator's command line) define new measures.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.db import write_transaction
from hub.models import Measure, Store
from hub.queries import measures as q
from hub.services.access import Scope
from shared.errors import NotFound, VoxloopError

CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TEXT = 100
MAX_BATCH = 10_000  # values per API request
CSV_COLUMNS = ("measure", "store", "period", "value")
CSV_DEFINITION = ("name", "unit", "kind", "grain")
MAX_VALUE = 1e12


@dataclass(frozen=True)
class Definition:
    code: str
    name: str
    unit: str
    kind: str
    grain: str


@dataclass(frozen=True)
class Row:
    """One value as sent: ``line`` is what an error names (the CSV line, the API's index)."""

    line: int
    measure: Any
    store: Any
    period: Any
    value: Any


@dataclass(frozen=True)
class RowError:
    line: int
    code: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "code": self.code, "detail": self.detail}


@dataclass(frozen=True)
class Replaced:
    line: int
    measure: str
    store: str
    period: str
    was: float
    now: float

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "store": self.store, "period": self.period, "was": self.was, "now": self.now}


@dataclass
class Outcome:
    created: int = 0
    unchanged: int = 0
    replaced: list[Replaced] = field(default_factory=list)
    defined: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Checked:
    row: Row
    measure: Measure
    store: Store
    start: datetime  # naive UTC
    day: date
    hour: int | None
    value: float


class RowsRefused(VoxloopError):
    """A batch with bad rows: nothing of it was written; ``errors`` names every bad row. Other
    row imports (invitations) say it with their own code and words."""

    def __init__(
        self, errors: list[RowError], code: str = "invalid_measures", outcome: str = "cannot be stored, so nothing was"
    ) -> None:
        self.errors = errors
        lines = len({e.line for e in errors})
        super().__init__(
            code,
            f"{lines} row(s) {outcome}; the errors name each by its line",
            errors=[e.as_dict() for e in errors],
        )


def _definition_error(d: Definition) -> str | None:
    if not CODE.match(d.code):
        return "a measure's code is 1 to 40 lower-case letters, digits or '_', starting with a letter"
    if not d.name or len(d.name) > MAX_TEXT or len(d.unit) > MAX_TEXT:
        return f"a measure has a name of 1 to {MAX_TEXT} characters and a unit of at most {MAX_TEXT}"
    if d.kind not in Measure.KINDS:
        return f"a measure's kind is one of {', '.join(Measure.KINDS)}"
    if d.grain not in Measure.GRAINS:
        return f"a measure's grain is one of {', '.join(Measure.GRAINS)}"
    return None


def definition(code: str, fields: Mapping[str, Any]) -> Definition:
    """A definition from sent fields (name defaults to the code, unit to none)."""
    values = {k: fields.get(k) for k in CSV_DEFINITION}
    if not all(v is None or isinstance(v, str) for v in values.values()):
        raise VoxloopError("invalid_measures", "a measure's name, unit, kind and grain are strings", errors=[])
    return Definition(
        code=code,
        name=values["name"] or code,
        unit=values["unit"] or "",
        kind=values["kind"] or "",
        grain=values["grain"] or "",
    )


def define(d: Definition, *, now: datetime) -> Measure:
    """A new measure; an existing one with the same definition is returned as it is."""
    problem = _definition_error(d)
    if problem:
        raise VoxloopError("invalid_measures", problem, errors=[])
    with write_transaction():
        return _defined(d, now)


def _defined(d: Definition, now: datetime) -> Measure:
    found = Measure.get_or_none(Measure.code == d.code)
    if found is None:
        return Measure.create(
            code=d.code, name=d.name, unit=d.unit, kind=d.kind, grain=d.grain, created_at=now.replace(tzinfo=None)
        )
    if (found.kind, found.grain) != (d.kind, d.grain) and d.kind and d.grain:
        raise VoxloopError(
            "measure_conflict",
            f"the measure {d.code} is a {found.kind} per {found.grain}, not a {d.kind} per {d.grain}",
        )
    return found


def measures() -> list[Measure]:
    return list(Measure.select().order_by(Measure.name, Measure.code))


def measure_by_code(code: str) -> Measure:
    found = Measure.get_or_none(Measure.code == code)
    if found is None:
        raise NotFound("unknown_measure", f"there is no measure {code!r}")
    return found


# --- periods ---------------------------------------------------------------------------------


def parse_period(text: Any, grain: str, zone: ZoneInfo) -> tuple[datetime, date, int | None]:
    """The UTC start (naive), local day and local hour of a period named in the store's time;
    ValueError says what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("name the period as text: YYYY-MM-DD, or YYYY-MM-DDTHH:00 for an hourly measure")
    text = text.strip()
    if grain == "day":
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise ValueError(f"{text!r} is not a day (YYYY-MM-DD); this measure is daily")
        return _utc(datetime.combine(day, time(0)).replace(tzinfo=zone)), day, None
    try:
        moment = datetime.fromisoformat(text) if len(text) >= 13 and text[10] in "T " else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(f"{text!r} is not a local hour (YYYY-MM-DDTHH:00); this measure is hourly")
    local = moment.astimezone(zone) if moment.tzinfo is not None else _existing_local(moment, zone)
    if (local.minute, local.second, local.microsecond) != (0, 0, 0):
        raise ValueError(f"{text!r} does not start a store-local hour (minutes and seconds are 0)")
    return _utc(local), local.date(), local.hour


def _existing_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """A naive local time in the zone (the first of two on the night the clocks go back); a
    time the clocks skip is refused."""
    local = moment.replace(tzinfo=zone, fold=0)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        raise ValueError(f"{moment.isoformat()} does not exist in {zone.key}: the clocks go forward then")
    return local


def _utc(local: datetime) -> datetime:
    return local.astimezone(UTC).replace(tzinfo=None)


def period_text(start: datetime, grain: str, zone: ZoneInfo) -> str:
    """How a stored period is named: its local day, or its local hour with the offset."""
    local = start.replace(tzinfo=UTC).astimezone(zone)
    return local.date().isoformat() if grain == "day" else local.isoformat(timespec="minutes")


# --- loading -----------------------------------------------------------------------------------


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("the value is a number, not true or false")
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", ".")) if value.strip() else None
        except ValueError:
            value = None
        if value is None:
            raise ValueError("the value is not a number")
    if not isinstance(value, int | float):
        raise ValueError("the value is a number")
    value = float(value)
    if not math.isfinite(value) or value < 0 or value > MAX_VALUE:
        raise ValueError(f"the value is a number from 0 to {MAX_VALUE:.0e}")
    return value


class _Context:
    """What checking rows needs to look up: measures (and those the batch defines), stores."""

    def __init__(self, scope: Scope, definitions: Mapping[str, Definition], may_define: bool, now: datetime):
        self.scope = scope
        self.measures = {m.code: m for m in Measure.select()}
        self.stores = {s.code: s for s in Store.select()}
        self.zones: dict[str, ZoneInfo] = {}
        self.definitions = definitions
        self.may_define = may_define
        self.now = now
        self.to_define: dict[str, Definition] = {}

    def measure(self, code: Any) -> Measure:
        if not isinstance(code, str) or not code:
            raise _Bad("missing_field", "name the measure")
        if code in self.measures:
            return self.measures[code]
        d = self.definitions.get(code)
        if d is None or not self.may_define:
            raise _Bad(
                "unknown_measure",
                f"there is no measure {code!r}" + ("" if self.may_define else " (HQ admins define measures)"),
            )
        problem = _definition_error(d)
        if problem:
            raise _Bad("invalid_measure", problem)
        self.to_define[code] = d
        # an unsaved stand-in until the batch is written
        self.measures[code] = Measure(code=d.code, name=d.name, unit=d.unit, kind=d.kind, grain=d.grain)
        return self.measures[code]

    def store(self, code: Any) -> Store:
        if not isinstance(code, str) or not code:
            raise _Bad("missing_field", "name the store by its code")
        found = self.stores.get(code)
        if found is not None and self.scope.sees(found.id):
            return found
        if self.scope.store_ids is None:
            raise _Bad("unknown_store", f"there is no store {code!r}")
        raise _Bad("wrong_store", f"you may not write values of the store {code!r}")

    def zone(self, store: Store) -> ZoneInfo:
        if store.code not in self.zones:
            self.zones[store.code] = ZoneInfo(store.time_zone)
        return self.zones[store.code]


class _Bad(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _check(row: Row, context: _Context) -> _Checked:
    measure = context.measure(row.measure)
    store = context.store(row.store)
    try:
        start, day, hour = parse_period(row.period, measure.grain, context.zone(store))
    except ValueError as error:
        raise _Bad("bad_time", str(error)) from None
    try:
        value = _number(row.value)
    except ValueError as error:
        raise _Bad(
            "wrong_type" if row.value is None or isinstance(row.value, bool | list | dict) else "value_out_of_range",
            str(error),
        ) from None
    return _Checked(row, measure, store, start, day, hour, value)


def check(
    scope: Scope,
    rows: Iterable[Row],
    *,
    now: datetime,
    definitions: Mapping[str, Definition] | None = None,
    may_define: bool = False,
) -> tuple[_Context, list[_Checked]]:
    """Every row checked; RowsRefused names every bad one (a period twice in the batch too)."""
    context = _Context(scope, definitions or {}, may_define, now)
    checked: list[_Checked] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str, datetime], int] = {}
    for row in rows:
        try:
            good = _check(row, context)
        except _Bad as bad:
            errors.append(RowError(row.line, bad.code, bad.detail))
            continue
        key = (good.measure.code, good.store.code, good.start)
        if key in seen:
            errors.append(RowError(row.line, "duplicate_period", f"the same period as line {seen[key]}"))
            continue
        seen[key] = row.line
        checked.append(good)
    if errors:
        raise RowsRefused(errors)
    return context, checked


def load(
    scope: Scope,
    rows: Iterable[Row],
    *,
    now: datetime,
    definitions: Mapping[str, Definition] | None = None,
    may_define: bool = False,
) -> Outcome:
    """Check every row, then write them all in one transaction (or none: RowsRefused)."""
    context, checked = check(scope, rows, now=now, definitions=definitions, may_define=may_define)
    outcome = Outcome()
    written = now.replace(tzinfo=None) if now.tzinfo is None else now.astimezone(UTC).replace(tzinfo=None)
    with write_transaction():
        ids = {code: _defined(d, now).id for code, d in context.to_define.items()}
        outcome.defined = sorted(ids)
        groups: dict[tuple[str, int], list[_Checked]] = {}
        for c in checked:
            groups.setdefault((c.measure.code, c.store.id), []).append(c)
        inserts: list[tuple[int, int, datetime, date, int | None, float, datetime]] = []
        updates: list[tuple[int, int, datetime, date, int | None, float, datetime]] = []
        for (code, store_id), group in groups.items():
            measure_id = ids.get(code) or group[0].measure.id
            held = q.stored_values(measure_id, store_id, min(c.start for c in group), max(c.start for c in group))
            for c in group:
                was = held.get(c.start)
                if was is None:
                    inserts.append((measure_id, store_id, c.start, c.day, c.hour, c.value, written))
                elif was == c.value:
                    outcome.unchanged += 1
                else:
                    updates.append((measure_id, store_id, c.start, c.day, c.hour, c.value, written))
                    outcome.replaced.append(
                        Replaced(c.row.line, code, c.store.code, str(c.row.period).strip(), was, c.value)
                    )
        q.insert_values(inserts)
        q.update_values(updates)
        outcome.created = len(inserts)
    return outcome


def csv_rows(text: str) -> tuple[list[Row], dict[str, Definition]]:
    """Rows of a CSV file (a header with measure, store, period, value; name, unit, kind and
    grain optional, to define a new measure) numbered by their line in the file; RowsRefused
    for a file that cannot be read as such."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise RowsRefused(
            [RowError(1, "missing_field", f"the header lacks {', '.join(missing)} (it needs {', '.join(CSV_COLUMNS)})")]
        )
    reader.fieldnames = header
    rows: list[Row] = []
    definitions: dict[str, Definition] = {}
    errors: list[RowError] = []
    for record in reader:
        line = reader.line_num
        if None in record:
            errors.append(RowError(line, "malformed_row", "the row has more cells than the header"))
            continue
        cells = {k: (v or "").strip() for k, v in record.items()}
        if not any(cells.values()):
            continue
        rows.append(Row(line, cells["measure"], cells["store"], cells["period"], cells["value"]))
        if cells.get("kind") or cells.get("grain"):
            definitions.setdefault(
                cells["measure"], definition(cells["measure"], {k: cells.get(k) or None for k in CSV_DEFINITION})
            )
    if errors:
        raise RowsRefused(errors)
    return rows, definitions


def import_csv(scope: Scope, text: str, *, now: datetime, may_define: bool) -> Outcome:
    """A CSV file loaded whole or not at all; RowsRefused lists every bad row by its line."""
    rows, definitions = csv_rows(text)
    if not rows:
        raise RowsRefused([RowError(1, "missing_field", "the file holds no values")])
    try:
        return load(scope, rows, now=now, definitions=definitions, may_define=may_define)
    except RowsRefused:
        raise
    except VoxloopError as error:
        raise RowsRefused([RowError(1, error.code, str(error.detail))]) from None


# --- what the dashboards show --------------------------------------------------------------------


def hour_means(
    measure: Measure, store_ids: Collection[int] | None, start: date, end: date
) -> dict[tuple[int, int], tuple[float, int]]:
    """Per (weekday, store-local hour): the mean of the values held and how many there are."""
    totals: dict[tuple[int, int], list[float]] = {}
    for (day, hour), (total, n) in q.hour_sums(measure.id, store_ids, start, end).items():
        cell = totals.setdefault((day.weekday(), hour), [0.0, 0])
        cell[0] += total
        cell[1] += n
    return {key: (total / n, int(n)) for key, (total, n) in sorted(totals.items())}


def daily_values(measure: Measure, store_id: int, start: date, end: date) -> dict[date, float]:
    """A store's value per local day: the sum of an hourly count or duration, the mean of an
    hourly level, a daily measure's own value."""
    sums = q.day_sums(measure.id, store_id, start, end)
    if measure.grain == "hour" and measure.kind == "level":
        return {day: total / n for day, (total, n) in sorted(sums.items())}
    return {day: total for day, (total, n) in sorted(sums.items())}


@dataclass(frozen=True)
class StoreMeasure:
    measure: Measure
    days: dict[date, float]

    @property
    def total(self) -> float:
        return sum(self.days.values())


def store_measures(store_id: int, start: date, end: date) -> list[StoreMeasure]:
    """Every measure with values for the store in the period, with its daily values."""
    found = []
    for measure in measures():
        days = daily_values(measure, store_id, start, end)
        if days:
            found.append(StoreMeasure(measure, days))
    return found


TRANSACTIONS = "transactions"


def response_rate(found: Sequence[StoreMeasure], responses: Mapping[date, int]) -> tuple[float, int, float] | None:
    """Responses per 100 transactions over the days that have a transactions count (responses,
    transactions and the rate), or None without one."""
    transactions = next((m for m in found if m.measure.code == TRANSACTIONS), None)
    if transactions is None or transactions.total <= 0:
        return None
    answered = sum(responses.get(day, 0) for day in transactions.days)
    return 100.0 * answered / transactions.total, answered, transactions.total


def day_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
