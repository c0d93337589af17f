"""The Person type: one person as every partner knows them, merged, with their records on demand.

Resolvers are thin: each asks the request's federation engine, whose DataLoaders batch the calls.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from strawberry.types.base import get_object_definition

from connectors.contract import Capability
from hub.access.policy import Requirement, satisfies
from hub.access.scopes_directive import requirement_of, requires_scopes, type_scopes
from hub.federation.resolution import MergedPerson
from hub.schema.context import Info
from hub.schema.enums import Gender, NameKind
from hub.schema.records import (
    Address,
    CustodyRecord,
    IntelligenceReport,
    SafeguardingConcern,
    WarningMarker,
)

__all__ = ["Person", "PersonName", "SourceRecord", "selected_record_kinds"]


@strawberry.type(description="A name a person is known by.")
class PersonName:
    family_name: str = strawberry.field(description="Family name (surname).")
    given_name: str | None = strawberry.field(description="Given names (forenames).")
    kind: NameKind = strawberry.field(
        description="PRIMARY if it is the primary name at any partner, else ALIAS."
    )
    partners: list[str] = strawberry.field(description="The partners that record this name.")

    @strawberry.field(description="True if this is the person's primary name at some partner.")
    def is_primary(self) -> bool:
        return self.kind is NameKind.PRIMARY

    @strawberry.field(description="True if this name is only ever recorded as an alias.")
    def is_alias(self) -> bool:
        return self.kind is NameKind.ALIAS


@strawberry.type(description="Provenance: one partner's record that this person was built from.")
class SourceRecord:
    partner: str = strawberry.field(description="The partner's name, as in the partners file.")
    partner_title: str = strawberry.field(description="The partner's display name.")
    record_id: str = strawberry.field(description="The record's identifier in the partner's system.")


@strawberry.type(
    description="A person, merged from every partner record that is the same person.",
    directives=type_scopes(["person:read"]),
)
class Person:
    """What a person's fields answer, built once (`Person.of`) as plain attributes, so that graphql-core
    completes them with its default resolver: a field with a resolver of its own costs a wrapper call per
    person per field, which dominated the hub's CPU on a page of search results. Only the record fields,
    which ask partners and are scope-checked, have resolvers."""

    merged: strawberry.Private[MergedPerson]
    id: strawberry.ID = strawberry.field(
        description="Opaque, stable hub id: it names the source records, signed by the hub, and resolves "
        "back to them. Ids expire some time after the hub rotates its person-id key: search again then."
    )
    names: list[PersonName] = strawberry.field(
        description="Every name recorded for the person: primary names first, then aliases."
    )
    date_of_birth: date | None = strawberry.field(description="Date of birth, as most sources record it.")
    gender: Gender | None = strawberry.field(description="Recorded sex.")
    nationality: str | None = strawberry.field(description="Nationality.")
    pnc_id: str | None = strawberry.field(description="PNC ID in canonical form YYYY/NNNNNNNL.")
    cro_number: str | None = strawberry.field(description="Criminal Records Office number.")
    addresses: list[Address] = strawberry.field(
        description="Addresses recorded by any source, without duplicates."
    )
    sources: list[SourceRecord] = strawberry.field(
        description="The partner records this person was merged from."
    )
    match_confidence: float = strawberry.field(
        description="How sure the hub is that the sources are one person: 1.0 for one source or a shared "
        "PNC ID."
    )

    @classmethod
    def of(cls, merged: MergedPerson, info: Info) -> Person:
        """The person as the schema shows them, for the request `info` belongs to (its id signer, and the
        partners' display names)."""
        configs = info.context.federation.partners.configs
        return cls(
            merged=merged,
            id=strawberry.ID(info.context.ids().encode(merged.sources)),
            names=[
                PersonName(
                    family_name=n.family_name,
                    given_name=n.given_name,
                    kind=NameKind.PRIMARY if n.is_primary else NameKind.ALIAS,
                    partners=list(n.partners),
                )
                for n in merged.names
            ],
            date_of_birth=merged.date_of_birth,
            gender=merged.gender,
            nationality=merged.nationality,
            pnc_id=merged.pnc_id,
            cro_number=merged.cro_number,
            addresses=[Address.of(a) for a in merged.addresses],
            sources=[
                SourceRecord(
                    partner=partner,
                    partner_title=configs[partner].display_name if partner in configs else partner,
                    record_id=record_id,
                )
                for partner, record_id in merged.sources
            ],
            match_confidence=merged.confidence,
        )

    @strawberry.field(
        description="Warning markers raised by any partner: officer-safety ones with markers:read, "
        "health ones (special-category data) with markers:health.",
        extensions=[requires_scopes(["markers:read"], ["markers:health"])],
    )
    async def warning_markers(self, info: Info) -> list[WarningMarker] | None:
        context = info.context
        found = await context.federation.records(self.merged, Capability.MARKERS)
        visible = [(o, m) for o, m in found if context.policy.marker_visible(m, context.effective_scopes)]
        for owner, marker in visible:
            context.disclose("marker", marker.partner, owner, owner)
        return [WarningMarker.of(m) for _, m in visible]

    @strawberry.field(
        description="Intelligence reports on the person, from every partner. Reports with handling code C go "
        "only to police organisations holding intel:content.",
        extensions=[requires_scopes(["intel:read"])],
    )
    async def intelligence(self, info: Info) -> list[IntelligenceReport] | None:
        context = info.context
        found = await context.federation.records(self.merged, Capability.INTELLIGENCE)
        visible = [
            (owner, report)
            for owner, report in found
            if context.policy.intelligence_visible(report, context.principal, context.effective_scopes)
        ]
        for owner, report in visible:
            context.disclose("intelligence", report.partner, report.id, owner)
        return [IntelligenceReport.of(r) for _, r in visible]

    @strawberry.field(
        description="Custody records (detentions), from every partner.",
        extensions=[requires_scopes(["custody:read"])],
    )
    async def custody(self, info: Info) -> list[CustodyRecord] | None:
        found = await info.context.federation.records(self.merged, Capability.CUSTODY)
        for owner, record in found:
            info.context.disclose("custody", record.partner, record.id, owner)
        return [CustodyRecord.of(r) for _, r in found]

    @strawberry.field(
        description="Safeguarding concerns, from every partner.",
        extensions=[requires_scopes(["safeguarding:read"])],
    )
    async def safeguarding(self, info: Info) -> list[SafeguardingConcern] | None:
        found = await info.context.federation.records(self.merged, Capability.SAFEGUARDING)
        for owner, record in found:
            info.context.disclose("safeguarding", record.partner, record.id, owner)
        return [SafeguardingConcern.of(r) for _, r in found]


#: The Person fields that read one kind of batched record: GraphQL name -> (Python name, record kind).
_RECORD_FIELDS: dict[str, tuple[str, Capability]] = {
    "warningMarkers": ("warning_markers", Capability.MARKERS),
    "intelligence": ("intelligence", Capability.INTELLIGENCE),
    "custody": ("custody", Capability.CUSTODY),
    "safeguarding": ("safeguarding", Capability.SAFEGUARDING),
}


@cache
def _record_field_requirements() -> dict[str, Requirement]:
    definition = get_object_definition(Person, strict=True)
    return {
        name: requirement_of(definition.get_field(python_name))
        for name, (python_name, _) in _RECORD_FIELDS.items()
    }


def selected_record_kinds(info: Info) -> set[Capability]:
    """The record kinds the query selects on the Person this field returns, that the caller may see: what
    can be asked of the partners before the person's own records are in.

    Fields selected directly or through fragments (named or inline) count. Conservative by design: a field
    or fragment under @skip / @include is left to its resolver; a field the caller's scopes do not reach is
    never asked for (its resolver never runs either). Read from graphql-core's own nodes: fifty people in
    one query ask this fifty times, and Strawberry's `selected_fields` builds a copy of them each time.
    """
    requirements = _record_field_requirements()
    granted = info.context.effective_scopes
    raw = info._raw_info  # graphql-core's resolve info: its field nodes and fragments, as parsed
    kinds: set[Capability] = set()

    def visit(selection_set: SelectionSetNode | None) -> None:
        for child in selection_set.selections if selection_set is not None else ():
            if child.directives:
                continue
            if isinstance(child, FieldNode):
                name = child.name.value
                if name in _RECORD_FIELDS and satisfies(requirements[name], granted):
                    kinds.add(_RECORD_FIELDS[name][1])
            elif isinstance(child, InlineFragmentNode):
                visit(child.selection_set)
            elif isinstance(child, FragmentSpreadNode) and child.name.value in raw.fragments:
                visit(raw.fragments[child.name.value].selection_set)

    for node in raw.field_nodes:
        visit(node.selection_set)
    return kinds
