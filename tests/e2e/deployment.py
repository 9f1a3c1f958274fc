"""voxloop as deploy/README.md installs it, on this machine and without systemd.

A release is its two distributions: the wheel is installed into a fresh virtual environment
outside the checkout (``/opt/voxloop/.venv``), and deploy/ is taken from the sdist, as an
operator takes it from the release tarball. The services run what their systemd units say:
``ExecStart`` in ``WorkingDirectory`` with the environment of ``EnvironmentFile`` and nothing
else (no variable of the test process leaks in: no PYTHONPATH, no virtualenv of the checkout).
What only a machine decides is adapted: ``/opt/voxloop`` becomes a temporary directory, the
services run as the user who runs the tests.
"""

from __future__ import annotations

import configparser
import os
import shlex
import subprocess
import sys
import tarfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

OPT = "/opt/voxloop"
# What systemd gives a service besides its EnvironmentFile (and what `runuser` gives a command).
SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Settings of the test process that must not reach an installed program.
_LEAKS = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH", "VIRTUAL_ENV", "PYTHONUSERBASE")


def unpack_deploy(sdist: Path, opt: Path) -> Path:
    """deploy/ of the release tarball, unpacked to ``opt``/deploy (and nothing else of it: the
    hub's code comes from the wheel)."""
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if m.name.split("/")[1:2] == ["deploy"]]
        if not members:
            raise AssertionError(f"{sdist.name} carries no deploy/: an operator would have no service files")
        for member in members:
            member.name = member.name.split("/", 1)[1]
        tar.extractall(opt, members=members, filter="data")
    return opt / "deploy"


def make_venv(directory: Path, wheel: Path, extras: str) -> Path:
    """A fresh virtual environment at ``directory`` with the wheel and ``extras`` installed;
    returns its bin directory. pip is this checkout's (``pip --python``), so the environment
    is made without one of its own, and pip's cache makes a repeated install fast."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(directory)], check=True, timeout=120)
    environment = {k: v for k, v in os.environ.items() if k not in _LEAKS}
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(directory / "bin" / "python"),
            "install",
            "--quiet",
            f"{wheel}[{extras}]",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if install.returncode != 0:
        raise AssertionError(f"installing {wheel.name}[{extras}] failed:\n{install.stdout}\n{install.stderr}")
    return directory / "bin"


def read_environment_file(path: Path) -> dict[str, str]:
    """KEY=value lines, as systemd's EnvironmentFile= and `set -a; . file` read them."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def write_environment_file(path: Path, values: Mapping[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    path.chmod(0o640)
    return path


def service_environment(home: Path, values: Mapping[str, str]) -> dict[str, str]:
    """The whole environment of a service or a command run as its user: nothing inherited."""
    return {"PATH": SERVICE_PATH, "LANG": "C.UTF-8", "HOME": str(home), **values}


@dataclass(frozen=True)
class Unit:
    """The [Service] of a shipped systemd unit, its /opt/voxloop moved to ``opt``."""

    exec_start: list[str]
    working_directory: Path
    environment_file: str

    @classmethod
    def read(cls, path: Path, opt: Path) -> Unit:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.optionxform = str  # keys are case-sensitive in systemd
        parser.read_string(path.read_text())
        service = parser["Service"]

        def moved(value: str) -> str:
            return value.replace(OPT, str(opt))

        return cls(
            exec_start=shlex.split(moved(service["ExecStart"])),
            working_directory=Path(moved(service["WorkingDirectory"])),
            environment_file=service["EnvironmentFile"],
        )

    def command(self, environment: Mapping[str, str]) -> list[str]:
        """ExecStart with exactly ``environment`` (`env -i`: the test's variables stay out)."""
        return ["env", "-i", *(f"{k}={v}" for k, v in environment.items()), *self.exec_start]


def run(argv: Sequence[str], *, environment: Mapping[str, str], cwd: Path, timeout: float = 120) -> str:
    """Run an installed program with exactly ``environment``; its output, or fail with it."""
    result = subprocess.run(
        list(argv), env=dict(environment), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{shlex.join(argv)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
    return result.stdout


class Stopwatch:
    """How long each step of the stage took, for docs/performance.md."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []
        self._started = time.monotonic()

    def lap(self, step: str) -> None:
        now = time.monotonic()
        self.steps.append((step, now - self._started))
        self._started = now

    def __str__(self) -> str:
        return ", ".join(f"{step} {seconds:.1f} s" for step, seconds in self.steps)
