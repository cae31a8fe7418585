"""The same install everywhere: uv.lock pins every package, from PyPI with its hashes, and
the environment running these tests is the one it describes."""

import re
import tomllib
from importlib import metadata

from tests.conftest import ROOT

PYPI = "https://pypi.org/simple"
LOCK = tomllib.loads((ROOT / "uv.lock").read_text())
PROJECT = "eventreg"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_packages() -> list[dict]:
    return [package for package in LOCK["package"] if package["name"] != PROJECT]


def test_every_locked_package_comes_from_pypi_with_its_hashes():
    """Never from a machine's own extra index or wheel folder: a fresh machine, which has
    none of them, installs the very same files."""
    for package in locked_packages():
        assert package["source"] == {"registry": PYPI}, package["name"]
        files = package.get("wheels", []) + ([package["sdist"]] if "sdist" in package else [])
        assert files, package["name"]
        assert all(file["hash"].startswith("sha256:") for file in files), package["name"]


def test_the_installed_packages_are_the_locked_versions():
    """`make install` (uv sync) is how this environment was made, not a hand-run pip."""
    locked: dict[str, set[str]] = {}
    for package in locked_packages():
        locked.setdefault(normalise(package["name"]), set()).add(package["version"])
    installed = {
        normalise(dist.metadata["Name"]): dist.version for dist in metadata.distributions()
    }

    wrong = {
        name: (installed[name], sorted(versions))
        for name, versions in locked.items()
        if name in installed and installed[name] not in versions
    }

    assert not wrong, f"installed (and locked) versions differ; run `make install`: {wrong}"


def test_the_lock_was_made_from_the_requirements_in_pyproject():
    """Changed requirements need `make lock` (`uv sync --locked` refuses a stale lock too)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {requirement(text, "") for text in project["dependencies"]}
    for extra, texts in project["optional-dependencies"].items():
        declared |= {requirement(text, extra) for text in texts}
    (eventreg,) = [package for package in LOCK["package"] if package["name"] == PROJECT]
    locked = {
        (
            normalise(entry["name"]),
            re.sub(r"extra == '(.*)'", r"\1", entry.get("marker", "")),
            entry.get("specifier", ""),
        )
        for entry in eventreg["metadata"]["requires-dist"]
    }

    assert declared == locked


def requirement(text: str, extra: str) -> tuple[str, str, str]:
    """(name, extra, specifier) of a requirement such as ``celery[redis]>=5.4,<6``."""
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*([^;]*)", text.strip())
    assert match, text
    return normalise(match[1]), extra, match[2].replace(" ", "")
