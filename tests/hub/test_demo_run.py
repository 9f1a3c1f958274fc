"""``voxloop demo run``'s parts: demo feedback dated inside the store's opening hours of the
days before the demo's clock, whatever hour that clock shows; store names apart from every
store the seeded fleet can have; every printed link on the address the demo serves; the mail
catcher keeping each email where a person can read it. The whole demo, run as the README says,
is tests/e2e/test_readme_commands.py."""

from __future__ import annotations

import random
import smtplib
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.demo import DEMO_STORES, base_url, demo_moments, welcome
from hub.mail_catcher import MailCatcher
from hub.seed.generator import Plan, fleet
from hub.services.alerts.opening_hours import is_open, opening_intervals
from hub.services.catalog import DEFAULT_OPENING_HOURS

BERLIN = ZoneInfo("Europe/Berlin")
STATION = {day: [["06:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
SPLIT = {"mon": [["08:00", "12:30"], ["14:00", "18:00"]], "sat": [["09:00", "13:00"]]}

HOURS = [
    datetime(2026, 11, 29, 3, 0, tzinfo=BERLIN),  # a Sunday night
    datetime(2026, 11, 25, 21, 30, tzinfo=BERLIN),  # a weekday after closing
    datetime(2026, 11, 25, 11, 0, tzinfo=BERLIN),  # a weekday while open
    datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("UTC")),  # the night the clocks go back in Berlin
    datetime(2026, 3, 30, 0, 5, tzinfo=BERLIN),  # just after the Sunday the clocks went forward
]


@pytest.mark.parametrize("now", HOURS, ids=lambda now: now.isoformat())
@pytest.mark.parametrize(
    ("hours", "zone"),
    [
        (DEFAULT_OPENING_HOURS, "Europe/Berlin"),
        (STATION, "Europe/London"),
        (SPLIT, "America/New_York"),
    ],
    ids=["standard-berlin", "station-london", "split-new-york"],
)
def test_demo_feedback_lies_inside_the_opening_hours_of_the_days_before(now, hours, zone):
    moments = demo_moments(random.Random("B001"), hours, zone, 14, now.astimezone(UTC))
    today = now.astimezone(ZoneInfo(zone)).date()
    assert moments == sorted(moments)
    assert len(moments) >= 20 * 4  # at least four open days in any two weeks of these hours
    for at in moments:
        assert is_open(hours, zone, at), at.astimezone(ZoneInfo(zone))
        local_day = at.astimezone(ZoneInfo(zone)).date()
        assert today - timedelta(days=14) <= local_day < today
        assert at.microsecond % 1000 == 0  # milliseconds, as the wire carries them
    open_days = {at.astimezone(ZoneInfo(zone)).date() for at in moments}
    expected = {today - timedelta(days=back) for back in range(1, 15)}
    expected = {day for day in expected if opening_intervals(hours, zone, day)}
    assert open_days == expected  # every open day has feedback, no closed day has any


def test_a_demo_started_on_a_sunday_night_has_friday_and_saturday_in_opening_hours():
    now = datetime(2026, 11, 29, 3, 0, tzinfo=BERLIN).astimezone(UTC)
    moments = demo_moments(random.Random("H002"), DEFAULT_OPENING_HOURS, "Europe/Berlin", 2, now)
    local = [at.astimezone(BERLIN) for at in moments]
    assert {at.date() for at in local} == {date(2026, 11, 27), date(2026, 11, 28)}  # nothing on Sunday
    assert all(8 <= at.hour < 20 for at in local)


def test_opening_intervals_are_the_days_local_hours_in_utc_across_a_clock_change():
    # Sunday 29 March 2026: Berlin goes from UTC+1 to UTC+2 at 02:00
    assert opening_intervals(STATION, "Europe/Berlin", date(2026, 3, 28)) == [
        (datetime(2026, 3, 28, 5, 0, tzinfo=UTC), datetime(2026, 3, 28, 21, 0, tzinfo=UTC))
    ]
    assert opening_intervals(STATION, "Europe/Berlin", date(2026, 3, 29)) == [
        (datetime(2026, 3, 29, 4, 0, tzinfo=UTC), datetime(2026, 3, 29, 20, 0, tzinfo=UTC))
    ]
    assert opening_intervals(DEFAULT_OPENING_HOURS, "Europe/Berlin", date(2026, 3, 29)) == []  # closed
    assert len(opening_intervals(SPLIT, "Europe/Berlin", date(2026, 3, 30))) == 2
    # no hours at all: open all day, as is_open sees it (the spring-forward day has 23 hours)
    ((opens, closes),) = opening_intervals({}, "Europe/Berlin", date(2026, 3, 29))
    assert closes - opens == timedelta(hours=23)


@pytest.mark.parametrize("stores", [1, 2, 8, 50, 100, 400, 999])
def test_every_store_of_a_demo_has_its_own_name(stores):
    names = [store.name for store in fleet(Plan(stores=stores, days=1, per_day=1, end=date(2026, 11, 24)))]
    names += [name for _code, name, _zone, _region in DEMO_STORES]
    assert len(names) == len(set(names))


def test_the_demo_prints_every_link_and_command_on_the_address_it_serves(tmp_path):
    url = base_url("127.0.0.1", 8765)
    credentials = {"email": "a@demo", "password": "p", "manager_email": "m@demo", "manager_password": "q"}
    lines = welcome(url, tmp_path / "var", credentials, f"{url}m/token", 2525)
    text = "\n".join(lines)
    assert lines[1] == "voxloop demo hub: http://127.0.0.1:8765/"
    links = [word for line in lines for word in line.split() if "http" in word]
    assert len(links) >= 10
    assert all("http://127.0.0.1:8765" in link for link in links), links
    assert ":8000" not in text
    assert "VOXLOOP_PUBLIC_URL=http://127.0.0.1:8765 " in text  # so enroll-code prints this address too
    assert f"{tmp_path / 'var' / 'mail'}" in text


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000/"),
        ("0.0.0.0", "http://127.0.0.1:9000/"),  # noqa: S104 (every address: open it on this machine)
        ("::", "http://[::1]:9000/"),
        ("::1", "http://[::1]:9000/"),
        ("demo.example.org", "http://demo.example.org:9000/"),
    ],
)
def test_the_address_to_open_follows_host_and_port(host, url):
    port = 8000 if host == "127.0.0.1" else 9000
    assert base_url(host, port) == url


