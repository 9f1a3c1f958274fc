"""Reading the insight rollups (score_daily, hour_daily, reason_daily, term_daily) for the
dashboards, the API, reports and signals; hub/services/rollups.py says what each holds.

Every function takes ``store_ids``: the stores the caller may see (``None``: every store,
read from the ``store_id = 0`` total rows, so HQ's year is a few hundred rows; an empty
collection: none), and an inclusive range of store-local days. Values come back as
``{value: count}`` with int keys (a face, an NPS or CSAT number) and zero counts left out.
Plain SQL, the same on SQLite and PostgreSQL; weeks and months are folded here from days.
score_counts reads a period's whole months from score_monthly, the whole weeks at its edges
from score_weekly and only the days left from score_daily, so a year costs about the same as
a month, and 28 days about a third of their days; the parts are summed in one statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from hub.db import database, db_day, is_sqlite, placeholders, stored_day
from hub.queries.analytics import month_start, suspect_counts, week_start
from hub.queries.rollups import ALL_COMMENTS, TOTAL

ScoreGrouping = Literal["total", "store", "day", "week", "month", "channel"]
SCORE_GROUPINGS = ("total", "store", "day", "week", "month", "channel")
# up to this many stores, a scoped query seeks each store's rows through the store index;
# beyond it, reading the day range of the primary key and filtering is cheaper
_SEEK_STORES = 20
ALL_VALUES = range(11)  # the value columns v0..v10: NPS 0-10
ONE_TO_FIVE = range(1, 6)  # a smiley's faces (four or five) and CSAT's 1-5


def _stores(table: str, store_ids: Collection[int] | None, per_store: bool, params: list[Any]) -> tuple[str, str]:
    """The store condition and (SQLite) index hint for ``store_ids``; adds its parameters."""
    if store_ids is None:
        params.append(TOTAL)
        return ("store_id <> {p}" if per_store else "store_id = {p}"), ""
    ids = sorted(store_ids)
    params.extend(ids)
    hint = f" INDEXED BY {table}_store" if is_sqlite() and len(ids) <= _SEEK_STORES else ""
    return f"store_id IN ({placeholders(len(ids))})", hint


def _fold(key: Any, by: str) -> Any:
    if by in ("day", "week", "month"):
        day = stored_day(key)
        return week_start(day) if by == "week" else month_start(day) if by == "month" else day
    return key


def _add(into: dict[int, int], values: Any, first: int) -> None:
    for offset, count in enumerate(values):
        if count:
            into[first + offset] = into.get(first + offset, 0) + int(count)


def _periods(start: date, end: date, by: str) -> list[tuple[str, date, date]]:
    """Where to read ``start``..``end`` from: (table, first, last) parts that cover it once.
    Whole calendar months come from score_monthly (first and last are months' first days
    there), whole ISO weeks left before and after them from score_weekly (the weeks'
    Mondays), the remaining days from score_daily. A grouping by day reads days only, one by
    week never months; by month, weeks are taken only within a month, so each folds into it
    (the edges around whole months lie within one month each)."""
    if by == "day":
        return [("score_daily", start, end)]
    if by == "week":
        return _weeks(start, end)
    months, edges = _whole_months(start, end)
    if months is None:  # within two months at most: by month, weeks stay in theirs
        if by == "month" and month_start(start) != month_start(end):
            return _weeks(start, month_start(end) - timedelta(days=1)) + _weeks(month_start(end), end)
        return _weeks(start, end)
    parts = [("score_monthly", *months)]
    for first, last in edges:
        parts += _weeks(first, last)
    return parts


# a part of a period: (table, first, last, sign): the rows of ``table`` from ``first`` to
# ``last``, added (1) or taken away (-1)
Part = tuple[str, date, date, int]


def _net_parts(start: date, end: date) -> list[Part]:
    """Where a grouping that is not by time (total, store, channel) reads ``start``..``end``
    from: parts whose signed sum counts each of its days once, in the fewest rows. Whole
    months come from score_monthly; a month at an edge is read as its month less the days
    outside the period when that is fewer rows than its weeks and days, and a few days of a
    week as their week less the others likewise (the rollups' counts are exact sums, so the
    difference is exact). Rows are costed one per month, week or day (per store and channel)."""
    months, edges = _whole_months(start, end)
    if months is None:  # within two months at most: by weeks across them, or each month apart
        across = _weeks_plan(start, end, 1)
        apart = [_month_edge(first, last) for first, last in _by_month(start, end)]
        if across[0] <= sum(cost for cost, _ in apart):
            return _joined(across[1])
        return _joined([part for _, parts in apart for part in parts])
    found: list[Part] = [("score_monthly", *months, 1)]
    for first, last in edges:
        found += _month_edge(first, last)[1]
    return _joined(found)


def _joined(parts: list[Part]) -> list[Part]:
    """Parts of one table and sign that follow each other as one (one range, one seek)."""
    found: list[Part] = []
    for part in parts:
        table, first, last, sign = part
        if found and found[-1][::3] == (table, sign) and _after(table, found[-1][2]) == first:
            found[-1] = (table, found[-1][1], last, sign)
        elif found and found[-1][::3] == (table, sign) and _after(table, last) == found[-1][1]:
            found[-1] = (table, first, found[-1][2], sign)
        else:
            found.append(part)
    return found


def _after(table: str, day: date) -> date:
    """The first day of the row after ``day``'s in ``table`` (the next day, Monday or month)."""
    if table == "score_monthly":
        return month_start(day + timedelta(days=31))
    return day + timedelta(days=7 if table == "score_weekly" else 1)


