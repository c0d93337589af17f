"""The `graphql` connector against the real Eastvale partner on loopback, and against odd answers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from connectors.canonical import (
    Address,
    Assessment,
    CustodyOutcome,
    Gender,
    Handling,
    MarkerCode,
    Offence,
    PersonName,
    SafeguardingKind,
    SearchCriteria,
    SourceEvaluation,
)
from connectors.contract import Capability, Connector, PartnerConfig
from connectors.demo import graphql_partner
from connectors.demo.serve import ServerThread
from connectors.errors import (
    ConnectorConfigError,
    PartnerBadResponse,
    PartnerTimeout,
    PartnerUnavailable,
)
from connectors.graphql import GraphQLConnector
from connectors.pnc import format_pnc_id


@dataclass
class Partner:
    """The Eastvale partner running on loopback, with its app's request log and fault switches."""

    server: ServerThread
    app: Any
    since: float = 0.0

    @property
    def endpoint(self) -> str:
        return self.server.url + "/graphql"

    @property
    def faults(self) -> Any:
        return self.app.state.faults

    async def kinds(self, expected: int = 0) -> list[str]:
        """The kinds of the requests this test made, once at least `expected` are logged (or after 2s).

        The partner logs a request as its response ends, so a client (and the next test) can be a moment
        ahead of the log: requests that started before this test are left out.
        """
        for _ in range(200):
            entries = [e for e in self.app.state.log.snapshot() if e["started"] >= self.since]
            if len(entries) >= expected:
                break
            await asyncio.sleep(0.01)
        return [entry["kind"] for entry in entries]


@pytest.fixture(scope="module")
def partner_server(eastvale_db: str) -> Iterator[Partner]:
    app = graphql_partner.create_app(eastvale_db)
    partner = Partner(ServerThread(app).start(), app)
    yield partner
    partner.server.stop()


@pytest.fixture
def partner(partner_server: Partner) -> Iterator[Partner]:
    """The running partner with an empty request log; its faults are switched off again afterwards."""
    partner_server.app.state.log.clear()
    partner_server.since = time.monotonic()
    yield partner_server
    partner_server.faults.update({"latency_ms": 0, "mode": None})


def config(url: str, timeout: float = 5.0, **connection: Any) -> PartnerConfig:
    return PartnerConfig(
        "eastvale", "graphql", "Eastvale Police", timeout, connection={"url": url, **connection}
    )


@pytest.fixture
async def eastvale(partner: Partner) -> AsyncIterator[GraphQLConnector]:
    async with GraphQLConnector(config(partner.endpoint)) as connector:
        yield connector


def test_offers_every_capability_and_meets_the_contract() -> None:
    connector = GraphQLConnector(config("http://eastvale.test/graphql"))
    assert isinstance(connector, Connector)
    assert connector.kind == "graphql"
    assert connector.capabilities == frozenset(Capability)


async def test_search_by_surname_finds_aliases_and_maps_to_canonical_records(
    eastvale: GraphQLConnector, partner: Partner
) -> None:
    found = await eastvale.search_people(SearchCriteria(family_name="smith"), limit=10)

    assert await partner.kinds(1) == ["search"]
    smith, obrien = sorted(found, key=lambda p: p.record_id)
    assert smith.partner == obrien.partner == "eastvale"
    assert smith.record_id == "EV1001"
    assert smith.names == (PersonName("Smith", "John Paul"), PersonName("Smythe", "Jon", alias=True))
    assert smith.date_of_birth == date(1985, 3, 12)
    assert smith.gender is Gender.MALE
    assert smith.nationality == "British"
    assert smith.pnc_id == format_pnc_id(2004, 123456)
    assert smith.cro_number == "1234/85X"
    assert smith.addresses == (Address(("Flat 2", "12 High Street"), "Eastvale", "EV1 2AB"),)
    # Found through her alias; her PNC ID has a wrong check letter, so it is no identifier at all.
    assert obrien.primary_name == PersonName("O'Brien", "Mary")
    assert PersonName("Smith", "Mary", alias=True) in obrien.names
    assert obrien.gender is Gender.FEMALE
    assert obrien.pnc_id is None
    assert obrien.addresses == (Address(("3 Mill Lane",)),)


