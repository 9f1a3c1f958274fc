"""Build voxloop's distributions the way a release is built: the sdist first, the wheel from it.

`python -m build` (PyPA's front end) makes the sdist from the checkout and then the wheel from
that unpacked sdist in an isolated environment, so a file that the sdist forgets is missing from
the wheel too, just as it would be for anyone installing the release.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


def build_distributions(out_dir: Path) -> tuple[Path, Path]:
    """Build the sdist and the wheel of the checkout into `out_dir`; return (wheel, sdist).

    `out_dir` should be empty (a fresh temporary directory): it must end up holding one of each.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out_dir), str(REPOSITORY_ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"python -m build failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    wheels = sorted(out_dir.glob("*.whl"))
    sdists = sorted(out_dir.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        found = sorted(p.name for p in out_dir.iterdir())
        raise RuntimeError(f"expected one wheel and one sdist in {out_dir}, found {found}")
    return wheels[0], sdists[0]
