"""The terminal settings contract: defaults the hub sends, limits the terminal checks."""

from __future__ import annotations

import pytest

from shared.terminal_settings import KIOSK_DEFAULTS, setting, settings_problem, sync_interval, with_defaults


def test_the_defaults_name_every_number_a_terminal_reads():
    assert set(KIOSK_DEFAULTS) == {
        "press_interval_seconds",
        "follow_up_timeout_seconds",
        "thank_you_seconds",
        "idle_reset_seconds",
        "sync_interval_seconds",
    }


def test_the_defaults_cannot_be_changed_by_a_caller():
    with pytest.raises(TypeError):
        KIOSK_DEFAULTS["thank_you_seconds"] = 1  # type: ignore[index]


def test_a_configuration_keeps_its_own_values_and_gets_the_missing_defaults():
    filled = with_defaults({"thank_you_seconds": 2, "ask_nps": True})
    assert filled["thank_you_seconds"] == 2 and filled["ask_nps"] is True
    assert filled["idle_reset_seconds"] == KIOSK_DEFAULTS["idle_reset_seconds"]


def test_a_setting_left_out_reads_as_its_default():
    assert setting(None, "follow_up_timeout_seconds") == 8.0
    assert setting({"follow_up_timeout_seconds": 4}, "follow_up_timeout_seconds") == 4.0


@pytest.mark.parametrize(
    ("kiosk", "problem"),
    [
        ({}, None),
        ({"thank_you_seconds": 2.5}, None),
        ([], "kiosk settings must be an object"),
        ({"idle_reset_seconds": -1}, "kiosk.idle_reset_seconds must be a non-negative number"),
        ({"sync_interval_seconds": True}, "kiosk.sync_interval_seconds must be a non-negative number"),
        ({"press_interval_seconds": "3"}, "kiosk.press_interval_seconds must be a non-negative number"),
    ],
)
def test_settings_outside_the_limits_are_named(kiosk, problem):
    assert settings_problem(kiosk) == problem


@pytest.mark.parametrize(
    ("kiosk", "seconds"), [(None, 30.0), ({"sync_interval_seconds": 5}, 5.0), ({"sync_interval_seconds": 0}, 30.0)]
)
def test_the_sync_interval_is_above_zero(kiosk, seconds):
    assert sync_interval(kiosk) == seconds
