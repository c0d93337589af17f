"""Demand control's estimate (`hub.schema.cost`): objects weigh 1 per list item, partner calls weigh
HUB_COST_PER_PARTNER_CALL, searches cost one call per searchable partner, fetches by id one call per holding
partner and batch."""

from __future__ import annotations

import pytest
from graphql import parse

from connectors.contract import Capability
from hub.schema import create_schema
from hub.schema.cost import Cost, CostModel, estimate

SCHEMA = create_schema()._schema
#: Three partners that can be asked everything, 100 ids a batch; intelligence held by two of them.
MODEL = CostModel(
    {kind: (100, 100) if kind is Capability.INTELLIGENCE else (100, 100, 100) for kind in Capability},
    per_partner_call=10,
    assumed_list_size=5,
)


def cost(query: str, variables: dict[str, object] | None = None, operation: str | None = None) -> Cost:
    return estimate(SCHEMA, parse(query), operation, variables, MODEL)


def test_a_search_costs_one_call_per_searchable_partner_and_one_per_object() -> None:
    # searchPersons 1 + 10 people, searched at 3 partners.
    assert cost('{ searchPersons(criteria: {familyName: "K"}, first: 10) { people { id } } }') == Cost(41, 3)


def test_first_sizes_the_people_also_from_a_variable_or_the_default() -> None:
    query = 'query($n: Int) { searchPersons(criteria: {familyName: "K"}, first: $n) { people { id } } }'
    assert cost(query, {"n": 50}).total == 1 + 50 + 30
    assert cost(query, {}).total == 1 + 20 + 30  # the variable is unset: the argument's default, 20
    with_default = query.replace("$n: Int", "$n: Int = 7")
    assert cost(with_default, {}).total == 1 + 7 + 30
    assert cost('{ searchPersons(criteria: {familyName: "K"}) { people { id } } }').total == 1 + 20 + 30


def test_record_kinds_under_a_search_cost_one_call_per_holding_partner_per_batch() -> None:
    query = '{ searchPersons(criteria: {familyName: "K"}, first: 100) { people { intelligence { id } } } }'
    # 1 + 100 people + 100 x 5 reports, 3 searches + 2 intelligence calls (100 people fit one batch).
    assert cost(query) == Cost(1 + 100 + 500 + 50, 5)
    bigger = CostModel({**MODEL.batch_sizes, Capability.INTELLIGENCE: (30, 100)}, 10, 5)
    assert estimate(SCHEMA, parse(query), None, None, bigger).partner_calls == 3 + 4 + 1


def test_fifty_people_by_id_share_their_batches() -> None:
    fifty = "{ " + " ".join(f'p{i}: person(id: "x") {{ id custody {{ id }} }}' for i in range(50)) + " }"
    # 50 people + 250 custody records; one people call and one custody call per partner.
    assert cost(fifty) == Cost(50 + 250 + 60, 6)


def test_aliased_searches_are_each_paid_for() -> None:
    one = 'searchPersons(criteria: {familyName: "Smith"}, first: 100) { people { id names { familyName } } }'
    flood = "{ " + " ".join(f"a{i}: {one}" for i in range(100)) + " }"
    single = cost("{ " + one + " }")
    assert cost(flood) == Cost(100 * single.total, 300)


def test_fragments_cost_as_their_fields_and_spreads_of_spreads_do_not_blow_up() -> None:
    query = """
    query { searchPersons(criteria: {familyName: "K"}, first: 10) { people { ...A } } }
    fragment A on Person { ...B ...B ... on Person { ...B } }
    fragment B on Person { ...C ...C ...C }
    fragment C on Person { custody { id } }
    """
    # Nine custody selections under 10 people: 9 x 50 objects; the 90 fetches fit one batch per partner.
    assert cost(query) == Cost(1 + 10 + 9 * 50 + (3 + 3) * 10, 6)
    deep = "\n".join(f"fragment F{i} on Person {{ ...F{i + 1} ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    deep += '\nfragment F40 on Person { id }\nquery { person(id: "x") { ...F0 } }'
    assert cost(deep) == Cost(1 + 30, 3)  # worked out once per fragment, not 3^40 times


def test_lists_without_a_size_are_assumed_and_the_partner_lists_are_as_long_as_the_partners() -> None:
    query = '{ person(id: "x") { names { familyName } addresses { postcode } } partners { name } }'
    assert cost(query) == Cost(1 + 5 + 5 + 30 + 3, 3)


def test_only_the_operation_asked_for_is_costed_and_introspection_and_typename_are_free() -> None:
    document = 'query A { __typename } query B { person(id: "x") { id } }'
    assert cost(document, operation="A") == Cost(0, 0)
    assert cost(document, operation="B") == Cost(31, 3)
    assert cost("{ __schema { types { name fields { name } } } }") == Cost(0, 0)


@pytest.mark.parametrize("first", [1, 20, 100])
def test_the_audit_pages_are_sized_by_first(first: int) -> None:
    query = f"{{ auditEvents(first: {first}) {{ events {{ requestId disclosed {{ partner }} }} }} }}"
    assert cost(query) == Cost(1 + first + first * 5, 0)
