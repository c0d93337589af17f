"""Every option a person can set is documented: each HUB_* setting appears in docs/ by its variable name."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config.settings import HubSettings


@pytest.mark.parametrize("field", sorted(HubSettings.model_fields))
def test_every_setting_is_documented(repo_root: Path, field: str) -> None:
    docs = "\n".join(p.read_text(encoding="utf-8") for p in (repo_root / "docs").glob("*.md"))
    variable = f"HUB_{field.upper()}"
    assert f"`{variable}`" in docs, f"{variable} is not described in docs/"
