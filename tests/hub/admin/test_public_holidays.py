"""Public holidays close a store: its country and subdivision name them (the holidays package),
so a silent terminal on Christmas Day is not silent and an alert held for the opening waits
past the holidays. Fixed dates only: 2026-12-25 is a Friday, 2026-11-01 (All Saints' Day, a
holiday in Bavaria, not in Berlin) a Sunday, 2026-12-08 (Immaculate Conception, Austria) a
Tuesday."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hub.models import Store
from hub.services import catalog
from hub.services.alerts.opening_hours import PublicHolidays, check_place, is_open, next_open_moment
from hub.services.alerts.rule_book import forget_book
from hub.services.terminal_health import check_terminals
from shared.errors import RequestError
from tests.hub.alerting import outbox, rating, send
from tests.hub.conftest import connected, rows

WEEKDAYS = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
EVERY_DAY = {**WEEKDAYS, "sun": [["10:00", "18:00"]]}
BERLIN = "Europe/Berlin"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("country", "subdivision", "day", "closed"),
    [
        ("DE", "BY", date(2026, 11, 1), True),  # Allerheiligen in Bavaria
        ("DE", "BE", date(2026, 11, 1), False),  # not in Berlin
        ("DE", None, date(2026, 12, 25), True),
        ("AT", None, date(2026, 12, 8), True),  # Mariä Empfängnis
        ("DE", "BY", date(2026, 12, 8), False),
        ("CH", "ZH", date(2026, 12, 26), True),  # Stephanstag in Zurich
        ("CH", "ZH", date(2026, 12, 23), False),
    ],
)
def test_the_public_holidays_of_a_place_are_its_own(country, subdivision, day, closed):
    assert (day in PublicHolidays(country, subdivision)) is closed


def test_a_store_open_on_sundays_is_closed_on_all_saints_day_in_bavaria_and_open_in_berlin():
    noon = utc("2026-11-01T11:00")  # Sunday 12:00 in Munich and Berlin
    assert not is_open(EVERY_DAY, BERLIN, noon, holidays=PublicHolidays("DE", "BY"))
    assert is_open(EVERY_DAY, BERLIN, noon, holidays=PublicHolidays("DE", "BE"))
    assert is_open(EVERY_DAY, BERLIN, noon)  # no place: no holidays


def test_the_next_opening_after_christmas_eve_skips_both_christmas_days_and_the_sunday():
    evening = utc("2026-12-24T20:00")  # Thursday 21:00 in Berlin: closed for the night
    assert next_open_moment(WEEKDAYS, BERLIN, evening) == utc("2026-12-25T07:00")  # without holidays
    # 25th (Friday) and 26th (Saturday) are holidays, the 27th a Sunday: Monday 08:00
    expected = utc("2026-12-28T07:00")
    assert next_open_moment(WEEKDAYS, BERLIN, evening, holidays=PublicHolidays("DE", "BE")) == expected


def test_a_store_without_hours_stays_always_open_on_a_holiday():
    christmas = utc("2026-12-25T11:00")
    assert next_open_moment({}, BERLIN, christmas, holidays=PublicHolidays("DE")) == christmas


@pytest.mark.parametrize(
    ("country", "subdivision", "expected"),
    [
        ("de", "by", ("DE", "BY")),
        (" AT ", "", ("AT", None)),
        ("CH", "zh", ("CH", "ZH")),
        ("", "", (None, None)),
    ],
)
def test_a_place_is_read_in_its_canonical_spelling(country, subdivision, expected):
    assert check_place(country, subdivision) == expected


@pytest.mark.parametrize(
    ("country", "subdivision", "words"),
    [
        ("XX", "", "'XX' is not a country code with known public holidays"),
        ("DE", "ZH", "'ZH' is not a subdivision of DE"),
        ("", "BY", "a subdivision needs a country"),
    ],
)
def test_an_unknown_place_is_refused_with_a_clear_error(app, store, country, subdivision, words):
    with connected(app), pytest.raises(RequestError) as refused:
        catalog.update_store(
            catalog.store_by_code("B001"),
            name="x",
            time_zone=BERLIN,
            region=None,
            languages=["de"],
            opening_hours={},
            country=country,
            subdivision=subdivision,
        )
    assert words in refused.value.detail


# --- the jobs ------------------------------------------------------------------------------------


def place(app, country: str | None, subdivision: str | None = None) -> None:
    with connected(app):
        Store.update(country=country, subdivision=subdivision).where(Store.code == "B001").execute()
        forget_book()


@pytest.mark.parametrize(("country", "flagged"), [("DE", False), (None, True)])
def test_a_terminal_quiet_on_christmas_day_is_not_silent(app, clock, terminal, people, country, flagged):
    place(app, country, "BE" if country else None)
    clock.at = utc("2026-12-24T09:00")  # Thursday 10:00 in Berlin: the terminal syncs
    terminal.post_batch([terminal.response()])
    clock.at = utc("2026-12-25T11:00")  # Friday 12:00, a weekday in the opening hours, but Christmas
    with connected(app):
        run = check_terminals(clock(), minutes=60)
    assert (run.flagged == [terminal.device_id]) is flagged
    assert rows(app, "SELECT COUNT(*) FROM alert_case") == [(1 if flagged else 0,)]


@pytest.mark.parametrize(
    ("subdivision", "held_until"),
    [("BY", utc("2026-11-02T07:00")), ("BE", utc("2026-11-01T11:00"))],
)
def test_an_alert_on_all_saints_day_waits_for_the_next_opening_in_bavaria_only(
    app, clock, terminal, people, subdivision, held_until
):
    with connected(app):
        Store.update(opening_hours=EVERY_DAY).where(Store.code == "B001").execute()
    place(app, "DE", subdivision)
    clock.at = utc("2026-11-01T11:00")  # Sunday 12:00: open on Sundays, but a holiday in Bavaria
    send(terminal, rating(terminal, 1))
    [message] = outbox(app)
    assert (message.recipient, message.deliver_after) == ("mia@example.org", held_until.replace(tzinfo=None))


# --- the store page ----------------------------------------------------------------------------


def test_the_store_page_saves_country_and_subdivision(admin, app):
    form = {
        "name": "Berlin Mitte",
        "time_zone": BERLIN,
        "languages": "de, en",
        "hours_mon": "08:00-20:00",
        "country": "de",
        "subdivision": "be",
    }
    assert admin.post("/admin/stores/B001", form).status_code == 302
    assert rows(app, "SELECT country, subdivision FROM store WHERE code = 'B001'") == [("DE", "BE")]
    page = admin.text("/admin/stores/B001")
    assert 'value="DE"' in page and 'value="BE"' in page


def test_the_store_page_refuses_a_subdivision_of_another_country_and_keeps_the_input(admin, app):
    form = {"name": "Berlin Mitte", "time_zone": BERLIN, "languages": "de", "country": "AT", "subdivision": "BY"}
    answer = admin.post("/admin/stores/B001", form)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "is not a subdivision of AT" in page and 'value="BY"' in page
    assert rows(app, "SELECT country, subdivision FROM store WHERE code = 'B001'") == [(None, None)]
