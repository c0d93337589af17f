"""Every code the hub can send a caller is declared once, in `hub.errors.CATALOGUE`, with its HTTP status and
audit outcome; no module spells a code out as a string of its own."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import hub
from connectors.errors import PartnerError
from hub.errors import CATALOGUE, HubError

CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
#: Where codes are declared: the catalogue, and the partner errors connectors raise (below the hub).
DECLARED_IN = {Path("hub/errors.py"), Path("connectors/errors.py")}


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(_subclasses(c) for c in found)) if found else found


def test_every_error_class_carries_a_catalogued_code() -> None:
    for module in pkgutil.walk_packages(hub.__path__, "hub."):
        if module.name not in ("hub.__main__",) and not module.name.startswith("hub.migrations."):
            importlib.import_module(module.name)
    classes = _subclasses(HubError) | _subclasses(PartnerError)
    assert len(classes) > 10
    missing = {f"{c.__module__}.{c.__qualname__}: {c.code}" for c in classes if c.code not in CATALOGUE}
    assert not missing


def test_every_code_has_a_status_and_an_outcome() -> None:
    from hub.audit.events import OUTCOMES

    for code in CATALOGUE.values():
        assert 200 <= code.status < 600 and code.outcome in OUTCOMES, code


@pytest.mark.parametrize("folder", ["hub", "connectors"])
def test_no_module_spells_a_code_as_a_string_of_its_own(repo_root: Path, folder: str) -> None:
    spelled = []
    for path in sorted((repo_root / folder).rglob("*.py")):
        relative = path.relative_to(repo_root)
        if relative in DECLARED_IN or "demo" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            is_code = (
                isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.fullmatch(node.value)
            )
            if is_code and node.value in CATALOGUE:
                spelled.append(f"{relative}:{node.lineno}: {node.value}")
    assert not spelled, "use the catalogue's constant instead"
