"""The `sql` connector against real partner databases: the default Niche-style layout, and another layout.

Each database test runs on SQLite, and on PostgreSQL too when HUB_TEST_DATABASE_URL is set (see conftest).
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import event

from connectors.canonical import (
    Address,
    Assessment,
    CustodyOutcome,
    CustodyRecord,
    Gender,
    Handling,
    IntelligenceReport,
    MarkerCode,
    Offence,
    PersonName,
    PersonRecord,
    SafeguardingConcern,
    SafeguardingKind,
    SearchCriteria,
    SourceEvaluation,
    WarningMarker,
)
from connectors.contract import RECORD_KINDS, Capability, PartnerConfig
from connectors.demo import layout
from connectors.errors import ConnectorConfigError, PartnerBadResponse, PartnerUnavailable
from connectors.sql import SqlConnector, SqlMapping
from tests.connectors.sql.conftest import PartnerDatabase

PARTNER = "northshire"

# ---------------------------------------------------------------- the Niche-style partner (default mapping)


def rows(columns: str, *values: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Rows as dicts from a space-separated column list and one tuple per row."""
    names = columns.split()
    assert all(len(v) == len(names) for v in values)
    return [dict(zip(names, v, strict=True)) for v in values]


# fmt: off
NOMINALS = rows(
    "nominal_ref surname forenames surname_key birth_date sex nationality pnc_ref cro_ref",
    ("NS0001", "Smith", "John Paul", "SMITH", date(1980, 1, 2), "M", "British", "2004/0123456B", "12345/04A"),
    # A PNC ID held in short form, lower case: read back canonical, and found by its canonical form.
    ("NS0002", "Smith", "Jane", "SMITH", date(1990, 5, 6), "F", None, "98/654321j", None),
    # A typo in the PNC ID's check letter: the record is still served, without a PNC ID.
    ("NS0003", "Brówn", "Émile", "BROWN", None, "U", None, "2004/0123456Z", None),
)
ALIASES = rows(
    "alias_id nominal_ref surname forenames surname_key",
    (1, "NS0001", "Smyth", "Jon", "SMYTH"),
    (2, "NS0001", "O'Brien", None, "OBRIEN"),
)
ADDRESSES = rows(
    "address_id nominal_ref line1 line2 town postcode",
    (1, "NS0001", "1 High Street", "Flat 2", "Northtown", "NT1 1AA"),
    (2, "NS0001", "9 Low Road", None, "Southtown", None),
    (3, "NS0002", "4 Mill Lane", None, "Northtown", "NT2 2BB"),
)
WARNINGS = rows(
    "signal_id nominal_ref signal_code signal_text raised_on",
    (1, "NS0001", "FI", "Firearms", date(2021, 3, 4)),
    (2, "NS0001", "MN", "Mental health", None),
    (3, "NS0002", "VI", "Violent", None),
)
INTEL = rows(
    "log_ref nominal_ref source_grade intel_grade handling_code handling_conditions summary_text full_text "
    "protective_marking logged_at",
    ("IL-1", "NS0001", "1", "A", "P", None, "Seen at a known address", "Full report text", "OFFICIAL",
     datetime(2022, 1, 1, 10, 0)),
    ("IL-2", "NS0001", "2", "C", "C", "Not to be disclosed to the subject", "Associates with a dealer",
     None, None, None),
)
CUSTODY = rows(
    "custody_ref nominal_ref custody_number suite arrested_at arrest_reason authorised_by released_at "
    "disposal risk_flags",
    ("CU-1", "NS0001", "NS/1", "Northtown", datetime(2023, 1, 1, 9), "Burglary", "PS 123",
     datetime(2023, 1, 2, 10), "CHARGED", "self-harm; drugs ;"),
    ("CU-2", "NS0001", "NS/2", "Northtown", datetime(2024, 2, 2, 20), "Assault", None, None, None, None),
    ("CU-3", "NS0002", "NS/3", "Millbay", datetime(2023, 3, 3, 3), "Theft", None, datetime(2023, 3, 3, 9),
     "RUI", None),
)
OFFENCES = rows(
    "offence_id custody_ref offence_code offence_text",
    (1, "CU-1", "TH68001", "Burglary dwelling"),
    (2, "CU-1", "CD71001", "Criminal damage"),
    (3, "CU-2", "AS00001", "Common assault"),
)
REFERRALS = rows(
    "referral_ref nominal_ref referral_type occurred_at children_present summary_text contact_point",
    ("VR-1", "NS0001", "DA", datetime(2023, 5, 5, 22), True, "Incident at home address", "Northshire MASH"),
    ("VR-2", "NS0002", "CP", datetime(2022, 6, 1, 9), None, "Referral from school", None),
    ("VR-3", "NS0002", "MISS", datetime(2022, 7, 1), False, "Missing overnight", None),
)
# fmt: on
NICHE_ROWS = [
    (layout.nominal, NOMINALS),
    (layout.nominal_alias, ALIASES),
    (layout.nominal_address, ADDRESSES),
    (layout.warning_signal, WARNINGS),
    (layout.intel_log, INTEL),
    (layout.custody_event, CUSTODY),
    (layout.custody_offence, OFFENCES),
    (layout.vulnerability_referral, REFERRALS),
]


