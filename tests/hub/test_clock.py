"""The hub's controlled clock: what a process started for a test or a demo believes the time is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.clock import clock_from, clock_starting_at, parse_start, system_now

SUNDAY_NIGHT = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # 03:00 in Berlin


def test_a_clock_shows_its_start_at_its_anchor_and_ticks_in_real_seconds():
    real = iter([1000.0, 1000.0, 1090.5])
    clock = clock_starting_at(SUNDAY_NIGHT, anchor=1000.0, real_time=lambda: next(real))
    assert clock() == SUNDAY_NIGHT
    assert clock() == SUNDAY_NIGHT
    assert (clock() - SUNDAY_NIGHT).total_seconds() == 90.5


def test_two_processes_with_the_same_start_and_anchor_agree_whenever_they_began():
    early = clock_starting_at(SUNDAY_NIGHT, anchor=500.0, real_time=lambda: 800.0)
    late = clock_starting_at(SUNDAY_NIGHT, anchor=500.0, real_time=lambda: 800.0)
    assert early() == late()


def test_the_start_is_read_with_its_offset_and_kept_in_utc():
    assert parse_start("2026-11-29T03:00:00+01:00") == SUNDAY_NIGHT
    assert parse_start("2026-11-29T02:00:00Z") == SUNDAY_NIGHT


@pytest.mark.parametrize("text", ["2026-11-29 03:00", "Sunday", "2026-13-01T00:00:00Z"])
def test_a_start_without_an_offset_or_not_a_time_is_refused(text):
    with pytest.raises(ValueError, match="CLOCK_START"):
        parse_start(text)


def test_without_a_start_the_hub_uses_the_system_clock():
    assert clock_from({"CLOCK_START": ""}) is system_now


def test_a_clock_handed_in_wins_over_a_start():
    def fixed():
        return SUNDAY_NIGHT

    assert clock_from({"CLOCK": fixed, "CLOCK_START": "2030-01-01T00:00:00Z"}) is fixed


def test_an_app_configured_with_a_start_runs_on_that_clock(tmp_path):
    from hub import create_app
    from hub.clock import now

    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "k",
            "CLOCK_START": "2026-11-29T03:00:00+01:00",
            "CLOCK_ANCHOR": "",
        }
    )
    with app.app_context():
        assert abs((now() - SUNDAY_NIGHT).total_seconds()) < 60
    assert app.test_client().get("/healthz").headers["Date"].startswith("Sun, 29 Nov 2026 02:0")
