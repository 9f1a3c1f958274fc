"""What one hub app keeps in memory besides the database: caches and derived keys.

Nothing here is needed for correctness across processes (the database is the truth); it
only saves work, so several hub processes can run side by side."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from hub.models import Terminal
from hub.services.catalog import SurveyCache
from hub.services.terminal_config import ConfigEtags, terminal_config


@dataclass
class HubState:
    surveys: SurveyCache
    contact_key: bytes
    content_key: bytes
    etags: ConfigEtags = field(default_factory=ConfigEtags)

    def terminal_config(self, terminal: Terminal) -> dict[str, Any]:
        config = current_app.config
        return terminal_config(
            terminal, public_url=config["PUBLIC_URL"], secret_key=config["SECRET_KEY"], surveys=self.surveys
        )

    def config_etag(self, terminal: Terminal) -> str:
        config = current_app.config
        return self.etags.etag(
            terminal, public_url=config["PUBLIC_URL"], secret_key=config["SECRET_KEY"], surveys=self.surveys
        )


def init_app(app: Flask, contact_key: bytes, content_key: bytes) -> None:
    app.extensions["voxloop"] = HubState(surveys=SurveyCache(), contact_key=contact_key, content_key=content_key)


def state() -> HubState:
    return current_app.extensions["voxloop"]
