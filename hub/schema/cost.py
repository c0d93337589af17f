"""Demand control: what an operation will cost, worked out from its document and variables before it runs.

The model is the GraphQL Cost Directive specification's (IBM, also the one Apollo's demand control
implements), static analysis only:

- Every object a field returns weighs 1 (the specification's default for composite types); scalars and enums
  weigh 0. A field's weight is multiplied by the size of every list above it.
- A list's size comes from its `@listSize` declaration: the value of a slicing argument (`first`) where the
  field has one (`sizedFields` applies it to a child list, as `searchPersons(first:)` sizes `people`), else
  the assumed size (HUB_COST_ASSUMED_LIST_SIZE). The list of partners is as long as the partners configured.
- What the specification leaves to the implementation is the weight of work behind a field. Here that work
  is partner calls, the thing one caller must not be able to exhaust for everyone: each call a field implies
  weighs HUB_COST_PER_PARTNER_CALL. A search or a hit / no-hit check costs one call per searchable partner;
  a fetch by id (the people of `person(id:)`, and markers, intelligence, custody, safeguarding) one call per
  partner that holds that kind of record, per batch of ids (the partner's `max_batch_size`): the hub batches
  the fetches of one kind. Every `person(id:)` of an operation shares its batches (fifty people by id are one
  call per partner and kind); the people of each search are batched apart (searches end at different times).

`@skip`/`@include` are counted as included: the estimate does not depend on what the partners answer, and
is never below what the operation asks for. An operation whose cost is over the
caller's budget (its client's, else HUB_MAX_QUERY_COST) is refused whole with QUERY_TOO_EXPENSIVE before any
partner is asked; every operation that runs reports its cost in `extensions.cost`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    is_composite_type,
)
from strawberry.schema_directive import Location

from connectors.contract import Capability
from hub.config.settings import HubSettings
from hub.federation.partner_set import PartnerSet

__all__ = ["PARTNER_CALLS", "Cost", "CostModel", "ListSize", "estimate"]


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="listSize",
    description=(
        "The size of the list this field returns, for demand control (the GraphQL Cost Directive "
        "specification): the value of a slicing argument, applied to the sized fields of the result."
    ),
)
class ListSize:
    assumed_size: int | None = None
    slicing_arguments: list[str] | None = None
    sized_fields: list[str] | None = None
    require_one_slicing_argument: bool = True


#: The partner calls behind each field, by `Type.field`: the kind of call each partner able to make it gets.
PARTNER_CALLS: Mapping[str, Capability] = {
    "Query.searchPersons": Capability.SEARCH,
    "Query.personMatch": Capability.SEARCH,
    "Query.person": Capability.PEOPLE,
    "Person.warningMarkers": Capability.MARKERS,
    "Person.intelligence": Capability.INTELLIGENCE,
    "Person.custody": Capability.CUSTODY,
    "Person.safeguarding": Capability.SAFEGUARDING,
}
#: What the list of partners is called; it is as long as the partners configured.
_PARTNER_LISTS = frozenset({"Query.partners", "PersonSearchResult.partners", "MatchResult.partners"})
_BACKREF = "strawberry-definition"
#: What a field's `@listSize(sizedFields:)` passes to its children: the size, and the children it sizes.
_Sized = tuple[int, frozenset[str]] | None


@dataclass(frozen=True)
class CostModel:
    """What the estimate needs to know of the hub: its settings, and which partners can answer what.

    Args:
        batch_sizes: For each kind of call, the `max_batch_size` of every partner that can make it.
        per_partner_call: The weight of one partner call (HUB_COST_PER_PARTNER_CALL).
        assumed_list_size: The size of a list without a slicing argument (HUB_COST_ASSUMED_LIST_SIZE).
    """

    batch_sizes: Mapping[Capability, Sequence[int]]
    per_partner_call: int = 10
    assumed_list_size: int = 5

    @classmethod
    def of(cls, partners: PartnerSet, settings: HubSettings) -> CostModel:
        """The model for these partners (what each may be asked, its batch size) and these settings."""
        sizes = {
            kind: tuple(partners.configs[c.name].max_batch_size for c in partners if kind in c.capabilities)
            for kind in Capability
        }
        return cls(sizes, settings.cost_per_partner_call, settings.cost_assumed_list_size)

    @property
    def partner_count(self) -> int:
        return max((len(sizes) for sizes in self.batch_sizes.values()), default=0)

    def calls(self, kind: Capability, items: int) -> int:
        """The partner calls that `items` parents asking for `kind` make, batched per partner."""
        if kind in (Capability.SEARCH,):
            return items * len(self.batch_sizes.get(kind, ()))
        return sum(math.ceil(items / max(size, 1)) for size in self.batch_sizes.get(kind, ()))


@dataclass(frozen=True)
class Cost:
    """An operation's estimated cost: the total, and the partner calls counted in it."""

    total: int
    partner_calls: int

    def as_extension(self, limit: int) -> dict[str, int]:
        return {"estimated": self.total, "partnerCalls": self.partner_calls, "limit": limit}


@dataclass
class _Tally:
    """What part of an operation costs: the weight of its objects, its searches (one call per searchable
    partner each: searches are never batched), and the records it fetches by id, per batching group and kind
    (fetches by id are batched per partner, `max_batch_size` at a time)."""

    weight: int = 0
    searches: int = 0
    fetches: Counter[tuple[str, Capability]] = field(default_factory=Counter)

    def add(self, other: _Tally) -> None:
        self.weight += other.weight
        self.searches += other.searches
        self.fetches.update(other.fetches)


