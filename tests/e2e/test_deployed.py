"""The production-shaped stage: voxloop built, installed and run as deploy/ ships it, then used
only through nginx over HTTPS, as a store chain would.

The stage builds the sdist and the wheel (tests/support/package.py), installs the wheel into
fresh virtual environments outside the checkout (the hub with hub,postgres,server; the
terminal with kiosk), runs `voxloop hub init` and the hub's commands there on PostgreSQL, and
starts what the systemd units start (tests/e2e/deployment.py): gunicorn with
deploy/gunicorn.conf.py (several workers, as on PostgreSQL) and `voxloop hub jobs`, behind real
nginx with deploy/nginx/voxloop.conf and a throwaway certificate (tests/support/nginx.py). An
SMTP server (aiosmtpd) and a webhook receiver stand for the store manager's mail and chat.

Every process of the deployment, and the terminal, share one clock: a Thursday 11:00 in Berlin,
when the store is open (08:00-20:00, Mon-Sat) and no weekly report is due, whatever the hour of
the run. The daily digest is switched off (DIGEST_HOUR=-1) so the inbox holds what the ratings
cause and nothing else.

How long the stage takes: docs/performance.md, "Production-shaped stage".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.conftest import missing_system_package
from tests.e2e.deployment import (
    Stopwatch,
    Unit,
    make_venv,
    read_environment_file,
    run,
    service_environment,
    unpack_deploy,
    write_environment_file,
)
from tests.e2e.processes import free_port, running, wait_for
from tests.e2e.test_phone_messenger import button, new_phone
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.clock import STORE_OPEN, ProcessClock
from tests.support.mail import Inbox, text_of
from tests.support.nginx import Nginx, Ports, find_nginx
from tests.support.package import build_distributions
from tests.support.tls import make_server_certificate
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
STORE_TERMINAL = Path(__file__).with_name("store_terminal.py")
# Thursday 26 November 2026, 11:00 in Berlin: open, and weekly reports go out Monday to Wednesday.
THURSDAY_OPEN = STORE_OPEN + timedelta(days=1)
# What a system nginx would write to; the test's nginx must leave them as they are.
SYSTEM_NGINX = [Path("/etc/nginx"), Path("/var/log/nginx"), Path("/var/lib/nginx"), Path("/run/nginx.pid")]


class SourceAddress(HTTPAdapter):
    """Connections from one loopback address (all of 127/8 is this machine): one client."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


@dataclass
class Deployment:
    base: str  # https, through nginx: the public URL
    http_base: str  # plain HTTP, through nginx
    clock: ProcessClock
    authority: Path  # the throwaway CA the clients trust
    spki_sha256: str
    opt: Path  # /opt/voxloop
    service_env: dict[str, str]
    terminal_root: Path
    terminal_env: dict[str, str]
    database_url: str
    inbox: Inbox
    receiver: WebhookReceiver
    admin_password: str
    manager_password: str
    logs: Path
    system_nginx_before: dict[str, tuple[int, int]]

    def hub_command(self, *args: str) -> str:
        """`voxloop ...` as deploy/README.md runs it: in /opt/voxloop, with the service's environment."""
        return run([str(self.opt / ".venv" / "bin" / "voxloop"), *args], environment=self.service_env, cwd=self.opt)

    def terminal_command(self, *args: str) -> str:
        voxloop = self.terminal_root / ".venv" / "bin" / "voxloop"
        return run([str(voxloop), *args], environment=self.terminal_env, cwd=self.terminal_root, timeout=180)

    def client(self, address: str = "127.0.0.1") -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE or a proxy of this machine would win over verify
        session.verify = str(self.authority)
        session.mount("https://", SourceAddress(address))
        session.mount("http://", SourceAddress(address))
        return session

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url) as db:
            return db.execute(sql, params).fetchall()


def snapshot(paths: list[Path]) -> dict[str, tuple[int, int]]:
    """Every file and directory under ``paths``: modification time and size."""
    seen = {}
    for top in paths:
        for path in [top, *(top.rglob("*") if top.is_dir() else [])]:
            if path.exists():
                info = path.stat()
                seen[str(path)] = (info.st_mtime_ns, info.st_size)
    return seen