JOHN = PersonRecord(
    partner=PARTNER,
    record_id="NS0001",
    names=(
        PersonName("Smith", "John Paul"),
        PersonName("Smyth", "Jon", alias=True),
        PersonName("O'Brien", None, alias=True),
    ),
    date_of_birth=date(1980, 1, 2),
    gender=Gender.MALE,
    nationality="British",
    pnc_id="2004/0123456B",
    cro_number="12345/04A",
    addresses=(
        Address(("1 High Street", "Flat 2"), "Northtown", "NT1 1AA"),
        Address(("9 Low Road",), "Southtown", None),
    ),
)
JANE = PersonRecord(
    partner=PARTNER,
    record_id="NS0002",
    names=(PersonName("Smith", "Jane"),),
    date_of_birth=date(1990, 5, 6),
    gender=Gender.FEMALE,
    pnc_id="1998/0654321J",
    addresses=(Address(("4 Mill Lane",), "Northtown", "NT2 2BB"),),
)
EMILE = PersonRecord(
    partner=PARTNER, record_id="NS0003", names=(PersonName("Brówn", "Émile"),), gender=Gender.UNKNOWN
)


def config(url: str, mapping: dict[str, Any] | None = None, **connection: Any) -> PartnerConfig:
    return PartnerConfig(PARTNER, "sql", connection={"url": url, **connection}, mapping=mapping or {})


@pytest.fixture
async def niche(database: PartnerDatabase) -> PartnerDatabase:
    await database.load(layout.metadata, NICHE_ROWS)
    return database


async def opened(cfg: PartnerConfig) -> AsyncIterator[SqlConnector]:
    connector = SqlConnector.from_config(cfg)
    await connector.open()
    try:
        yield connector
    finally:
        await connector.aclose()


@pytest.fixture
async def connector(niche: PartnerDatabase) -> AsyncIterator[SqlConnector]:
    async for c in opened(config(niche.url, niche.mapping())):
        yield c


@pytest.fixture
async def statements(connector: SqlConnector) -> AsyncIterator[list[str]]:
    """Every SQL statement the connector sends from now on."""
    await connector.health()  # the first connection's own set-up queries are not the connector's
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(connector.engine.sync_engine, "before_cursor_execute", record)
    yield sent
    event.remove(connector.engine.sync_engine, "before_cursor_execute", record)


def ids(records: list[PersonRecord]) -> list[str]:
    return [r.record_id for r in records]


# ---------------------------------------------------------------------------------------------- search


async def test_search_by_surname_returns_full_records_in_id_order(connector: SqlConnector) -> None:
    assert await connector.search_people(SearchCriteria(family_name="smith"), 10) == [JOHN, JANE]


@pytest.mark.parametrize("surname", ["Smyth", "O'Brien", "obrien", "O BRIEN"])
async def test_search_by_surname_also_matches_aliases(connector: SqlConnector, surname: str) -> None:
    assert ids(await connector.search_people(SearchCriteria(family_name=surname), 10)) == ["NS0001"]


async def test_search_key_folds_accents(connector: SqlConnector) -> None:
    assert await connector.search_people(SearchCriteria(family_name="Brown"), 10) == [EMILE]


@pytest.mark.parametrize(
    ("given", "expected"), [("ja", ["NS0002"]), ("JOHN P", ["NS0001"]), ("j", ["NS0001", "NS0002"])]
)
async def test_search_by_forename_prefix_ignores_case(
    connector: SqlConnector, given: str, expected: list[str]
) -> None:
    found = await connector.search_people(SearchCriteria(family_name="Smith", given_name=given), 10)
    assert ids(found) == expected