async def test_search_by_pnc_id_and_date_of_birth(eastvale: GraphQLConnector) -> None:
    criteria = SearchCriteria(pnc_id=format_pnc_id(2004, 123456), date_of_birth=date(1985, 3, 12))
    assert [p.record_id for p in await eastvale.search_people(criteria, limit=5)] == ["EV1001"]
    short_form = SearchCriteria(pnc_id="04/123456" + format_pnc_id(2004, 123456)[-1])
    assert [p.record_id for p in await eastvale.search_people(short_form, limit=5)] == ["EV1001"]
    assert await eastvale.search_people(SearchCriteria(family_name="Nobody"), limit=5) == []


async def test_search_without_surname_or_pnc_id_is_rejected_by_the_partner(
    eastvale: GraphQLConnector,
) -> None:
    with pytest.raises(PartnerBadResponse, match="needs a surname or a pncNumber") as caught:
        await eastvale.search_people(SearchCriteria(given_name="John"), limit=5)
    assert caught.value.partner == "eastvale"


Call = Callable[[GraphQLConnector, list[str]], Awaitable[Any]]
BATCH_CALLS: list[tuple[str, Call]] = [
    ("people", lambda c, ids: c.get_people(ids)),
    ("markers", lambda c, ids: c.get_markers(ids)),
    ("intelligence", lambda c, ids: c.get_intelligence(ids)),
    ("custody", lambda c, ids: c.get_custody(ids)),
    ("safeguarding", lambda c, ids: c.get_safeguarding(ids)),
]


@pytest.mark.parametrize(("kind", "call"), BATCH_CALLS, ids=[kind for kind, _ in BATCH_CALLS])
async def test_each_batch_call_is_exactly_one_partner_request_of_its_kind(
    eastvale: GraphQLConnector, partner: Partner, kind: str, call: Call
) -> None:
    result = await call(eastvale, ["EV1001", "EV1002", "EV1003", "EV9999"])
    assert await partner.kinds(1) == [kind]
    assert "EV9999" not in result


@pytest.mark.parametrize(("kind", "call"), BATCH_CALLS, ids=[kind for kind, _ in BATCH_CALLS])
async def test_more_ids_than_the_partner_takes_are_sent_in_chunks_of_200(
    eastvale: GraphQLConnector, partner: Partner, kind: str, call: Call
) -> None:
    ids = [f"EV{n}" for n in range(2000, 2450)] + ["EV1001"]
    await call(eastvale, ids)
    assert await partner.kinds(3) == [kind, kind, kind]


async def test_people_by_id(eastvale: GraphQLConnector) -> None:
    people = await eastvale.get_people(["EV1003", "EV1001", "EV1001"])
    assert set(people) == {"EV1001", "EV1003"}
    jones = people["EV1003"]
    assert (jones.names, jones.gender, jones.date_of_birth, jones.addresses) == (
        (PersonName("Jones", None),),
        None,
        None,
        (),
    )


async def test_markers_are_grouped_by_person(eastvale: GraphQLConnector) -> None:
    markers = await eastvale.get_markers(["EV1001", "EV1002", "EV1003"])
    assert set(markers) == {"EV1001", "EV1002"}
    assert [(m.code, m.description, m.added_on) for m in markers["EV1001"]] == [
        (MarkerCode.VI, "Violent", date(2019, 1, 1)),
        (MarkerCode.MN, "Mental health", None),
    ]
    assert [m.code for m in markers["EV1002"]] == [MarkerCode.WE]
    assert {m.partner for ms in markers.values() for m in ms} == {"eastvale"}


