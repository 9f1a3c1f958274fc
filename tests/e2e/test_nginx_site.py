"""The shipped nginx site (deploy/nginx/voxloop.conf), run by a real nginx: its answers do not
name nginx's version (server_tokens off)."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.conftest import missing_system_package
from tests.e2e.processes import free_port, running, wait_for
from tests.support.nginx import Nginx, Ports, find_nginx
from tests.support.tls import make_server_certificate

SHIPPED_SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "voxloop.conf"


def test_nginx_answers_without_its_version(tmp_path):
    executable = find_nginx()
    if executable is None:
        missing_system_package("nginx is not installed (apt-get install nginx)")
    ports = Ports(http=free_port(), https=free_port(), upstream=free_port())
    certificate = make_server_certificate(tmp_path / "tls")
    proxy = Nginx.serving(
        SHIPPED_SITE, ports=ports, certificate=certificate, directory=tmp_path / "nginx", executable=executable
    )
    url = f"http://127.0.0.1:{ports.http}/dashboard"
    with running(proxy.command, cwd=proxy.directory, env={}, log=tmp_path / "nginx.log"):
        wait_for(lambda: requests.get(url, timeout=2, allow_redirects=False).status_code == 301, 20, "nginx")
        answer = requests.get(url, timeout=2, allow_redirects=False)
    assert answer.headers["Server"] == "nginx"
    assert "nginx/" not in answer.text
