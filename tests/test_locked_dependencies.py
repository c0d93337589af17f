"""What gets installed is locked: requirements/*.lock pin every dependency of pyproject.toml at a version its
range admits, with hashes; `make` installs from the lock, and the Dockerfile does too, before it copies the
source (so a source change reuses the dependency layer), with a HEALTHCHECK."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pins(lock: Path) -> dict[str, str]:
    found = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;]+)", line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(3)
    return found


def requirements(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = list(project["dependencies"])
    for extra in extras:
        listed += project["optional-dependencies"][extra]
    return [Requirement(r) for r in listed]


@pytest.mark.parametrize(
    ("lock", "extras"), [("runtime.lock", ("postgres",)), ("test.lock", ("postgres", "test"))]
)
def test_every_dependency_is_pinned_at_a_version_its_range_admits(lock: str, extras: tuple[str, ...]) -> None:
    path = ROOT / "requirements" / lock
    pinned = pins(path)
    for requirement in requirements(*extras):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not in requirements/{lock}: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={pinned[name]}, outside {requirement}: run `make lock`"
        )
    assert all("--hash=sha256:" in block for block in path.read_text().split("\n\n") if "==" in block)


def test_make_and_the_dockerfile_install_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements/test.lock" in makefile
    assert "--no-deps -e ." in makefile
    dockerfile = (ROOT / "Dockerfile").read_text()
    install = dockerfile.index("--require-hashes -r requirements/runtime.lock")
    assert install < dockerfile.index("COPY hub ") and "HEALTHCHECK" in dockerfile