def _email(to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "voxloop@localhost"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    message.add_alternative(f"<p>{text}</p>", subtype="html")
    return message


def test_the_mail_catcher_keeps_every_email_where_a_person_can_read_it(tmp_path: Path):
    told: list[str] = []
    folder = tmp_path / "mail"
    catcher = MailCatcher(folder, tell=told.append).start()
    subject = "B001 Berlin Friedrichshain: Very unhappy customer (2 responses) [case #1] with a long tail"
    try:
        with smtplib.SMTP("127.0.0.1", catcher.port, timeout=10) as smtp:
            smtp.send_message(_email("manager@demo.voxloop", subject, "Viel zu lange gewartet. Grüße"))
            smtp.send_message(_email("admin@demo.voxloop", "Wöchentlicher Bericht", "Smiley-Index 71"))
    finally:
        catcher.stop()
    assert sorted(p.name for p in folder.iterdir()) == [
        "0001-manager@demo.voxloop.eml",
        "0001-manager@demo.voxloop.txt",
        "0002-admin@demo.voxloop.eml",
        "0002-admin@demo.voxloop.txt",
    ]
    readable = (folder / "0001-manager@demo.voxloop.txt").read_text(encoding="utf-8")
    assert f"Subject: {subject}\n" in readable  # unfolded, on one line
    assert "To: manager@demo.voxloop\n" in readable
    assert readable.endswith("\n\nViel zu lange gewartet. Grüße\n")  # the plain-text part, decoded
    assert b"Content-Type: multipart/alternative" in (folder / "0001-manager@demo.voxloop.eml").read_bytes()
    assert told == [
        f"mail 1 to manager@demo.voxloop: {subject}  -> {folder / '0001-manager@demo.voxloop.txt'}",
        f"mail 2 to admin@demo.voxloop: Wöchentlicher Bericht  -> {folder / '0002-admin@demo.voxloop.txt'}",
    ]


def test_a_restarted_mail_catcher_numbers_on(tmp_path: Path):
    folder = tmp_path / "mail"
    for round_ in range(2):
        catcher = MailCatcher(folder, tell=lambda _line: None).start()
        try:
            with smtplib.SMTP("127.0.0.1", catcher.port, timeout=10) as smtp:
                smtp.send_message(_email("m@demo.voxloop", f"round {round_}", "text"))
        finally:
            catcher.stop()
    assert sorted(p.name for p in folder.glob("*.txt")) == ["0001-m@demo.voxloop.txt", "0002-m@demo.voxloop.txt"]
