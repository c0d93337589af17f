"""schema.graphql is the published contract: it must be exactly what the code generates."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from hub.cli import cli
from hub.schema import sdl


def test_committed_schema_is_what_the_code_generates(repo_root: Path) -> None:
    committed = (repo_root / "schema.graphql").read_text(encoding="utf-8")
    assert committed == sdl(), (
        "schema.graphql is stale: run `hub schema export -o schema.graphql` and commit it"
    )


def test_schema_export_prints_the_sdl() -> None:
    result = CliRunner().invoke(cli, ["schema", "export"])
    assert result.exit_code == 0
    assert result.output == sdl()


def test_every_type_and_field_has_a_description() -> None:
    from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType

    schema = __import__("hub.schema", fromlist=["create_schema"]).create_schema()._schema
    missing = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not getattr(type_, "description", None):
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, field in type_.fields.items() if not field.description]
        assert not isinstance(type_, GraphQLEnumType) or type_.values
    assert missing == []


def test_root_fields_the_contract_promises() -> None:
    text = sdl()
    assert "person(id: ID!): Person" in text
    assert "searchPersons(criteria: PersonCriteria!, first: Int = 20): PersonSearchResult!" in text