def _by_month(start: date, end: date) -> list[tuple[date, date]]:
    """``start``..``end`` (within two months) cut at a month's end."""
    if month_start(start) == month_start(end):
        return [(start, end)]
    return [(start, month_start(end) - timedelta(days=1)), (month_start(end), end)]


def _month_edge(first: date, last: date) -> tuple[int, list[Part]]:
    """Days within one calendar month: by weeks and days, or as the month less the rest."""
    plain = _weeks_plan(first, last, 1)
    month = month_start(first)
    after = month_start(month + timedelta(days=31))
    rest = [
        (a, b)
        for a, b in ((month, first - timedelta(days=1)), (last + timedelta(days=1), after - timedelta(days=1)))
        if a <= b
    ]
    less = [_weeks_plan(a, b, -1) for a, b in rest]
    cost = 1 + sum(c for c, _ in less)
    if cost < plain[0]:
        return cost, [("score_monthly", month, month, 1)] + [part for _, parts in less for part in parts]
    return plain


def _weeks_plan(first: date, last: date, sign: int) -> tuple[int, list[Part]]:
    """``first``..``last`` as its whole ISO weeks and the days around them (a few days of a
    week as the week less the others when fewer): its cost and parts, each with ``sign``."""
    first_whole = first + timedelta(days=-first.weekday() % 7)
    end_whole = last - timedelta(days=(last.weekday() + 1) % 7)
    if first_whole > end_whole:  # within two weeks at most
        if week_start(first) == week_start(last):
            return _week_days(first, last, sign)
        cut = week_start(last)
        plans = [_week_days(first, cut - timedelta(days=1), sign), _week_days(cut, last, sign)]
        return sum(c for c, _ in plans), [part for _, parts in plans for part in parts]
    cost = (end_whole - first_whole).days // 7 + 1
    found: list[Part] = [("score_weekly", first_whole, end_whole - timedelta(days=6), sign)]
    for a, b in ((first, first_whole - timedelta(days=1)), (end_whole + timedelta(days=1), last)):
        if a <= b:
            more, parts = _week_days(a, b, sign)
            cost += more
            found += parts
    return cost, found


def _week_days(first: date, last: date, sign: int) -> tuple[int, list[Part]]:
    """Days within one ISO week: themselves, or the week less the others when that is fewer rows."""
    days = (last - first).days + 1
    monday = week_start(first)
    if 1 + 7 - days < days:
        others = [
            (a, b)
            for a, b in ((monday, first - timedelta(days=1)), (last + timedelta(days=1), monday + timedelta(days=6)))
            if a <= b
        ]
        return 1 + 7 - days, [("score_weekly", monday, monday, sign)] + [
            ("score_daily", a, b, -sign) for a, b in others
        ]
    return days, [("score_daily", first, last, sign)]