@pytest.mark.parametrize("given", ["J%", "J_hn", "%"])
async def test_search_forename_wildcards_are_literal(connector: SqlConnector, given: str) -> None:
    assert await connector.search_people(SearchCriteria(family_name="Smith", given_name=given), 10) == []


async def test_search_by_date_of_birth(connector: SqlConnector) -> None:
    found = await connector.search_people(
        SearchCriteria(family_name="Smith", date_of_birth=date(1990, 5, 6)), 10
    )
    assert found == [JANE]


@pytest.mark.parametrize(
    ("pnc", "expected"),
    [
        ("2004/0123456B", ["NS0001"]),
        ("04/123456b", ["NS0001"]),
        ("1998/0654321J", ["NS0002"]),
        ("2004/0123456Z", []),
    ],
)
async def test_search_by_pnc_id(connector: SqlConnector, pnc: str, expected: list[str]) -> None:
    assert ids(await connector.search_people(SearchCriteria(pnc_id=pnc), 10)) == expected


async def test_search_honours_limit_and_needs_a_criterion(connector: SqlConnector) -> None:
    assert ids(await connector.search_people(SearchCriteria(family_name="Smith"), 1)) == ["NS0001"]
    assert await connector.search_people(SearchCriteria(family_name="Smith"), 0) == []
    assert await connector.search_people(SearchCriteria(), 10) == []
    assert await connector.search_people(SearchCriteria(family_name="'-'"), 10) == []


async def test_search_costs_one_statement(connector: SqlConnector, statements: list[str]) -> None:
    found = await connector.search_people(SearchCriteria(family_name="Smith"), 10)
    assert found and any(person.addresses for person in found)
    assert len(statements) == 1  # the people it matches, their aliases and addresses


# -------------------------------------------------------------------------------------------- batches


async def test_get_people_answers_known_ids_only(connector: SqlConnector) -> None:
    people = await connector.get_people(["NS0002", "nobody", "NS0001", "NS0001"])
    assert people == {"NS0001": JOHN, "NS0002": JANE}


async def test_markers_are_canonical_in_partner_order(connector: SqlConnector) -> None:
    assert await connector.get_markers(["NS0001", "NS0002", "NS0003", "nobody"]) == {
        "NS0001": [
            WarningMarker(PARTNER, MarkerCode.FI, "Firearms", date(2021, 3, 4)),
            WarningMarker(PARTNER, MarkerCode.MN, "Mental health"),
        ],
        "NS0002": [WarningMarker(PARTNER, MarkerCode.VI, "Violent")],
    }


async def test_intelligence_keeps_grading_conditions_and_content(connector: SqlConnector) -> None:
    assert await connector.get_intelligence(["NS0001", "NS0002"]) == {
        "NS0001": [
            IntelligenceReport(
                PARTNER,
                "IL-1",
                SourceEvaluation.RELIABLE,
                Assessment.KNOWN_DIRECTLY,
                Handling.LAWFUL_SHARING_PERMITTED,
                "Seen at a known address",
                content="Full report text",
                classification="OFFICIAL",
                recorded_at=datetime(2022, 1, 1, 10, 0),
            ),
            IntelligenceReport(
                PARTNER,
                "IL-2",
                SourceEvaluation.UNTESTED,
                Assessment.KNOWN_INDIRECTLY,
                Handling.SHARING_WITH_CONDITIONS,
                "Associates with a dealer",
                handling_conditions="Not to be disclosed to the subject",
            ),
        ]
    }


async def test_custody_has_offences_outcomes_and_risk_flags(connector: SqlConnector) -> None:
    assert await connector.get_custody(["NS0001", "NS0002", "NS0003"]) == {
        "NS0001": [
            CustodyRecord(
                PARTNER,
                "CU-1",
                "NS/1",
                "Northtown",
                datetime(2023, 1, 1, 9, 0),
                "Burglary",
                offences=(Offence("TH68001", "Burglary dwelling"), Offence("CD71001", "Criminal damage")),
                detention_authorised_by="PS 123",
                released_at=datetime(2023, 1, 2, 10, 0),
                outcome=CustodyOutcome.CHARGED,
                risk_flags=("self-harm", "drugs"),
            ),
            CustodyRecord(
                PARTNER,
                "CU-2",
                "NS/2",
                "Northtown",
                datetime(2024, 2, 2, 20, 0),
                "Assault",
                offences=(Offence("AS00001", "Common assault"),),
                outcome=CustodyOutcome.IN_CUSTODY,
            ),
        ],
        "NS0002": [
            CustodyRecord(
                PARTNER,
                "CU-3",
                "NS/3",
                "Millbay",
                datetime(2023, 3, 3, 3, 0),
                "Theft",
                released_at=datetime(2023, 3, 3, 9, 0),
                outcome=CustodyOutcome.RELEASED_UNDER_INVESTIGATION,
            )
        ],
    }


