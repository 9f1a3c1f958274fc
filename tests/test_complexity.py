"""No function outside the demo data generator is more complex than ``LIMIT`` (radon's
cyclomatic complexity): past that, a function does several jobs and is split into named steps.

hub/seed/ is left out: its generator draws a week of made-up shoppers in one readable
sequence of chances, which no reader follows better in pieces.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Class, Function

REPO = Path(__file__).resolve().parents[1]
LIMIT = 20
PACKAGES = ("shared", "kiosk", "mobile_web", "hub")
LEFT_OUT = ("hub/seed/",)


def _functions(blocks: list) -> Iterator[Function]:
    for block in blocks:
        if isinstance(block, Class):
            yield from _functions(block.methods)
        else:
            yield block
            yield from _functions(block.closures)


def complexities() -> dict[str, int]:
    """ "path:name" -> complexity, for every function and method of the packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted(REPO.joinpath(package).rglob("*.py")):
            where = path.relative_to(REPO).as_posix()
            if where.startswith(LEFT_OUT):
                continue
            for function in _functions(cc_visit(path.read_text(encoding="utf-8"))):
                found[f"{where}:{function.fullname}"] = function.complexity
    return found


def test_the_reader_sees_functions_methods_and_closures():
    code = (
        "class A:\n    def m(self, x):\n        if x:\n            return 1\n        return 2\n\n"
        "def f():\n    def g(y):\n        return y or 0\n    return g\n"
    )
    names = {f.fullname: f.complexity for f in _functions(cc_visit(code))}
    assert names == {"A.m": 2, "f": 1, "g": 2}


def test_no_function_is_more_complex_than_the_limit():
    over = sorted(f"{name} (cc {cc})" for name, cc in complexities().items() if cc > LIMIT)
    assert over == [], f"{len(over)} functions above cc {LIMIT}: split them into named steps:\n" + "\n".join(over)
