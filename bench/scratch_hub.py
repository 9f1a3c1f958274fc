"""A hub of its own for a bench that measures services in-process: an app on a database of its
own (a SQLite file in a temporary folder, or the PostgreSQL database ``url`` names), migrated
and initialised with an HQ admin, as ``voxloop hub init`` leaves a new hub."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask

from hub import create_app
from hub.db import database
from hub.services.setup import initialise


@contextmanager
def scratch_hub(now: datetime, url: str = "", **config: Any) -> Iterator[Flask]:
    """The app, initialised at ``now``; ``config`` adds to its test configuration (a clock,
    a language). The SQLite file goes with the folder when the block ends."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "DATABASE_URL": url or f"sqlite:///{Path(folder) / 'hub.db'}",
                "INSTANCE_PATH": str(Path(folder) / "instance"),
                "SECRET_KEY": "bench",
                **config,
            }
        )
        with app.app_context():
            database.connect(reuse_if_open=True)
            initialise(admin_email="admin@example.org", admin_name="Admin", admin_password="bench-password-1", now=now)
            database.close()
        yield app
