"""/admin/terminals: the health of every terminal in scope, an enrollment code that really
enrolls a terminal, and revoking that makes the terminal's next sync fail."""

from __future__ import annotations

import re
from typing import Any

from shared.crypto import new_private_key, public_key_text
from tests.hub.conftest import TestTerminal, assert_problem, rows


def test_the_list_shows_each_terminals_health(admin: Any, app: Any, terminal: Any) -> None:
    heartbeat = {
        "app_version": "1.4.2",
        "queue_depth": 17,
        "quarantined": 3,
        "clock_offset_ms": -2500,
        "last_error": "printer <offline>",
        "seq_ranges": [[1, 1]],
        "last_seq": 1,
    }
    answer = terminal.post_batch([terminal.response()], heartbeat=heartbeat)
    assert answer.status_code == 200, answer.get_json()
    row = re.search(rf'<tr data-terminal="{terminal.device_id}">(.*?)</tr>', admin.text("/admin/terminals"), re.S)
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1)))
    stored = rows(app, "SELECT app_version, queue_depth, quarantined, clock_offset_ms FROM terminal")[0]
    assert stored[0] in cells and f" {stored[1]} " in cells and f" {stored[2]} " in cells
    assert f"{stored[3] / 1000:+.1f} s" in cells
    assert "B001" in cells and "exit" in cells and "active" in cells
    assert "11/23/2026, 10:00 AM" in cells  # last seen, in Berlin time (09:00 UTC), in English format
    assert "printer &lt;offline&gt;" in row.group(1)


def test_an_enrollment_code_made_on_the_page_enrolls_a_terminal(admin: Any, app: Any, client: Any) -> None:
    answer = admin.post("/admin/terminals/codes", {"place": "B001/exit", "ttl_hours": "2"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    page = answer.get_data(as_text=True)
    code = re.search(r'<p class="once" id="code">([A-Z0-9-]+)</p>', page).group(1)
    assert "<svg" in page and "<path d=" in page and "--code " + code in page
    key = new_private_key()
    enrolled = client.post("/api/v1/enroll", json={"code": code, "public_key": public_key_text(key), "name": "Till"})
    assert enrolled.status_code == 201, enrolled.get_json()
    assert rows(
        app,
        "SELECT s.code, t.code FROM terminal d JOIN store s ON s.id = d.store_id "
        "JOIN touchpoint t ON t.id = d.touchpoint_id",
    ) == [("B001", "exit")]
    again = client.post("/api/v1/enroll", json={"code": code, "public_key": public_key_text(new_private_key())})
    assert_problem(again, 400, "used_code")


def test_the_qr_code_carries_the_hub_and_the_code(admin: Any) -> None:
    from hub.admin.terminals import qr_svg
    from hub.services.enrollment import enrollment_payload
    from hub.services.qr_codes import matrix

    payload = enrollment_payload("https://hub.example.org", "ABCD-EFGH-JKLM")
    svg = str(qr_svg(payload))
    modules = matrix(payload, border=4)
    assert svg.count("h1v1h-1z") == sum(cell for row in modules for cell in row)
    assert payload == "voxloop-enroll:https://hub.example.org#ABCD-EFGH-JKLM"


def test_revoking_asks_first_and_then_the_next_sync_fails(admin: Any, app: Any, terminal: TestTerminal) -> None:
    confirm = admin.text(f"/admin/terminals/{terminal.device_id}/revoke")
    assert "Yes, revoke it" in confirm
    unconfirmed = admin.post(f"/admin/terminals/{terminal.device_id}/revoke")
    assert unconfirmed.status_code == 302 and unconfirmed.headers["Location"].endswith("/revoke")
    assert rows(app, "SELECT status FROM terminal") == [("active",)]
    done = admin.post(f"/admin/terminals/{terminal.device_id}/revoke", {"confirm": terminal.device_id})
    assert done.status_code == 302
    assert rows(app, "SELECT status FROM terminal") == [("revoked",)]
    assert_problem(terminal.post_batch([terminal.response()]), 403, "revoked_device")


def test_an_analyst_sees_every_terminal_but_cannot_revoke(
    browser_for: Any, app: Any, terminal: Any, other_terminal: Any
) -> None:
    ana = browser_for("ana")
    page = ana.text("/admin/terminals")
    assert terminal.device_id in page and other_terminal.device_id in page
    assert ana.post(f"/admin/terminals/{terminal.device_id}/revoke", {"confirm": terminal.device_id}).status_code == 403
    assert rows(app, "SELECT DISTINCT status FROM terminal") == [("active",)]


def test_a_regional_manager_sees_the_terminals_of_the_region(
    browser_for: Any, terminal: Any, other_terminal: Any
) -> None:
    rolf = browser_for("rolf")  # region North: B001
    page = rolf.text("/admin/terminals")
    assert terminal.device_id in page and other_terminal.device_id not in page
