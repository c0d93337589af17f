"""GraphQL documents: parsed once, checked before they cost anything, and kept only when they passed.

Work on a document is bounded before it is done, cheapest check first, so that no caller (an anonymous one
least of all) can make the hub parse or validate more than a small, bounded document:

1. A caller without a token may send a document of at most HUB_MAX_ANONYMOUS_QUERY_BYTES (such a caller can
   read no personal data; a small document is all it needs): checked on the text, nothing parsed.
2. At most HUB_MAX_QUERY_TOKENS tokens: the parser stops at the limit (QUERY_TOO_LARGE).
3. No selection set repeats one field (or fragment spread) more than HUB_MAX_REPEATED_FIELDS times, no field
   (or fragment, or operation) carries more than HUB_MAX_FIELD_DIRECTIVES directives and the document no
   more than HUB_MAX_DIRECTIVES: checked on the parsed document, before validation, whose rules are
   quadratic in such repeats (QUERY_TOO_COMPLEX).
4. The operation to run is known: the one named, or the only one (OPERATION_RESOLUTION_FAILURE).

Then the schema validates it (`DocumentValidation`, depth and alias limits included). A document that passed
every check and validation is kept in an LRU cache bounded in bytes (HUB_DOCUMENT_CACHE_BYTES, each entry
weighed by its text: a parsed document takes about 80 bytes of memory per character of text), so the same
document sent again costs a dictionary look-up. Documents that fail are never kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from cachetools import LRUCache
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    parse,
    validate,
    visit,
)
from strawberry.extensions import SchemaExtension

from hub.access.analysis import FieldUse
from hub.errors import (
    GRAPHQL_PARSE_FAILED,
    OPERATION_RESOLUTION_FAILURE,
    QUERY_TOO_COMPLEX,
    QUERY_TOO_LARGE,
    RequestRefused,
)

__all__ = ["BYTES_PER_CHARACTER", "DocumentLimits", "DocumentValidation", "Documents", "PreparedDocument"]

#: What a parsed document weighs in memory per character of its text (measured: 64-83 with locations).
BYTES_PER_CHARACTER = 100


@dataclass(frozen=True)
class DocumentLimits:
    """The limits a document must pass before it is validated (each a setting)."""

    max_tokens: int = 20_000
    max_anonymous_bytes: int = 4096
    max_repeated_fields: int = 20
    max_field_directives: int = 4
    max_directives: int = 50


@dataclass
class PreparedDocument:
    """A parsed document that passed the limits, and what has been learnt of it since."""

    query: str
    document: DocumentNode
    #: Whether the schema's validation passed (only such documents are cached).
    validated: bool = False
    #: The fields each operation selects (`hub.access.analysis`), by operation name, once worked out.
    uses: dict[str | None, Sequence[FieldUse]] = field(default_factory=dict)
    #: Estimated costs (`hub.schema.cost`), by operation name and the integer variables that size lists.
    costs: dict[Hashable, Any] = field(default_factory=dict)

    @property
    def weight(self) -> int:
        return BYTES_PER_CHARACTER * len(self.query) + 1024


class _Repeats(Visitor):
    """Finds the most times one selection set selects the same field (by response key) or fragment, the
    most directives on one place (field, fragment, operation), and the directives in the whole document."""

    def __init__(self) -> None:
        super().__init__()
        self.most = 0
        self.most_directives = 0
        self.directives = 0

    def enter(self, node: Node, *_: object) -> None:
        directives = getattr(node, "directives", None)
        if directives:
            self.most_directives = max(self.most_directives, len(directives))
            self.directives += len(directives)

    def enter_selection_set(self, node: SelectionSetNode, *_: object) -> None:
        keys: Counter[str] = Counter()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                keys[(selection.alias or selection.name).value] += 1
            elif isinstance(selection, FragmentSpreadNode):
                keys["..." + selection.name.value] += 1
        if keys:
            self.most = max(self.most, max(keys.values()))


def operation_name_of(document: DocumentNode, name: str | None) -> str | None:
    """The name of the operation that `name` picks in `document` (the only one, if `name` is None).

    Raises:
        RequestRefused: OPERATION_RESOLUTION_FAILURE: no such operation, or several and no name.
    """
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        if len(operations) != 1:
            raise RequestRefused(
                OPERATION_RESOLUTION_FAILURE,
                "The document holds several operations: say which to run with operationName."
                if operations
                else "The document holds no operation to run.",
            )
        only = operations[0]
        return only.name.value if only.name else None
    if not any(o.name is not None and o.name.value == name for o in operations):
        raise RequestRefused(
            OPERATION_RESOLUTION_FAILURE, f"The document has no operation named {name[:64]!r}."
        )
    return name


class Documents:
    """Parses and checks documents, and caches those that pass (shared by every request of a schema).

    Args:
        limits: The limits checked before validation.
        cache_bytes: The most memory the cached documents may take, estimated from their text.
    """

    def __init__(self, limits: DocumentLimits, cache_bytes: int) -> None:
        self.limits = limits
        self._cache: LRUCache[str, PreparedDocument] = LRUCache(
            maxsize=cache_bytes, getsizeof=lambda entry: entry.weight
        )
        self._lock = Lock()  # cachetools' caches are not thread-safe; `hub explain` may share one

    @property
    def cached_bytes(self) -> int:
        """The estimated memory the cached documents take now."""
        return int(self._cache.currsize)

    def __len__(self) -> int:
        return len(self._cache)

    def prepare(self, query: str, *, authenticated: bool) -> PreparedDocument:
        """The document for `query`, from the cache or parsed now, past every limit.

        Raises:
            RequestRefused: QUERY_TOO_LARGE, GRAPHQL_PARSE_FAILED or QUERY_TOO_COMPLEX.
        """
        if not authenticated and len(query) > self.limits.max_anonymous_bytes:
            # Characters, not bytes: a cheap upper bound is enough here (len of the UTF-8 is at least this).
            raise RequestRefused(
                QUERY_TOO_LARGE,
                f"A document sent without an access token may be at most {self.limits.max_anonymous_bytes} "
                "characters long (HUB_MAX_ANONYMOUS_QUERY_BYTES); send a token.",
                limit=self.limits.max_anonymous_bytes,
            )
        with self._lock:
            cached = self._cache.get(query)
        if cached is not None:
            return cached
        try:
            document = parse(query, max_tokens=self.limits.max_tokens)
        except GraphQLSyntaxError as exc:
            if exc.message.endswith("Parsing aborted."):
                raise RequestRefused(
                    QUERY_TOO_LARGE,
                    f"The document has more than {self.limits.max_tokens} tokens, the most the hub parses "
                    "(HUB_MAX_QUERY_TOKENS).",
                    limit=self.limits.max_tokens,
                ) from None
            raise RequestRefused(GRAPHQL_PARSE_FAILED, exc.message, locations=_locations(exc)) from None
        repeats = _Repeats()
        visit(document, repeats)
        limits = self.limits
        for found, most, what, setting in (
            (
                repeats.most_directives,
                limits.max_field_directives,
                "directives on one place",
                "FIELD_DIRECTIVES",
            ),
            (repeats.directives, limits.max_directives, "directives in the document", "DIRECTIVES"),
            (
                repeats.most,
                limits.max_repeated_fields,
                "repeats of one field in a selection",
                "REPEATED_FIELDS",
            ),
        ):
            if found > most:
                raise RequestRefused(
                    QUERY_TOO_COMPLEX,
                    f"The document has {found} {what}; the most is {most} (HUB_MAX_{setting}).",
                    limit=most,
                )
        return PreparedDocument(query, document)

    def keep(self, prepared: PreparedDocument) -> None:
        """Cache a document that passed validation (one larger than the whole cache is not kept)."""
        prepared.validated = True
        if prepared.weight <= self._cache.maxsize:
            with self._lock:
                self._cache[prepared.query] = prepared


def _locations(error: GraphQLError) -> list[dict[str, int]]:
    return [{"line": loc.line, "column": loc.column} for loc in error.locations or ()]


class DocumentValidation(SchemaExtension):
    """Validates the operation's document with the schema's rules, unless it is a cached (valid) one; keeps
    it once valid. Callers that may not introspect get no "Did you mean ...?" suggestions: they would spell
    out the schema."""

    def __init__(self, documents: Documents) -> None:
        super().__init__()
        self.documents = documents

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        prepared = getattr(context.context, "document", None)
        if isinstance(prepared, PreparedDocument) and prepared.document is context.graphql_document:
            if prepared.validated:
                context.pre_execution_errors = []
            else:
                hide = not getattr(context.context, "may_introspect", False)
                errors = validate(
                    context.schema._schema,
                    prepared.document,
                    context.validation_rules,
                    hide_suggestions=hide,
                )
                context.pre_execution_errors = errors
                if not errors:
                    self.documents.keep(prepared)
        yield