class Throttle:
    """Sign-in attempts from one client, each checked against the hub's rule
    (hub/services/sign_in.py): past 20 failures an attempt waits 2 ** (failures - 20) s after
    the last failure. The hub's moments lie between the client's sending and its answer, so
    an attempt sent before the wait could have passed must be refused (429), and one answered
    before it could have passed must not fail again (401)."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.failures = 0
        self.last_failure: tuple[float, float] | None = None  # sent, answered (monotonic)

    def attempt(self, send: Callable[[], requests.Response]) -> requests.Response:
        sent = time.monotonic()
        answer = send()
        answered = time.monotonic()
        if self.failures >= 20 and self.last_failure is not None:
            wait = 2 ** (self.failures - 20)
            if answered - self.last_failure[0] < wait:
                assert answer.status_code == 429, (self.statuses, answer.status_code)
            elif sent - self.last_failure[1] >= wait:
                assert answer.status_code != 429, (self.statuses, answer.status_code)
        if answer.status_code == 401:
            self.failures += 1
            self.last_failure = (sent, answered)
        self.statuses.append(answer.status_code)
        return answer


def sign_in(session: requests.Session, base: str, email: str, password: str) -> requests.Response:
    """The sign-in form as a browser sends it: its CSRF token first, then the post."""
    page = session.get(f"{base}/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return session.post(
        f"{base}/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )


def install(root: Path, wheel: Path, sdist: Path) -> tuple[Path, Path]:
    """The hub at ``root``/opt-voxloop (deploy/ from the sdist, the wheel in .venv) and the
    terminal at ``root``/terminal (the wheel with the kiosk extra); returns both."""
    opt = root / "opt-voxloop"
    unpack_deploy(sdist, opt)
    make_venv(opt / ".venv", wheel, "hub,postgres,server")
    (opt / "var").mkdir(mode=0o750)
    terminal_root = root / "terminal"
    make_venv(terminal_root / ".venv", wheel, "kiosk")
    return opt, terminal_root


def set_up_hub(opt: Path, environment: dict[str, str]) -> tuple[str, str]:
    """`voxloop hub init`, the store B001 and its manager, run as deploy/README.md runs the
    hub's commands; returns the first passwords of the HQ admin and of the manager."""
    voxloop = str(opt / ".venv" / "bin" / "voxloop")
    output = run([voxloop, "hub", "init"], environment=environment, cwd=opt)
    admin_password = re.search(r"with password (\S+)", output).group(1)
    store = ["hub", "add-store", "B001", "Berlin Mitte", "--time-zone", "Europe/Berlin"]
    run([voxloop, *store], environment=environment, cwd=opt)
    manager = ["hub", "add-user", "manager@example.org", "Store manager", "--role", "store_manager", "--store", "B001"]
    output = run([voxloop, *manager], environment=environment, cwd=opt)
    return admin_password, re.search(r"first password: (\S+)", output).group(1)


@contextmanager
def serving(deployment: Deployment, proxy: Nginx) -> Iterator[None]:
    """What voxloop-hub.service and voxloop-jobs.service start, and nginx in front, until the
    hub answers through nginx; stopped on leaving, whatever happened."""
    systemd = deployment.opt / "deploy" / "systemd"
    with ExitStack() as stack:
        for name in ("hub", "jobs"):
            unit = Unit.read(systemd / f"voxloop-{name}.service", deployment.opt)
            assert unit.environment_file == "/etc/voxloop/hub.env"
            command = unit.command(deployment.service_env)
            log = deployment.logs / ("gunicorn.log" if name == "hub" else "jobs.log")
            stack.enter_context(running(command, cwd=unit.working_directory, env={}, log=log))
        stack.enter_context(running(proxy.command, cwd=proxy.directory, env={}, log=deployment.logs / "nginx.log"))
        client = deployment.client()
        wait_for(
            lambda: client.get(f"{deployment.base}/healthz", timeout=2).ok,
            60,
            "the hub through nginx",
            deployment.logs / "gunicorn.log",
        )
        yield


