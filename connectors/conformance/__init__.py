"""The conformance suite every connector must pass, built-in or third-party.

Subclass `ConnectorConformance` in your own tests and provide two pytest fixtures: `connector` (an opened
connector to a partner holding test records) and `sample` (a `ConformanceSample` describing those records).
Every test method then runs against your connector::

    class TestMyConnector(ConnectorConformance):
        @pytest.fixture
        async def connector(self): ...
        @pytest.fixture
        def sample(self): return ConformanceSample(family_name="Smith", known_ids=("A1", "A2"))
"""

from connectors.conformance.suite import ConformanceSample, ConnectorConformance

__all__ = ["ConformanceSample", "ConnectorConformance"]
