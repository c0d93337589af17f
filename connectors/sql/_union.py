"""Every record kind the hub asks a SQL partner for at once, in one statement: one round trip per call.

A person and everything held on them live in up to eight tables (nominal, aliases, addresses, warnings,
intelligence, custody events and their offences, referrals). `RecordsStatement` reads them with one
`UNION ALL` of a branch per table: each branch selects its rows for the ids bound to its record kind, tags
them with the table's section name and their place in the partner's order (`row_number()`), and casts every
column to text so that the branches line up on any dialect; `Records` reads text as well as native values.
Statements are built once per set of kinds (31 at most) and cached by the connector.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, cast, func, literal_column, null, select, union_all

from connectors.contract import Capability
from connectors.sql.mapping import TableView

__all__ = ["RecordsStatement"]


@dataclass(frozen=True)
class _Branch:
    """One table read for a record kind: rows whose `key` column holds an id, in (`key`, *`order`) order."""

    section: str
    key: str
    order: tuple[str, ...] = ()


#: The tables behind each record kind. Offences hang off custody events, not people (see `_where`).
_BRANCHES: Mapping[Capability, tuple[_Branch, ...]] = {
    Capability.PEOPLE: (
        _Branch("nominal", "id"),
        _Branch("alias", "nominal_id", ("order_by", "surname", "forenames")),
        _Branch("address", "nominal_id", ("order_by",)),
    ),
    Capability.MARKERS: (_Branch("warning", "nominal_id", ("order_by",)),),
    Capability.INTELLIGENCE: (_Branch("intelligence", "nominal_id", ("id",)),),
    Capability.CUSTODY: (
        _Branch("custody", "nominal_id", ("id",)),
        _Branch("offence", "custody_id", ("order_by",)),
    ),
    Capability.SAFEGUARDING: (_Branch("safeguarding", "nominal_id", ("id",)),),
}


def parameter(kind: Capability) -> str:
    """The name of the bound list of ids for one record kind."""
    return f"ids_{kind.value}"


class RecordsStatement:
    """The one statement reading every table the `kinds` need, and the reading of its rows by table.

    Each kind's ids are bound at execution (`parameter(kind)`), unless `ids` gives a kind a subquery that
    selects them (a search: the people it matches, and their aliases and addresses, in one statement).
    """

    def __init__(
        self,
        views: Mapping[str, TableView],
        kinds: Sequence[Capability],
        ids: Mapping[Capability, Any] | None = None,
    ) -> None:
        ids = ids or {}
        branches = [(kind, b) for kind in kinds for b in _BRANCHES[kind] if b.section in views]
        width = max(len(views[b.section].columns) for _, b in branches)
        #: Per section, the mapping keys of its columns c0, c1, ... in the statement.
        self.columns: dict[str, list[str]] = {}
        selects = []
        for kind, branch in branches:
            view = views[branch.section]
            keys = list(view.columns)
            order = [view[c] for c in (branch.key, *branch.order) if c in view]
            values = [cast(view[k], String).label(f"c{i}") for i, k in enumerate(keys)]
            padding = [cast(null(), String).label(f"c{i}") for i in range(len(keys), width)]
            selects.append(
                select(
                    literal_column(f"'{branch.section}'").label("section"),
                    func.row_number().over(order_by=order).label("seq"),
                    *values,
                    *padding,
                ).where(self._where(views, branch, ids.get(kind, bindparam(parameter(kind), expanding=True))))
            )
            self.columns[branch.section] = keys
        self.statement: Any = selects[0] if len(selects) == 1 else union_all(*selects)

    @staticmethod
    def _where(views: Mapping[str, TableView], branch: _Branch, ids: Any) -> Any:
        view = views[branch.section]
        if branch.section == "offence":
            custody = views["custody"]
            return view["custody_id"].in_(select(custody["id"]).where(custody["nominal_id"].in_(ids)))
        return view[branch.key].in_(ids)

    def read(self, chunks: Sequence[Sequence[Sequence[Any]]]) -> dict[str, list[dict[str, Any]]]:
        """Each section's rows, as mapping keys to values, in the partner's order; `chunks`: the rows of
        each execution of the statement (one per chunk of ids), in order."""
        tagged: dict[str, list[tuple[int, int, Sequence[Any]]]] = defaultdict(list)
        for number, rows in enumerate(chunks):
            for row in rows:
                tagged[row[0]].append((number, int(row[1]), row[2:]))
        sections: dict[str, list[dict[str, Any]]] = {}
        for section, items in tagged.items():
            items.sort(key=lambda item: (item[0], item[1]))
            keys = self.columns[section]
            sections[section] = [dict(zip(keys, values, strict=False)) for _, _, values in items]
        return sections
