"""`@requiresScopes` in the schema: declared on fields and types, enforced before a resolver runs.

A field carries `extensions=[requires_scopes(["intel:read"])]`; the extension prints the directive in the
SDL and, at run time, checks the caller's effective scopes. A denied field resolves to null with one error at
its path (`UNAUTHORIZED_FIELD_OR_TYPE`, with the scopes that would grant it); its resolver never runs, so no
partner is asked for data the caller cannot see.

A protected field reads personal data unless declared otherwise (`personal_data=False`, e.g. partner
health): an operation selecting any field that reads personal data must state its purpose.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from functools import cached_property
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.schema_directive import Location
from strawberry.types.field import StrawberryField

from hub.access.policy import Requirement, missing_scopes, satisfies
from hub.errors import UNAUTHORIZED_FIELD_OR_TYPE, HubError

__all__ = [
    "RequiresScopes",
    "ScopeCheck",
    "ScopeDenied",
    "StreamScopeCheck",
    "reads_personal_data",
    "requirement_of",
    "requires_scopes",
    "stream_requires_scopes",
    "type_scopes",
]


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION, Location.OBJECT],
    name="requiresScopes",
    description=(
        "The caller needs every scope of at least one inner list (outer list OR, inner lists AND). "
        "A field the caller may not see resolves to null with an UNAUTHORIZED_FIELD_OR_TYPE error."
    ),
)
class RequiresScopes:
    scopes: list[list[str]]


class ScopeDenied(HubError):
    code = UNAUTHORIZED_FIELD_OR_TYPE.name


def _requirement(alternatives: Iterable[Iterable[str]]) -> Requirement:
    return tuple(frozenset(a) for a in alternatives)


class ScopeCheck(FieldExtension):
    """Checks a field's scope requirement before its resolver runs."""

    def __init__(self, requirement: Requirement, personal_data: bool = True) -> None:
        self.requirement = requirement
        self.personal_data = personal_data

    def apply(self, field: StrawberryField) -> None:
        # Applied each time a schema is built from the same field: print the directive once.
        if not any(isinstance(d, RequiresScopes) for d in field.directives):
            field.directives.append(RequiresScopes(scopes=[sorted(a) for a in self.requirement]))
        # The documentation says what the field needs, from the same declaration (it cannot drift).
        note = "Needs the scope " + " or ".join(" + ".join(sorted(a)) for a in self.requirement) + "."
        if note not in (field.description or ""):
            field.description = f"{field.description} {note}" if field.description else note

    def _check(self, info: strawberry.Info) -> None:
        granted: frozenset[str] = info.context.effective_scopes
        if not satisfies(self.requirement, granted):
            path = ".".join(str(p) for p in info.path.as_list())
            info.context.deny(path)
            raise ScopeDenied(
                f"Not authorised to read {path}: it needs the scopes of one of "
                f"{[sorted(a) for a in self.requirement]}.",
                requiredScopes=[sorted(a) for a in self.requirement],
                missingScopes=missing_scopes(self.requirement, granted),
            )

    def resolve(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        self._check(info)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        self._check(info)
        return await next_(source, info, **kwargs)


class StreamScopeCheck(ScopeCheck):
    """A subscription's requirement: declared like any field's (SDL, description, personal data), checked by
    the subscription itself before its first event (`check`), since a stream has no resolver to wrap."""

    @cached_property
    def has_resolver(self) -> bool:
        return False

    def check(self, info: strawberry.Info) -> None:
        self._check(info)


def stream_requires_scopes(*alternatives: Iterable[str]) -> StreamScopeCheck:
    """The extension for a subscription field: `stream_requires_scopes(["watch:write"])`."""
    return StreamScopeCheck(_requirement(alternatives))


def requires_scopes(*alternatives: Iterable[str], personal_data: bool = True) -> ScopeCheck:
    """The extension for a field: `requires_scopes(["intel:read"])`, or several alternatives.

    `personal_data=False` declares that the field reads no personal data, so selecting it needs no purpose.
    """
    return ScopeCheck(_requirement(alternatives), personal_data)


def type_scopes(*alternatives: Iterable[str]) -> list[object]:
    """The directives for a type: `@strawberry.type(directives=type_scopes(["intel:read"]))`."""
    return [RequiresScopes(scopes=[sorted(a) for a in alternatives])]


def reads_personal_data(field: StrawberryField | None) -> bool:
    """Whether a field is protected and reads personal data (so that an operation selecting it states why)."""
    if field is None:
        return False
    return any(isinstance(e, ScopeCheck) and e.personal_data for e in field.extensions)


def requirement_of(field: StrawberryField | None) -> Requirement:
    """The scope requirement declared on a Strawberry field (empty: public)."""
    if field is None:
        return ()
    for extension in field.extensions:
        if isinstance(extension, ScopeCheck):
            return extension.requirement
    return ()
