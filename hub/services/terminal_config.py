"""What a terminal needs to run: its store, touchpoint, survey and behaviour settings.

The terminal fetches it with an ETag and applies a new one without a restart; the sync
answer carries the current ETag so a change reaches terminals at their next sync.
"""

from __future__ import annotations

import hashlib
from typing import Any

from hub.models import Store, Survey, SurveyVersion, Terminal, Touchpoint
from hub.services.qr_tokens import touchpoint_token
from shared.protocol import canonical_json

# How a terminal behaves; per-store settings can override these later.
KIOSK_DEFAULTS = {
    "press_interval_seconds": 3,  # presses closer together are flagged suspect
    "follow_up_timeout_seconds": 8,
    "thank_you_seconds": 5,
    "idle_reset_seconds": 20,
    "sync_interval_seconds": 30,
}


def terminal_config(terminal: Terminal, *, public_url: str, secret_key: str) -> dict[str, Any]:
    store = Store.get_by_id(terminal.store_id)
    touchpoint = Touchpoint.get_by_id(terminal.touchpoint_id)
    survey = Survey.get_by_id(touchpoint.survey_id)
    version = SurveyVersion.get((SurveyVersion.survey == survey) & (SurveyVersion.version == survey.current_version))
    return {
        "terminal": {"id": terminal.id, "name": terminal.name},
        "store": {
            "code": store.code,
            "name": store.name,
            "time_zone": store.time_zone,
            "languages": store.languages,
        },
        "touchpoint": {"code": touchpoint.code, "name": touchpoint.name, "kind": touchpoint.kind},
        "survey": version.definition,
        "kiosk": dict(KIOSK_DEFAULTS),
        # the thank-you screen's QR code: continue the feedback on the phone
        "phone_url": f"{public_url.rstrip('/')}/m/{touchpoint_token(secret_key, store.code, touchpoint.code)}",
    }


def config_etag(config: dict[str, Any]) -> str:
    return '"' + hashlib.sha256(canonical_json(config)).hexdigest()[:32] + '"'
