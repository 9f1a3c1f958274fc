"""The alert rule's page shows a new webhook secret once in both forms: as the hub signs
X-Voxloop-Signature with it, and as Standard Webhooks receivers take it (whsec_ and base64)."""

from __future__ import annotations

import base64
from typing import Any

from tests.hub.admin.test_admin_alert_rules import RULE
from tests.hub.conftest import rows


def test_a_new_secret_is_shown_once_also_as_a_standard_webhooks_secret(admin: Any, app: Any, people: Any) -> None:
    answer = admin.post("/admin/alert-rules", {**RULE, "webhook_url": "https://hooks.example.org/x"})
    ((rule_id, secret),) = rows(app, "SELECT id, webhook_secret FROM alert_rule WHERE name = 'Queue trouble'")
    standard = "whsec_" + base64.b64encode(secret.encode()).decode()

    assert f'id="standard-secret" style="font-size: 1rem; overflow-wrap: anywhere">{standard}<' in answer.get_data(
        as_text=True
    )
    assert standard not in admin.text(f"/admin/alert-rules/{rule_id}")
