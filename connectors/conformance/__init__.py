"""The conformance suite every connector must pass, built-in or third-party.

Write one fixture, `conformance_target`, returning a `ConformanceTarget`, and the suite runs against your
connector: the contract (capabilities, open/close twice), search, batches (known ids only, canonical
records with provenance, one request for many ids, `fetch` of every kind equal to each alone), and failures
(a partner down, slow, answering 500, garbage, the wrong shape, refusing the hub's credentials: each must be
its `connectors.errors` class, with no library exception escaping, no connection left open, and a cancelled
call stopping at once with no task left behind). Failures say what to fix. Tests of kinds your connector
does not declare are skipped, saying so. Two ways to run it:

- a test module of yours::

      class TestMyConnector(ConnectorConformance):
          @pytest.fixture
          def conformance_target(self) -> ConformanceTarget:
              return ConformanceTarget(connect=..., sample=ConformanceSample(...), at_url=...)

- no module at all: `pytest --conformance-target mypackage.testing:conformance_target` (the pytest plugin
  `connectors.conformance.plugin`, installed with the hub).

The suite's asynchronous tests carry pytest-asyncio's `asyncio` mark and its fixtures are pytest-asyncio's,
so they run in its strict mode (the default) as in auto mode. See docs/connectors.md.
"""

from connectors.conformance.faults import Fault, FaultyPartner
from connectors.conformance.suite import EXPECTED, ConformanceSample, ConformanceTarget, ConnectorConformance

__all__ = [
    "EXPECTED",
    "ConformanceSample",
    "ConformanceTarget",
    "ConnectorConformance",
    "Fault",
    "FaultyPartner",
]
