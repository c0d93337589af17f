"""Variables are redacted before they reach the trail: no credential a caller sends is ever stored."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hub.audit.events import REDACTED, redact_variables

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvZmZpY2VyIn0.c2lnbmF0dXJl"


def test_values_under_secret_keys_are_redacted_at_any_depth() -> None:
    variables = {
        "token": "abc",
        "input": {"clientSecret": "s3cret", "Password": "hunter2", "x-api-key": "k", "name": "SMITH"},
        "headers": [{"Authorization": "Basic Zm9vOmJhcg=="}, {"refresh_token": "r"}],
        "bearer": "b",
    }
    assert redact_variables(variables) == {
        "token": REDACTED,
        "input": {"clientSecret": REDACTED, "Password": REDACTED, "x-api-key": REDACTED, "name": "SMITH"},
        "headers": [{"Authorization": REDACTED}, {"refresh_token": REDACTED}],
        "bearer": REDACTED,
    }


def test_strings_that_look_like_jwts_are_redacted_wherever_they_are() -> None:
    redacted = redact_variables({"note": JWT, "list": [f"Bearer {JWT}", "a.b.c"]})
    assert redacted == {"note": REDACTED, "list": [REDACTED, "a.b.c"]}


def test_ordinary_search_variables_are_kept_and_the_input_is_not_changed() -> None:
    variables = {"surname": "Okafor", "dob": "1990-02-03", "first": 5, "fuzzy": True, "ids": ["P1", None]}
    before = copy.deepcopy(variables)
    redacted = redact_variables(variables)
    assert redacted == before
    assert variables == before
    assert redacted is not variables and redacted["ids"] is not variables["ids"]


def test_a_null_secret_stays_null_so_the_trail_shows_none_was_sent() -> None:
    assert redact_variables({"token": None}) == {"token": None}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_redaction_is_idempotent_and_keeps_json_shape(value: Any) -> None:
    once = redact_variables(value)
    assert redact_variables(once) == once
    json.dumps(once)  # still JSON


@given(st.dictionaries(st.sampled_from(["token", "apiKey", "PASSWORD", "secret"]), json_values, min_size=1))
def test_no_secret_key_keeps_its_value(value: dict[str, Any]) -> None:
    assert all(v in (REDACTED, None) for v in redact_variables(value).values())
