"""The staff screen behind the corner gesture and the PIN; a full disk keeps the UI alive."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def admin_run(run_scenario):
    return run_scenario("admin")


@pytest.fixture(scope="module")
def full_run(run_scenario):
    return run_scenario("store_full")


def test_four_corner_taps_or_slow_taps_do_not_open_the_pin_pad(admin_run):
    assert admin_run["before_gesture"] == "rating"
    assert admin_run["after_four_taps"] == "rating"


def test_five_corner_taps_within_three_seconds_open_the_pin_pad(admin_run):
    assert admin_run["after_five_taps"] == "pin"


def test_a_wrong_pin_keeps_the_admin_screen_closed(admin_run):
    assert admin_run["after_wrong_pin"] == "pin"
    assert admin_run["wrong_pin_message"] == "Falsche PIN"


def test_the_default_pin_opens_the_admin_screen_with_the_queue_depth(admin_run):
    assert admin_run["after_right_pin"] == "admin"
    assert admin_run["queue_depth"] == "2"
    assert len(admin_run.responses) == 2
    assert admin_run["store"] == "DEMO · Demo store"


def test_sync_now_and_back_keep_the_terminal_running(admin_run):
    assert admin_run["last_sync"] == "nie"  # demo mode: nothing is sent; the store speaks German first
    assert admin_run["after_back"] == "rating"


def test_a_tap_that_cannot_be_stored_shows_out_of_order_and_the_ui_lives_on(full_run):
    assert full_run["screen"] == "out_of_order"
    assert full_run["message"] == "Dieses Terminal ist gerade außer Betrieb."
    assert full_run["after_wait"] == "rating"
    assert len(full_run.responses) == full_run["taps"] - 1


def test_the_admin_screen_shows_why_the_tap_was_not_stored(full_run):
    assert full_run["admin_capture_error"] == "Der Speicher des Terminals ist voll. (storage_full)"
