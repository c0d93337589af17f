"""The suite as `--conformance-target` runs it (`connectors.conformance.plugin`)."""

from connectors.conformance.suite import ConnectorConformance


class TestConformance(ConnectorConformance):
    """Every conformance test, on the target the command line names."""
