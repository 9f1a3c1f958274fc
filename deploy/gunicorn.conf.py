# gunicorn configuration for the voxloop hub.
#
#   gunicorn -c deploy/gunicorn.conf.py 'hub:create_app()'
#
# Environment (the systemd unit loads it from /etc/voxloop/hub.env):
#   VOXLOOP_BIND          address to listen on; default 127.0.0.1:8000 (nginx sits in front)
#   VOXLOOP_DATABASE_URL  picks the process model below; unset means SQLite
# Any setting can still be overridden with GUNICORN_CMD_ARGS, which wins over this file.

import os
import re

from gunicorn.glogging import Logger

from hub import config as hub_config

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
forwarded_allow_ips = hub_config.load(hub_config.instance_path(), None)["TRUSTED_PROXIES"]
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# gunicorn >= 25.1 opens a control socket under $HOME by default; the service does not need
# one (and $HOME is read-only under the unit's hardening). Older versions ignore this name.
control_socket_disable = True

# --- Logging: to stdout/stderr, i.e. the journal -----------------------------------------
accesslog = "-"
errorlog = "-"
loglevel = "info"
# Never log secrets: no query string (%(q)s), no full request line (%(r)s carries the query),
# no headers (%({...}i)s), no Referer (%(f)s: a phone page's Referer is the page URL with its
# token). %(h)s is the client's address as the hub decided it (the hub rewrites REMOTE_ADDR in the
# environ this log reads), so gunicorn's and nginx's logs name the same client.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'

# The phone page's QR tokens (v1.<claims>.<mac>, see shared/crypto.py) travel in the path,
# and a logged token is a usable link until it expires, so mask them in what is logged.
_TOKEN = re.compile(r"v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = _TOKEN.sub("v1.REDACTED", atoms.get("U") or "")
        atoms.update(U=path, r=f"{atoms.get('m')} {path} {atoms.get('H')}", q="-", f="-")
        return atoms


logger_class = RedactingLogger
