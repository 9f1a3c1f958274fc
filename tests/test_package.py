"""The distributions carry what an installed voxloop loads: every file of the packages, the
licence, and in the sdist the deployment files.

The wheel is built from the sdist (tests/support/package.py), as a release is, and compared with
what git tracks, so a template, screen or migration of a new file type cannot go missing from
an installation unnoticed.
"""

from __future__ import annotations

import gettext
import hashlib
import py_compile
import subprocess
import tarfile
import zipfile
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path, PurePosixPath

import pytest

from tests.support.package import REPOSITORY_ROOT, build_distributions

PACKAGES = ("shared", "hub", "kiosk", "mobile_web")
# SHA-256 of the GNU Affero General Public License version 3 as the FSF publishes it
# (https://www.gnu.org/licenses/agpl-3.0.txt)
AGPL_3_SHA256 = "0d96a4ff68ad6d4b6f1f30f713b18d5184912ba8dd389f86aa7710db079abcb0"


def tracked(*paths: str) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", *paths], cwd=REPOSITORY_ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [name for name in listed.split("\0") if name]


@pytest.fixture(scope="module")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    # A checkout that has run anything holds bytecode next to the sources; make sure this one
    # does, so the build shows that caches stay out of the packages.
    py_compile.compile(str(REPOSITORY_ROOT / "hub" / "__init__.py"), doraise=True)
    return build_distributions(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def wheel_files(distributions: tuple[Path, Path]) -> set[str]:
    with zipfile.ZipFile(distributions[0]) as wheel:
        return set(wheel.namelist())


@pytest.fixture(scope="module")
def sdist_files(distributions: tuple[Path, Path]) -> set[str]:
    with tarfile.open(distributions[1]) as sdist:
        # every member sits under the "voxloop-<version>/" folder
        return {str(PurePosixPath(*PurePosixPath(name).parts[1:])) for name in sdist.getnames()}


@pytest.fixture(scope="module")
def wheel_metadata(distributions: tuple[Path, Path], wheel_files: set[str]) -> Message:
    (name,) = [f for f in wheel_files if f.endswith(".dist-info/METADATA")]
    with zipfile.ZipFile(distributions[0]) as wheel:
        return HeaderParser().parsestr(wheel.read(name).decode())


def test_the_wheel_carries_every_file_git_tracks_in_the_packages(wheel_files: set[str]) -> None:
    package_files = [name for name in tracked(*PACKAGES) if "tests" not in PurePosixPath(name).parts]
    assert any(name.endswith(".txt") for name in package_files)  # the email templates, once lost
    missing = [name for name in package_files if name not in wheel_files]
    assert missing == []


def test_the_wheel_carries_the_terminals_catalogs_compiled_and_readable(
    distributions: tuple[Path, Path], tmp_path: Path
) -> None:
    with zipfile.ZipFile(distributions[0]) as wheel:
        catalogs = [name for name in wheel.namelist() if name.startswith("kiosk/locale/")]
        for name in catalogs:  # as an installation lays them out
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_bytes(wheel.read(name))
    assert {"kiosk/locale/de/LC_MESSAGES/kiosk.mo", "kiosk/locale/en/LC_MESSAGES/kiosk.mo"} <= set(catalogs)
    installed = tmp_path / "kiosk" / "locale"
    german = gettext.translation("kiosk", localedir=installed, languages=["de"])
    assert german.gettext("Thank you!") == "Danke!"
    assert german.gettext("Sync now") == "Jetzt übertragen"


def test_the_wheel_carries_no_bytecode_or_caches(wheel_files: set[str]) -> None:
    junk = [name for name in wheel_files if "__pycache__" in name or name.endswith((".pyc", ".pyo"))]
    assert junk == []


def test_the_wheel_carries_the_licence(distributions: tuple[Path, Path], wheel_files: set[str]) -> None:
    (name,) = [f for f in wheel_files if f.endswith(".dist-info/licenses/LICENSE")]
    with zipfile.ZipFile(distributions[0]) as wheel:
        assert hashlib.sha256(wheel.read(name)).hexdigest() == AGPL_3_SHA256


def test_the_licence_file_is_the_agpl_3_text() -> None:
    assert hashlib.sha256((REPOSITORY_ROOT / "LICENSE").read_bytes()).hexdigest() == AGPL_3_SHA256


def test_the_metadata_names_the_licence_and_the_project_urls(wheel_metadata: Message) -> None:
    assert wheel_metadata["License-Expression"] == "AGPL-3.0-or-later"
    assert wheel_metadata.get_all("License-File") == ["LICENSE"]
    urls = dict(url.split(", ", 1) for url in wheel_metadata.get_all("Project-URL"))
    assert set(urls) == {"Homepage", "Documentation", "Source", "Issues"}
    assert all(url.startswith("https://github.com/voxloop/voxloop") for url in urls.values())


def test_the_sdist_carries_the_deployment_files_and_the_licence(sdist_files: set[str]) -> None:
    deploy = tracked("deploy")
    assert "deploy/nginx/voxloop.conf" in deploy
    missing = [name for name in [*deploy, "LICENSE", "README.md"] if name not in sdist_files]
    assert missing == []


def test_the_sdist_carries_every_file_git_tracks_in_the_packages(sdist_files: set[str]) -> None:
    missing = [name for name in tracked(*PACKAGES) if name not in sdist_files]
    assert missing == []
