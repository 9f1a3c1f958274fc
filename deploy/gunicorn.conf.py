# gunicorn configuration for the voxloop hub.
#
#   gunicorn -c deploy/gunicorn.conf.py 'hub:create_app()'
#
# Environment (the systemd unit loads it from /etc/voxloop/hub.env):
#   VOXLOOP_BIND          address to listen on; default 127.0.0.1:8000 (nginx sits in front)
#   VOXLOOP_DATABASE_URL  picks the process model below; unset means SQLite
# Any setting can still be overridden with GUNICORN_CMD_ARGS, which wins over this file.

import os
from pathlib import Path

from gunicorn.glogging import Logger

from hub import config as hub_config
from hub import logs as hub_logs

wsgi_app = "hub:create_app()"
bind = os.environ.get("VOXLOOP_BIND", "127.0.0.1:8000")

# --- Process model: follows the database ------------------------------------------------
_url = os.environ.get("VOXLOOP_DATABASE_URL", "").strip().lower()
# Only a PostgreSQL URL unlocks several processes; anything else (unset, sqlite://, or
# something unexpected) gets the single-process model, which is always safe.
ON_POSTGRES = _url.startswith(("postgresql:", "postgres:", "postgresql+"))


def _cores() -> int:
    # Respect the CPUs this process may actually use (cpusets, containers).
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


if ON_POSTGRES:
    # The hub keeps no state outside the database, so processes scale out. Plain sync
    # workers are enough behind nginx, which buffers slow phone clients. Each worker
    # needs one PostgreSQL connection: budget workers x hosts (see deploy/postgresql.md).
    worker_class = "sync"
    workers = 2 * _cores() + 1
else:
    # SQLite: exactly ONE process. The app serialises writes with an in-process lock;
    # several processes would fight over SQLite's file lock instead, which ruined tail
    # latency when measured (p99 0.2-0.5 s versus 14 ms). Threads serve reads meanwhile.
    worker_class = "gthread"
    workers = 1
    threads = 4

# No preload_app: the app (and its database connections) must be created after the fork,
# inside the worker, never shared between processes.

# --- Timeouts and recycling -------------------------------------------------------------
timeout = 30  # a request still running after 30 s is stuck; the worker is killed and replaced
graceful_timeout = 20  # time to finish in-flight requests on stop/restart (systemd waits longer)
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow forever; the jitter keeps several
# workers from restarting at the same moment. With one SQLite worker, requests arriving
# during its restart wait in the listen backlog for a second rather than failing.
max_requests = 10000
max_requests_jitter = 1000

# --- Request limits (the 2 MiB body limit is enforced by the app and by nginx) ----------
limit_request_line = 4094  # QR tokens in paths stay well under 1 KiB
limit_request_fields = 50
limit_request_field_size = 8190

# --- Behind the proxy ---------------------------------------------------------------------
# The peers whose forwarded headers count are the hub's TRUSTED_PROXIES (default 127.0.0.1,::1,
# the local nginx; VOXLOOP_TRUSTED_PROXIES in hub.env), read the way the hub reads them: the hub
# takes the client's address from their X-Forwarded-For (hub/client_address.py), gunicorn the
# scheme from their X-Forwarded-Proto. Only that one header: the default set also accepts
# X-Forwarded-Ssl/-Protocol, which a client could add to contradict it.
_settings = hub_config.load(hub_config.instance_path(), None)
forwarded_allow_ips = _settings["TRUSTED_PROXIES"]
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# gunicorn >= 25.1 opens a control socket under $HOME by default; the service does not need
# one (and $HOME is read-only under the unit's hardening). Older versions ignore this name.
control_socket_disable = True

# --- Metrics: one directory the workers count into ----------------------------------------
# prometheus_client's multiprocess mode (hub/metrics.py): each worker writes its counts to files
# in PROMETHEUS_MULTIPROC_DIR and /metrics, answered by any worker, adds them up. The systemd
# unit points it at /run/voxloop-hub/metrics (a tmpfs); unset, var/metrics under the instance.
# Set here, before any worker imports prometheus_client, which reads it once.
METRICS_DIR = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(hub_config.instance_path() / "metrics")))


def on_starting(server):
    # counts of an earlier run would be added to this one's: start empty
    METRICS_DIR.mkdir(parents=True, mode=0o750, exist_ok=True)
    for stale in METRICS_DIR.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    # a worker that ended (recycled by max_requests, killed on timeout) keeps its counters, and
    # its live gauges go
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# --- Logging: JSON lines on stdout/stderr, i.e. the journal ------------------------------------
# gunicorn's own lines, its access log and the hub's lines are JSON objects, one a line, with the
# request's id (hub/logs.py). The hub's loggers write from LOG_LEVEL (VOXLOOP_LOG_LEVEL) up.
accesslog = "-"
errorlog = "-"
loglevel = "info"
hub_logs.configure_logging(_settings["LOG_LEVEL"])


class JsonLogger(Logger):
    """gunicorn's lines as JSON. Its access line names the client as the hub decided it (the hub
    rewrites REMOTE_ADDR, hub/client_address.py, so gunicorn's and nginx's logs name the same
    client), never a query string, a header or a Referer, and the path without tokens: the
    route with its arguments, a token argument masked (hub/logs.py ``loggable_path``)."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(hub_logs.JsonFormatter())

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        path = environ.get(hub_logs.LOG_PATH_KEY) or hub_logs.loggable_path(environ.get("PATH_INFO") or "")
        fields = {
            "client": environ.get("REMOTE_ADDR", "-"),
            "method": environ.get("REQUEST_METHOD"),
            "path": path,
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "request_id": environ.get(hub_logs.REQUEST_ID_KEY),
        }
        try:
            self.access_log.info("%s %s %s", fields["method"], path, status, extra=fields)
        except Exception:
            self.exception("cannot write the access line")


logger_class = JsonLogger
