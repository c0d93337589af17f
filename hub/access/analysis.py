"""What an operation asks for, read from the document alone: every field, and the scopes it needs.

Used before execution (to refuse an anonymous or purpose-less request, or a whole operation in strict mode)
and by `hub explain`, which shows a data-protection officer what a client would get, without calling anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    visit,
)

from hub.access.policy import Requirement
from hub.access.scopes_directive import reads_personal_data, requirement_of

__all__ = ["FieldUse", "field_uses"]

_BACKREF = "strawberry-definition"


@dataclass(frozen=True)
class FieldUse:
    """One field an operation selects: where, which schema field, and what it needs."""

    path: str
    parent_type: str
    field_name: str
    requirement: Requirement
    is_root: bool
    #: Whether the field reads personal data (protected, and not declared otherwise).
    personal_data: bool = False

    @property
    def is_introspection(self) -> bool:
        return self.is_root and self.field_name in {"__schema", "__type"}


class _Collector(Visitor):
    def __init__(self, type_info: TypeInfo, operation_name: str | None) -> None:
        super().__init__()
        self.type_info = type_info
        self.operation_name = operation_name
        self.path: list[str] = []
        self.uses: list[FieldUse] = []

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> Any:
        name = node.name.value if node.name else None
        if self.operation_name is not None and name != self.operation_name:
            return self.SKIP
        return None

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
        self.path = [f"...{node.name.value}"]

    def leave_fragment_definition(self, *_: Any) -> None:
        self.path = []

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        key = node.alias.value if node.alias else node.name.value
        parent = self.type_info.get_parent_type()
        field_def = self.type_info.get_field_def()
        definition = field_def.extensions.get(_BACKREF) if field_def is not None else None
        self.path.append(key)
        self.uses.append(
            FieldUse(
                path=".".join(self.path),
                parent_type=get_named_type(parent).name if parent is not None else "",
                field_name=node.name.value,
                requirement=requirement_of(definition),
                is_root=len(self.path) == 1 and not self.path[0].startswith("..."),
                personal_data=reads_personal_data(definition),
            )
        )

    def leave_field(self, *_: Any) -> None:
        self.path.pop()


def field_uses(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None = None
) -> list[FieldUse]:
    """Every field the operation (and its fragments) selects, in document order."""
    type_info = TypeInfo(schema)
    collector = _Collector(type_info, operation_name)
    visit(document, TypeInfoVisitor(type_info, collector))
    return collector.uses