async def test_safeguarding_concerns_are_canonical(connector: SqlConnector) -> None:
    assert await connector.get_safeguarding(["NS0001", "NS0002"]) == {
        "NS0001": [
            SafeguardingConcern(
                PARTNER,
                "VR-1",
                SafeguardingKind.DOMESTIC_ABUSE_INCIDENT,
                datetime(2023, 5, 5, 22),
                "Incident at home address",
                children_present=True,
                contact_point="Northshire MASH",
            )
        ],
        "NS0002": [
            SafeguardingConcern(
                PARTNER,
                "VR-2",
                SafeguardingKind.CHILD_PROTECTION_REFERRAL,
                datetime(2022, 6, 1, 9),
                "Referral from school",
            ),
            SafeguardingConcern(
                PARTNER,
                "VR-3",
                SafeguardingKind.MISSING_EPISODE,
                datetime(2022, 7, 1),
                "Missing overnight",
                children_present=False,
            ),
        ],
    }


@pytest.mark.parametrize(
    "method", ["get_people", "get_markers", "get_intelligence", "get_custody", "get_safeguarding"]
)
async def test_each_batch_costs_one_statement(
    connector: SqlConnector, statements: list[str], method: str
) -> None:
    await getattr(connector, method)(["NS0001", "NS0002", "NS0003", "nobody"])
    assert len(statements) == 1
    assert await getattr(connector, method)([]) == {}
    assert len(statements) == 1, "an empty batch asks nothing"


async def test_every_kind_of_record_costs_one_round_trip_together(
    connector: SqlConnector, statements: list[str]
) -> None:
    ids = ["NS0001", "NS0002", "NS0003", "nobody"]
    separately = {kind: await connector.fetch({kind: ids}) for kind in RECORD_KINDS}
    statements.clear()

    together = await connector.fetch({kind: ids for kind in RECORD_KINDS})

    assert len(statements) == 1, "one statement, one round trip, for a person and everything on them"
    assert together == {kind: answer[kind] for kind, answer in separately.items()}
    assert together[Capability.CUSTODY]["NS0001"][0].offences, "offences are read with their custody events"


async def test_a_fetch_reads_each_kind_for_its_own_ids(connector: SqlConnector) -> None:
    found = await connector.fetch({Capability.PEOPLE: ["NS0001"], Capability.MARKERS: ["NS0002"]})
    assert set(found[Capability.PEOPLE]) == {"NS0001"}
    assert set(found[Capability.MARKERS]) == {"NS0002"}


async def test_large_batches_are_chunked_into_few_statements(
    connector: SqlConnector, statements: list[str]
) -> None:
    wanted = [f"X{i:05d}" for i in range(1200)] + ["NS0002"]
    assert set(await connector.get_markers(wanted)) == {"NS0002"}
    assert len(statements) == 3  # 1,201 ids in chunks of 500


# ------------------------------------------------------------------------------- a partner of another shape

