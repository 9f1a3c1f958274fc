"""The hub's configuration, in layers: defaults, an instance file, VOXLOOP_* environment
variables, and last a mapping handed to create_app() (tests)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # sqlite:///relative/or/absolute/path.db or postgresql://user:pass@host:port/db
    "DATABASE_URL": None,  # None: var/voxloop.db under the instance path
    "SECRET_KEY": None,  # None: read or made once in var/secret.key
    "PUBLIC_URL": "http://127.0.0.1:8000",
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "SYNC_MAX_ITEMS": 500,
    "SIGNATURE_MAX_SKEW_SECONDS": 300,
    "ENROLLMENT_CODE_TTL_HOURS": 72,
    "PG_MAX_CONNECTIONS": 8,
}

_ENV_PREFIX = "VOXLOOP_"


def load(instance_path: Path, overrides: dict[str, Any] | None) -> dict[str, Any]:
    config = dict(DEFAULTS)
    instance_file = instance_path / "voxloop.json"
    if instance_file.exists():
        config.update(json.loads(instance_file.read_text()))
    for key in DEFAULTS:
        value = os.environ.get(_ENV_PREFIX + key)
        if value is not None:
            config[key] = int(value) if isinstance(DEFAULTS[key], int) else value
    config.update(overrides or {})
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'voxloop.db'}"
    return config
