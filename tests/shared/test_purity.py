"""shared/ is the pure core (see shared/README.md): no I/O, no framework, no hub or terminal code.

The static test reads every module with ``ast``; the dynamic test imports the whole package in a
fresh interpreter and looks at what ended up in ``sys.modules``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / "shared"

# Top-level modules no file in shared/ may import.
FORBIDDEN = frozenset(
    {
        # frameworks and drivers
        "flask",
        "werkzeug",
        "kivy",
        "peewee",
        "requests",
        "urllib3",
        "apscheduler",
        "waitress",
        "gunicorn",
        "sqlite3",
        "psycopg",
        "psycopg2",
        # the other parts of voxloop: shared is imported by them, never the other way round
        "hub",
        "kiosk",
        "mobile_web",
        "voxloop_cli",
        # network, files, processes
        "socket",
        "ssl",
        "urllib",
        "http",
        "os",
        "io",
        "pathlib",
        "shutil",
        "tempfile",
        "subprocess",
        "importlib",
        # the clock and entropy come in as arguments (README: "nonces and random bytes are passed in")
        "time",
        "random",
        "secrets",
    }
)

# Builtins that do I/O or load code by name.
FORBIDDEN_CALLS = frozenset({"open", "print", "input", "exec", "eval", "compile", "__import__", "breakpoint"})

# What the fresh interpreter must not have loaded after importing all of shared.
FORBIDDEN_LOADED = ("flask", "werkzeug", "peewee", "kivy", "requests", "apscheduler", "hub", "kiosk", "mobile_web")


def shared_modules() -> list[Path]:
    return sorted(SHARED.rglob("*.py"))


def imported_top_levels(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def called_builtins(tree: ast.AST) -> set[str]:
    return {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS
    }


def test_the_walk_finds_the_modules_of_shared():
    names = {path.stem for path in shared_modules()}
    assert {"__init__", "errors", "ids", "protocol", "crypto", "scoring"} <= names


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import flask", {"flask"}),
        ("import os.path", {"os"}),
        ("from os import path", {"os"}),
        ("from urllib.parse import quote", {"urllib"}),
        ("import json, socket as s", {"json", "socket"}),
        ("def f():\n    import peewee\n", {"peewee"}),
        ("from . import errors", set()),
    ],
)
def test_the_import_reader_sees_every_import_form(source, found):
    assert imported_top_levels(ast.parse(source)) == found


def test_the_call_reader_sees_builtin_io_calls():
    assert called_builtins(ast.parse("def f(p):\n    return open(p).read()\n")) == {"open"}


@pytest.mark.parametrize("path", shared_modules(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_module_imports_nothing_forbidden(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert imported_top_levels(tree) & FORBIDDEN == set()


@pytest.mark.parametrize("path", shared_modules(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_module_calls_no_io_builtin(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert called_builtins(tree) == set()


def test_importing_all_of_shared_loads_no_framework():
    modules = sorted(f"shared.{path.stem}" for path in shared_modules() if path.stem != "__init__")
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"forbidden = {FORBIDDEN_LOADED!r}\n"
        "print(json.dumps({'imported': sorted(m for m in sys.modules if m.startswith('shared')),\n"
        "                  'forbidden': sorted(m for m in sys.modules if m.split('.')[0] in forbidden)}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(REPO)!r})\n{script}"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(modules) <= set(report["imported"])
    assert report["forbidden"] == []
