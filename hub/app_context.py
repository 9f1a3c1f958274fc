"""Running a command line command inside the hub: its app, its configuration, its database.

The hub's own commands (hub/cli.py) and the QR commands of the phone page (mobile_web/cli.py)
both wrap their commands with ``with_app``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def with_app(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run the command inside an app context, with an open database connection."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from hub import create_app
        from hub.db import database

        app = create_app()
        with app.app_context():
            database.connect(reuse_if_open=True)
            try:
                return command(*args, **kwargs)
            finally:
                database.close()

    return wrapper