async def test_intelligence_grading_is_split_into_the_3x5x2_codes(eastvale: GraphQLConnector) -> None:
    intel = await eastvale.get_intelligence(["EV1001", "EV1002"])
    [seen] = intel["EV1001"]
    assert (seen.id, seen.source_evaluation, seen.assessment, seen.handling) == (
        "IL-1",
        SourceEvaluation.RELIABLE,
        Assessment.KNOWN_DIRECTLY,
        Handling.LAWFUL_SHARING_PERMITTED,
    )
    assert seen.summary == "Seen dealing"
    assert seen.content == "Seen dealing at the Crown, 21:00"
    assert seen.classification == "OFFICIAL-SENSITIVE"
    assert seen.recorded_at == datetime(2024, 2, 1, 9, 30)
    [rumour] = intel["EV1002"]
    assert (rumour.source_evaluation, rumour.assessment, rumour.handling) == (
        SourceEvaluation.NOT_RELIABLE,
        Assessment.SUSPECTED_FALSE,
        Handling.SHARING_WITH_CONDITIONS,
    )
    assert rumour.handling_conditions == "Not for partner agencies"
    assert rumour.content is None


async def test_custody_disposals_map_to_outcomes(eastvale: GraphQLConnector) -> None:
    custody = await eastvale.get_custody(["EV1001", "EV1002"])
    held, earlier = custody["EV1001"]
    assert held.id == "CE-1"
    assert held.outcome is CustodyOutcome.IN_CUSTODY  # no disposal and not released: still detained
    assert (held.custody_number, held.station, held.arrest_reason) == (
        "EV/24/0001",
        "Eastvale Central",
        "Assault",
    )
    assert held.arrested_at == datetime(2024, 1, 1, 10, 0)
    assert held.detention_authorised_by == "PS 123"
    assert held.risk_flags == ("SELF HARM", "VIOLENT")
    assert held.offences == (
        Offence("OAPA-47", "Assault occasioning ABH"),
        Offence("POA-4", "Threatening behaviour"),
    )
    assert earlier.outcome is CustodyOutcome.RELEASED_UNDER_INVESTIGATION
    assert earlier.risk_flags == ()
    [bailed] = custody["EV1002"]
    assert bailed.outcome is CustodyOutcome.BAILED
    assert bailed.released_at == datetime(2023, 5, 3, 8, 0)


async def test_safeguarding_categories_map_to_kinds(eastvale: GraphQLConnector) -> None:
    concerns = await eastvale.get_safeguarding(["EV1001", "EV1002", "EV1003"])
    assert set(concerns) == {"EV1002", "EV1003"}
    [incident] = concerns["EV1002"]
    assert incident.kind is SafeguardingKind.DOMESTIC_ABUSE_INCIDENT
    assert (incident.children_present, incident.contact_point) == (True, "Eastvale MASH")
    assert incident.occurred_at == datetime(2024, 3, 3, 23, 0)
    [notice] = concerns["EV1003"]
    assert (notice.kind, notice.children_present, notice.contact_point) == (
        SafeguardingKind.OPERATION_ENCOMPASS,
        None,
        None,
    )


async def test_no_ids_means_no_request(eastvale: GraphQLConnector, partner: Partner) -> None:
    assert await eastvale.get_custody([]) == {}
    assert await partner.kinds() == []


async def test_health_asks_the_endpoint(eastvale: GraphQLConnector) -> None:
    await eastvale.health()


async def test_a_stopped_partner_is_unavailable(eastvale_db: str) -> None:
    server = ServerThread(graphql_partner.create_app(eastvale_db)).start()
    async with GraphQLConnector(config(server.url + "/graphql")) as connector:
        await connector.health()
        server.stop()
        with pytest.raises(PartnerUnavailable) as caught:
            await connector.get_people(["EV1001"])
        with pytest.raises(PartnerUnavailable):
            await connector.health()
    assert not isinstance(caught.value, PartnerTimeout)
    assert isinstance(caught.value.__cause__, httpx.TransportError)  # translated, with the cause kept


@pytest.mark.parametrize(
    ("fault", "error"),
    [({"mode": "malformed"}, PartnerBadResponse), ({"mode": "error"}, PartnerUnavailable)],
    ids=["malformed", "error"],
)
async def test_partner_faults_become_partner_errors(
    eastvale: GraphQLConnector, partner: Partner, fault: dict[str, Any], error: type[Exception]
) -> None:
    partner.faults.update(fault)
    with pytest.raises(error):
        await eastvale.get_markers(["EV1001"])
    with pytest.raises(error):
        await eastvale.search_people(SearchCriteria(family_name="Smith"), limit=5)


