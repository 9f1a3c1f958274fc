"""Real nginx for tests, serving the reverse proxy configuration that deploy/ ships.

The shipped site file (deploy/nginx/voxloop.conf) is used as it is, with only what a machine
decides replaced: ports (80, 443 and the hub's 8000 become free ports on 127.0.0.1), the
certificate and log paths, the ACME root. Every replacement must match the shipped text, so a
change there fails here loudly instead of being tested unadapted. The site is included in a
minimal main configuration, as Debian's nginx.conf includes sites-enabled/ inside ``http {}``.

Nothing outside the test's directory is written: the prefix, the pid file, every log (``-e``
overrides the error log compiled into nginx, which it would open before reading any
configuration) and every temporary path live in ``directory``, and nothing from /etc/nginx is
included.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.tls import ServerCertificate

NGINX = "nginx"


def find_nginx() -> str | None:
    return shutil.which(NGINX) or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def _replace(text: str, old: str, new: str, *, count: int = 1) -> str:
    found = text.count(old)
    if found != count:
        raise AssertionError(f"the shipped nginx site should contain {old!r} {count} time(s), found {found}")
    return text.replace(old, new)


@dataclass(frozen=True)
class Ports:
    http: int
    https: int
    upstream: int  # where the hub (gunicorn) listens


def adapt_site(shipped: str, *, ports: Ports, certificate: ServerCertificate, directory: Path) -> str:
    """The shipped site configuration with this machine's ports and paths; meaning unchanged."""
    logs = directory / "logs"
    site = shipped
    site = _replace(site, "    listen 80;\n    listen [::]:80;\n", f"    listen 127.0.0.1:{ports.http};\n")
    site = _replace(
        site, "    listen 443 ssl;\n    listen [::]:443 ssl;\n", f"    listen 127.0.0.1:{ports.https} ssl;\n"
    )
    # the redirect keeps its meaning (same host, https) on a port that is not 443
    site = _replace(
        site, "return 301 https://$host$request_uri;", f"return 301 https://$host:{ports.https}$request_uri;"
    )
    site = _replace(site, "server_name hub.example.org;", "server_name 127.0.0.1;", count=2)
    site = _replace(site, "root /var/www/html;", f"root {directory / 'acme'};")
    site = _replace(site, "/etc/letsencrypt/live/hub.example.org/fullchain.pem;", f"{certificate.chain};")
    site = _replace(site, "/etc/letsencrypt/live/hub.example.org/privkey.pem;", f"{certificate.key};")
    site = _replace(site, "/var/log/nginx/voxloop.access.log", str(logs / "voxloop.access.log"))
    site = _replace(site, "/var/log/nginx/voxloop.error.log", str(logs / "voxloop.error.log"))
    site = _replace(
        site, "proxy_pass http://127.0.0.1:8000;", f"proxy_pass http://127.0.0.1:{ports.upstream};", count=3
    )
    directives = "\n".join(line.split("#", 1)[0] for line in site.splitlines())
    for outside in ("/etc/", "/var/", "listen 80", "listen 443", "[::]", "127.0.0.1:8000;"):
        if outside in directives:
            raise AssertionError(f"the adapted nginx site still names {outside!r}: adapt it here")
    return site


def main_config(site: Path, directory: Path) -> str:
    """A minimal nginx.conf around the site: foreground, one worker, everything in ``directory``."""
    temp = directory / "temp"
    lines = [
        "daemon off;",
        "worker_processes 1;",
        f"pid {directory / 'nginx.pid'};",
        f"error_log {directory / 'logs' / 'error.log'} info;",
    ]
    if os.geteuid() == 0:
        # as root the workers would switch to the compiled-in user (nobody), who cannot enter a
        # test's private directory; they run as the user who runs the tests instead
        lines.append(f"user {pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name};")
    lines += [
        "events { worker_connections 256; }",
        "http {",
        "    default_type application/octet-stream;",
        f"    access_log {directory / 'logs' / 'access.log'};",
        *(f"    {kind}_temp_path {temp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
        f"    include {site};",
        "}",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Nginx:
    """An nginx prefix directory holding its configuration, logs and temporary files."""

    directory: Path
    executable: str

    @property
    def config(self) -> Path:
        return self.directory / "nginx.conf"

    @property
    def command(self) -> list[str]:
        return [
            self.executable,
            "-p",
            str(self.directory),
            "-c",
            str(self.config),
            "-e",
            str(self.directory / "logs" / "error.log"),
        ]

    @classmethod
    def serving(
        cls, shipped_site: Path, *, ports: Ports, certificate: ServerCertificate, directory: Path, executable: str
    ) -> Nginx:
        """Write the adapted site and the main configuration into ``directory``, and check them
        with ``nginx -t``."""
        for sub in ("logs", "temp", "acme"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        site = directory / "voxloop.conf"
        site.write_text(adapt_site(shipped_site.read_text(), ports=ports, certificate=certificate, directory=directory))
        proxy = cls(directory, executable)
        proxy.config.write_text(main_config(site, directory))
        check = subprocess.run([*proxy.command, "-t"], capture_output=True, text=True, timeout=30, check=False)
        if check.returncode != 0:
            raise AssertionError(f"nginx -t refused the adapted configuration:\n{check.stderr}")
        return proxy
