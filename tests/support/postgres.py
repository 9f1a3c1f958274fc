"""A throwaway PostgreSQL server for one test session (or one manual benchmark).

Nothing here touches a system cluster: the server gets its own data directory in a fresh
temporary directory, listens on 127.0.0.1 only, on a free port, and keeps its Unix socket in
that temporary directory too. ``stop()`` kills it and deletes everything.

Usage from a conftest::

    from tests.support.postgres import TemporaryPostgres, find_pg_bin

    @pytest.fixture(scope="session")
    def postgres_url():
        if find_pg_bin() is None:
            pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
        with TemporaryPostgres() as pg:
            yield pg.url              # postgresql://voxloop@127.0.0.1:PORT/voxloop_test

    # one more empty database on the same server:
    url = pg.create_database("voxloop_other")

By hand (handy for benchmarks): ``python -m tests.support.postgres`` starts one, prints the URL
and keeps it running until Ctrl-C.

How it runs:

* The binaries (``initdb``, ``pg_ctl``, ``postgres``, ``psql``) come from one directory found by
  :func:`find_pg_bin`: ``$VOXLOOP_PG_BIN`` if set, else ``pg_ctl`` on ``PATH`` (symlinks are
  followed, so ``/usr/local/bin/pg_ctl -> /usr/lib/postgresql/15/bin/pg_ctl`` works), else the
  newest ``/usr/lib/postgresql/<version>/bin`` (where Debian's ``postgresql`` package puts them;
  Debian does not put them on ``PATH``).
* PostgreSQL refuses to run as root. When we are root, every ``initdb``/``pg_ctl`` call is run
  as the ``postgres`` system user (created by the Debian package) through
  ``runuser -u postgres --``, and the temporary directory is handed over to that user.
  As a normal user everything simply runs as that user.
* Authentication is ``trust`` for the superuser ``voxloop``; there is no password. Fine for a
  server that lives for one test session on the loopback interface, never for anything else.
* ``fsync`` and ``synchronous_commit`` are deliberately left on, so timings measured against it
  are honest; only ``initdb`` skips syncing (``--no-sync``) because that data is thrown away.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import weakref
from pathlib import Path

__all__ = ["PostgresError", "TemporaryPostgres", "find_pg_bin"]

#: Superuser created by initdb; also the user in every URL we hand out.
SUPERUSER = "voxloop"
#: Database created by ``start()``; ``.url`` points at it.
DEFAULT_DATABASE = "voxloop_test"
#: The system account PostgreSQL runs as when we are root.
SYSTEM_USER = "postgres"

_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
_DB_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# Longest Unix socket path is 107 bytes; ".s.PGSQL.NNNNN" takes 15 of them.
_MAX_SOCKET_DIR_LEN = 90


class PostgresError(RuntimeError):
    """Starting, stopping or talking to the temporary server failed.

    The message says which command failed and includes its output and the end of the server
    log, which is usually where the real reason is.
    """


def _is_pg_bin_dir(path: Path) -> bool:
    return all(os.access(path / name, os.X_OK) and (path / name).is_file() for name in _REQUIRED_BINARIES)


def _version_key(path: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,); /usr/lib/postgresql/9.6/bin -> (9, 6)
    parts = re.findall(r"\d+", path.parent.name)
    return tuple(int(p) for p in parts) if parts else (-1,)


def find_pg_bin() -> Path | None:
    """Return the directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``.

    Looked for in this order:

    1. ``$VOXLOOP_PG_BIN`` if set (it must contain the three programs, else ``None``);
    2. the directory of ``pg_ctl`` found on ``PATH`` (symlinks resolved), if ``initdb`` and
       ``postgres`` sit next to it; likewise for ``initdb`` on ``PATH``;
    3. ``/usr/lib/postgresql/*/bin``, newest major version first.
    """
    override = os.environ.get("VOXLOOP_PG_BIN")
    if override:
        path = Path(override).expanduser()
        return path if _is_pg_bin_dir(path) else None

    for program in ("pg_ctl", "initdb"):
        found = shutil.which(program)
        if found:
            for candidate in (Path(found).resolve().parent, Path(found).parent):
                if _is_pg_bin_dir(candidate):
                    return candidate

    versioned = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if _is_pg_bin_dir(p)]
    versioned.sort(key=_version_key, reverse=True)
    return versioned[0] if versioned else None


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _traversable_by_others(path: Path) -> bool:
    """True if every directory from / down to ``path`` has the "others may enter" bit."""
    path = path.resolve()
    for directory in (path, *path.parents):
        try:
            if not directory.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


def _tail(path: Path, max_chars: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return text if len(text) <= max_chars else "...\n" + text[-max_chars:]


def _cleanup(pid_dir: Path, pg_ctl_cmd: list[str], tmpdir: Path) -> None:
    """Stop the server (if its pid file is still there) and remove the directory.

    A plain function (not a method) so ``weakref.finalize`` can call it at interpreter exit
    even when the ``TemporaryPostgres`` object was never stopped explicitly.
    """
    if (pid_dir / "postmaster.pid").exists():
        subprocess.run(
            pg_ctl_cmd,
            cwd=tmpdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
    shutil.rmtree(tmpdir, ignore_errors=True)


class TemporaryPostgres:
    """A private PostgreSQL server on 127.0.0.1 that lives as long as this object is started.

    Use as a context manager (``with TemporaryPostgres() as pg: ...``) or call ``start()`` and
    ``stop()`` yourself. After ``start()``:

    * ``url`` -- ``postgresql://voxloop@127.0.0.1:PORT/voxloop_test`` (the default database);
    * ``host``, ``port``, ``user``, ``database``, ``socket_dir``, ``data_dir``, ``log_path``;
    * ``url_for(name)`` -- the URL of another database on this server;
    * ``create_database(name)`` -- create one more empty database, returns its URL.

    ``bin_dir`` defaults to :func:`find_pg_bin`; ``PostgresError`` is raised if none is found.
    ``start_timeout`` is how long ``pg_ctl -w`` waits for the server to accept connections.
    """

    def __init__(
        self,
        *,
        bin_dir: Path | str | None = None,
        database: str = DEFAULT_DATABASE,
        max_connections: int = 200,
        start_timeout: int = 60,
        settings: dict[str, str] | None = None,
    ) -> None:
        if not _DB_NAME_RE.match(database):
            raise ValueError(f"invalid database name {database!r}")
        self._bin_dir_arg = Path(bin_dir) if bin_dir is not None else None
        self.database = database
        self.max_connections = max_connections
        self.settings = dict(settings or {})  # more server settings, e.g. shared_preload_libraries
        self.start_timeout = start_timeout
        self.host = "127.0.0.1"
        self.user = SUPERUSER
        self.port: int | None = None
        self.bin_dir: Path | None = None
        self.tmpdir: Path | None = None
        self._finalizer: weakref.finalize | None = None

    # ----------------------------------------------------------------- paths and urls

    @property
    def data_dir(self) -> Path:
        return self._require_tmpdir() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._require_tmpdir()

    @property
    def log_path(self) -> Path:
        return self._require_tmpdir() / "postgres.log"

    @property
    def running(self) -> bool:
        return self._finalizer is not None and self._finalizer.alive and self.port is not None

    @property
    def url(self) -> str:
        """URL of the default database, e.g. ``postgresql://voxloop@127.0.0.1:PORT/voxloop_test``."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        if self.port is None:
            raise PostgresError("the server is not started")
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def _require_tmpdir(self) -> Path:
        if self.tmpdir is None:
            raise PostgresError("the server is not started")
        return self.tmpdir

    # ----------------------------------------------------------------- running commands

    @staticmethod
    def _as_root() -> bool:
        return os.geteuid() == 0

    def _server_cmd(self, args: list[str]) -> list[str]:
        """Prefix a command with ``runuser -u postgres --`` when we are root."""
        if not self._as_root():
            return args
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        return [runuser, "-u", SYSTEM_USER, "--", *args]

    def _run(self, args: list[str], *, what: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = self._server_cmd(args)
        env = dict(os.environ)
        # Messages in plain English whatever the caller's locale, so errors are readable.
        env["LC_MESSAGES"] = "C"
        try:
            proc = subprocess.run(
                cmd,
                cwd=self.tmpdir,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PostgresError(self._failure_message(what, cmd, str(exc))) from exc
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr).strip() or "(no output)"
            raise PostgresError(self._failure_message(what, cmd, f"exit code {proc.returncode}\n{output}"))
        return proc

    def _failure_message(self, what: str, cmd: list[str], detail: str) -> str:
        message = f"PostgreSQL: {what} failed.\ncommand: {shlex.join(cmd)}\n{detail}"
        if self.tmpdir is not None and self.log_path.exists():
            message += f"\n--- server log {self.log_path} ---\n{_tail(self.log_path)}"
        return message

    # ----------------------------------------------------------------- start / stop

    def start(self) -> TemporaryPostgres:
        """Create the cluster, start the server, create the default database. Returns self."""
        if self.running:
            return self
        bin_dir = self._bin_dir_arg or find_pg_bin()
        if bin_dir is None or not _is_pg_bin_dir(bin_dir):
            raise PostgresError(
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found"
                + (f" in {bin_dir}" if bin_dir else " on PATH, in $VOXLOOP_PG_BIN or in /usr/lib/postgresql/*/bin")
                + ". On Debian/Ubuntu: apt-get install postgresql (or run scripts/test as root)."
            )
        self.bin_dir = bin_dir
        self.tmpdir = self._make_tmpdir()
        pg_ctl_stop = self._server_cmd(
            [str(bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"]
        )
        # From here on, whatever happens (exception, forgotten stop(), interpreter exit), the
        # server is stopped and the directory removed.
        self._finalizer = weakref.finalize(self, _cleanup, self.data_dir, pg_ctl_stop, self.tmpdir)
        try:
            self._initdb()
            self._start_server()
            self.create_database(self.database)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server at once (``pg_ctl -m immediate stop``) and delete its directory.

        Safe to call twice or on a server that never started.
        """
        if self._finalizer is not None:
            self._finalizer()  # runs _cleanup once; later calls are no-ops
        self._finalizer = None
        self.port = None
        self.tmpdir = None

    def __enter__(self) -> TemporaryPostgres:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self.running else "stopped"
        return f"<TemporaryPostgres {state}>"

    def _make_tmpdir(self) -> Path:
        base: str | None = None
        if self._as_root():
            try:
                account = pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                raise PostgresError(
                    f"running as root, but there is no {SYSTEM_USER!r} system user to run PostgreSQL as "
                    "(PostgreSQL refuses to run as root). Install the postgresql package, which creates "
                    "it, or run the tests as a normal user."
                ) from None
            if not (shutil.which("runuser") or os.path.exists("/usr/sbin/runuser")):
                raise PostgresError("running as root, but runuser (util-linux) is not installed")
            # The postgres user must be able to reach the directory; $TMPDIR might be under /root.
            if not _traversable_by_others(Path(tempfile.gettempdir())):
                base = "/tmp"
        tmpdir = Path(tempfile.mkdtemp(prefix="voxloop-pg-", dir=base))
        if len(str(tmpdir)) > _MAX_SOCKET_DIR_LEN:
            # Unix socket paths are limited to ~107 bytes; a deep $TMPDIR would break the socket.
            shutil.rmtree(tmpdir, ignore_errors=True)
            tmpdir = Path(tempfile.mkdtemp(prefix="voxloop-pg-", dir="/tmp"))
        if self._as_root():
            account = pwd.getpwnam(SYSTEM_USER)
            os.chown(tmpdir, account.pw_uid, account.pw_gid)
            # 0711: root (the tests) can still enter to read the log; others cannot list it.
            tmpdir.chmod(0o711)
        else:
            tmpdir.chmod(0o700)
        return tmpdir

    def _initdb(self) -> None:
        assert self.bin_dir is not None
        self._run(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data_dir),
                "-A",
                "trust",
                "-U",
                SUPERUSER,
                "--no-sync",
                "-E",
                "UTF8",
                # Fixed locale: the result does not depend on which locales the machine has
                # generated (a missing one makes initdb fail) and sorting is the same everywhere.
                "--locale=C",
            ],
            what="initdb",
        )

    def _start_server(self) -> None:
        assert self.bin_dir is not None
        attempts = 3  # the free port can be taken by someone else before the server binds it
        for attempt in range(1, attempts + 1):
            self.port = _free_port()
            options = " ".join(
                [
                    "-c listen_addresses=127.0.0.1",
                    f"-p {self.port}",
                    f"-c unix_socket_directories={shlex.quote(str(self.socket_dir))}",
                    "-c fsync=on",
                    "-c synchronous_commit=on",
                    f"-c max_connections={int(self.max_connections)}",
                    *(f"-c {shlex.quote(f'{name}={value}')}" for name, value in self.settings.items()),
                ]
            )
            try:
                self._run(
                    [
                        str(self.bin_dir / "pg_ctl"),
                        "-D",
                        str(self.data_dir),
                        "-l",
                        str(self.log_path),
                        "-w",
                        "-t",
                        str(self.start_timeout),
                        "-o",
                        options,
                        "start",
                    ],
                    what=f"starting the server on 127.0.0.1:{self.port}",
                    timeout=self.start_timeout + 30,
                )
                return
            except PostgresError:
                port_taken = "could not bind" in _tail(self.log_path) or "already in use" in _tail(self.log_path)
                if attempt < attempts and port_taken:
                    continue
                raise

    # ----------------------------------------------------------------- databases

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` on this server and return its URL.

        Uses psycopg when it is importable, else ``psql`` from the server's bin directory.
        """
        if not _DB_NAME_RE.match(name):
            raise ValueError(f"invalid database name {name!r} (letters, digits and _ only)")
        if self.port is None:
            raise PostgresError("the server is not started")
        statement = f'CREATE DATABASE "{name}"'
        try:
            import psycopg
        except ImportError:
            psycopg = None
        if psycopg is not None:
            try:
                with psycopg.connect(self.url_for("postgres"), autocommit=True, connect_timeout=10) as conn:
                    conn.execute(statement)
            except psycopg.Error as exc:
                what = f"creating database {name!r}"
                raise PostgresError(self._failure_message(what, ["psycopg", statement], str(exc))) from exc
        else:
            self._psql("postgres", statement, what=f"creating database {name!r}")
        return self.url_for(name)

    def _psql(self, database: str, sql: str, *, what: str) -> str:
        """Run ``sql`` with psql over TCP as the superuser; returns psql's output."""
        assert self.bin_dir is not None
        psql = self.bin_dir / "psql"
        psql_path = str(psql) if psql.exists() else shutil.which("psql")
        if psql_path is None:
            raise PostgresError(f"{what}: psql not found (install psycopg or postgresql-client)")
        cmd = [
            psql_path,
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-d",
            database,
            "-c",
            sql,
        ]
        try:
            proc = subprocess.run(
                cmd,
                cwd=self.tmpdir,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PostgresError(self._failure_message(what, cmd, str(exc))) from exc
        if proc.returncode != 0:
            detail = f"exit code {proc.returncode}\n{(proc.stdout + proc.stderr).strip()}"
            raise PostgresError(self._failure_message(what, cmd, detail))
        return proc.stdout


def lock_waits(url: str, seconds: float = 10) -> int:
    """How many sessions of the database wait for a lock, once one does (polled up to
    ``seconds``): a test holding a row lock sees that the work it started waits for it."""
    import time

    import psycopg

    deadline = time.monotonic() + seconds
    with psycopg.connect(url, autocommit=True) as watch:
        while True:
            waiting = watch.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            ).fetchone()[0]
            if waiting or time.monotonic() > deadline:
                return waiting
            time.sleep(0.05)


def main() -> int:
    """``python -m tests.support.postgres``: start a server, print its URL, wait for Ctrl-C."""
    try:
        pg = TemporaryPostgres().start()
    except PostgresError as exc:
        print(exc, file=sys.stderr)
        return 1

    def _stop_on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGINT, _stop_on_signal)  # even when started with SIGINT ignored (e.g. `cmd &`)
    with contextlib.suppress(KeyboardInterrupt):
        try:
            print(pg.url, flush=True)
            print(
                f"# PostgreSQL {pg.bin_dir} on 127.0.0.1:{pg.port}, data in {pg.data_dir}\n"
                f"# psql: psql {pg.url}\n"
                "# Ctrl-C stops it and deletes everything.",
                file=sys.stderr,
                flush=True,
            )
            while True:
                signal.pause()
        finally:
            pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