def _whole_months(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """``start``..``end`` as its whole calendar months (the first's and the last's first days;
    None without one) and the day ranges before and after them."""
    first_whole = start if start.day == 1 else month_start(month_start(start) + timedelta(days=31))
    after_end = end + timedelta(days=1)
    end_whole = end if after_end.day == 1 else month_start(end) - timedelta(days=1)
    if first_whole > end_whole:
        return None, [(start, end)]
    edges = []
    if start < first_whole:
        edges.append((start, first_whole - timedelta(days=1)))
    if end_whole < end:
        edges.append((end_whole + timedelta(days=1), end))
    return (first_whole, month_start(end_whole)), edges


def _weeks(start: date, end: date) -> list[tuple[str, date, date]]:
    """``start``..``end`` as its whole ISO weeks (score_weekly) and the days around them."""
    first_whole = start + timedelta(days=-start.weekday() % 7)
    end_whole = end - timedelta(days=(end.weekday() + 1) % 7)
    if first_whole > end_whole:
        return [("score_daily", start, end)]
    parts = [("score_weekly", first_whole, end_whole - timedelta(days=6))]
    if start < first_whole:
        parts.append(("score_daily", start, first_whole - timedelta(days=1)))
    if end_whole < end:
        parts.append(("score_daily", end_whole + timedelta(days=1), end))
    return parts


def score_counts(
    question: str,
    start: date,
    end: date,
    store_ids: Collection[int] | None,
    by: ScoreGrouping = "total",
    *,
    with_suspect: bool = False,
    scale: range = ALL_VALUES,
) -> dict[Any, dict[int, int]]:
    """Counts per value of a numeric question, per group: None (total), store id, channel,
    the day, the Monday of the week or the first of the month. ``with_suspect``: the suspect
    responses' answers added (suspect_daily; score_daily leaves them out). ``scale``: the
    values the question takes (a smiley's faces: range(1, faces + 1)), the only columns
    summed; ingest keeps every answer within its question's scale."""
    if by not in SCORE_GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    if store_ids is not None and not store_ids:
        return {}
    sql, params = _summed(question, start, end, store_ids, by, scale)
    rows = database.execute_sql(sql, params).fetchall()
    result = _grouped(rows, by, scale)
    if with_suspect:
        for key, values in suspect_counts(question, start, end, store_ids, by).items():
            into = result[key]
            for value, count in values.items():
                if value.lstrip("-").isdigit():
                    into[int(value)] = into.get(int(value), 0) + count
    return dict(result)


def _summed(
    question: str, start: date, end: date, store_ids: Collection[int] | None, by: str, scale: range
) -> tuple[str, tuple[Any, ...]]:
    """The statement that sums every part of the period per group (one round trip, and a row
    per group for Python to add up, not one per group and part), and its parameters."""
    column = {"store": "store_id", "channel": "channel", "total": "NULL"}.get(by, "day")
    values = ", ".join(f"v{k}" for k in scale)
    taken = ", ".join(f"-v{k} AS v{k}" for k in scale)
    parts: list[str] = []
    params: list[Any] = []
    if by in ("day", "week", "month"):
        plan = [(table, first, last, 1) for table, first, last in _periods(start, end, by)]
    else:
        plan = _net_parts(start, end)
    for table, first, last, sign in plan:
        params += [question, db_day(first), db_day(last)]
        stores, hint = _stores(table, store_ids, by == "store", params)
        parts.append(
            f"SELECT {column} AS k, {values if sign > 0 else taken} FROM {table}{hint} "
            f"WHERE question = {{p}} AND day BETWEEN {{p}} AND {{p}} AND {stores}"
        )
    sums = ", ".join(f"SUM(v{k})" for k in scale)
    sql = f"SELECT k, {sums} FROM ({' UNION ALL '.join(parts)}) part GROUP BY k"
    return sql.format(p=database.param), tuple(params)


def _grouped(rows: list[tuple], by: str, scale: range) -> dict[Any, dict[int, int]]:
    """The summed rows as {group: {value: count}}, zero counts left out."""
    result: dict[Any, dict[int, int]] = defaultdict(dict)
    if by in ("day", "week", "month"):  # a day's key comes back as text on SQLite; weeks fold
        for key, *counts in rows:
            if any(counts):
                _add(result[_fold(key, by)], counts, scale.start)
    else:  # one row per group already
        for key, *counts in rows:
            found = {value: int(count) for value, count in enumerate(counts, scale.start) if count}
            if found:
                result[key] = found
    return result


def suspect_total(question: str, start: date, end: date, store_ids: Collection[int] | None) -> int:
    """How many answers to ``question`` suspect responses gave (the figures leave them out):
    for the survey's first question, how many suspect responses there are. Whole months are
    read from suspect_monthly (v0036), the days around them from the suspect_daily_question
    index alone (v0035)."""
    if store_ids is not None and not store_ids:
        return 0
    months, days = _whole_months(start, end)
    ranges = ([("suspect_monthly", *months)] if months else []) + [("suspect_daily", *d) for d in days]
    parts: list[str] = []
    params: list[Any] = []
    for table, first, last in ranges:
        params += [question, db_day(first), db_day(last)]
        where = "question = {p} AND day BETWEEN {p} AND {p}"
        if store_ids is not None:
            ids = sorted(store_ids)
            where += f" AND store_id IN ({placeholders(len(ids))})"
            params += ids
        hint = " INDEXED BY suspect_daily_question" if table == "suspect_daily" and is_sqlite() else ""
        parts.append(f"SELECT count FROM {table}{hint} WHERE {where}")
    sql = f"SELECT SUM(count) FROM ({' UNION ALL '.join(parts)}) part"
    (total,) = database.execute_sql(sql.format(p=database.param), tuple(params)).fetchone()
    return int(total or 0)


def hour_counts(start: date, end: date, store_ids: Collection[int] | None) -> dict[tuple[int, int], dict[int, int]]:
    """Smiley counts per (weekday, hour): Monday is 0, hours are store-local 0-23."""
    if store_ids is not None and not store_ids:
        return {}
    params: list[Any] = [db_day(start), db_day(end)]
    stores, hint = _stores("hour_daily", store_ids, False, params)
    values = ", ".join(f"SUM(v{k})" for k in range(1, 6))
    sql = (
        f"SELECT day, hour, {values} FROM hour_daily{hint} "
        f"WHERE day BETWEEN {{p}} AND {{p}} AND {stores} GROUP BY day, hour"
    )
    result: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for day, hour, *counts in database.execute_sql(sql.format(p=database.param), tuple(params)).fetchall():
        _add(result[(stored_day(day).weekday(), int(hour))], counts, 1)
    return dict(result)


def reason_counts(
    question: str,
    start: date,
    end: date,
    store_ids: Collection[int] | None,
    by: Literal["total", "store"] = "total",
) -> dict[Any, dict[str, dict[Any, int]]]:
    """Per group (None, or store id) and option: ``{face: count, ..., "n": all who chose it}``."""
    if by not in ("total", "store"):
        raise ValueError(f"unknown grouping {by!r}")
    if store_ids is not None and not store_ids:
        return {}
    params: list[Any] = [question, db_day(start), db_day(end)]
    stores, hint = _stores("reason_daily", store_ids, by == "store", params)
    column = "store_id" if by == "store" else "NULL"
    group = ", store_id" if by == "store" else ""
    values = ", ".join(f"SUM(v{k})" for k in range(1, 6))
    sql = (
        f"SELECT {column}, option, SUM(n), {values} FROM reason_daily{hint} "
        f"WHERE question = {{p}} AND day BETWEEN {{p}} AND {{p}} AND {stores} GROUP BY option{group}"
    )
    result: dict[Any, dict[str, dict[Any, int]]] = defaultdict(dict)
    for key, option, n, *counts in database.execute_sql(sql.format(p=database.param), tuple(params)).fetchall():
        faces: dict[Any, int] = {"n": int(n)}
        _add(faces, counts, 1)
        result[key][option] = faces
    return dict(result)


def reason_pair_counts(
    question: str,
    start: date,
    end: date,
    store_ids: Collection[int] | None,
    by: Literal["total", "store"] = "total",
) -> dict[Any, dict[tuple[str, str], dict[Any, int]]]:
    """Per group (None, or store id) and pair of options chosen together: ``{face: count, ...,
    "n": all who chose both}``; the pair ('', '') counts those who chose any option."""
    if by not in ("total", "store"):
        raise ValueError(f"unknown grouping {by!r}")
    if store_ids is not None and not store_ids:
        return {}
    params: list[Any] = [question, db_day(start), db_day(end)]
    stores, hint = _stores("reason_pair_daily", store_ids, by == "store", params)
    column = "store_id" if by == "store" else "NULL"
    group = ", store_id" if by == "store" else ""
    values = ", ".join(f"SUM(v{k})" for k in range(1, 6))
    sql = (
        f"SELECT {column}, option, other, SUM(n), {values} FROM reason_pair_daily{hint} "
        f"WHERE question = {{p}} AND day BETWEEN {{p}} AND {{p}} AND {stores} GROUP BY option, other{group}"
    )
    result: dict[Any, dict[tuple[str, str], dict[Any, int]]] = defaultdict(dict)
    for key, option, other, n, *counts in database.execute_sql(sql.format(p=database.param), tuple(params)).fetchall():
        faces: dict[Any, int] = {"n": int(n)}
        _add(faces, counts, 1)
        result[key][(option, other)] = faces
    return dict(result)


def score_channel_counts(
    question: str,
    start: date,
    end: date,
    store_ids: Collection[int] | None,
    by: Literal["total", "store"] = "total",
) -> dict[Any, dict[str, dict[int, int]]]:
    """Counts per value of a numeric question per group (None, or store id) and channel."""
    if by not in ("total", "store"):
        raise ValueError(f"unknown grouping {by!r}")
    if store_ids is not None and not store_ids:
        return {}
    params: list[Any] = [question, db_day(start), db_day(end)]
    stores, hint = _stores("score_daily", store_ids, by == "store", params)
    column = "store_id" if by == "store" else "NULL"
    group = ", store_id" if by == "store" else ""
    values = ", ".join(f"SUM(v{k})" for k in range(11))
    sql = (
        f"SELECT {column}, channel, {values} FROM score_daily{hint} "
        f"WHERE question = {{p}} AND day BETWEEN {{p}} AND {{p}} AND {stores} GROUP BY channel{group}"
    )
    result: dict[Any, dict[str, dict[int, int]]] = defaultdict(dict)
    for key, channel, *counts in database.execute_sql(sql.format(p=database.param), tuple(params)).fetchall():
        into = result[key].setdefault(channel, {})
        _add(into, counts, 0)
    return dict(result)


@dataclass(frozen=True)
class TermCount:
    term: str
    language: str
    n: int  # comments holding the term
    negative: int  # ... of them with an unhappy face
    positive: int  # ... with a happy face
    sentiment: float  # the sum of their sentiment (each in [-1, 1])

    @property
    def mean_sentiment(self) -> float | None:
        return self.sentiment / self.n if self.n else None


def term_counts(
    start: date,
    end: date,
    store_ids: Collection[int] | None,
    language: str | None = None,
    limit: int = 200,
) -> list[TermCount]:
    """The terms of the period's comments, most frequent first (ties: alphabetical)."""
    return _terms(start, end, store_ids, language, limit, every=False)


def comment_counts(start: date, end: date, store_ids: Collection[int] | None) -> dict[str, TermCount]:
    """Per language, every comment of the period (with its mood and sentiment sums)."""
    return {c.language: c for c in _terms(start, end, store_ids, None, 100, every=True)}


def _terms(
    start: date, end: date, store_ids: Collection[int] | None, language: str | None, limit: int, *, every: bool
) -> list[TermCount]:
    if store_ids is not None and not store_ids:
        return []
    params: list[Any] = [db_day(start), db_day(end)]
    stores, hint = _stores("term_daily", store_ids, False, params)
    where = f"day BETWEEN {{p}} AND {{p}} AND {stores} AND term {'=' if every else '<>'} {{p}}"
    params.append(ALL_COMMENTS)
    if language is not None:
        where += " AND language = {p}"
        params.append(language)
    sql = (
        f"SELECT term, language, SUM(n), SUM(negative), SUM(positive), SUM(sentiment) FROM term_daily{hint} "
        f"WHERE {where} GROUP BY language, term ORDER BY SUM(n) DESC, term, language LIMIT {int(limit)}"
    )
    return [
        TermCount(term, lang, int(n), int(neg), int(pos), float(sent))
        for term, lang, n, neg, pos, sent in database.execute_sql(sql.format(p=database.param), tuple(params))
    ]