async def test_a_slow_partner_times_out(partner: Partner) -> None:
    partner.faults.update({"latency_ms": 1000})
    async with GraphQLConnector(config(partner.endpoint, timeout=0.3)) as connector:
        with pytest.raises(PartnerTimeout, match=r"within 0\.3s"):
            await connector.get_intelligence(["EV1001"])


def mock_connector(answer: Callable[[httpx.Request], httpx.Response], **connection: Any) -> GraphQLConnector:
    transport = httpx.MockTransport(answer)
    return GraphQLConnector(config("https://eastvale.test/graphql", **connection), transport=transport)


DETENTION: dict[str, Any] = {
    "ref": "CE-9",
    "subjectRef": "EV1",
    "custodyNumber": "EV/24/9",
    "suite": "Central",
    "arrestedAt": "2024-01-01T10:00:00",
    "reason": "Theft",
    "authorisedBy": None,
    "releasedAt": None,
    "disposal": None,
    "riskFlags": [],
    "offences": [],
}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"errors": [{"message": "x" * 500}]}, "the partner reported an error: " + "x" * 199 + "…"),
        ({"data": None, "errors": [{"message": "boom", "path": ["detentions"]}]}, "reported an error: boom"),
        ({}, "no data"),
        ({"data": None}, "no data"),
        ([1, 2], "not a GraphQL response"),
        ({"data": {"detentions": None}}, "data.detentions: expected a list, got null"),
        ({"data": {"detentions": [42]}}, r"detentions\[0\]: expected an object, got int"),
        ({"data": {"detentions": [DETENTION | {"suite": 7}]}}, r"detentions\[0\]\.suite: expected a string"),
        ({"data": {"detentions": [DETENTION | {"riskFlags": [None]}]}}, r"riskFlags\[0\]"),
        ({"data": {"detentions": [DETENTION | {"arrestedAt": "soon"}]}}, "not an ISO date-time"),
        ({"data": {"detentions": [DETENTION | {"disposal": "LOST"}]}}, "unknown value 'LOST'"),
        ({"data": {"detentions": [{k: v for k, v in DETENTION.items() if k != "ref"}]}}, r"\.ref: expected"),
    ],
    ids=[
        "long-error",
        "errors-with-null-data",
        "no-data",
        "null-data",
        "not-an-object",
        "null-list",
        "item-not-object",
        "wrong-type",
        "wrong-item-type",
        "bad-timestamp",
        "unknown-enum",
        "missing-field",
    ],
)
async def test_odd_answers_are_bad_responses(body: Any, message: str) -> None:
    async with mock_connector(lambda request: httpx.Response(200, json=body)) as connector:
        with pytest.raises(PartnerBadResponse, match=message):
            await connector.get_custody(["EV1"])


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"sex": "OTHER"}, "unknown value 'OTHER'"),
        ({"born": "12/03/1985"}, "not an ISO date"),
        ({"otherNames": None}, "otherNames: expected a list"),
    ],
)
async def test_odd_people_are_bad_responses(item: dict[str, Any], message: str) -> None:
    subject = {"ref": "EV1", "surname": "Smith", "otherNames": [], "addresses": []} | item
    async with mock_connector(
        lambda r: httpx.Response(200, json={"data": {"subjects": [subject]}})
    ) as connector:
        with pytest.raises(PartnerBadResponse, match=message):
            await connector.get_people(["EV1"])


@pytest.mark.parametrize("grading", ["1A", "4A P", "1F P", "1A X", ""])
async def test_a_grading_that_is_not_3x5x2_is_a_bad_response(grading: str) -> None:
    log = {"ref": "IL", "subjectRef": "EV1", "grading": grading, "summary": "s"}
    async with mock_connector(lambda r: httpx.Response(200, json={"data": {"intelligenceLogs": [log]}})) as c:
        with pytest.raises(PartnerBadResponse, match="grading"):
            await c.get_intelligence(["EV1"])


async def test_an_unknown_marker_code_is_a_bad_response() -> None:
    flag = {"subjectRef": "EV1", "code": "ZZ", "text": "?"}
    async with mock_connector(lambda r: httpx.Response(200, json={"data": {"flags": [flag]}})) as connector:
        with pytest.raises(PartnerBadResponse, match="unknown value 'ZZ'"):
            await connector.get_markers(["EV1"])


