"""Silent terminals on a controlled clock: flagged after TERMINAL_SILENT_MINUTES of opening
time without contact, alerting once through the default rule terminal_silent, cleared when
the terminal syncs again; never flagged while the store is closed."""

from __future__ import annotations

from typing import Any

from hub.jobs import deliverer_for, job_functions
from hub.services.terminal_health import check_terminals
from tests.hub.conftest import Clock, connected, rows

# the clock starts on Monday 23 November 2026, 09:00 UTC = 10:00 in Berlin; B001 opens
# Monday to Saturday 08:00-20:00 (catalog.DEFAULT_OPENING_HOURS)


def run(app: Any, clock: Clock, minutes: int = 60) -> Any:
    with connected(app):
        return check_terminals(clock(), minutes=minutes)


def silent_since(app: Any) -> list[Any]:
    return [value for (value,) in rows(app, "SELECT silent_since FROM terminal ORDER BY id")]


def cases(app: Any) -> list[tuple[Any, ...]]:
    return rows(
        app,
        "SELECT s.code, r.key, c.state, c.alert_count FROM alert_case c JOIN alert_rule r ON r.id = c.rule_id "
        "JOIN store s ON s.id = c.store_id ORDER BY c.id",
    )


def test_a_terminal_silent_for_an_hour_of_opening_time_is_flagged_and_alerts_once(
    app: Any, clock: Clock, terminal: Any, people: Any
) -> None:
    terminal.post_batch([terminal.response()])
    clock.advance(minutes=59)
    assert run(app, clock).flagged == [] and silent_since(app) == [None]
    clock.advance(minutes=2)
    first = run(app, clock)
    assert first.flagged == [terminal.device_id] and first.alerts == 1
    assert silent_since(app) != [None]
    assert cases(app) == [("B001", "terminal_silent", "open", 1)]
    mail = rows(app, "SELECT channel, recipient, kind FROM outbox_message")
    assert mail == [("email", "mia@example.org", "alert")]
    with connected(app):
        from hub.models import Case
        from hub.services.outbox.render.alert import summary_line

        line = summary_line(Case.get().summary)
    assert line.startswith("Terminal ") and "has not been heard from since" in line
    clock.advance(minutes=30)
    assert run(app, clock).flagged == []  # still silent: flagged once, alerted once
    assert cases(app) == [("B001", "terminal_silent", "open", 1)]


def test_a_sync_clears_the_flag(app: Any, clock: Clock, terminal: Any, admin: Any) -> None:
    clock.advance(minutes=30)
    admin.text("/admin/terminals")  # the admin keeps using the hub: the session is not idle
    clock.advance(minutes=31)
    run(app, clock)
    assert 'class="badge silent"' in admin.text("/admin/terminals")
    clock.advance(minutes=1)
    assert terminal.post_batch([terminal.response()]).status_code == 200
    assert 'class="badge silent"' not in admin.text("/admin/terminals")  # heard from: shown at once
    assert silent_since(app) == [None]  # cleared in the sync's own transaction
    assert run(app, clock).cleared == []


def test_silence_while_the_store_is_closed_does_not_count(app: Any, clock: Clock, terminal: Any, people: Any) -> None:
    terminal.post_batch([terminal.response()])
    clock.advance(hours=10)  # 20:00 Berlin: closing time
    assert run(app, clock).flagged == []
    clock.advance(hours=11, minutes=30)  # Tuesday 07:30 Berlin: closed, last seen 21 hours ago
    assert run(app, clock).flagged == []
    clock.advance(minutes=59)  # 08:29: open, but for less than an hour
    assert run(app, clock).flagged == []
    clock.advance(minutes=2)  # 08:31: open for more than 30 minutes
    assert run(app, clock, minutes=30).flagged == [terminal.device_id]


def test_a_revoked_terminal_is_never_silent(app: Any, clock: Clock, terminal: Any, admin: Any) -> None:
    admin.post(f"/admin/terminals/{terminal.device_id}/revoke", {"confirm": terminal.device_id})
    clock.advance(hours=3)
    assert run(app, clock).flagged == []
    assert cases(app) == []


def test_switching_the_rule_off_keeps_the_flag_but_opens_no_case(
    app: Any, clock: Clock, terminal: Any, admin: Any
) -> None:
    (rule_id,) = rows(app, "SELECT id FROM alert_rule WHERE key = 'terminal_silent'")[0]
    admin.post(f"/admin/alert-rules/{rule_id}/active", {})
    clock.advance(minutes=61)
    assert run(app, clock).flagged == [terminal.device_id]
    assert cases(app) == []


def test_the_job_uses_the_configured_minutes(app: Any, clock: Clock, terminal: Any, people: Any) -> None:
    app.config["TERMINAL_SILENT_MINUTES"] = 15
    job = job_functions(app, deliverer_for(app, worker="test"))["silent_terminals"]
    clock.advance(minutes=16)
    with connected(app):
        assert job(clock()).flagged == [terminal.device_id]


def test_the_windows_job_leaves_silent_terminal_rules_alone(app: Any, clock: Clock, terminal: Any, people: Any) -> None:
    from hub.services.alerts.windows import check_windows

    terminal.post_batch([terminal.response(rating=2) for _ in range(5)])  # unhappy: for the window rule only
    clock.advance(minutes=2)
    with connected(app):
        assert check_windows(clock()) == 1
    assert {key for (_, key, _, _) in cases(app)} == {"negative_share"}


def test_a_write_elsewhere_while_the_job_runs_does_not_lock_it_out(
    app: Any, clock: Clock, terminal: Any, other_terminal: Any, people: Any, monkeypatch: Any
) -> None:
    """Another thread (a delivery, a sync) commits while the job goes through its terminals:
    on SQLite a query still being read would keep its old snapshot and make the job's next
    write fail at once ("database is locked")."""
    import threading

    from hub.db import database, write_transaction
    from hub.models import Region
    from hub.services import terminal_health

    writes = []

    def write_elsewhere() -> None:
        with app.app_context():
            database.connect(reuse_if_open=True)
            try:
                with write_transaction():
                    writes.append(Region.create(name=f"written meanwhile {len(writes)}"))
            finally:
                database.close()

    real_is_open = terminal_health.store_is_open

    def is_open_after_a_write(*args: Any) -> bool:
        thread = threading.Thread(target=write_elsewhere)
        thread.start()
        thread.join()
        return real_is_open(*args)

    monkeypatch.setattr(terminal_health, "store_is_open", is_open_after_a_write)
    clock.advance(minutes=61)
    assert sorted(run(app, clock).flagged) == sorted([terminal.device_id, other_terminal.device_id])
    assert {code for (code, _, _, _) in cases(app)} == {"B001", "H002"}
    assert len(writes) >= 2  # the writes did happen in between
