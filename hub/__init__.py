"""The voxloop hub: ingests feedback, scores it, routes alerts, serves dashboards and the API.

``create_app(test_config=None)`` builds the Flask app: configuration in layers (hub/config.py),
the database bound from its URL (hub/db.py), one connection per request, the API blueprint
and one error handler for everything the hub refuses (hub/problems.py).
"""

from __future__ import annotations

import secrets
from email.utils import formatdate
from pathlib import Path
from typing import Any

from flask import Flask, Response


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    from hub import config, db, i18n, logs, metrics, page_headers, problems, state
    from hub.actions import bp as actions_bp
    from hub.admin import bp as admin_bp
    from hub.api import bp as api_bp
    from hub.auth import guard
    from hub.auth.account import bp as account_bp
    from hub.auth.pages import bp as auth_bp
    from hub.cases import bp as cases_bp
    from hub.client_address import ClientAddress, TrustedProxies
    from hub.clock import clock_from, now
    from hub.contact_centre import bp as contact_centre_bp
    from hub.dashboards import bp as dashboards_bp
    from hub.health import bp as health_bp
    from hub.invitations import bp as invitations_bp
    from hub.pages import bp as pages_bp
    from hub.services.personal_data import contact_key, content_hash_key
    from hub.url_ids import DatabaseId
    from mobile_web.phone_page import bp as phone_bp

    app = Flask(__name__, instance_path=str(config.instance_path(test_config)), instance_relative_config=True)
    app.config.update(config.load(Path(app.instance_path), test_config))
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _secret_key(Path(app.instance_path))
    app.config["CLOCK"] = clock_from(app.config)
    app.json.sort_keys = False
    # one client address for throttling, rate limits and logs: the peer, or what a trusted proxy says;
    # outside it, each request's id for its log lines and its X-Request-Id header (hub/logs.py)
    proxies = TrustedProxies(app.config["TRUSTED_PROXIES"])
    app.wsgi_app = logs.RequestIds(ClientAddress(app.wsgi_app, proxies), proxies)
    TrustedProxies(app.config["METRICS_NETWORKS"], "METRICS_NETWORKS")  # a bad setting fails at start
    db.bind(app.config["DATABASE_URL"], app.config["PG_MAX_CONNECTIONS"])
    state.init_app(app, contact_key(app.config["SECRET_KEY"]), content_hash_key(app.config["SECRET_KEY"]))
    problems.init_app(app)
    metrics.init_app(app)  # counts every answer (hub/metrics.py); /metrics is in hub/health.py
    logs.init_app(app)  # the path as the access log may show it
    app.url_map.converters["int"] = DatabaseId  # before the blueprints: every <int:...> id fits a column
    app.register_blueprint(api_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)  # /account: the email report setting
    app.register_blueprint(cases_bp)  # /cases: alerts worked to resolution
    app.register_blueprint(actions_bp)  # /actions: what is done about a figure, and its effect
    app.register_blueprint(admin_bp)  # /admin: stores, surveys, terminals, people, alert rules, posters
    app.register_blueprint(dashboards_bp)  # /dashboard: figures from the daily rollups
    app.register_blueprint(invitations_bp)  # /invite, /unsubscribe: a customer's invitation links
    app.register_blueprint(contact_centre_bp)  # /contact-centre: results per team and agent, coaching
    guard.init_app(app)
    i18n.init_app(app, guard.person_language)  # the person's language, else the browser's, else German
    page_headers.init_app(app)  # CSP, no framing, Referrer-Policy, no-store (the phone page sets its own)
    app.register_blueprint(phone_bp)  # the phone messenger under /m/

    @app.before_request
    def _connect() -> None:
        db.database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        # PostgreSQL: hand the connection back to the pool. SQLite: keep this thread's
        # connection open (its pragmas, schema and page cache survive; reopening per request
        # cost a fifth of the ingest time)
        if not db.is_sqlite() and not db.database.is_closed():
            db.database.close()

    @app.after_request
    def _date(response: Response) -> Response:
        # the terminal learns its clock offset from this header
        response.headers["Date"] = formatdate(now().timestamp(), usegmt=True)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    return app


def _secret_key(instance: Path) -> str:
    """The hub's secret, made once and kept in var/secret.key (mode 0600) unless configured."""
    path = instance / "secret.key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key + "\n")
    return key
