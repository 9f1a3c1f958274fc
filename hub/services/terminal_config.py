"""What a terminal needs to run: its store, touchpoint, survey and behaviour settings.

The terminal fetches it with an ETag and applies a new one without a restart; the sync
answer carries the current ETag so a change reaches terminals at their next sync.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hub.models import Terminal
from hub.queries.terminals import touchpoint_setting
from hub.services.catalog import SurveyCache
from hub.services.qr_tokens import touchpoint_token
from shared.protocol import canonical_json
from shared.terminal_settings import KIOSK_DEFAULTS


def terminal_config(terminal: Terminal, *, public_url: str, secret_key: str, surveys: SurveyCache) -> dict[str, Any]:
    """Built from one query and the survey cache."""
    return _config(terminal, touchpoint_setting(terminal.touchpoint_id), public_url, secret_key, surveys)


def _config(
    terminal: Terminal, row: tuple[Any, ...], public_url: str, secret_key: str, surveys: SurveyCache
) -> dict[str, Any]:
    store_code, store_name, time_zone, languages, tp_code, tp_name, tp_kind, survey_key, version = row
    return {
        "terminal": {"id": terminal.id, "name": terminal.name},
        "store": {
            "code": store_code,
            "name": store_name,
            "time_zone": time_zone,
            "languages": json.loads(languages),
        },
        "touchpoint": {"code": tp_code, "name": tp_name, "kind": tp_kind},
        "survey": surveys.definition(survey_key, version),
        "kiosk": dict(KIOSK_DEFAULTS),
        # the thank-you screen's QR code: continue the feedback on the phone
        "phone_url": f"{public_url.rstrip('/')}/m/{touchpoint_token(secret_key, store_code, tp_code)}",
        # ... continuing the tap just made: the terminal appends a code it signs for that tap
        # (shared/continuation.py); a terminal that does not know this shows phone_url
        "continue_url": f"{public_url.rstrip('/')}/m/c/",
    }


def config_etag(config: dict[str, Any]) -> str:
    return '"' + hashlib.sha256(canonical_json(config)).hexdigest()[:32] + '"'


class ConfigEtags:
    """The ETag of each terminal's configuration, which every sync answer carries, kept by what
    the configuration is made of: the terminal's id and name, its row of ``touchpoint_setting``
    (read on every call, so a renamed store, a moved touchpoint or a new survey version gives a
    new key in every process at once), the hub's public URL and secret key. A survey version's
    definition never changes and the kiosk settings are constants, so nothing else can make a
    kept ETag stale. One per app; emptied when it holds ``limit`` keys."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._by_source: dict[tuple[Any, ...], str] = {}

    def etag(self, terminal: Terminal, *, public_url: str, secret_key: str, surveys: SurveyCache) -> str:
        row = tuple(touchpoint_setting(terminal.touchpoint_id))
        source = (terminal.id, terminal.name, row, public_url, secret_key)
        found = self._by_source.get(source)
        if found is None:
            if len(self._by_source) >= self.limit:
                self._by_source.clear()
            found = config_etag(_config(terminal, row, public_url, secret_key, surveys))
            self._by_source[source] = found
        return found