#: Another force's own database, created by its own SQL (not SQLAlchemy): integer ids, its own codes, dates
#: as text on SQLite, a Y/N flag, no alias or address tables.
OTHER_SQL = """
CREATE TABLE {schema}.persons (person_id INTEGER PRIMARY KEY, last_name VARCHAR(80), first_name VARCHAR(80),
    last_name_key VARCHAR(80), dob DATE, gender_code CHAR(1), pnc_number VARCHAR(16));
INSERT INTO {schema}.persons VALUES (1, 'Kowalski', 'Anna', 'KOWALSKI', '1975-07-08', '2', '2011/0000042M'),
    (2, 'Nowak', 'Piotr', 'NOWAK', NULL, '1', NULL);
CREATE TABLE {schema}.person_flags (flag_id INTEGER PRIMARY KEY, person_id INTEGER, flag CHAR(2),
    flag_desc VARCHAR(80), flagged DATE);
INSERT INTO {schema}.person_flags VALUES (1, 1, 'WE', 'Carries a knife', '2020-02-02');
CREATE TABLE {schema}.intel_reports (report_no INTEGER PRIMARY KEY, person_id INTEGER, src CHAR(1),
    info CHAR(1), hc CHAR(1), abstract TEXT, recorded TIMESTAMP);
INSERT INTO {schema}.intel_reports VALUES (7, 1, '2', 'B', 'P', 'Drives a blue van', '2021-01-01 12:00:00');
CREATE TABLE {schema}.arrests (arrest_id INTEGER PRIMARY KEY, person_id INTEGER, ref VARCHAR(20),
    station VARCHAR(40), arrested TIMESTAMP, grounds TEXT, outcome_code VARCHAR(8), freed TIMESTAMP,
    hazards TEXT);
INSERT INTO {schema}.arrests VALUES
    (10, 1, 'A/10', 'Central', '2021-05-05 05:05:00', 'Possession', 'CHG', '2021-05-06 00:00:00',
        'violent|spitter'),
    (11, 2, 'A/11', 'Central', '2024-01-01 00:00:00', 'Theft', NULL, NULL, NULL);
CREATE TABLE {schema}.arrest_charges (charge_id INTEGER PRIMARY KEY, arrest_id INTEGER,
    charge_code VARCHAR(20), wording TEXT);
INSERT INTO {schema}.arrest_charges VALUES (1, 10, 'WE01', 'Bladed article');
CREATE TABLE {schema}.concerns (concern_id INTEGER PRIMARY KEY, person_id INTEGER, concern_type VARCHAR(20),
    happened TIMESTAMP, kids CHAR(1), notes TEXT);
INSERT INTO {schema}.concerns VALUES (5, 1, 'DOMESTIC', '2022-02-02 22:00:00', 'Y', 'Neighbour called police')
"""

#: Its mapping, as it would stand under [partners.mapping] in the partners file.
OTHER_MAPPING = tomllib.loads("""
[nominal]
table = "persons"
id = "person_id"
id_type = "integer"
surname = "last_name"
forenames = "first_name"
surname_key = "last_name_key"
birth_date = "dob"
sex = "gender_code"
nationality = ""
pnc = "pnc_number"
cro = ""

[alias]
table = ""

[address]
table = ""

[warning]
table = "person_flags"
nominal_id = "person_id"
code = "flag"
text = "flag_desc"
added_on = "flagged"
order_by = "flag_id"

[intelligence]
table = "intel_reports"
id = "report_no"
nominal_id = "person_id"
source_grade = "src"
intel_grade = "info"
handling = "hc"
conditions = ""
summary = "abstract"
content = ""
marking = ""
logged_at = "recorded"

[custody]
table = "arrests"
id = "arrest_id"
nominal_id = "person_id"
custody_number = "ref"
station = "station"
arrested_at = "arrested"
reason = "grounds"
authorised_by = ""
released_at = "freed"
disposal = "outcome_code"
risk_flags = "hazards"
risk_flag_separator = "|"

[offence]
table = "arrest_charges"
custody_id = "arrest_id"
code = "charge_code"
text = "wording"
order_by = "charge_id"

[safeguarding]
table = "concerns"
id = "concern_id"
nominal_id = "person_id"
type = "concern_type"
occurred_at = "happened"
children_present = "kids"
summary = "notes"
contact = ""

[codes.sex]
1 = "M"
2 = "F"

[codes.disposal]
CHG = "charged"
NFA = "no-further-action"

[codes.referral]
DOMESTIC = "domestic-abuse-incident"
""")


@pytest.fixture
async def other(database: PartnerDatabase) -> AsyncIterator[SqlConnector]:
    for statement in OTHER_SQL.split(";\n"):
        await database.execute(statement)
    async for c in opened(config(database.url, database.mapping(OTHER_MAPPING))):
        yield c


ANNA = PersonRecord(
    PARTNER, "1", (PersonName("Kowalski", "Anna"),), date(1975, 7, 8), Gender.FEMALE, pnc_id="2011/0000042M"
)


