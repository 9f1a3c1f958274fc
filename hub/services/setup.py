"""First start of a hub: schema, the default survey, a first HQ admin."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from hub.db import database
from hub.migrations import migrate, pending
from hub.models import Survey, User
from hub.services.alerts.rules import ensure_default_rules
from hub.services.catalog import DEFAULT_SURVEY, add_survey
from hub.services.personal_data import content_hash_key
from hub.services.rollups import count_held_responses
from hub.services.users import add_user


def migrate_schema(now: datetime | None = None) -> list[str]:
    """Apply the pending migrations (app context: the hub's secret keys the held content hashes);
    held responses are counted into new rollups as ingest counts them."""
    content_key = content_hash_key(current_app.config["SECRET_KEY"])
    return migrate(database.obj, now, count_rollups=count_held_responses, content_key=content_key)


def pending_migrations() -> list[str]:
    """The migrations the database lacks (a restored backup may predate some)."""
    return pending(database.obj)


def initialise(*, admin_email: str, admin_name: str, admin_password: str, now: datetime) -> list[str]:
    """Idempotent: running it again applies new migrations and creates nothing twice."""
    report = [f"applied migration {name}" for name in migrate_schema(now)]
    if Survey.get_or_none(Survey.key == DEFAULT_SURVEY["key"]) is None:
        add_survey(DEFAULT_SURVEY, now)
        report.append(f"created survey {DEFAULT_SURVEY['key']!r}")
    if not User.select().where(User.role == "hq_admin").exists():
        add_user(admin_email, admin_name, "hq_admin", admin_password, now=now)
        report.append(f"created admin {admin_email}")
    report += ensure_default_rules(now)
    return report
