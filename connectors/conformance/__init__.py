"""The conformance suite every connector must pass, built-in or third-party.

Subclass `ConnectorConformance` in your own tests and provide two pytest fixtures: `connector` (an opened
connector to a partner holding test records) and `sample` (a `ConformanceSample` describing those records).
Every test method then runs against your connector::

    class TestMyConnector(ConnectorConformance):
        @pytest.fixture
        async def connector(self): ...
        @pytest.fixture
        def sample(self): return ConformanceSample(family_name="Smith", known_ids=("A1", "A2"))

The suite's asynchronous tests carry pytest-asyncio's `asyncio` mark, so they run in its strict mode (the
default) as in auto mode; in strict mode write an asynchronous `connector` fixture with
`@pytest_asyncio.fixture` instead of `@pytest.fixture`. Tests of kinds a connector does not declare in its
capabilities are skipped, saying so.
"""

from connectors.conformance.suite import ConformanceSample, ConnectorConformance

__all__ = ["ConformanceSample", "ConnectorConformance"]