async def test_a_custom_mapping_reads_another_layout(other: SqlConnector) -> None:
    assert await other.search_people(SearchCriteria(family_name="kowalski", given_name="an"), 10) == [ANNA]
    assert await other.search_people(SearchCriteria(pnc_id="11/42M"), 10) == [ANNA]
    people = await other.get_people(["2", "1", "x", "99"])
    assert people == {
        "1": ANNA,
        "2": PersonRecord(PARTNER, "2", (PersonName("Nowak", "Piotr"),), gender=Gender.MALE),
    }
    assert await other.get_markers(["1", "2"]) == {
        "1": [WarningMarker(PARTNER, MarkerCode.WE, "Carries a knife", date(2020, 2, 2))]
    }
    assert await other.get_intelligence(["1"]) == {
        "1": [
            IntelligenceReport(
                PARTNER,
                "7",
                SourceEvaluation.UNTESTED,
                Assessment.KNOWN_INDIRECTLY_CORROBORATED,
                Handling.LAWFUL_SHARING_PERMITTED,
                "Drives a blue van",
                recorded_at=datetime(2021, 1, 1, 12, 0),
            )
        ]
    }
    assert await other.get_custody(["1", "2"]) == {
        "1": [
            CustodyRecord(
                PARTNER,
                "10",
                "A/10",
                "Central",
                datetime(2021, 5, 5, 5, 5),
                "Possession",
                offences=(Offence("WE01", "Bladed article"),),
                released_at=datetime(2021, 5, 6),
                outcome=CustodyOutcome.CHARGED,
                risk_flags=("violent", "spitter"),
            )
        ],
        "2": [
            CustodyRecord(
                PARTNER,
                "11",
                "A/11",
                "Central",
                datetime(2024, 1, 1),
                "Theft",
                outcome=CustodyOutcome.IN_CUSTODY,
            )
        ],
    }
    assert await other.get_safeguarding(["1", "2"]) == {
        "1": [
            SafeguardingConcern(
                PARTNER,
                "5",
                SafeguardingKind.DOMESTIC_ABUSE_INCIDENT,
                datetime(2022, 2, 2, 22, 0),
                "Neighbour called police",
                children_present=True,
            )
        ]
    }


# ------------------------------------------------------------------------------------------- bad data


@pytest.mark.parametrize(
    ("sql", "method", "names"),
    [
        (
            "UPDATE {schema}.nominal SET sex = 'X' WHERE nominal_ref = 'NS0002'",
            "get_people",
            ["nominal.sex", "'X'"],
        ),
        (
            "INSERT INTO {schema}.warning_signal VALUES (99, 'NS0002', 'ZZ', 'z', NULL)",
            "get_markers",
            ["warning_signal.signal_code", "'ZZ'"],
        ),
        (
            "UPDATE {schema}.intel_log SET source_grade = '4'",
            "get_intelligence",
            ["intel_log.source_grade", "'4'"],
        ),
        (
            "UPDATE {schema}.custody_event SET disposal = 'PARDON'",
            "get_custody",
            ["custody_event.disposal", "PARDON"],
        ),
        (
            "UPDATE {schema}.vulnerability_referral SET referral_type = 'XX'",
            "get_safeguarding",
            ["vulnerability_referral.referral_type", "'XX'"],
        ),
    ],
)
async def test_a_code_the_mapping_cannot_read_is_a_bad_response(
    connector: SqlConnector, niche: PartnerDatabase, sql: str, method: str, names: list[str]
) -> None:
    await niche.execute(sql)
    with pytest.raises(PartnerBadResponse) as caught:
        await getattr(connector, method)(["NS0001", "NS0002"])
    assert caught.value.partner == PARTNER
    for name in names:
        assert name in str(caught.value)


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"nominal": {"table": "no_such_table"}}, "no_such_table"),
        ({"nominal": {"cro": "cro_number"}}, "cro_number"),
    ],
)
async def test_a_table_or_column_missing_from_the_database_is_a_bad_response(
    niche: PartnerDatabase, override: dict[str, Any], named: str
) -> None:
    async for connector in opened(config(niche.url, niche.mapping(override))):
        with pytest.raises(PartnerBadResponse, match=named):
            await connector.get_people(["NS0001"])
        with pytest.raises(PartnerBadResponse, match=named):
            await connector.search_people(SearchCriteria(family_name="Smith"), 10)


