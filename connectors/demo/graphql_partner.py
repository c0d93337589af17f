"""Eastvale Police's GraphQL API: the demo partner that the hub's `graphql` connector talks to.

Eastvale publishes its records in a schema of its own design, deliberately unlike the hub's canonical
model: subjects rather than people, a combined "1A P" grading string, its own enums for sex, custody disposal
and concern category, and dates as ISO strings. Every root field is batched (a list of subject refs in, one
list of records out), and one document may ask several, so a client needs one round trip for people and
every kind of record held on them, whatever the number of people.

    POST /graphql      the API (GraphiQL on GET)           GET /health    {"status": "ok"}
    /_demo/...         request log and faults (see `connectors.demo.instrument`)
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import ExecutionContext

from connectors.demo import instrument
from connectors.demo.store import DemoStore, Row
from connectors.pnc import normalise_pnc_id

__all__ = ["MAX_REFS", "WRONG_SHAPE", "create_app", "schema"]

#: Most subject refs (or search results) one root field answers for; more is the client's error.
MAX_REFS = 200
#: What the `wrong_shape` fault answers (see `instrument`): a GraphQL response whose every root field holds
#: one record with numeric refs and none of the fields the schema promises, and no `__typename`.
WRONG_SHAPE: dict[str, Any] = {
    "data": {
        name: [{"ref": 404, "subjectRef": 404, "name": "WRONG-SHAPE"}]
        for name in ("findSubjects", "subjects", "flags", "intelligenceLogs", "detentions", "concerns")
    }
}


class Rejected(Exception):
    """The client asked for something Eastvale does not serve; reported as a GraphQL error, not logged."""


@strawberry.enum
class Sex(enum.Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    UNKNOWN = "UNKNOWN"


@strawberry.enum
class Disposal(enum.Enum):
    CHARGED = "CHARGED"
    BAILED = "BAILED"
    RUI = "RUI"
    NFA = "NFA"
    CAUTIONED = "CAUTIONED"


@strawberry.enum
class ConcernCategory(enum.Enum):
    DOMESTIC_ABUSE = "DOMESTIC_ABUSE"
    CHILD_PROTECTION = "CHILD_PROTECTION"
    ENCOMPASS = "ENCOMPASS"
    MISSING = "MISSING"


# The storage layout's codes (see `layout.py`) and what Eastvale calls them in its API.
_SEX = {"M": Sex.MALE, "F": Sex.FEMALE, "U": Sex.UNKNOWN}
_DISPOSAL = {
    "CHARGED": Disposal.CHARGED,
    "BAIL": Disposal.BAILED,
    "RUI": Disposal.RUI,
    "NFA": Disposal.NFA,
    "CAUTION": Disposal.CAUTIONED,
}
_CATEGORY = {
    "DA": ConcernCategory.DOMESTIC_ABUSE,
    "CP": ConcernCategory.CHILD_PROTECTION,
    "ENC": ConcernCategory.ENCOMPASS,
    "MISS": ConcernCategory.MISSING,
}


@strawberry.type
class OtherName:
    surname: str
    forenames: str | None


@strawberry.type
class Location:
    line1: str
    line2: str | None
    town: str | None
    postcode: str | None


@strawberry.type
class Subject:
    ref: strawberry.ID
    surname: str
    forenames: str | None
    born: str | None = strawberry.field(description="Date of birth, ISO 8601 (YYYY-MM-DD).")
    sex: Sex | None
    nationality: str | None
    pnc_number: str | None
    cro_number: str | None
    other_names: list[OtherName]
    addresses: list[Location]


@strawberry.type
class Flag:
    subject_ref: strawberry.ID
    code: str
    text: str
    raised_on: str | None


@strawberry.type
class IntelLog:
    ref: strawberry.ID
    subject_ref: strawberry.ID
    grading: str = strawberry.field(description="Source, intelligence and handling codes, e.g. '1A P'.")
    handling_conditions: str | None
    summary: str
    body: str | None
    marking: str | None
    logged_at: str | None


@strawberry.type
class Charge:
    code: str
    wording: str


@strawberry.type
class Detention:
    ref: strawberry.ID
    subject_ref: strawberry.ID
    custody_number: str
    suite: str
    arrested_at: str
    reason: str
    authorised_by: str | None
    released_at: str | None
    disposal: Disposal | None = strawberry.field(description="Null while the subject is still detained.")
    risk_flags: list[str]
    offences: list[Charge]


@strawberry.type
class Concern:
    ref: strawberry.ID
    subject_ref: strawberry.ID
    category: ConcernCategory
    occurred_at: str
    children_present: bool | None
    summary: str
    contact: str | None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _coded(table: dict[str, Any], code: str | None, what: str, ref: str) -> Any:
    if code is None:
        return None
    try:
        return table[code]
    except KeyError:
        # Bad stored data is Eastvale's fault: say so rather than publish a guess.
        raise ValueError(f"{what} code {code!r} on record {ref} has no meaning in this API") from None


def _subject(row: Row) -> Subject:
    return Subject(
        ref=strawberry.ID(row["nominal_ref"]),
        surname=row["surname"],
        forenames=row["forenames"],
        born=_iso(row["birth_date"]),
        sex=_SEX.get(row["sex"], Sex.UNKNOWN) if row["sex"] else None,
        nationality=row["nationality"],
        pnc_number=row["pnc_ref"],
        cro_number=row["cro_ref"],
        other_names=[OtherName(surname=a["surname"], forenames=a["forenames"]) for a in row["aliases"]],
        addresses=[
            Location(line1=a["line1"], line2=a["line2"], town=a["town"], postcode=a["postcode"])
            for a in row["addresses"]
        ],
    )


def _flag(row: Row) -> Flag:
    return Flag(
        subject_ref=strawberry.ID(row["nominal_ref"]),
        code=row["signal_code"],
        text=row["signal_text"],
        raised_on=_iso(row["raised_on"]),
    )


def _intel_log(row: Row) -> IntelLog:
    return IntelLog(
        ref=strawberry.ID(row["log_ref"]),
        subject_ref=strawberry.ID(row["nominal_ref"]),
        grading=f"{row['source_grade']}{row['intel_grade']} {row['handling_code']}",
        handling_conditions=row["handling_conditions"],
        summary=row["summary_text"],
        body=row["full_text"],
        marking=row["protective_marking"],
        logged_at=_iso(row["logged_at"]),
    )


def _detention(row: Row) -> Detention:
    return Detention(
        ref=strawberry.ID(row["custody_ref"]),
        subject_ref=strawberry.ID(row["nominal_ref"]),
        custody_number=row["custody_number"],
        suite=row["suite"],
        arrested_at=row["arrested_at"].isoformat(),
        reason=row["arrest_reason"],
        authorised_by=row["authorised_by"],
        released_at=_iso(row["released_at"]),
        disposal=_coded(_DISPOSAL, row["disposal"], "disposal", row["custody_ref"]),
        risk_flags=[f.strip() for f in (row["risk_flags"] or "").split(";") if f.strip()],
        offences=[Charge(code=o["offence_code"], wording=o["offence_text"]) for o in row["offences"]],
    )


def _concern(row: Row) -> Concern:
    return Concern(
        ref=strawberry.ID(row["referral_ref"]),
        subject_ref=strawberry.ID(row["nominal_ref"]),
        category=_coded(_CATEGORY, row["referral_type"], "referral type", row["referral_ref"]),
        occurred_at=row["occurred_at"].isoformat(),
        children_present=row["children_present"],
        summary=row["summary_text"],
        contact=row["contact_point"],
    )


def _begin(info: strawberry.Info, kind: str) -> DemoStore:
    """Log the kind of this request (kinds joined by '+' if one operation asks several) and give the store."""
    request: Request = info.context["request"]
    kinds: list[str] = request.scope.setdefault("eastvale_kinds", [])
    if kind not in kinds:
        kinds.append(kind)
    instrument.mark(request, "+".join(kinds))
    store: DemoStore = request.app.state.store
    return store


def _check_refs(refs: list[strawberry.ID]) -> list[str]:
    if len(refs) > MAX_REFS:
        raise Rejected(f"at most {MAX_REFS} refs per call, got {len(refs)}")
    return list(dict.fromkeys(str(r) for r in refs))


def _flatten(grouped: dict[str, list[Row]], refs: Iterable[str]) -> list[Row]:
    return [row for ref in refs for row in grouped.get(ref, [])]


async def _find_subjects(
    info: strawberry.Info,
    surname: str | None = None,
    forenames: str | None = None,
    born: str | None = None,
    pnc_number: str | None = None,
    limit: int = 50,
) -> list[Subject]:
    store = _begin(info, "search")
    if not (surname and surname.strip()) and not (pnc_number and pnc_number.strip()):
        raise Rejected("findSubjects needs a surname or a pncNumber")
    if not 1 <= limit <= MAX_REFS:
        raise Rejected(f"limit must be between 1 and {MAX_REFS}, got {limit}")
    try:
        birth_date = date.fromisoformat(born) if born else None
    except ValueError:
        raise Rejected(f"born must be an ISO date (YYYY-MM-DD), got {born!r}") from None
    # Eastvale holds PNC IDs in the long form; a caller's short form (04/123456M) finds them too.
    pnc = normalise_pnc_id(pnc_number) or pnc_number
    rows, _total = await store.search(surname, forenames, birth_date, pnc, limit=limit)
    return [_subject(r) for r in rows]


async def _subjects(info: strawberry.Info, refs: list[strawberry.ID]) -> list[Subject]:
    store = _begin(info, "people")
    return [_subject(r) for r in await store.nominals(_check_refs(refs))]


async def _flags(info: strawberry.Info, subject_refs: list[strawberry.ID]) -> list[Flag]:
    store, refs = _begin(info, "markers"), _check_refs(subject_refs)
    return [_flag(r) for r in _flatten(await store.warnings(refs), refs)]


async def _intelligence_logs(info: strawberry.Info, subject_refs: list[strawberry.ID]) -> list[IntelLog]:
    store, refs = _begin(info, "intelligence"), _check_refs(subject_refs)
    return [_intel_log(r) for r in _flatten(await store.intelligence(refs), refs)]


async def _detentions(info: strawberry.Info, subject_refs: list[strawberry.ID]) -> list[Detention]:
    store, refs = _begin(info, "custody"), _check_refs(subject_refs)
    return [_detention(r) for r in _flatten(await store.custody(refs), refs)]


async def _concerns(info: strawberry.Info, subject_refs: list[strawberry.ID]) -> list[Concern]:
    store, refs = _begin(info, "safeguarding"), _check_refs(subject_refs)
    return [_concern(r) for r in _flatten(await store.safeguarding(refs), refs)]


@strawberry.type(description="A record Eastvale added or changed: its kind, its ref, and its subject's ref.")
class Change:
    kind: str = strawberry.field(
        description="SUBJECT (a new subject: ref and subjectRef are its ref), CUSTODY, CONCERN, FLAG or "
        "INTELLIGENCE_LOG."
    )
    ref: strawberry.ID
    subject_ref: strawberry.ID


@strawberry.type(description="A page of the change feed, and where to ask from next.")
class ChangeFeed:
    cursor: str = strawberry.field(description="Pass as `after` for the changes after this page.")
    changes: list[Change]


_CHANGE_KINDS = {
    "person": "SUBJECT",
    "custody": "CUSTODY",
    "safeguarding": "CONCERN",
    "warning": "FLAG",
    "intelligence": "INTELLIGENCE_LOG",
}


async def _changes(info: strawberry.Info, after: str | None = None, limit: int = 100) -> ChangeFeed:
    store = _begin(info, "changes")
    if not 1 <= limit <= MAX_REFS:
        raise Rejected(f"limit must be between 1 and {MAX_REFS}, got {limit}")
    if after is not None and not after.isdigit():
        raise Rejected(f"after must be a cursor this feed gave, got {after!r}")
    rows, head = await store.changes(int(after) if after is not None else None, limit)
    changes = [
        Change(
            kind=_CHANGE_KINDS.get(r["record_kind"], r["record_kind"].upper()),
            ref=strawberry.ID(r["record_ref"]),
            subject_ref=strawberry.ID(r["nominal_ref"]),
        )
        for r in rows
    ]
    cursor = str(rows[-1]["change_seq"]) if rows else (after if after is not None else str(head))
    return ChangeFeed(cursor=cursor, changes=changes)


@strawberry.type
class Query:
    find_subjects: list[Subject] = strawberry.field(
        resolver=_find_subjects,
        description="Subjects matching every given filter (surname also matches other names); "
        "a surname or a pncNumber is required.",
    )
    subjects: list[Subject] = strawberry.field(
        resolver=_subjects, description="Subjects by ref; unknown refs are left out."
    )
    flags: list[Flag] = strawberry.field(resolver=_flags, description="Warning flags on the given subjects.")
    intelligence_logs: list[IntelLog] = strawberry.field(
        resolver=_intelligence_logs, description="Intelligence logs on the given subjects."
    )
    detentions: list[Detention] = strawberry.field(
        resolver=_detentions, description="Custody detentions of the given subjects."
    )
    concerns: list[Concern] = strawberry.field(
        resolver=_concerns, description="Safeguarding concerns about the given subjects."
    )
    changes: ChangeFeed = strawberry.field(
        resolver=_changes,
        description="What Eastvale recorded after the cursor `after`, oldest first; without `after`, only "
        "the cursor of now.",
    )


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # A client's bad request is answered in the response; only Eastvale's own failures need a log line.
        unexpected = [e for e in errors if not isinstance(e.original_error, Rejected)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


#: The hub sends the same few documents again and again: each is parsed and validated once (Strawberry's
#: shared LRU caches), as a production GraphQL API would.
schema = _Schema(
    query=Query,
    extensions=[lambda: ParserCache(maxsize=64), lambda: ValidationCache(maxsize=64)],
)


async def _health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _arrest(request: Request) -> JSONResponse:
    """Demo only (`hub demo arrest`): Eastvale arrests someone now. JSON {subjectRef, reason, offences:
    [{code, wording}], suite?, authorisedBy?}, or with `subject`: {surname, forenames?, dateOfBirth?, sex?,
    pncNumber?} in place of subjectRef, for someone its records do not hold yet (a new subject is made first,
    as a custody suite does). Answers {ref, subjectRef} (201), or 400 with {error}."""
    store: DemoStore = request.app.state.store
    try:
        body = await request.json()
        reason = str(body["reason"])
        offences = [(str(o["code"]), str(o["wording"])) for o in body.get("offences", [])]
        new = body.get("subject")
        if new is not None:
            born = new.get("dateOfBirth")
            person = (
                str(new["surname"]),
                str(new["forenames"]) if new.get("forenames") else None,
                date.fromisoformat(born) if born else None,
                str(new["sex"]) if new.get("sex") else None,
                str(new["pncNumber"]) if new.get("pncNumber") else None,
            )
        else:
            ref = str(body["subjectRef"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return JSONResponse({"error": f"expected {{subjectRef or subject, reason, offences}}: {exc}"}, 400)
    if new is not None and person[3] not in (None, "M", "F", "U"):
        return JSONResponse({"error": f"sex is M, F or U, got {person[3]!r}"}, 400)
    if new is not None:
        ref = await store.add_person(*person)
    elif not await store.nominals([ref]):
        return JSONResponse({"error": f"no subject {ref!r}"}, 400)
    suite, officer = str(body.get("suite", "Eastvale Central")), str(body.get("authorisedBy", "PS 4410 Barr"))
    custody_ref = await store.add_custody(ref, reason, offences, suite, officer)
    return JSONResponse({"ref": custody_ref, "subjectRef": ref}, 201)


def create_app(database_url: str, faults: instrument.Faults | None = None) -> Starlette:
    """Eastvale's API over the records at `database_url` (an SQLAlchemy async URL in the demo layout).

    `faults` are the fault switches to start with (none is on by default). `app.state.log` and
    `app.state.faults` are the request log and fault switches of `instrument`.
    """
    log, faults = instrument.RequestLog(), instrument.Faults() if faults is None else faults

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.store = DemoStore(database_url)
        try:
            yield
        finally:
            await app.state.store.aclose()

    app = Starlette(
        routes=[
            Route("/graphql", GraphQL(schema), methods=["GET", "POST"]),
            Route("/health", _health),
            Route("/_demo/arrests", _arrest, methods=["POST"]),
            *instrument.admin_routes(log, faults),
        ],
        middleware=[Middleware(instrument.Instrumented, log=log, faults=faults, wrong_shape=WRONG_SHAPE)],
        lifespan=lifespan,
    )
    app.state.log, app.state.faults = log, faults
    return app
