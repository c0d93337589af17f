"""Documents are parsed once, checked before they cost anything, and kept only when they passed: the
bounds of `hub.schema.documents`, through the running hub and on the cache itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hub.access import analysis as analysis_module
from hub.errors import RequestRefused
from hub.schema import documents as documents_module
from hub.schema.documents import BYTES_PER_CHARACTER, DocumentLimits, Documents
from tests.support import HubClient

QUERY = 'query Cached { searchPersons(criteria: {familyName: "Kilbride"}) { people { id } } }'


def counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[object]:
    """Count the calls of `module.name` (still calling it)."""
    calls: list[object] = []
    real: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


async def test_a_repeated_document_is_parsed_validated_and_analysed_once(
    hub: HubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses = counting(monkeypatch, documents_module, "parse")
    validations = counting(monkeypatch, documents_module, "validate")
    analyses = counting(monkeypatch, analysis_module, "visit")

    first = await hub.post(QUERY)
    second = await hub.post(QUERY)

    assert first.json()["data"] == second.json()["data"] and first.json()["data"]["searchPersons"]["people"]
    assert (len(parses), len(validations), len(analyses)) == (1, 1, 1)


async def test_a_document_that_does_not_parse_fails_the_same_way_every_time_and_is_not_kept(
    hub: HubClient,
) -> None:
    documents = hub.app.state.schema.documents
    kept = len(documents)
    for _ in range(2):
        response = await hub.post("{ searchPersons(criteria: ")
        assert response.status_code == 400 and "data" not in response.json()
        assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["GRAPHQL_PARSE_FAILED"]
    assert len(documents) == kept


async def test_a_document_that_fails_validation_is_not_kept(hub: HubClient) -> None:
    documents = hub.app.state.schema.documents
    kept = len(documents)

    response = await hub.post("{ noSuchField }")

    assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == (
        "GRAPHQL_VALIDATION_FAILED"
    )
    assert len(documents) == kept


def test_the_cache_holds_no_more_than_its_byte_budget() -> None:
    documents = Documents(DocumentLimits(), cache_bytes=200_000)
    for i in range(100):
        aliases = " ".join(f"a{i}_{j}: __typename" for j in range(50))
        prepared = documents.prepare("{ " + aliases + " }", authenticated=True)
        documents.keep(prepared)

    assert 0 < documents.cached_bytes <= 200_000
    assert len(documents) < 100
    # Each entry weighs what its parse takes in memory, estimated from its text.
    assert documents.cached_bytes >= len(documents) * BYTES_PER_CHARACTER * 50 * 15


def test_an_anonymous_document_over_the_small_limit_is_refused_without_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parses = counting(monkeypatch, documents_module, "parse")
    documents = Documents(DocumentLimits(max_anonymous_bytes=1000), cache_bytes=1_000_000)

    with pytest.raises(RequestRefused) as refused:
        documents.prepare("{ " + "__typename " * 200 + "}", authenticated=False)

    assert refused.value.code.name == "QUERY_TOO_LARGE" and parses == []
    # The same document with a token is parsed (and refused for its repeats instead).
    with pytest.raises(RequestRefused) as refused:
        documents.prepare("{ " + "__typename " * 200 + "}", authenticated=True)
    assert refused.value.code.name == "QUERY_TOO_COMPLEX" and len(parses) == 1


@pytest.mark.parametrize(
    "document",
    [
        "{ " + 'searchPersons(criteria: {familyName: "A"}) { people { id } } ' * 21 + "}",
        '{ searchPersons(criteria: {familyName: "A"}) { people { ' + "id " * 21 + "} } }",
        "{ ...F " * 1 + "...F " * 20 + "} fragment F on Query { __typename }",
    ],
    ids=["root field", "nested field", "fragment spread"],
)
def test_a_selection_set_repeating_a_field_is_refused_before_validation(
    monkeypatch: pytest.MonkeyPatch, document: str
) -> None:
    validations = counting(monkeypatch, documents_module, "validate")
    documents = Documents(DocumentLimits(max_repeated_fields=20), cache_bytes=1_000_000)

    with pytest.raises(RequestRefused) as refused:
        documents.prepare(document, authenticated=True)

    assert (
        refused.value.code.name == "QUERY_TOO_COMPLEX" and "HUB_MAX_REPEATED_FIELDS" in refused.value.message
    )
    assert validations == []


@pytest.mark.parametrize(
    ("document", "setting"),
    [
        ("{ __typename" + " @include(if: true)" * 5 + " }", "HUB_MAX_FIELD_DIRECTIVES"),
        ("{ __typename" + " @nope" * 5 + " }", "HUB_MAX_FIELD_DIRECTIVES"),
        (
            "{ " + " ".join(f"a{i}: __typename @skip(if: false)" for i in range(51)) + " }",
            "HUB_MAX_DIRECTIVES",
        ),
    ],
    ids=["repeated @include on a field", "unknown directives piled up", "directives across the document"],
)
def test_directives_past_their_limits_are_refused_before_validation(
    monkeypatch: pytest.MonkeyPatch, document: str, setting: str
) -> None:
    validations = counting(monkeypatch, documents_module, "validate")
    documents = Documents(DocumentLimits(), cache_bytes=1_000_000)

    with pytest.raises(RequestRefused) as refused:
        documents.prepare(document, authenticated=True)

    assert refused.value.code.name == "QUERY_TOO_COMPLEX" and setting in refused.value.message
    assert validations == []


def test_a_field_with_a_few_directives_is_prepared() -> None:
    documents = Documents(DocumentLimits(), cache_bytes=1_000_000)

    prepared = documents.prepare("{ __typename @include(if: true) @skip(if: false) }", authenticated=True)

    assert prepared.document is not None
