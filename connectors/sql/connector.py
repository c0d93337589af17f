"""The `sql` connector kind: a partner's relational database, read through SQLAlchemy async.

The partner's layout comes from its `SqlMapping`; nothing is reflected at run time. A `fetch` of records by
id costs one statement, one round trip, whatever the number of ids and kinds of record (in chunks of 500
ids; `_union`); a search costs one statement per table it reads. Every driver error is
translated at the boundary into a `connectors.errors` exception whose message carries no password and no
SQL parameters (which would be personal data). Rows become canonical records in `connectors.sql._records`.

Partners-file settings (`[partners.connection]`):

    url        any SQLAlchemy async URL (sqlite+aiosqlite:///records.db, postgresql+asyncpg://host/db);
               sqlite:// and postgresql:// URLs are given the async driver. Required.
    pool_size  connections kept open (default 5; not used for SQLite)
    echo       log every statement (default false; the parameters are never logged)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field, StrictStr
from sqlalchemy import Date, Integer, String, bindparam, func, or_, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from connectors.canonical import (
    PersonRecord,
    SearchCriteria,
)
from connectors.contract import (
    RECORD_KINDS,
    Capability,
    Change,
    ChangePage,
    Fetched,
    FetchingConnector,
    PartnerConfig,
    Wanted,
)
from connectors.errors import (
    ConnectorConfigError,
    PartnerBadResponse,
    PartnerError,
    PartnerTimeout,
    PartnerUnavailable,
)
from connectors.pnc import normalise_pnc_id, parse_pnc_id
from connectors.settings import ConnectionSettings
from connectors.sql._records import Records
from connectors.sql._union import RecordsStatement, parameter
from connectors.sql.mapping import SqlMapping, TableView

__all__ = ["SqlConnector"]

# What a caller of the hub is told; the partner's host, user, tables and columns stay in the hub's log.
_NO_ANSWER = "its database did not answer in time"
_MISMATCH = "its database does not match the hub's mapping of it"
_UNUSABLE = "its database cannot be reached or used"

#: Ids per `IN (...)`: well under every driver's bind-parameter limit (SQLite's is 999 in old builds).
CHUNK = 500
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
#: SQLSTATE classes (the first two characters, ISO/IEC 9075) meaning the statement does not fit the database:
#: 42 a table or column that does not exist (42P01, 42703, ...), 22 a value the column cannot hold.
_MISMATCH_SQLSTATE_CLASSES = ("42", "22")
#: ... except a refused privilege, which is the database's account, not the mapping.
_NOT_A_MISMATCH_SQLSTATES = ("42501",)


def _sqlalchemy_url(value: str) -> str:
    try:
        make_url(value)
    except (sa_exc.ArgumentError, ValueError):
        raise ValueError("not an SQLAlchemy URL (e.g. postgresql+asyncpg://host/db)") from None
    return value


class SqlSettings(ConnectionSettings):
    """The `sql` kind's connection settings (see the module docstring)."""

    #: The URL may hold the database's password: never repeated in an error.
    secret_keys = frozenset({"url"})

    url: Annotated[StrictStr, AfterValidator(_sqlalchemy_url)]
    pool_size: int = Field(default=5, ge=1)
    echo: bool = False


