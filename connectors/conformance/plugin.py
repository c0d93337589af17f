"""The conformance suite as a pytest plugin: run it on a connector without writing a test module.

Installed with the hub (entry point `pytest11`), so in any environment where the hub is installed:

    pytest --conformance-target acme_niche.testing:conformance_target

`conformance_target` is a function of yours, taking no arguments, that returns a `ConformanceTarget`: a way
to make your connector for a test partner holding known records, what those records are, and optionally how
to point the connector at a failing HTTP partner and count the partner's requests. The suite's tests are then
collected and run against it. (Without the entry point: `pytest -p connectors.conformance.plugin ...`.)
The suite itself needs pytest and pytest-asyncio; the plugin imports it only for a run that asks for it, so
it costs other test runs nothing.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the suite needs pytest-asyncio: loaded only when a run asks for it
    from connectors.conformance.suite import ConformanceTarget

__all__ = ["conformance_target"]

_OPTION = "--conformance-target"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("hub connectors").addoption(
        _OPTION,
        metavar="MODULE:FUNCTION",
        default=None,
        help="run the hub's connector conformance suite on the ConformanceTarget this function returns",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption(_OPTION):
        suite = str(Path(__file__).with_name("_collected.py"))
        if config.args_source is pytest.Config.ArgsSource.ARGS:
            config.args.append(suite)  # with the paths given on the command line
        else:
            config.args[:] = [suite]  # the suite alone, not the project's own test paths


def _load(spec: str) -> Any:
    module, _, name = spec.partition(":")
    if not module or not name:
        raise pytest.UsageError(f"{_OPTION} takes MODULE:FUNCTION, got {spec!r}")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise pytest.UsageError(f"{_OPTION} {spec}: {exc}") from exc


@pytest.fixture
def conformance_target(request: pytest.FixtureRequest) -> ConformanceTarget:
    """The target named by --conformance-target (a test class of yours may define its own instead)."""
    from connectors.conformance.suite import ConformanceTarget

    spec = request.config.getoption(_OPTION)
    if not spec:
        pytest.fail(f"no conformance target: give {_OPTION} MODULE:FUNCTION, or define the fixture yourself")
    target = _load(spec)()
    if not isinstance(target, ConformanceTarget):
        pytest.fail(f"{spec} returned {type(target).__name__}, not a ConformanceTarget")
    return target