@pytest.mark.parametrize(
    ("status", "error"), [(500, PartnerUnavailable), (503, PartnerUnavailable), (404, PartnerBadResponse)]
)
async def test_http_errors_are_translated(status: int, error: type[Exception]) -> None:
    async with mock_connector(lambda r: httpx.Response(status, text="nope")) as connector:
        with pytest.raises(error, match=f"HTTP {status}|not JSON"):
            await connector.health()


async def test_network_errors_never_leak_httpx_exceptions() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def stall(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with mock_connector(refuse) as connector:
        with pytest.raises(PartnerUnavailable) as caught:
            await connector.get_people(["EV1"])
    assert type(caught.value) is PartnerUnavailable
    async with mock_connector(stall) as connector:
        with pytest.raises(PartnerTimeout):
            await connector.get_people(["EV1"])


async def test_requests_are_named_operations_with_variables_and_configured_headers() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"findSubjects": []}})

    async with mock_connector(answer, headers={"X-Api-Key": "s3cret"}) as connector:
        await connector.search_people(SearchCriteria(family_name='Smith") { ref } #', given_name="Jo"), 500)
    [request] = seen
    body = json.loads(request.content)
    assert request.method == "POST"
    assert request.headers["X-Api-Key"] == "s3cret"
    assert body["operationName"] == "HubFindSubjects"
    assert "Smith" not in body["query"]  # inputs travel as variables, never spliced into the document
    assert body["variables"] == {
        "surname": 'Smith") { ref } #',
        "forenames": "Jo",
        "born": None,
        "pncNumber": None,
        "limit": 200,  # the partner's largest page
    }


@pytest.mark.parametrize(
    ("connection", "key"),
    [
        ({"url": None}, "connection.url"),
        ({"url": "eastvale.test/graphql"}, "connection.url"),
        ({"url": "ftp://eastvale.test/graphql"}, "connection.url"),
        ({"url": 42}, "connection.url"),
        ({"headers": "X-Api-Key: s3cret"}, "connection.headers"),
        ({"headers": {"X Api Key": "s3cret"}}, "connection.headers"),
        ({"headers": {"X-Api-Key": 7}}, "connection.headers.X-Api-Key"),
        ({"verify_tls": "yes"}, "connection.verify_tls"),
    ],
)
def test_configuration_errors_name_the_partner_and_the_key(connection: dict[str, Any], key: str) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        GraphQLConnector(
            PartnerConfig("eastvale", "graphql", connection={"url": "https://ev.test/"} | connection)
        )
    assert "'eastvale'" in str(caught.value)
    assert key in str(caught.value)
    assert "s3cret" not in str(caught.value)  # header values are usually secrets: never echoed


def test_every_configuration_problem_is_reported_at_once() -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        GraphQLConnector(config("", headers=[], verify_tls=1))
    assert all(key in str(caught.value) for key in ("connection.url", "connection.headers", "verify_tls"))


async def test_the_partner_marks_a_request_asking_several_kinds_with_all_of_them(partner: Partner) -> None:
    query = '{ subjects(refs: ["EV1001"]) { ref } flags(subjectRefs: ["EV1001"]) { code } }'
    async with httpx.AsyncClient() as client:
        response = await client.post(partner.endpoint, json={"query": query})
    assert response.json()["data"]["flags"] == [{"code": "VI"}, {"code": "MN"}]
    assert await partner.kinds(1) == ["people+markers"]


async def test_the_partner_refuses_more_than_200_refs(partner: Partner) -> None:
    query = "query ($refs: [ID!]!) { concerns(subjectRefs: $refs) { ref } }"
    async with httpx.AsyncClient() as client:
        response = await client.post(
            partner.endpoint, json={"query": query, "variables": {"refs": [str(n) for n in range(201)]}}
        )
        health = await client.get(partner.server.url + "/health")
    assert response.json()["errors"][0]["message"] == "at most 200 refs per call, got 201"
    assert health.json() == {"status": "ok"}
