"""schemathesis against a real hub: every operation of the OpenAPI document, every check
(server errors, status codes, content types, headers and bodies against the document, valid
requests accepted, invalid ones refused, authentication enforced, the stateful links),
authenticated with an HQ admin's API token, on SQLite and PostgreSQL: no failure. The alert
rules take a session only (a token gets 403), so a second run tests them with an HQ admin's
session cookie and its X-CSRF-Token header.

The hub is the test's app (its clock the test clock) serving HTTP on a free port; schemathesis
runs as its command, deterministically and with a bounded number of examples per operation,
so the run is the same every time and takes seconds. What JSON Schema cannot say (the period
of the analytics queries) is told to the generator in tests/hub/schemathesis_hooks.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hub.services import api_tokens
from tests.hub.alerting import rating, send, sign_in_as
from tests.hub.conftest import connected

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 10
ARGS = ["--checks", "all", "--no-color", "--url"]

# The enrollment code and the phone page's ticket and QR token are secrets the hub issued or
# signed: a generated one is refused with its documented problem (unknown_code,
# bad_token_signature, ...), which is the right answer to well-formed data, not a mismatch.
CONFIG = """
[generation]
deterministic = true
max-examples = {max_examples}
with-security-parameters = false

[[operations]]
include-path-regex = "^/api/v1/(enroll|phone/)"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "410", "422", "429"]

# the coverage phase's boundary values do not pass through the hooks that keep a period
# within its limits (tests/hub/schemathesis_hooks.py); the other phases test these operations
[[operations]]
include-path-regex = "^/api/v1/analytics/"
phases.coverage.enabled = false

# an action names the hub's data (a store, a person, a reason the survey offers): a valid
# shape that names another store's or nothing is refused (422 invalid_action), and a state
# move its state does not allow is a conflict (409 action_state)
[[operations]]
include-path-regex = "^/api/v1/actions"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
# likewise a measure's values name stores and periods (422 invalid_measures for another
# store's, an unknown one or a period that does not fit the measure), and a kind or grain that
# is not the measure's is a conflict (409 measure_conflict)
[[operations]]
include-path-regex = "^/api/v1/measures"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
# likewise an invitation names a store and touchpoint of the caller's (422 invalid_invitations
# for another store's or an unknown one)
[[operations]]
include-path-regex = "^/api/v1/invitations"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
# likewise a contact's agent view names a contact of the caller's team or agent id (404 for
# another's or an unknown one), and only the contact centre's people and HQ admins write one
[[operations]]
include-path-regex = "^/api/v1/contacts/"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
# a help desk's event is signed with a secret only the help desk has: a generated one is
# refused (401 missing_signature, bad_signature, stale_created), and a name that is not the
# hub's help desk is not found (404)
[[operations]]
include-path-regex = "^/api/v1/helpdesk/"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404", "415"]
# likewise an alert rule's settings that name the hub's data or relate two settings (the hooks)
[[operations]]
include-path-regex = '^/api/v1/alert-rules(/[^/]+)?$'
phases.coverage.enabled = false
"""


@pytest.fixture
def admin_token(app, clock, people, terminal) -> str:
    send(terminal, rating(terminal, 1, comment="Niemand an der Kasse"))  # a case to read and work
    with connected(app):
        return api_tokens.make_token(people["admin"], "schemathesis", list(api_tokens.SCOPES), now=clock())[1]


@pytest.fixture
def helpdesk_events(app) -> None:
    """A help desk that takes events (never reached: no generated event carries its signature)."""
    app.config.update(
        HELPDESK_SYSTEM="rt",
        HELPDESK_URL="http://127.0.0.1:9",
        HELPDESK_TOKEN="never-sent",
        HELPDESK_INBOUND_SECRET="whsec_c2NoZW1hdGhlc2lzIGhlbHAgZGVzayBrZXk=",
    )


@pytest.fixture
def admin_session(app, client, people) -> tuple[str, str]:
    """An HQ admin's session cookie and its CSRF token (the alert rules take a session only)."""
    csrf = sign_in_as(client, people["admin"])
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return f"{cookie.key}={cookie.value}", csrf


def _schemathesis(served: str, tmp_path: Path, headers: list[str], *options: str) -> str:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(max_examples=MAX_EXAMPLES), encoding="utf-8")
    command = [SCHEMATHESIS, "--config-file", str(config), "run", f"{served}/api/v1/openapi.json", *ARGS, served]
    for header in headers:
        command += ["-H", header]
    done = subprocess.run(
        [*command, *options],
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.hub.schemathesis_hooks", "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )

    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    return report


def test_schemathesis_finds_no_failure_with_every_check(served, admin_token, helpdesk_events, tmp_path):
    report = _schemathesis(served, tmp_path, [f"Authorization: Bearer {admin_token}"])
    # every operation schemathesis finds in the document (one more with each new operation)
    assert re.search(r"Tested: 45\b", report), report
    generated = int(re.search(r"(\d+) generated", report).group(1))
    assert generated > 45 * MAX_EXAMPLES, report


def test_schemathesis_finds_no_failure_in_the_alert_rules_with_a_session(served, admin_session, tmp_path):
    cookie, csrf = admin_session
    headers = [f"Cookie: {cookie}", f"X-CSRF-Token: {csrf}"]
    report = _schemathesis(served, tmp_path, headers, "--include-path-regex", "^/api/v1/alert-rules")
    assert re.search(r"Tested: 5\b", report), report
    generated = int(re.search(r"(\d+) generated", report).group(1))
    assert generated > 5 * MAX_EXAMPLES, report