@pytest.fixture(scope="module")
def deployment(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    nginx = find_nginx()
    if nginx is None:
        missing_system_package("nginx is not installed (apt-get install nginx)")
    server = request.getfixturevalue("postgres_server")
    if server is None:
        request.getfixturevalue("postgres_url")  # skips or fails with the reason
    system_nginx_before = snapshot(SYSTEM_NGINX)
    watch = Stopwatch()
    root = tmp_path_factory.mktemp("deployed")
    (root / "logs").mkdir()

    wheel, sdist = build_distributions(root / "dist")
    watch.lap("build")
    opt, terminal_root = install(root, wheel, sdist)
    watch.lap("install")

    certificate = make_server_certificate(root / "tls")
    ports = Ports(http=free_port(), https=free_port(), upstream=free_port())
    base = f"https://127.0.0.1:{ports.https}"
    clock = ProcessClock.starting_at(THURSDAY_OPEN)
    with ExitStack() as stack:
        inbox = Inbox().start()
        stack.callback(inbox.stop)
        receiver = WebhookReceiver().start()
        stack.callback(receiver.stop)
        database_url = server.create_database(f"deployed_{secrets.token_hex(4)}")
        hub_env = write_environment_file(
            root / "etc" / "voxloop" / "hub.env",
            {
                "VOXLOOP_DATABASE_URL": database_url,
                "VOXLOOP_SECRET_KEY": secrets.token_urlsafe(48),
                "VOXLOOP_PUBLIC_URL": base,
                "VOXLOOP_BIND": f"127.0.0.1:{ports.upstream}",
                "VOXLOOP_SMTP_HOST": "127.0.0.1",
                "VOXLOOP_SMTP_PORT": str(inbox.port),
                "VOXLOOP_SMTP_FROM": "feedback@example.org",
                "VOXLOOP_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1",  # the test receiver is local
                "VOXLOOP_DIGEST_HOUR": "-1",
                **clock.env,
            },
        )
        service_env = service_environment(opt, read_environment_file(hub_env))
        admin_password, manager_password = set_up_hub(opt, service_env)
        watch.lap("init")

        deployment = Deployment(
            base=base,
            http_base=f"http://127.0.0.1:{ports.http}",
            clock=clock,
            authority=certificate.authority,
            spki_sha256=certificate.spki_sha256,
            opt=opt,
            service_env=service_env,
            terminal_root=terminal_root,
            terminal_env=service_environment(
                terminal_root, {"REQUESTS_CA_BUNDLE": str(certificate.authority), **clock.env}
            ),
            database_url=database_url,
            inbox=inbox,
            receiver=receiver,
            admin_password=admin_password,
            manager_password=manager_password,
            logs=root / "logs",
            system_nginx_before=system_nginx_before,
        )
        shipped_site = opt / "deploy" / "nginx" / "voxloop.conf"
        proxy = Nginx.serving(
            shipped_site, ports=ports, certificate=certificate, directory=root / "nginx", executable=nginx
        )
        stack.enter_context(serving(deployment, proxy))
        watch.lap("start")
        yield deployment
        watch.lap("tests")
    watch.lap("stop")
    for venv in (opt / ".venv", terminal_root / ".venv"):  # 200 MB each; the logs stay
        shutil.rmtree(venv, ignore_errors=True)
    print(f"\nproduction-shaped stage: {watch}")


@pytest.fixture(scope="module")
def terminal(deployment: Deployment) -> Path:
    """A terminal enrolled through nginx with `voxloop kiosk enroll`; its data directory."""
    output = deployment.hub_command("hub", "enroll-code", "--store", "B001", "--no-qr")
    code = re.search(r"([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", output).group(1)
    data_dir = deployment.terminal_root / "var" / "lib" / "voxloop-kiosk"
    output = deployment.terminal_command(
        "kiosk", "enroll", "--hub", deployment.base, "--code", code, "--name", "Exit 1", "--data-dir", str(data_dir)
    )
    assert "for store B001" in output
    return data_dir


def installed_location(venv: Path, module: str, cwd: Path) -> Path:
    script = f"import {module}; print({module}.__file__)"
    output = run([str(venv / "bin" / "python"), "-c", script], environment=service_environment(cwd, {}), cwd=cwd)
    return Path(output.strip()).resolve()


def test_the_hub_and_the_terminal_run_the_installed_wheel_not_the_checkout(deployment: Deployment) -> None:
    for venv, module, cwd in (
        (deployment.opt / ".venv", "hub", deployment.opt),
        (deployment.opt / ".venv", "mobile_web", deployment.opt),
        (deployment.terminal_root / ".venv", "kiosk", deployment.terminal_root),
        (deployment.terminal_root / ".venv", "shared", deployment.terminal_root),
    ):
        location = installed_location(venv, module, cwd)
        assert location.is_relative_to(venv.resolve() / "lib"), location
        assert not location.is_relative_to(ROOT), location
    assert sorted(p.name for p in deployment.opt.iterdir()) == [".venv", "deploy", "var"]  # no source beside them


def test_healthz_through_nginx_is_ok_on_https_and_plain_http_redirects(deployment: Deployment) -> None:
    client = deployment.client()
    answer = client.get(f"{deployment.base}/healthz", timeout=10)
    assert answer.json() == {"status": "ok", "database": "postgresql"}
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"  # nginx's, in front
    plain = client.get(f"{deployment.http_base}/healthz", allow_redirects=False, timeout=10)
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"{deployment.base}/healthz"


def test_gunicorn_runs_several_workers_on_postgresql(deployment: Deployment) -> None:
    log = (deployment.logs / "gunicorn.log").read_text()
    booted = set(re.findall(r"Booting worker with pid: (\d+)", log))
    assert "Using worker: sync" in log
    assert len(booted) == 2 * len(os.sched_getaffinity(0)) + 1, log[-2000:]


def test_a_terminals_taps_arrive_once_and_a_rating_of_one_sends_one_email_and_one_signed_webhook(
    deployment: Deployment, terminal: Path
) -> None:
    # HQ points the default rule at the store's chat too, through the API behind nginx
    admin = deployment.client()
    assert sign_in(admin, deployment.base, "admin@example.org", deployment.admin_password).status_code == 302
    token = admin.get(f"{deployment.base}/api/v1/me", timeout=10).json()["csrf_token"]
    rules = admin.get(f"{deployment.base}/api/v1/alert-rules", timeout=10).json()["rules"]
    rule_id = next(r["id"] for r in rules if r["key"] == "very_unhappy")
    changed = admin.patch(
        f"{deployment.base}/api/v1/alert-rules/{rule_id}",
        json={"webhook_url": deployment.receiver.url, "webhook_format": "json"},
        headers={"X-CSRF-Token": token},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text
    secret = changed.json()["webhook_secret"]

    python = deployment.terminal_root / ".venv" / "bin" / "python"
    output = run(
        [str(python), "-I", str(STORE_TERMINAL), str(terminal), "4", "3", "1"],
        environment=deployment.terminal_env,
        cwd=deployment.terminal_root,
        timeout=120,
    )
    report = json.loads(output.splitlines()[-1])
    assert not Path(report["kiosk"]).resolve().is_relative_to(ROOT)
    status = report["status"]
    assert (status["queue_depth"], status["delivered"], status["quarantined"]) == (0, 3, 0), status
    assert status["last_error"] is None
    assert abs(status["clock_offset_seconds"]) < 5  # the terminal and the hub agree on the time
    stored = deployment.query("SELECT id::text, COUNT(*) FROM response GROUP BY id")
    assert sorted(stored) == sorted((i, 1) for i in report["ids"])

    (mail,) = deployment.inbox.wait_for(1, timeout=20)
    (call,) = deployment.receiver.wait_for(1, timeout=20)
    time.sleep(2)  # a second delivery would come within the poll interval (200 ms)
    assert len(deployment.inbox.messages) == 1 and len(deployment.receiver.calls) == 1

    assert mail["To"] == "manager@example.org"
    assert mail["Subject"].startswith("B001 Berlin Mitte: Very unhappy customer")
    parts = dict(item.split("=", 1) for item in call.headers["X-Voxloop-Signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + call.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    assert json.loads(call.body)["responses"][0]["id"] == report["ids"][2]

    # the email's link leads to the case through nginx: the manager signs in and acknowledges it
    link = re.search(rf"{re.escape(deployment.base)}(/cases/\d+/ack/\S+)", text_of(mail)).group(1)
    manager = deployment.client()
    assert sign_in(manager, deployment.base, "manager@example.org", deployment.manager_password).status_code == 302
    # an installed hub speaks German unless its LANGUAGE or the person says otherwise
    assert "Angenommen. Danke." in manager.get(deployment.base + link, timeout=10).text


def test_a_phone_answer_through_the_page_behind_nginx_is_stored_once(deployment: Deployment, terminal: Path) -> None:
    if not CHROMIUM.exists():
        missing_system_package("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # the page the terminal's QR code opens
    phone_url = json.loads((terminal / "terminal.json").read_text())["config"]["phone_url"]
    assert phone_url.startswith(f"{deployment.base}/m/")
    # Chromium trusts the throwaway certificate by its key, as if a CA had signed it
    pin = f"--ignore-certificate-errors-spki-list={deployment.spki_sha256}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, pin])
        try:
            phone = new_phone(browser, deployment)
            page = phone.page
            assert page.goto(phone_url).status == 200
            assert page.evaluate("window.isSecureContext")
            button(page, "Very good").click()
            button(page, "Friendliness").click()
            button(page, "Send").click()
            button(page, "10").click()
            page.get_by_label("Your message").fill("Lovely staff")
            button(page, "Send").click()
            button(page, "No, thanks").click()
            page.get_by_text("Sent ✓").wait_for(timeout=20000)
            [response_id] = phone.response_ids()
            assert phone.errors == [] and phone.foreign == [] and phone.blocked == []
        finally:
            browser.close()

    assert deployment.query("SELECT COUNT(*) FROM response WHERE id::text = %s", (response_id,)) == [(1,)]
    [(flags, channel)] = deployment.query("SELECT flags, channel FROM response WHERE id::text = %s", (response_id,))
    assert "partial" not in flags.split() and channel == "qr"
    answers = deployment.query("SELECT question, number, text FROM answer WHERE response_id::text = %s", (response_id,))
    assert sorted(answers, key=repr) == sorted(
        [("rating", 4, None), ("reason", None, "staff"), ("nps", 10, None), ("comment", None, "Lovely staff")],
        key=repr,
    )


def test_thirty_failed_sign_ins_from_one_client_lock_out_that_client_and_nobody_else(deployment: Deployment) -> None:
    guesser = deployment.client("127.0.0.2")
    throttle = Throttle()
    for i in range(30):
        throttle.attempt(lambda i=i: sign_in(guesser, deployment.base, f"guess{i}@example.org", "wrong password"))
    # 20 failures per address in 15 minutes, then throttled: each attempt inside the wait is
    # refused, one after it fails again (and doubles the wait); the hub runs on a clock of real
    # seconds, so on a slow machine a wait can pass within the thirty
    assert throttle.statuses[:20] == [401] * 20 and 429 in throttle.statuses[20:]

    # the guesser stays throttled, even with a right password, while the wait lasts
    again = throttle.attempt(
        lambda: sign_in(guesser, deployment.base, "manager@example.org", deployment.manager_password)
    )
    assert again.status_code in (429, 302)  # 429 whenever it was asked inside the wait (checked above)

    colleague = deployment.client("127.0.0.3")
    assert sign_in(colleague, deployment.base, "admin@example.org", deployment.admin_password).status_code == 302
    assert colleague.get(f"{deployment.base}/api/v1/me", timeout=10).json()["email"] == "admin@example.org"

    # the hub's access log (JSON lines) names the same clients as the throttling did (a worker
    # writes its line after the answer went out, so the last one may still be on its way)
    def logged(address: str) -> int:
        lines = [json.loads(line) for line in (deployment.logs / "gunicorn.log").read_text().splitlines()]
        return sum(
            1
            for line in lines
            if (line.get("client"), line.get("method"), line.get("path")) == (address, "POST", "/login")
        )

    wait_for(
        lambda: logged("127.0.0.2") == 31 and logged("127.0.0.3") == 1,
        10,
        "31 sign-ins from 127.0.0.2 and one from 127.0.0.3 in the hub's log",
        deployment.logs / "gunicorn.log",
    )


def test_nginx_wrote_nothing_outside_its_own_directory(deployment: Deployment) -> None:
    assert snapshot(SYSTEM_NGINX) == deployment.system_nginx_before
    assert (deployment.logs.parent / "nginx" / "logs" / "voxloop.access.log").stat().st_size > 0
