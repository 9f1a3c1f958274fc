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
    # The language of pages and emails for people who chose none on /account and whose browser
    # asks for neither German nor English (hub/i18n.py): de or en.
    "LANGUAGE": "de",
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "SYNC_MAX_ITEMS": 500,
    "SIGNATURE_MAX_SKEW_SECONDS": 300,
    "ENROLLMENT_CODE_TTL_HOURS": 72,
    # A person's session ends this long after sign-in, or after this long without a request.
    "SESSION_HOURS": 12,
    "SESSION_IDLE_MINUTES": 60,
    "PG_MAX_CONNECTIONS": 8,
    # QR tokens of the phone page (mobile_web/README.md, "Keys and rotation"): the key ids this
    # hub reads, comma-separated; the first one signs new codes. Each key is derived from
    # SECRET_KEY unless QR_SECRETS pins it ("k1=<secret>,k2=<secret>", or a JSON object).
    "QR_KEY_IDS": "k1",
    "QR_SECRETS": "",
    # The phone page's rate limits, counted in the database so every hub process agrees.
    "PHONE_RATE_WINDOW_SECONDS": 600,
    "PHONE_RATE_PER_TOKEN": 1200,
    "PHONE_RATE_PER_ADDRESS": 300,
    # A response completed faster than this per answered question is flagged suspect.
    "PHONE_MIN_MS_PER_ANSWER": 1000,
    # More new phone responses than PHONE_BURST_RESPONSES from one client address within
    # PHONE_BURST_SECONDS are a burst: every response of it is flagged suspect (a store's
    # guest Wi-Fi shares one address: raise it there).
    "PHONE_BURST_RESPONSES": 5,
    "PHONE_BURST_SECONDS": 60,
    # Peers whose X-Forwarded-For names the real client: addresses or CIDR networks, comma-
    # separated (default: the local nginx of deploy/). hub/client_address.py; gunicorn's
    # forwarded_allow_ips follows it (deploy/gunicorn.conf.py).
    "TRUSTED_PROXIES": "127.0.0.1,::1",
    # Alerts (hub/services/alerts): email goes out over this SMTP server (no host: emails wait in
    # the outbox, shown as failing on HQ's deliveries page, until one is configured).
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_FROM": "voxloop@localhost",
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": 0,
    "SMTP_TIMEOUT_SECONDS": 10,
    "WEBHOOK_TIMEOUT_SECONDS": 5,
    # Internal addresses (loopback, private, link-local, metadata) webhooks may be sent to:
    # addresses or CIDR networks, comma-separated; none unless the operator names them.
    "WEBHOOK_ALLOWED_NETWORKS": "",
    # The delivery job looks for due messages this often (and at once when this process queued one).
    "ALERT_POLL_MS": 200,
    "ALERT_RETRY_BASE_SECONDS": 5,
    "ALERT_RETRY_MAX_SECONDS": 300,
    "ALERT_GIVE_UP_HOURS": 48,
    "ALERT_BATCH_SIZE": 20,  # messages one delivery worker claims at a time
    "ALERT_LINK_TTL_HOURS": 168,
    # An active terminal not heard from for this long while its store is open is flagged silent
    # (hub/services/terminal_health.py; the alert rule terminal_silent tells its store managers).
    "TERMINAL_SILENT_MINUTES": 60,
    "DIGEST_HOUR": 7,  # local time of the manager's store; -1 turns the daily digest off
    # each team's recommendation of the day is made from this hour, store-local (hub/services/recommendations.py)
    "RECOMMENDATION_HOUR": 6,
    # `voxloop hub serve` also runs the background jobs (alert delivery, escalation, digests)
    "JOBS_IN_SERVE": 0,
    # Operations (deploy/README.md, "Monitoring"). /metrics answers only a scraper that sends
    # METRICS_TOKEN as a bearer token or whose address is in METRICS_NETWORKS (addresses or CIDR
    # networks, comma-separated, the client as hub/client_address.py decides it); neither set:
    # refused to everyone.
    "METRICS_TOKEN": "",
    "METRICS_NETWORKS": "",
    # The jobs process records a heartbeat this often; /readyz is unready when the last one is
    # older than JOBS_STALE_SECONDS, or when a due message has waited OUTBOX_STUCK_SECONDS.
    "JOBS_HEARTBEAT_SECONDS": 15,
    "JOBS_STALE_SECONDS": 120,
    "OUTBOX_STUCK_SECONDS": 900,
    # JSON log lines (hub/logs.py) from this level up: DEBUG, INFO, WARNING, ERROR.
    "LOG_LEVEL": "INFO",
    # Retention (docs/data-protection.md; the hourly `retention` job, hub/services/retention.py).
    # A contact left for a call back is deleted this many days after its case is resolved, or
    # after receipt when it is in no case; at the latest RETENTION_CONTACT_MAX_DAYS after receipt.
    "RETENTION_CONTACT_DAYS": 90,
    "RETENTION_CONTACT_MAX_DAYS": 365,
    "RETENTION_SIGN_IN_DAYS": 30,  # sign-in attempts and password reset requests
    "RETENTION_OUTBOX_DAYS": 30,  # what a sent message said (its payload); the record stays
    "RETENTION_SYNC_LOG_DAYS": 90,
    "RETENTION_CONFLICT_DAYS": 90,  # kept conflicting versions of responses
    # An invited customer's address is blanked once nothing more is sent to it (the invitations
    # job), at the latest this many days after the invitation was made; the keyed hash the
    # interval rule compares is blanked INVITATION_INTERVAL_DAYS after sending.
    "RETENTION_INVITATION_ADDRESS_DAYS": 14,
    # Invitations (hub/services/invitations.py): one reminder this many hours after the
    # invitation (0: none); nobody invited again within INVITATION_INTERVAL_DAYS; the link opens
    # the phone page for INVITATION_LINK_DAYS after sending.
    "INVITATION_REMINDER_HOURS": 72,
    "INVITATION_INTERVAL_DAYS": 30,
    "INVITATION_LINK_DAYS": 30,
    # the directory of pg_dump and pg_restore (voxloop hub backup/restore); empty: on PATH
    "PG_BIN_DIR": "",
    # The help desk cases are handed to (docs/helpdesk.md, hub/services/helpdesk/): the system
    # ("" = none; "rt" = Request Tracker 5), its base URL, the token the hub signs in with (sent
    # in a header, never in a URL or a log) and the queue tickets go to. A case is handed over by
    # the button on its page, or at once for the rules (keys) and stores (codes) named here,
    # comma-separated. The sync job reads the help desk's changes every HELPDESK_POLL_SECONDS.
    # HELPDESK_SEND_CONTACT=1 also sends the contact a customer left (with their consent to be
    # contacted); by default the ticket holds no personal contact data.
    "HELPDESK_SYSTEM": "",
    "HELPDESK_URL": "",
    "HELPDESK_TOKEN": "",
    "HELPDESK_QUEUE": "General",
    "HELPDESK_TIMEOUT_SECONDS": 10,
    "HELPDESK_AUTO_RULES": "",
    "HELPDESK_AUTO_STORES": "",
    "HELPDESK_POLL_SECONDS": 120,
    "HELPDESK_SEND_CONTACT": 0,
    # The secret a help desk signs its events with (POST /api/v1/helpdesk/<system>/events,
    # Standard Webhooks: whsec_ and base64, or any other text as its UTF-8 bytes); empty: the
    # hub takes no events and learns of changes by polling only.
    "HELPDESK_INBOUND_SECRET": "",
    # A controlled clock for tests and demos (hub/clock.py): the time the hub's clock shows at
    # the real instant CLOCK_ANCHOR (Unix seconds; empty: when the process starts), ticking from
    # there. Empty: the system clock. Never set in production.
    "CLOCK_START": "",
    "CLOCK_ANCHOR": "",
}

_ENV_PREFIX = "VOXLOOP_"


def instance_path(test_config: dict[str, Any] | None = None) -> Path:
    """The hub's instance directory (database, secret key, voxloop.json): var/ unless set."""
    if test_config and test_config.get("INSTANCE_PATH"):
        return Path(test_config["INSTANCE_PATH"]).resolve()
    return Path(os.environ.get("VOXLOOP_INSTANCE_PATH", "var")).resolve()


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
