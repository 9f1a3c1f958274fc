"""Which part may import which: the borders of docs/architecture.md, read from the code with ``ast``.

The parts: ``shared`` (imports none of the others), ``kiosk`` (only ``shared``),
``mobile_web`` (``shared``, and the hub only through ``MOBILE_WEB_DOORS``), ``hub`` (``shared``,
and ``mobile_web`` only to register the phone page's blueprint). Inside the hub, modules sit in
layers, top to bottom::

    entry     the app factory, commands, jobs, the demo and its seed
    views     blueprints: api, admin, auth, cases, dashboards, pages, health, charts, csv_upload
    services  the business processes (hub/services), the app's state
    queries   hub/queries: the SQL
    db        the connection, the models, the migrations
    core      the clock, problem details, configuration, client addresses, URL ids, page headers, log
              lines and request ids, the counters of /metrics: usable by all

A module imports its own layer or a lower one, never a higher one; views call services, never
queries (SQL stays behind a service). Every import counts, also one inside a function.
Every violation is reported, each on a line of its own, so a half-done move shows all that is left.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PARTS = ("shared", "kiosk", "mobile_web", "hub")

# The part -> the parts it may import (besides itself).
PART_MAY_IMPORT = {
    "shared": frozenset(),
    "kiosk": frozenset({"shared"}),
    "mobile_web": frozenset({"shared", "hub"}),
    "hub": frozenset({"shared", "mobile_web"}),
}
# What of the hub the phone page may use: its service functions, the CLI's app context, and the
# plumbing every blueprint uses.
MOBILE_WEB_DOORS = frozenset(
    {"hub.services.phone", "hub.app_context", "hub.clock", "hub.problems", "hub.state", "hub.api.request_body"}
)
# What of mobile_web the hub may import, and from where: the blueprint, in the app factory.
HUB_TO_MOBILE_WEB = {"hub": frozenset({"mobile_web.phone_page"})}

LAYER_ORDER = ("entry", "views", "services", "queries", "db", "core")
HUB_LAYERS = {
    "hub": "entry",
    "hub.cli": "entry",
    "hub.app_context": "entry",
    "hub.demo": "entry",
    "hub.jobs": "entry",
    "hub.seed": "entry",
    "hub.mail_catcher": "entry",
    "hub.api": "views",
    "hub.admin": "views",
    "hub.auth": "views",
    "hub.cases": "views",
    "hub.actions": "views",
    "hub.dashboards": "views",
    "hub.pages": "views",
    "hub.invitations": "views",
    "hub.contact_centre": "views",
    "hub.health": "views",
    "hub.charts": "views",
    "hub.csv_upload": "views",
    "hub.services": "services",
    "hub.state": "services",
    "hub.queries": "queries",
    "hub.db": "db",
    "hub.models": "db",
    "hub.migrations": "db",
    "hub.clock": "core",
    "hub.problems": "core",
    "hub.config": "core",
    "hub.client_address": "core",
    "hub.url_ids": "core",
    "hub.page_headers": "core",
    "hub.logs": "core",
    "hub.metrics": "core",
    "hub.i18n": "core",
}
# Imports that skip a layer downwards although the lower one is allowed: SQL stays behind services.
LAYER_SKIPS_FORBIDDEN = {("views", "queries")}


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    line: int
    importer: str
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.imported}: {self.rule}"


# --- reading the tree ----------------------------------------------------------------------


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _exists(root: Path, dotted: str) -> bool:
    base = root.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(root: Path, path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import of ``path``; ``from a import b`` names ``a.b`` when b is a module."""
    name = module_name(root, path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(p for p in [*base_parts, node.module or ""] if p)
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield node.lineno, candidate if _exists(root, candidate) else base


def hub_layer(module: str) -> str | None:
    """The layer of a hub module: its longest listed prefix."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        layer = HUB_LAYERS.get(".".join(parts[:end]))
        if layer is not None and (end > 1 or len(parts) == 1):
            return layer
    return None


def _within(module: str, names: frozenset[str]) -> bool:
    return any(module == n or module.startswith(n + ".") for n in names)


def check_import(importer: str, imported: str) -> str | None:
    """Why ``importer`` may not import ``imported``, or None when it may."""
    source, target = importer.split(".")[0], imported.split(".")[0]
    if target not in PARTS:
        return None
    if target == source:
        return _check_layers(importer, imported) if source == "hub" else None
    if target not in PART_MAY_IMPORT[source]:
        return f"{source} may not import {target}"
    if (source, target) == ("mobile_web", "hub") and not _within(imported, MOBILE_WEB_DOORS):
        return f"mobile_web uses the hub only through {', '.join(sorted(MOBILE_WEB_DOORS))}"
    if (source, target) == ("hub", "mobile_web") and not _within(
        imported, HUB_TO_MOBILE_WEB.get(importer, frozenset())
    ):
        return "the hub imports mobile_web only in the app factory, to register the phone page's blueprint"
    return None


def _check_layers(importer: str, imported: str) -> str | None:
    above, below = hub_layer(importer), hub_layer(imported)
    if above is None:
        return f"{importer} is in no layer: add it to HUB_LAYERS"
    if below is None:
        return f"{imported} is in no layer: add it to HUB_LAYERS"
    if LAYER_ORDER.index(below) < LAYER_ORDER.index(above):
        return f"{above} may not import {below} (a higher layer)"
    if (above, below) in LAYER_SKIPS_FORBIDDEN:
        return f"{above} call services, never {below}"
    return None


def violations(root: Path, parts: tuple[str, ...] = PARTS) -> list[Violation]:
    found = []
    for part in parts:
        for path in sorted(root.joinpath(part).rglob("*.py")):
            importer = module_name(root, path)
            for line, imported in imports_of(root, path):
                rule = check_import(importer, imported)
                if rule is not None:
                    where = path.relative_to(root).as_posix()
                    found.append(Violation(where, line, importer, imported, rule))
    return sorted(set(found))


def report(found: list[Violation]) -> str:
    return f"{len(found)} imports cross a border:\n" + "\n".join(str(v) for v in found)


# --- the checker on a tiny tree ------------------------------------------------------------


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


CLEAN_TREE = {
    "shared/__init__.py": "",
    "shared/protocol.py": "import json\n",
    "kiosk/__init__.py": "",
    "kiosk/terminal.py": "from shared.protocol import json\nfrom . import faces\n",
    "kiosk/faces.py": "",
    "mobile_web/__init__.py": "",
    "mobile_web/phone_page.py": "from hub.services.phone import open_touchpoint\nfrom hub.clock import now\n",
    "hub/__init__.py": "def create_app():\n    from mobile_web.phone_page import bp\n",
    "hub/clock.py": "",
    "hub/db.py": "from hub.clock import now\n",
    "hub/models.py": "from hub.db import database\n",
    "hub/queries/__init__.py": "",
    "hub/queries/rollups.py": "from hub.db import database\n",
    "hub/services/__init__.py": "",
    "hub/services/phone.py": "from hub.queries import rollups\nfrom hub.models import Store\n",
    "hub/api/__init__.py": "",
    "hub/api/sync.py": "from hub.services import phone\nfrom hub.models import Store\nfrom shared import protocol\n",
}


def test_a_tree_that_keeps_the_borders_has_no_violations(tmp_path):
    assert violations(write_tree(tmp_path, CLEAN_TREE)) == []


@pytest.mark.parametrize(
    ("name", "text", "rule"),
    [
        ("shared/ids.py", "import hub.db\n", "shared may not import hub"),
        ("kiosk/qr.py", "from mobile_web.qr_codes import matrix\n", "kiosk may not import mobile_web"),
        ("kiosk/app.py", "def f():\n    from hub import create_app\n", "kiosk may not import hub"),
        ("mobile_web/cli.py", "from hub.cli import with_app\n", "mobile_web uses the hub only through"),
        ("hub/admin/posters.py", "from mobile_web.qr_codes import write_poster\n", "the hub imports mobile_web only"),
        ("hub/queries/comments.py", "from hub.services.rollups import x\n", "queries may not import services"),
        ("hub/queries/windows.py", "from ..services import phone\n", "queries may not import services"),
        ("hub/services/cases.py", "from hub.api import sync\n", "services may not import views"),
        ("hub/models.py", "from hub.services.phone import x\n", "db may not import services"),
        ("hub/api/cases.py", "from hub.queries.rollups import database\n", "views call services, never queries"),
        ("hub/extra.py", "from hub.db import database\n", "hub.extra is in no layer"),
    ],
)
def test_the_checker_finds_a_deliberate_violation(tmp_path, name, text, rule):
    root = write_tree(tmp_path, {**CLEAN_TREE, name: text})

    found = violations(root)

    assert len(found) == 1, report(found)
    assert found[0].path == name and rule in found[0].rule
    assert str(found[0]).startswith(f"{name}:")


def test_the_checker_reports_every_violation_not_just_the_first(tmp_path):
    root = write_tree(
        tmp_path,
        {**CLEAN_TREE, "kiosk/qr.py": "import mobile_web\nimport hub\n", "shared/ids.py": "import kiosk\n"},
    )
    assert [(v.path, v.line) for v in violations(root)] == [
        ("kiosk/qr.py", 1),
        ("kiosk/qr.py", 2),
        ("shared/ids.py", 1),
    ]


# --- the tree itself -------------------------------------------------------------------------


def test_every_hub_module_is_in_a_layer():
    unplaced = sorted(
        module_name(REPO, p) for p in REPO.joinpath("hub").rglob("*.py") if hub_layer(module_name(REPO, p)) is None
    )
    assert unplaced == []


def test_the_parts_and_layers_import_only_in_the_allowed_directions():
    found = violations(REPO)
    assert found == [], report(found)
