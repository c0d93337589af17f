"""The folder tree draws the architecture, and the imports keep to it: the request path runs one way
(http -> schema -> access -> federation -> connectors; audit and auth below http), nothing in `hub/` imports
in a circle, and `hub serve` never loads the demo."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: For each part of the code, the parts it must never import (at any level: module or function).
FORBIDDEN = {
    "hub.schema": ("hub.http",),
    "hub.access": ("hub.http", "hub.schema"),
    "hub.federation": ("hub.http", "hub.schema", "hub.access", "hub.audit", "hub.auth"),
    "hub.audit": ("hub.http", "hub.schema", "hub.federation"),
    "hub.auth": ("hub.http", "hub.schema", "hub.federation", "hub.audit"),
    "hub.consultation": ("hub.http", "hub.schema", "hub.access", "hub.audit"),
    # Watches sit below the schema and the HTTP layer that serve them.
    "hub.watches": ("hub.http", "hub.schema"),
    "hub.errors": ("hub.http", "hub.schema", "hub.access", "hub.audit", "hub.auth", "hub.federation"),
    "connectors": ("hub",),
}
#: The demo sits on top of everything; the production code reaches it only lazily (`hub demo`).
DEMO = "connectors.demo"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _sources(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


def _within(name: str, part: str) -> bool:
    return name == part or name.startswith(part + ".")


def test_imports_follow_the_request_path_one_way() -> None:
    broken = []
    for path in _sources("hub", "connectors"):
        module = _module_name(path)
        # The demo, and the command line (`hub.cli`, `hub.<part>.cli`), are entry points above every layer.
        if _within(module, DEMO) or module.endswith(".cli"):
            continue
        for part, forbidden in FORBIDDEN.items():
            if not _within(module, part):
                continue
            for imported in _imports(path, top_level_only=False):
                if any(_within(imported, f) for f in forbidden) and not _within(module, "hub.migrations"):
                    broken.append(f"{module} imports {imported}")
    assert not broken


def test_the_production_code_imports_the_demo_only_lazily() -> None:
    eager = [
        f"{_module_name(p)} imports {name}"
        for p in _sources("hub", "connectors")
        if not _within(_module_name(p), DEMO)
        for name in _imports(p, top_level_only=True)
        if _within(name, DEMO)
    ]
    assert not eager


def test_no_import_cycle_in_hub() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    modules = {_module_name(p): p for p in _sources("hub")}
    for module, path in modules.items():
        for name in _imports(path, top_level_only=True):
            target = next((m for m in (name, name.rpartition(".")[0]) if m in modules and m != module), None)
            if target is not None:
                graph[module].add(target)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("command", ["serve"])
def test_hub_serve_loads_nothing_of_the_demo(command: str) -> None:
    probe = f"""
import sys
import click
from hub.cli import cli
from hub.http.app import create_app
from hub.config.settings import HubSettings
ctx = click.Context(cli)
assert cli.get_command(ctx, {command!r}) is not None
create_app(HubSettings(), partners=[])
print(sorted(m for m in sys.modules if m.startswith("connectors.demo")))
"""
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_the_probe_above_would_see_the_demo() -> None:
    probe = (
        "import sys, click; from hub.cli import cli; cli.get_command(click.Context(cli), 'demo'); "
        "print(any(m.startswith('connectors.demo') for m in sys.modules))"
    )
    seen = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert seen.stdout.strip() == "True"
