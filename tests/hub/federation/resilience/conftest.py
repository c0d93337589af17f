"""Fixtures for the resilience tests: the demo partners' configurations, ready to tune."""

from __future__ import annotations

import pytest

from connectors.contract import PartnerConfig
from tests.support import Partner, partner_configs


@pytest.fixture
def configs(demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner) -> list[PartnerConfig]:
    """The demo's three partners, pointed at the test servers."""
    return partner_configs(demo_urls, southmoor.url, eastvale.url)