async def test_a_slow_database_can_be_cancelled_and_the_connector_still_works(
    niche: PartnerDatabase, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no way to make a query sleep")
    await niche.execute(
        "CREATE VIEW {schema}.slow_nominal AS SELECT n.* FROM {schema}.nominal n, pg_sleep(5) s"
    )
    async for connector in opened(config(niche.url, niche.mapping({"nominal": {"table": "slow_nominal"}}))):
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await connector.get_people(["NS0001"])
        await connector.health()


# ------------------------------------------------------------------------------------------ unreachable


async def test_an_unreachable_database_is_unavailable_and_the_password_stays_secret() -> None:
    async for connector in opened(config("postgresql+asyncpg://hub:s3cret-pw@127.0.0.1:1/records")):
        for call in (connector.health(), connector.get_people(["NS0001"])):
            with pytest.raises(PartnerUnavailable) as caught:
                await call
            assert "s3cret-pw" not in str(caught.value)
            assert "127.0.0.1:1" in str(caught.value)


async def test_plain_urls_are_given_the_async_driver(niche: PartnerDatabase, backend: str) -> None:
    plain = niche.url.replace("+aiosqlite", "").replace("+asyncpg", "")
    async for connector in opened(config(plain, niche.mapping())):
        assert (await connector.get_people(["NS0002"])) == {"NS0002": JANE}


# --------------------------------------------------------------------------------------- configuration


def test_the_connector_offers_every_capability() -> None:
    connector = SqlConnector(config("sqlite:///records.db"))
    assert connector.kind == "sql"
    assert connector.capabilities == frozenset(Capability) - {Capability.CHANGES}
    assert connector.url.drivername == "sqlite+aiosqlite"
    assert SqlConnector(config("postgresql://h/db")).url.drivername == "postgresql+asyncpg"


def test_the_default_mapping_is_the_niche_layout() -> None:
    mapping = SqlMapping()
    assert SqlMapping.from_dict({}) == mapping
    for name, view in mapping.views().items():
        table = layout.metadata.tables[getattr(mapping, name).table]
        assert {c.name for c in view.columns.values()} <= set(table.columns.keys()), name


@pytest.mark.parametrize(
    ("mapping", "messages"),
    [
        ({"nominal": {"surnme": "x"}}, ["'nominal.surnme'", "surname_key", "birth_date"]),
        ({"persons": {}}, ["'persons'", "nominal", "safeguarding"]),
        ({"codes": {"gender": {}}}, ["'codes.gender'", "sex, disposal, referral"]),
        ({"codes": {"sex": {"1": "Male"}}}, ["'codes.sex.1'", "M, F, U"]),
        ({"nominal": {"table": "nominal; DROP TABLE nominal"}}, ["'nominal.table'"]),
        ({"warning": {"code": "1code"}}, ["'warning.code'"]),
        ({"nominal": {"id_type": "uuid"}}, ["'nominal.id_type'", "string, integer"]),
        ({"nominal": {"surname": ""}}, ["'nominal.surname'"]),
        ({"custody": {"risk_flag_separator": ""}}, ["'custody.risk_flag_separator'"]),
        ({"nominal": "persons"}, ["'nominal'"]),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_key(mapping: dict[str, Any], messages: list[str]) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        SqlMapping.from_dict(mapping)
    for message in messages:
        assert message in str(caught.value)


def test_every_mapping_problem_is_reported_at_once() -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        SqlConnector(
            config("sqlite:///x.db", {"nominal": {"sex": "a b"}, "alias": {"colour": "x"}}, pool="x")
        )
    for name in ("'nominal.sex'", "'alias.colour'", "pool", PARTNER):
        assert name in str(caught.value)


def test_a_schema_qualified_table_is_accepted() -> None:
    assert SqlMapping.from_dict({"nominal": {"table": "records.persons"}}).nominal.table == "records.persons"


@pytest.mark.parametrize(
    ("connection", "named"),
    [
        ({}, "connection.url"),
        ({"url": "sqlite:///x.db", "pool_size": 0}, "connection.pool_size"),
        ({"url": "sqlite:///x.db", "echo": "yes"}, "connection.echo"),
        ({"url": "::not a url:: s3cret"}, "connection.url"),
    ],
)
def test_bad_connection_settings_are_refused_naming_the_key(connection: dict[str, Any], named: str) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        SqlConnector(PartnerConfig(PARTNER, "sql", connection=connection))
    assert named in str(caught.value)
    assert "s3cret" not in str(caught.value)


async def test_a_url_without_an_async_driver_is_a_config_error() -> None:
    connector = SqlConnector(config("sqlite+pysqlite:///x.db"))
    with pytest.raises(ConnectorConfigError, match="async driver"):
        await connector.open()
