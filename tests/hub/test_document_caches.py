"""A document sent again is not parsed, validated or analysed for access again: each is done once per
distinct document text, and the answers stay the same (errors included)."""

from __future__ import annotations

from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache

from hub.access.analysis import cached_field_uses
from hub.schema import DOCUMENT_CACHE_SIZE
from tests.support import HubClient

QUERY = 'query Cached { searchPersons(criteria: {familyName: "Kilbride"}) { people { id } } }'


async def test_a_repeated_document_is_parsed_validated_and_analysed_once(hub: HubClient) -> None:
    parse, validate = _get_parse_cache(DOCUMENT_CACHE_SIZE), _get_validate_cache(DOCUMENT_CACHE_SIZE)
    first = await hub.post(QUERY)
    before = (parse.cache_info(), validate.cache_info(), cached_field_uses.cache_info())

    second = await hub.post(QUERY)
    after = (parse.cache_info(), validate.cache_info(), cached_field_uses.cache_info())

    assert first.json()["data"] == second.json()["data"] and first.json()["data"]["searchPersons"]["people"]
    for was, now in zip(before, after, strict=True):
        assert (now.hits, now.misses) == (was.hits + 1, was.misses)


async def test_a_document_that_does_not_parse_fails_the_same_way_every_time(hub: HubClient) -> None:
    for _ in range(2):
        body = (await hub.post("{ searchPersons(criteria: ")).json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["GRAPHQL_PARSE_FAILED"]
