"""A throwaway Request Tracker 5 (Debian's request-tracker5) for the help desk tests.

Nothing here touches a system RT: the server gets its own site configuration
(``RT_SITE_CONFIG``, and an empty ``RT_SITE_CONFIG_DIR`` so Debian's snippets in /etc are not
read), its own SQLite database made by ``rt-setup-database``, its own Mason and session
directories, all in a fresh temporary directory; ``rt-server`` (Plack's standalone server)
listens on 127.0.0.1 on a free port. Two users get an auth token through RT's own Perl API
(``RT::AuthToken``): ``voxloop``, the connector's user (privileged, with only the rights
docs/helpdesk.md lists, granted on the whole system so each test can have its own queue), and
``root``, who plays the service agent. ``stop()`` kills the server, ``start()`` starts it again
on the same port (a help desk that was down), ``close()`` deletes everything.

By hand: ``python -m tests.support.request_tracker`` starts one and prints its URL and tokens.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

SETUP_DATABASE = Path("/usr/sbin/rt-setup-database-5")
RT_SERVER = Path("/usr/share/request-tracker5/libexec/rt-server")
RT_LIB = Path("/usr/share/request-tracker5/lib")
RIGHTS = (
    "SeeQueue",
    "CreateTicket",
    "ShowTicket",
    "ModifyTicket",
    "CommentOnTicket",
    "ReplyToTicket",
    "ShowTicketComments",
)

SITE_CONFIG = """
Set($rtname, 'voxloop-test');
Set($Organization, 'voxloop.test');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, '{db}');
Set($WebDomain, '127.0.0.1');
Set($WebPort, {port});
Set($WebPath, '');
Set($WebBaseURL, 'http://127.0.0.1:{port}');
Set($Timezone, 'UTC');
Set($LogToSyslog, undef);
Set($LogToSTDERR, 'error');
Set($LogToFile, undef);
Set($MasonDataDir, '{var}/mason_data');
Set($MasonSessionDir, '{var}/session_data');
Set($MailCommand, 'testfile');
1;
"""

# users, rights and tokens through RT's own API; prints the two tokens
SETUP_PEOPLE = """
use strict; use warnings;
use lib '{lib}';
use RT; RT::LoadConfig(); RT::Init();
my $user = RT::User->new(RT->SystemUser);
my ($uid, $umsg) = $user->Create(Name => 'voxloop', EmailAddress => 'voxloop@voxloop.test', Privileged => 1);
die "user: $umsg" unless $uid;
for my $right (qw({rights})) {{
    my ($ok, $msg) = $user->PrincipalObj->GrantRight(Right => $right, Object => RT->System);
    die "$right: $msg" unless $ok;
}}
for my $name ('voxloop', 'root') {{
    my $owner = RT::User->new(RT->SystemUser); $owner->Load($name);
    my $token = RT::AuthToken->new(RT->SystemUser);
    my ($ok, $msg, $string) = $token->Create(Owner => $owner->Id, Description => 'voxloop tests');
    die "token: $msg" unless $ok;
    print "$string\\n";
}}
"""


class RequestTrackerError(RuntimeError):
    pass


def rt_installed() -> str | None:
    """None when RT 5 can run here, else what is missing."""
    for path in (SETUP_DATABASE, RT_SERVER, RT_LIB):
        if not path.exists():
            return f"{path} is missing (apt-get install request-tracker5 rt5-db-sqlite rt5-standalone)"
    if shutil.which("perl") is None:
        return "perl is missing"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporaryRequestTracker:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="voxloop-rt-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = ""  # the connector's (user voxloop)
        self.agent_token = ""  # root's, the service agent of the tests
        self.queue = ""  # the queue a test works in (each test makes its own: new_queue)
        self.started_in: float = 0.0  # seconds from nothing to answering (setup included)
        self._process: subprocess.Popen[bytes] | None = None
        var = self.dir / "var"
        for sub in ("mason_data", "session_data", "site_config.d"):
            (var / sub).mkdir(parents=True, exist_ok=True)
        (self.dir / "RT_SiteConfig.pm").write_text(
            SITE_CONFIG.format(db=var / "rt.db", port=self.port, var=var), encoding="utf-8"
        )
        self.env = {
            **os.environ,
            "RT_SITE_CONFIG": str(self.dir / "RT_SiteConfig.pm"),
            "RT_SITE_CONFIG_DIR": str(var / "site_config.d"),
        }

    # --- life ------------------------------------------------------------------------------------

    def setup(self) -> TemporaryRequestTracker:
        began = time.monotonic()
        self._run([str(SETUP_DATABASE), "--action", "init", "--skip-create"])
        script = SETUP_PEOPLE.format(lib=RT_LIB, rights=" ".join(RIGHTS))
        tokens = self._run(["perl", "-e", script]).split()
        if len(tokens) != 2:
            raise RequestTrackerError(f"RT made no tokens: {tokens}")
        self.token, self.agent_token = tokens
        self.start()
        self.started_in = time.monotonic() - began
        return self

    def start(self, timeout: float = 60) -> None:
        log = open(self.dir / "rt-server.log", "ab")  # noqa: SIM115 - the server's, closed by it
        self._process = subprocess.Popen(
            [str(RT_SERVER), "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.dir,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RequestTrackerError(f"rt-server ended: {self.log_tail()}")
            try:
                self.agent("GET", "/queues/all")
                return
            except OSError:
                time.sleep(0.1)
        raise RequestTrackerError(f"rt-server did not answer within {timeout} s: {self.log_tail()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> TemporaryRequestTracker:
        return self.setup()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log_tail(self) -> str:
        path = self.dir / "rt-server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def _run(self, command: list[str]) -> str:
        done = subprocess.run(command, env=self.env, cwd=self.dir, capture_output=True, timeout=120)
        if done.returncode != 0:
            raise RequestTrackerError(f"{command[0]} failed: {done.stderr.decode(errors='replace')[-2000:]}")
        return done.stdout.decode()

    # --- the agent's side: RT's REST 2 API as root --------------------------------------------

    def agent(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        url = f"{self.url}/REST/2.0{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
        data = None
        request = urllib.request.Request(url, method=method)
        request.add_header("Authorization", f"token {self.agent_token}")
        if isinstance(body, str):
            data = body.encode()
            request.add_header("Content-Type", "text/plain")
        elif body is not None:
            data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, data=data, timeout=30) as answer:
            raw = answer.read()
        return json.loads(raw) if raw else None

    def new_queue(self, name: str) -> str:
        self.agent("POST", "/queue", {"Name": name})
        return name

    def tickets(self, queue: str) -> list[dict[str, Any]]:
        found = self.agent("GET", "/tickets", query=f"Queue = '{queue}'", fields="Subject,Status", per_page="100")
        return found["items"]

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        return self.agent("GET", f"/ticket/{ticket_id}")

    def texts(self, ticket_id: str) -> list[str]:
        """The text of every message on the ticket (its creation, comments, replies), in order."""
        history = self.agent("GET", f"/ticket/{ticket_id}/history", fields="Type", per_page="100")["items"]
        said = []
        for item in history:
            if item["Type"] in ("Create", "Comment", "Correspond"):
                parts = self.agent(
                    "GET", f"/transaction/{item['id']}/attachments", fields="Content,ContentType", per_page="100"
                )["items"]
                said += [p["Content"] for p in parts if p.get("ContentType") == "text/plain" and p.get("Content")]
        return said

    def take(self, ticket_id: str) -> None:
        self.agent("PUT", f"/ticket/{ticket_id}", {"Status": "open"})

    def comment(self, ticket_id: str, text: str) -> None:
        self.agent("POST", f"/ticket/{ticket_id}/comment", text)

    def resolve(self, ticket_id: str) -> None:
        self.agent("PUT", f"/ticket/{ticket_id}", {"Status": "resolved"})


if __name__ == "__main__":  # pragma: no cover - by hand
    with TemporaryRequestTracker() as rt:
        print(f"{rt.url} (ready in {rt.started_in:.1f} s)\nconnector token: {rt.token}\nagent token: {rt.agent_token}")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