@dataclass
class _Walk:
    schema: GraphQLSchema
    model: CostModel
    variables: Mapping[str, Any]
    fragments: dict[str, FragmentDefinitionNode]
    #: The operation's variables' default values (integers only: the only ones a size is read from).
    defaults: dict[str, int] = field(default_factory=dict)
    memo: dict[tuple[str, _Sized, int, str], _Tally] = field(default_factory=dict)

    def selections(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType,
        items: int,
        sized: _Sized,
        group: str,
    ) -> _Tally:
        """The cost of a selection set on `items` objects of type `parent`; `sized` is the size its parent
        field gave to its `sizedFields`; `group`, the batching group of its fetches."""
        tally = _Tally()
        for selection in selection_set.selections if selection_set is not None else ():
            if isinstance(selection, FieldNode):
                tally.add(self.field(selection, parent, items, sized, group))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition is not None else parent
                tally.add(self.selections(selection.selection_set, target or parent, items, sized, group))
            elif isinstance(selection, FragmentSpreadNode):
                tally.add(self.fragment(selection.name.value, items, sized, group))
        return tally

    def fragment(self, name: str, items: int, sized: _Sized, group: str) -> _Tally:
        """A fragment's cost, worked out once per size: spreads of spreads cannot multiply the work."""
        key = (name, sized, items, group)
        if key not in self.memo:
            self.memo[key] = _Tally()  # a cycle (which validation refuses) would cost nothing more
            definition = self.fragments.get(name)
            target = self.schema.get_type(definition.type_condition.name.value) if definition else None
            if definition is not None and target is not None:
                self.memo[key] = self.selections(definition.selection_set, target, items, sized, group)
        return self.memo[key]

    def field(
        self, node: FieldNode, parent: GraphQLNamedType, items: int, sized: _Sized, group: str
    ) -> _Tally:
        name = node.name.value
        if name.startswith("__") or not isinstance(parent, GraphQLObjectType):
            return _Tally()  # introspection (a scope of its own) and __typename cost nothing here
        definition = parent.fields.get(name)
        if definition is None:
            return _Tally()
        coordinate = f"{parent.name}.{name}"
        if parent is self.schema.query_type:
            # Every `person(id:)` of an operation is fetched in the same batches; each search's people apart.
            group = (
                "person" if coordinate == "Query.person" else f"{node.loc.start if node.loc else id(node)}"
            )
        named, is_list = _unwrap(definition.type)
        directive = _directive(definition)
        sliced = self.slice(directive, definition, node) if directive is not None else None
        children: _Sized = None
        if directive is not None and directive.sized_fields:
            children = (sliced or self.model.assumed_list_size, frozenset(directive.sized_fields))
            sliced = None  # the slice sizes the children named, not this field
        size = 1
        if is_list:
            if coordinate in _PARTNER_LISTS:
                size = self.model.partner_count
            elif sized is not None and name in sized[1]:
                size = sized[0]
            else:
                size = sliced if sliced is not None else self.model.assumed_list_size
        returned = items * size
        tally = _Tally(weight=returned if is_composite_type(named) else 0)
        kind = PARTNER_CALLS.get(coordinate)
        if kind is Capability.SEARCH:
            tally.searches += items
        elif kind is not None:
            tally.fetches[group, kind] += items
        tally.add(self.selections(node.selection_set, named, returned, children, group))
        return tally

    def slice(self, directive: ListSize, definition: GraphQLField, node: FieldNode) -> int | None:
        """The value of the field's slicing argument (`@listSize(slicingArguments:)`), if it has one."""
        if not directive.slicing_arguments:
            return directive.assumed_size
        given = [
            v
            for v in (self.argument(definition, node, a) for a in directive.slicing_arguments)
            if v is not None
        ]
        return max(given) if given else directive.assumed_size

    def argument(self, definition: GraphQLField, node: FieldNode, name: str) -> int | None:
        """An integer argument's value in this operation: written, from a variable, or the default."""
        for argument in node.arguments or ():
            if argument.name.value == name:
                value = argument.value
                if isinstance(value, IntValueNode):
                    return int(value.value)
                if isinstance(value, VariableNode):
                    given = self.variables.get(value.name.value, self.defaults.get(value.name.value))
                    return given if isinstance(given, int) and not isinstance(given, bool) else None
                return None
        declared = definition.args.get(name)
        default = declared.default_value if declared is not None else None
        return default if isinstance(default, int) and not isinstance(default, bool) else None


def _directive(definition: GraphQLField) -> ListSize | None:
    strawberry_field = definition.extensions.get(_BACKREF)
    for directive in getattr(strawberry_field, "directives", ()) or ():
        if isinstance(directive, ListSize):
            return directive
    return None


def _unwrap(kind: GraphQLOutputType) -> tuple[GraphQLNamedType, bool]:
    is_list = False
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(kind, GraphQLList)
        kind = kind.of_type
    return kind, is_list


def estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    model: CostModel,
) -> Cost:
    """The cost of the operation `operation_name` picks in a valid `document`, with these variables."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walk = _Walk(schema, model, variables or {}, fragments)
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        name = definition.name.value if definition.name is not None else None
        if operation_name is not None and name != operation_name:
            continue
        walk.defaults = {
            v.variable.name.value: int(v.default_value.value)
            for v in definition.variable_definitions or ()
            if isinstance(v.default_value, IntValueNode)
        }
        root = schema.get_root_type(definition.operation)
        if root is None:
            return Cost(0, 0)
        tally = walk.selections(definition.selection_set, root, 1, None, "")
        calls = model.calls(Capability.SEARCH, tally.searches) + sum(
            model.calls(kind, items) for (_, kind), items in tally.fetches.items()
        )
        return Cost(tally.weight + calls * model.per_partner_call, calls)
    return Cost(0, 0)
