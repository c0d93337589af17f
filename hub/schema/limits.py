"""Limits on one GraphQL document checked as it is validated: its depth and its aliases. A document past
one is refused whole, before any resolver runs or any partner is asked. (Its size, tokens and repeated
fields are checked before it is validated: `hub.schema.documents`.)

Strawberry's limiters do the counting (the validation rules of `QueryDepthLimiter` and `MaxAliasesLimiter`);
here the rules' errors get the hub's stable code, QUERY_TOO_COMPLEX. The rules are made once per schema.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import ASTValidationRule, GraphQLError, ValidationContext, ValidationRule
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from hub.errors import QUERY_TOO_COMPLEX

__all__ = ["limit_extensions"]


def _coded(rule: type[ValidationRule], code: str) -> type[ValidationRule]:
    """`rule`, its errors carrying `extensions.code`. (Strawberry's limit rules do their counting when
    they are made, reporting to the validation context; the context's reporter is wrapped meanwhile.)"""

    class Coded(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            report = context.report_error

            def coded(error: GraphQLError) -> None:
                error.extensions = {**(error.extensions or {}), "code": code}
                report(error)

            context.report_error = coded  # type: ignore[method-assign]
            try:
                rule(context)
            finally:
                del context.report_error  # the class's own method again

    Coded.__name__ = f"Coded{rule.__name__}"
    return Coded


def limit_extensions(max_depth: int, max_aliases: int) -> list[Callable[[], SchemaExtension]]:
    """The schema extensions (as factories, one instance per operation) that enforce the limits."""
    rules: list[type[ASTValidationRule]] = [
        _coded(depth_rule(max_depth, None), QUERY_TOO_COMPLEX.name),
        _coded(aliases_rule(max_aliases), QUERY_TOO_COMPLEX.name),
    ]
    return [lambda: AddValidationRules(rules)]