class SqlConnector(FetchingConnector):
    """A partner whose records live in a relational database, in the layout its mapping describes."""

    kind: ClassVar[str] = "sql"
    supported: ClassVar[frozenset[Capability]] = frozenset(Capability)

    def __init__(self, config: PartnerConfig) -> None:
        super().__init__(config)
        problems: list[str] = []
        try:
            settings = SqlSettings.from_config(config)
        except ConnectorConfigError as exc:
            problems.append(str(exc))
        try:
            self.mapping = SqlMapping.from_dict(config.mapping)
        except ConnectorConfigError as exc:
            problems.append(f"Partner '{config.name}' (kind 'sql'): {exc}")
        if problems:
            raise ConnectorConfigError("\n".join(problems))
        if not self.mapping.changes.table:  # no change feed in the mapping: none to offer
            self._withdraw(
                Capability.CHANGES,
                "the change feed's table in the mapping ([partners.mapping.changes] table = ...)",
            )
        url = make_url(settings.url)
        self.url = url.set(drivername=_ASYNC_DRIVERS.get(url.drivername, url.drivername))
        self.pool_size, self.echo = settings.pool_size, settings.echo
        self._views: dict[str, TableView] = self.mapping.views()
        self._records = Records(self.name, self.mapping)
        self._unions: dict[tuple[Capability, ...], RecordsStatement] = {}
        self._searches: dict[frozenset[str], RecordsStatement] = {}
        self._engine: AsyncEngine | None = None

    @property
    def engine(self) -> AsyncEngine:
        """The SQLAlchemy engine (created by `open()`, or on first use)."""
        if self._engine is None:
            # No pre-ping: it would cost every call a second round trip. A connection the database dropped
            # fails one attempt (SQLAlchemy then discards it) and the hub's retry makes the next on a new one.
            options: dict[str, Any] = {"echo": self.echo, "hide_parameters": True}
            if self.url.get_backend_name() != "sqlite":
                options["pool_size"] = self.pool_size
            try:
                self._engine = create_async_engine(self.url, **options)
            except (sa_exc.ArgumentError, sa_exc.InvalidRequestError, ImportError) as exc:
                where = self.url.render_as_string(hide_password=True)
                raise ConnectorConfigError(
                    f"Partner '{self.name}': cannot use 'connection.url' {where}: {exc}. It needs an async "
                    "driver, e.g. sqlite+aiosqlite:// or postgresql+asyncpg://."
                ) from exc
        return self._engine

    async def open(self) -> None:
        self.engine  # noqa: B018 -- creating the engine checks the URL's driver now, not on first call

    async def aclose(self) -> None:
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[AsyncConnection]:
        connected = False
        try:
            async with self.engine.connect() as conn:
                connected = True
                yield conn
        except (sa_exc.SQLAlchemyError, OSError) as exc:
            # Whatever fails before the connection is up means the database cannot be reached, even
            # errors that would mean a bad mapping later (PostgreSQL's "database does not exist").
            raise self._error(exc, connecting=not connected) from exc

    def _error(self, exc: Exception, *, connecting: bool) -> PartnerError:
        where = self.url.render_as_string(hide_password=True)
        if isinstance(exc, TimeoutError):
            return PartnerTimeout(
                self.name, f"the database at {where} did not answer in time", public=_NO_ANSWER
            )
        if isinstance(exc, sa_exc.TimeoutError):
            return PartnerUnavailable(self.name, "no free connection to the database (pool exhausted)")
        detail = _driver_message(exc)
        if not connecting and _is_mismatch(exc):
            return PartnerBadResponse(
                self.name, f"the database does not match the mapping: {detail}", public=_MISMATCH
            )
        return PartnerUnavailable(
            self.name, f"cannot use the database at {where}: {detail}", public=_UNUSABLE
        )

    def _keys(self, ids: Sequence[str]) -> list[Any]:
        """The hub's string ids as the nominal id column holds them; ids that cannot be one are unknown."""
        unique = list(dict.fromkeys(str(i) for i in ids))
        if self.mapping.nominal.id_type == "integer":
            return [int(i) for i in unique if i.strip().lstrip("-").isdigit()]
        return unique

    async def health(self) -> None:
        async with self._connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def search_people(self, criteria: SearchCriteria, limit: int) -> list[PersonRecord]:
        nominal, parameters = self._views["nominal"], dict[str, Any]()
        if criteria.family_name is not None:
            key = self.mapping.nominal.search_key(criteria.family_name)
            if not key:
                return []
            parameters["surname_key"] = key
        # A criterion on a field the partner does not keep is ignored: the hub's matching weighs the rest.
        if criteria.given_name and "forenames" in nominal:
            prefix = criteria.given_name.strip().upper()
            parameters["forenames"] = "".join("/" + c if c in "/%_" else c for c in prefix) + "%"
        if criteria.date_of_birth is not None and "birth_date" in nominal:
            parameters["birth_date"] = criteria.date_of_birth
        if criteria.pnc_id is not None and "pnc" in nominal:
            forms = _pnc_forms(criteria.pnc_id)
            if not forms:
                return []
            parameters["pnc_forms"] = forms
        if not parameters or limit < 1:
            return []
        shape = frozenset(parameters)
        statement = self._searches.get(shape)
        if statement is None:
            statement = self._searches[shape] = self._search_statement(shape)
        async with self._connect() as conn:
            rows = (await conn.execute(statement.statement, {**parameters, "limit": limit})).all()
        return list(self._assemble(Capability.PEOPLE, statement.read([rows])).values())

    def _search_statement(self, criteria: frozenset[str]) -> RecordsStatement:
        """The one statement of a search on these criteria (their values bound at execution): the people it
        matches (at most `:limit`, in id order) and their aliases and addresses. Built once per set of
        criteria: building a statement costs more than running it."""
        nominal, where = self._views["nominal"], list[Any]()
        if "surname_key" in criteria:
            matches = nominal["surname_key"] == bindparam("surname_key", type_=String())
            if "alias" in self._views:
                alias = self._views["alias"]
                aliased = select(alias["nominal_id"]).where(alias["surname_key"] == bindparam("surname_key"))
                matches = or_(matches, nominal["id"].in_(aliased))
            where.append(matches)
        if "forenames" in criteria:
            where.append(
                func.upper(nominal["forenames"]).like(bindparam("forenames", type_=String()), escape="/")
            )
        if "birth_date" in criteria:
            where.append(nominal["birth_date"] == bindparam("birth_date", type_=Date()))
        if "pnc_forms" in criteria:
            where.append(func.upper(nominal["pnc"]).in_(bindparam("pnc_forms", expanding=True)))
        limit = bindparam("limit", type_=Integer())
        matching = select(nominal["id"].label("id")).where(*where).order_by(nominal["id"]).limit(limit)
        # The ids are read through a derived table, since some databases refuse LIMIT directly under IN.
        found = matching.subquery("matching")
        return RecordsStatement(self._views, (Capability.PEOPLE,), {Capability.PEOPLE: select(found.c.id)})

    async def changes(self, since: str | None, limit: int) -> ChangePage:
        """The mapping's change feed ([partners.mapping.changes]): rows after the sequence number `since`."""
        self._require([Capability.CHANGES])
        view = self._views["changes"]
        async with self._connect() as conn:
            if since is None:
                head = await conn.scalar(select(func.max(view["seq"])))
                return ChangePage([], str(head or 0))
            try:
                after = int(since)
            except ValueError:
                raise PartnerBadResponse(
                    self.name, f"the change cursor {since[:40]!r} is not a sequence number"
                ) from None
            query = view.select().where(view["seq"] > after).order_by(view["seq"]).limit(limit)
            rows = (await conn.execute(query)).mappings().all()
        changes = [
            Change(kind, str(r["nominal_id"]), str(r["record_id"]))
            for r in rows
            if (kind := _CHANGE_KINDS.get(str(r["kind"]).strip().lower())) is not None
        ]
        return ChangePage(changes, str(rows[-1]["seq"]) if rows else str(after))

    async def fetch(self, wanted: Wanted) -> Fetched:
        """Every record kind wanted in one statement (`_union.RecordsStatement`) on one connection: one
        round trip per `CHUNK` ids."""
        self._require(wanted, among=RECORD_KINDS)
        keys = {kind: k for kind, ids in wanted.items() if (k := self._keys(ids))}
        if not keys:
            return {}
        kinds = tuple(kind for kind in RECORD_KINDS if kind in keys)
        statement = self._unions.get(kinds)
        if statement is None:
            statement = self._unions[kinds] = RecordsStatement(self._views, kinds)
        chunks = []
        async with self._connect() as conn:
            for start in range(0, max(len(k) for k in keys.values()), CHUNK):
                bound = {parameter(kind): k[start : start + CHUNK] for kind, k in keys.items()}
                chunks.append((await conn.execute(statement.statement, bound)).all())
        sections = statement.read(chunks)
        return {kind: self._assemble(kind, sections) for kind in kinds}

    def _assemble(self, kind: Capability, sections: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
        """One kind's canonical records, by the partner's person id, from the rows of its tables."""
        records, rows = self._records, sections.get
        if kind is Capability.PEOPLE:
            aliases, addresses = _by(rows("alias", []), "nominal_id"), _by(rows("address", []), "nominal_id")
            people = (
                records.person(r, aliases[str(r["id"])], addresses[str(r["id"])]) for r in rows("nominal", [])
            )
            return {person.record_id: person for person in people}
        if kind is Capability.CUSTODY:
            offences = _by(rows("offence", []), "custody_id")
            return {
                key: [records.custody(r, offences[str(r["id"])]) for r in group]
                for key, group in _by(rows("custody", []), "nominal_id").items()
            }
        section, read = _READ[kind]
        return {
            key: [read(records, r) for r in group]
            for key, group in _by(rows(section, []), "nominal_id").items()
        }


#: What a change feed's kind column says, as the hub's record kinds.
_CHANGE_KINDS = {
    "person": Capability.PEOPLE,
    "nominal": Capability.PEOPLE,
    "custody": Capability.CUSTODY,
    "safeguarding": Capability.SAFEGUARDING,
    "warning": Capability.MARKERS,
    "marker": Capability.MARKERS,
    "intelligence": Capability.INTELLIGENCE,
}


def _by(rows: list[dict[str, Any]], key: str) -> defaultdict[str, list[dict[str, Any]]]:
    """Rows grouped by one column's value (as text), each group in the partner's order."""
    grouped: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[str(row[key])].append(row)
    return grouped


#: The table and the reader of the record kinds kept in one table each.
_READ: Mapping[Capability, tuple[str, Callable[[Records, Mapping[str, Any]], Any]]] = {
    Capability.MARKERS: ("warning", Records.marker),
    Capability.INTELLIGENCE: ("intelligence", Records.intelligence),
    Capability.SAFEGUARDING: ("safeguarding", Records.safeguarding),
}


def _is_mismatch(exc: Exception) -> bool:
    """Whether a statement failed because the database does not fit the mapping (a table or column it lacks,
    a value of the wrong type), by SQLAlchemy's exception class and the driver's own error code, never by
    the message's text: any SQLAlchemy async dialect reports these the same way.

    SQLAlchemy's `ProgrammingError` and `DataError` are such failures. Some drivers raise a missing table as
    an `OperationalError` (SQLite does); their code says which: SQLSTATE class 42 or 22 (`sqlstate`,
    `pgcode`), or SQLite's `SQLITE_ERROR` (an SQL error, as opposed to busy, locked, I/O or cannot open).
    """
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    codes = _driver_codes(exc)
    if any(code in _NOT_A_MISMATCH_SQLSTATES for code in codes):
        return False
    if isinstance(exc, sa_exc.ProgrammingError | sa_exc.DataError):
        return True
    return isinstance(exc, sa_exc.OperationalError) and any(
        code == "SQLITE_ERROR" or code[:2] in _MISMATCH_SQLSTATE_CLASSES for code in codes
    )


def _driver_codes(exc: sa_exc.DBAPIError) -> list[str]:
    """The error codes the driver gave (SQLSTATE, SQLite's error name), from its exception and its causes."""
    codes: list[str] = []
    error: BaseException | None = exc.orig
    for _ in range(4):  # an adapted driver (aiosqlite, asyncpg) keeps the original as the cause
        if error is None:
            break
        for attribute in ("sqlstate", "pgcode", "sqlite_errorname"):
            code = getattr(error, attribute, None)
            if isinstance(code, str) and code:
                codes.append(code)
        error = error.__cause__ or error.__context__
    return codes


def _driver_message(exc: Exception) -> str:
    """The driver's own first line, without the SQL or parameters SQLAlchemy adds to its message."""
    orig = getattr(exc, "orig", None)
    message = str(orig if orig is not None else exc).strip().splitlines()
    return message[0] if message else type(exc).__name__


def _pnc_forms(pnc_id: str) -> list[str]:
    """The ways a partner may have written a PNC ID: canonical, short year, unpadded serial."""
    canonical = normalise_pnc_id(pnc_id)
    if canonical is None:
        return []
    year, serial = parse_pnc_id(canonical)
    letter = canonical[-1]
    years, serials = (f"{year:04d}", f"{year % 100:02d}"), (f"{serial:07d}", str(serial))
    return sorted({f"{y}/{s}{letter}" for y in years for s in serials})
