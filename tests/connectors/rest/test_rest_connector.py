"""The `rest` connector against Southmoor's real API on loopback, and against odd answers (MockTransport)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
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
from connectors.contract import Capability, Connector
from connectors.errors import (
    ConnectorConfigError,
    ConnectorError,
    PartnerBadResponse,
    PartnerTimeout,
    PartnerUnavailable,
)
from connectors.rest import RestConnector
from tests.connectors.rest.conftest import (
    CLIENT_ID,
    KILBRIDE_PNC,
    KILBRIDE_PNC_SHORT,
    SECRET,
    Southmoor,
    config,
)

EVERYONE = ["SM-000001", "SM-000002", "SM-000003", "SM-999999"]


# --- canonical records from the real partner -------------------------------------------------------------


def test_is_a_connector_offering_every_capability() -> None:
    connector = RestConnector(config("http://southmoor.test"))
    assert isinstance(connector, Connector)
    assert connector.kind == "rest" and connector.capabilities == frozenset(Capability) - {Capability.CHANGES}
    assert connector.title == "Southmoor Constabulary"


async def test_search_maps_nominals_to_canonical_people_with_aliases(connector: RestConnector) -> None:
    records = await connector.search_people(SearchCriteria(family_name="Kilbride"), 10)

    # O'Brien is found through his alias; the partner orders by nominal id.
    assert [r.record_id for r in records] == ["SM-000001", "SM-000002", "SM-000003"]
    aoife, sean, patrick = records
    assert aoife.partner == "southmoor"
    assert aoife.names == (PersonName("Kilbride", "Aoife Mary"), PersonName("Kelly", "Aoife", alias=True))
    assert aoife.date_of_birth == date(1990, 4, 12)
    assert aoife.gender is Gender.FEMALE and aoife.nationality == "Irish" and aoife.cro_number == "88/12C"
    assert aoife.pnc_id == KILBRIDE_PNC  # held in the short form, published in the canonical one
    assert aoife.addresses == (Address(("Flat 4", "9 Quay Street"), "Southmoor", "SM1 4QS"),)
    assert sean.pnc_id is None  # wrong check letter: a typo, not an identifier
    assert sean.gender is Gender.MALE
    assert patrick.names == (PersonName("O'Brien", "Patrick"), PersonName("Kilbride", "Pat", alias=True))
    assert patrick.gender is Gender.UNKNOWN and patrick.date_of_birth is None
    assert patrick.addresses == (Address(("2 Marsh Road",)),)


async def test_search_filters_by_given_name_date_of_birth_and_pnc_id(connector: RestConnector) -> None:
    by_name = await connector.search_people(SearchCriteria(family_name="kilbride", given_name="se"), 10)
    by_dob = await connector.search_people(
        SearchCriteria(family_name="Kilbride", date_of_birth=date(1990, 4, 12)), 10
    )
    by_pnc = await connector.search_people(SearchCriteria(pnc_id=KILBRIDE_PNC_SHORT), 10)
    assert [r.record_id for r in by_name] == ["SM-000002"]
    assert [r.record_id for r in by_dob] == ["SM-000001"]
    assert [r.record_id for r in by_pnc] == ["SM-000001"]
    assert await connector.search_people(SearchCriteria(family_name="Zzyzxqwv"), 10) == []


async def test_search_follows_pages_until_the_limit(southmoor: Southmoor) -> None:
    async with RestConnector(config(southmoor.url, page_size=1)) as connector:
        everyone = await connector.search_people(SearchCriteria(family_name="Kilbride"), 10)
        assert [r.record_id for r in everyone] == ["SM-000001", "SM-000002", "SM-000003"]
        assert southmoor.kinds() == ["search"] * 3
        southmoor.app.state.log.clear()

        two = await connector.search_people(SearchCriteria(family_name="Kilbride"), 2)
        assert [r.record_id for r in two] == ["SM-000001", "SM-000002"]
        assert southmoor.kinds() == ["search"] * 2  # no page fetched beyond the limit


async def test_search_without_surname_or_pnc_id_asks_the_partner_nothing(
    connector: RestConnector, southmoor: Southmoor
) -> None:
    assert await connector.search_people(SearchCriteria(given_name="Aoife"), 10) == []
    assert await connector.search_people(SearchCriteria(family_name="Kilbride"), 0) == []
    assert southmoor.kinds() == []


async def test_get_people_returns_known_ids_only(connector: RestConnector, southmoor: Southmoor) -> None:
    people = await connector.get_people(EVERYONE)
    assert set(people) == {"SM-000001", "SM-000002", "SM-000003"}
    assert people["SM-000001"].names[0] == PersonName("Kilbride", "Aoife Mary")
    assert southmoor.kinds() == ["people"]


async def test_each_batch_of_records_is_one_request_per_kind(
    connector: RestConnector, southmoor: Southmoor
) -> None:
    markers = await connector.get_markers(EVERYONE)
    intelligence = await connector.get_intelligence(EVERYONE)
    custody = await connector.get_custody(EVERYONE)
    safeguarding = await connector.get_safeguarding(EVERYONE)

    assert southmoor.kinds() == ["markers", "intelligence", "custody", "safeguarding"]
    assert set(markers) == {"SM-000001", "SM-000002"}
    assert set(intelligence) == {"SM-000001", "SM-000002"}
    assert set(custody) == {"SM-000001", "SM-000002"}
    assert set(safeguarding) == {"SM-000001", "SM-000003"}


async def test_empty_batches_ask_the_partner_nothing(connector: RestConnector, southmoor: Southmoor) -> None:
    assert await connector.get_people([]) == {}
    assert await connector.get_markers([]) == {}
    assert southmoor.kinds() == []


async def test_markers_and_intelligence_are_translated(connector: RestConnector) -> None:
    markers = await connector.get_markers(["SM-000001"])
    assert [(m.code, m.description, m.added_on) for m in markers["SM-000001"]] == [
        (MarkerCode.VI, "Violent", date(2020, 5, 1)),
        (MarkerCode.SU, "Suicidal", None),
    ]
    assert all(m.partner == "southmoor" for m in markers["SM-000001"])

    intelligence = await connector.get_intelligence(["SM-000001", "SM-000002"])
    [graded_1ap] = intelligence["SM-000001"]
    assert (graded_1ap.source_evaluation, graded_1ap.assessment, graded_1ap.handling) == (
        SourceEvaluation.RELIABLE,
        Assessment.KNOWN_DIRECTLY,
        Handling.LAWFUL_SHARING_PERMITTED,
    )
    assert graded_1ap.id == "SMI-1" and graded_1ap.summary == "Seen at the docks"
    assert graded_1ap.content == "Seen at the docks with a known dealer, 22:10"
    assert graded_1ap.classification == "OFFICIAL-SENSITIVE"
    assert graded_1ap.recorded_at == datetime(2024, 3, 2, 22, 40)
    [graded_3ec] = intelligence["SM-000002"]
    assert (graded_3ec.source_evaluation, graded_3ec.assessment, graded_3ec.handling) == (
        SourceEvaluation.NOT_RELIABLE,
        Assessment.SUSPECTED_FALSE,
        Handling.SHARING_WITH_CONDITIONS,
    )
    assert graded_3ec.handling_conditions == "Not for partner agencies" and graded_3ec.content is None


async def test_custody_and_safeguarding_are_translated(connector: RestConnector) -> None:
    custody = await connector.get_custody(["SM-000001", "SM-000002"])
    [charged] = custody["SM-000001"]
    assert charged.id == "SMC-1" and charged.custody_number == "SM/24/0001"
    assert charged.station == "Southmoor Central" and charged.arrest_reason == "Assault"
    assert charged.arrested_at == datetime(2024, 1, 5, 23, 15) and charged.released_at == datetime(
        2024, 1, 6, 11
    )
    assert charged.outcome is CustodyOutcome.CHARGED and charged.detention_authorised_by == "PS 4411 Hale"
    assert charged.risk_flags == ("SELF_HARM", "VIOLENT")
    assert charged.offences == (Offence("CJ88116", "Assault by beating"), Offence("PU86001", "Affray"))
    [detained] = custody["SM-000002"]
    assert detained.outcome is CustodyOutcome.IN_CUSTODY and detained.released_at is None
    assert detained.offences == () and detained.risk_flags == ()

    safeguarding = await connector.get_safeguarding(["SM-000001", "SM-000003"])
    [incident] = safeguarding["SM-000001"]
    assert incident.kind is SafeguardingKind.DOMESTIC_ABUSE_INCIDENT and incident.children_present is True
    assert (
        incident.occurred_at == datetime(2023, 11, 4, 19, 30) and incident.summary == "Argument with partner"
    )
    assert incident.contact_point == "Southmoor MASH, 01632 960123"
    [missing] = safeguarding["SM-000003"]
    assert missing.kind is SafeguardingKind.MISSING_EPISODE and missing.children_present is None


async def test_more_ids_than_the_partner_takes_are_chunked(
    connector: RestConnector, southmoor: Southmoor
) -> None:
    ids = ["SM-000002", *(f"SM-{n:06d}" for n in range(100, 349)), "SM-000001"]
    markers = await connector.get_markers(ids)
    assert set(markers) == {"SM-000001", "SM-000002"}
    assert southmoor.kinds() == ["markers"] * 3  # 251 ids, 100 a request


async def test_health_answers(connector: RestConnector) -> None:
    await connector.health()


# --- tokens ----------------------------------------------------------------------------------------------


async def test_one_token_serves_many_calls(connector: RestConnector, southmoor: Southmoor) -> None:
    # Concurrent first calls share one token fetch rather than racing for one each.
    await asyncio.gather(
        connector.get_markers(EVERYONE), connector.get_custody(EVERYONE), connector.get_people(EVERYONE)
    )
    await connector.search_people(SearchCriteria(family_name="Kilbride"), 10)
    await connector.get_safeguarding(EVERYONE)
    assert southmoor.tokens_issued == 1


async def test_an_expired_token_is_replaced_before_use(start_southmoor: Callable[..., Southmoor]) -> None:
    southmoor = start_southmoor(token_ttl=1)
    async with RestConnector(config(southmoor.url, token_leeway=0)) as connector:
        await connector.get_markers(EVERYONE)
        assert southmoor.tokens_issued == 1
        # Not asserting reuse within the second: authlib keeps expiry in whole seconds, so a 1 s token may
        # be replaced early. Reuse is what test_one_token_serves_many_calls shows.
        await asyncio.sleep(1.2)
        assert await connector.get_markers(EVERYONE)
    assert southmoor.tokens_issued == 2
    assert southmoor.kinds() == ["markers"] * 2  # replaced before it was sent: no call refused


async def test_a_token_the_partner_rejects_is_replaced_and_the_call_retried_once(
    connector: RestConnector, southmoor: Southmoor
) -> None:
    await connector.get_markers(EVERYONE)
    southmoor.app.state.tokens.revoke_all()
    assert await connector.get_markers(EVERYONE)
    assert southmoor.tokens_issued == 2
    assert southmoor.kinds() == ["markers"] * 3  # the refused call, then its retry


async def test_a_wrong_client_secret_is_unavailable_without_the_secret_in_the_message(
    southmoor: Southmoor,
) -> None:
    wrong = "not-the-s3cret-at-all"
    async with RestConnector(config(southmoor.url, client_secret=wrong)) as connector:
        with pytest.raises(PartnerUnavailable) as caught:
            await connector.get_markers(EVERYONE)
    assert type(caught.value) is PartnerUnavailable
    assert "invalid_client" in str(caught.value)
    assert wrong not in str(caught.value) and SECRET not in str(caught.value)
    assert southmoor.kinds() == []


# --- failures at the real partner -----------------------------------------------------------------------


async def test_a_stopped_partner_is_unavailable(southmoor: Southmoor) -> None:
    async with RestConnector(config(southmoor.url)) as connector:
        await connector.health()
        await connector.get_markers(EVERYONE)
        southmoor.server.stop()
        for call in (connector.health(), connector.get_markers(EVERYONE)):
            with pytest.raises(PartnerUnavailable) as caught:
                await call
            assert type(caught.value) is PartnerUnavailable
            assert caught.value.partner == "southmoor"


async def test_a_malformed_answer_is_a_bad_response(connector: RestConnector, southmoor: Southmoor) -> None:
    southmoor.app.state.faults.mode = "malformed"
    with pytest.raises(PartnerBadResponse, match="not JSON"):
        await connector.get_markers(EVERYONE)


async def test_a_server_error_is_unavailable(connector: RestConnector, southmoor: Southmoor) -> None:
    southmoor.app.state.faults.mode = "error"
    with pytest.raises(PartnerUnavailable, match="HTTP 500"):
        await connector.search_people(SearchCriteria(family_name="Kilbride"), 10)


async def test_a_slow_partner_times_out(southmoor: Southmoor) -> None:
    async with RestConnector(config(southmoor.url, timeout=0.3)) as connector:
        await connector.get_markers(EVERYONE)  # the token is fetched while the partner is quick
        southmoor.app.state.faults.latency_ms = 1000
        with pytest.raises(PartnerTimeout, match=r"0\.3s"):
            await connector.get_custody(EVERYONE)


# --- odd answers (MockTransport) ------------------------------------------------------------------------

TOKEN = {"access_token": "tok-123", "token_type": "Bearer", "expires_in": 300}
NOMINAL: dict[str, Any] = {
    "nominalId": "SM-1",
    "lastName": "Kilbride",
    "firstNames": None,
    "aka": [],
    "addresses": [],
}


def _page(*items: Any) -> dict[str, Any]:
    return {"status": "ok", "result": {"items": list(items), "page": 1, "perPage": 50, "totalPages": 1}}


Handler = Callable[[httpx.Request], httpx.Response]


def _partner(api: Handler, token: Handler | None = None) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return token(request) if token else httpx.Response(200, json=TOKEN)
        return api(request)

    return handle


async def _mocked(handler: Handler) -> AsyncIterator[RestConnector]:
    transport = httpx.MockTransport(handler)
    async with RestConnector(config("https://southmoor.test"), transport=transport) as connector:
        yield connector


def _answer(body: Any) -> Handler:
    return lambda request: httpx.Response(200, json=body)


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("get_people", ["not", "an", "envelope"]),
        ("get_people", {"items": [NOMINAL]}),
        ("get_people", {"status": "error", "result": {}}),
        ("get_people", {"status": "ok", "result": {"items": {}, "page": 1, "totalPages": 1}}),
        ("get_people", {"status": "ok", "result": {"items": [], "page": "1", "totalPages": 1}}),
        ("get_people", _page(NOMINAL | {"lastName": 42})),
        ("get_people", _page(NOMINAL | {"sex": "X"})),
        ("get_people", _page(NOMINAL | {"dateOfBirth": "12/04/1990"})),
        ("get_people", _page(NOMINAL | {"aka": [{"firstNames": "Aoife"}]})),
        ("get_people", _page("SM-1")),
        ("get_markers", _page({"nominalId": "SM-1", "code": "ZZ", "text": "Unknown"})),
        ("get_markers", _page({"code": "VI", "text": "Violent"})),
        ("get_intelligence", _page({"nominalId": "SM-1", "logRef": "L", "summary": "s",
                                    "grading": {"source": "4", "intel": "A", "handling": "P"}})),
        ("get_custody", _page({"nominalId": "SM-1", "custodyRef": "C", "custodyNo": "N", "suite": "S",
                               "arrested": None, "reason": "R", "riskFlags": [], "offences": []})),
        ("get_custody", _page({"nominalId": "SM-1", "custodyRef": "C", "custodyNo": "N", "suite": "S",
                               "arrested": "2024-01-01T10:00:00", "reason": "R", "disposal": "HANGED",
                               "riskFlags": [], "offences": []})),
        ("get_safeguarding", _page({"nominalId": "SM-1", "referralRef": "R", "type": "DA",
                                    "when": "2024-01-01", "summary": "s", "childrenPresent": "yes"})),
    ],
)  # fmt: skip
async def test_an_answer_of_the_wrong_shape_is_a_bad_response(method: str, body: Any) -> None:
    async for connector in _mocked(_partner(_answer(body))):
        with pytest.raises(PartnerBadResponse):
            await getattr(connector, method)(["SM-1"])


async def test_records_about_people_not_asked_for_are_dropped() -> None:
    other = {"nominalId": "SM-2", "code": "VI", "text": "Violent"}
    async for connector in _mocked(_partner(_answer(_page(other)))):
        assert await connector.get_markers(["SM-1"]) == {}


@pytest.mark.parametrize(
    ("status", "error"), [(404, PartnerBadResponse), (400, PartnerBadResponse), (503, PartnerUnavailable),
                          (429, PartnerUnavailable)]
)  # fmt: skip
async def test_http_errors_are_translated(status: int, error: type[Exception]) -> None:
    body = {"status": "error", "error": {"code": "x", "message": "explained"}}
    async for connector in _mocked(_partner(lambda request: httpx.Response(status, json=body))):
        with pytest.raises(error, match=f"HTTP {status}"):
            await connector.get_people(["SM-1"])


async def test_a_partner_that_refuses_every_token_is_asked_twice_then_unavailable() -> None:
    seen: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        return httpx.Response(401, json={"status": "error"}, headers=challenge)

    def token(request: httpx.Request) -> httpx.Response:
        seen.append("token")
        return httpx.Response(200, json=TOKEN)

    async for connector in _mocked(_partner(refuse, token)):
        with pytest.raises(PartnerUnavailable, match="401") as caught:
            await connector.get_markers(["SM-1"])
    assert seen == ["token", "/api/v2/warnings", "token", "/api/v2/warnings"]
    assert "tok-123" not in str(caught.value)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, text="down"),
        httpx.Response(200, text="<html>login</html>"),
        httpx.Response(200, json=["not", "a", "token"]),
        httpx.Response(200, json={"token_type": "Bearer"}),
        httpx.Response(200, json={"access_token": "t", "token_type": "mac"}),
        httpx.Response(200, json={"access_token": "t", "expires_in": "soon"}),
        httpx.Response(400, json={"error": "unsupported_grant_type"}),
    ],
)
async def test_a_failing_token_endpoint_is_unavailable(answer: httpx.Response) -> None:
    async for connector in _mocked(_partner(_answer(_page()), token=lambda request: answer)):
        with pytest.raises(PartnerUnavailable) as caught:
            await connector.get_markers(["SM-1"])
        assert type(caught.value) is PartnerUnavailable
        assert SECRET not in str(caught.value)


async def test_the_client_authenticates_with_http_basic_at_the_configured_token_url() -> None:
    seen: list[httpx.Request] = []

    def token(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=TOKEN)

    def api(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer tok-123"
        assert request.url.params["ids"] == "SM-1,SM-2"
        return httpx.Response(200, json=_page())

    transport = httpx.MockTransport(_partner(api, token))
    partner = config("https://southmoor.test/", token_url="https://southmoor.test/oauth/token")
    async with RestConnector(partner, transport=transport) as connector:
        await connector.get_people(["SM-1", "SM-2", "SM-1"])
    [request] = seen
    assert request.headers["authorization"].startswith("Basic ")
    assert dict(httpx.QueryParams(request.content.decode())) == {"grant_type": "client_credentials"}


# --- configuration --------------------------------------------------------------------------------------


def test_missing_settings_are_all_named_at_once() -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        RestConnector(config("", client_id=None, client_secret=""))
    message = str(caught.value)
    for key in ("connection.base_url", "connection.client_id", "connection.client_secret"):
        assert key in message
    assert "southmoor" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [("base_url", "ftp://southmoor.test"), ("token_url", "not a url"), ("page_size", 0), ("page_size", "ten"),
     ("page_size", 101), ("verify_tls", "yes"), ("token_leeway", -1), ("client_id", 7)],
)  # fmt: skip
def test_a_bad_setting_names_the_partner_the_key_and_the_value(key: str, value: Any) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        RestConnector(config("https://southmoor.test", **{key: value}))
    assert f"connection.{key}" in str(caught.value) and repr(value) in str(caught.value)
    assert "'southmoor'" in str(caught.value)


def test_a_mistyped_secret_is_named_but_never_echoed() -> None:
    with pytest.raises(ConnectorConfigError, match=r"connection\.client_secret") as caught:
        RestConnector(config("https://southmoor.test", client_secret=12345678))
    assert "12345678" not in str(caught.value)


def test_defaults_are_filled_in() -> None:
    settings = RestConnector(config("https://southmoor.test/")).settings
    assert settings.token_url == "https://southmoor.test/oauth/token"
    assert (settings.page_size, settings.verify_tls) == (50, True)
    assert SECRET not in repr(settings)


async def test_a_connector_used_before_open_says_so() -> None:
    with pytest.raises(ConnectorError, match="before open"):
        await RestConnector(config("https://southmoor.test")).get_markers(["SM-1"])


# --- the partner's own protocol -------------------------------------------------------------------------


async def _http(southmoor: Southmoor) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=southmoor.url) as client:
        yield client


async def _bearer(http: httpx.AsyncClient) -> dict[str, str]:
    token = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, SECRET)
    )
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_partner_token_endpoint_speaks_rfc_6749(southmoor: Southmoor) -> None:
    async for http in _http(southmoor):
        grant = {"grant_type": "client_credentials"}
        credentials = {"client_id": CLIENT_ID, "client_secret": SECRET}
        by_post = await http.post("/oauth/token", data=grant | credentials)
        assert by_post.status_code == 200 and by_post.headers["cache-control"] == "no-store"
        assert by_post.json()["token_type"] == "Bearer" and by_post.json()["expires_in"] == 300
        by_basic = await http.post("/oauth/token", data=grant, auth=(CLIENT_ID, SECRET))
        assert by_basic.status_code == 200
        assert by_basic.json()["access_token"] != by_post.json()["access_token"]

        wrong = await http.post("/oauth/token", data=grant, auth=(CLIENT_ID, "nope"))
        assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
        assert wrong.headers["www-authenticate"].startswith("Basic")
        other = await http.post("/oauth/token", data={"grant_type": "password"}, auth=(CLIENT_ID, SECRET))
        assert (other.status_code, other.json()["error"]) == (400, "unsupported_grant_type")
        bare = await http.post("/oauth/token", data={}, auth=(CLIENT_ID, SECRET))
        assert (bare.status_code, bare.json()["error"]) == (400, "invalid_request")
        both = await http.post("/oauth/token", data=grant | credentials, auth=(CLIENT_ID, SECRET))
        assert (both.status_code, both.json()["error"]) == (400, "invalid_request")
    assert southmoor.tokens_issued == 2


async def test_partner_api_requires_a_live_bearer_token(southmoor: Southmoor) -> None:
    async for http in _http(southmoor):
        missing = await http.get("/api/v2/warnings", params={"nominalIds": "SM-000001"})
        assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
        unknown = await http.get("/api/v2/warnings", params={"nominalIds": "SM-000001"},
                                 headers={"Authorization": "Bearer made-up"})  # fmt: skip
        assert unknown.status_code == 401 and 'error="invalid_token"' in unknown.headers["www-authenticate"]
        assert unknown.json()["status"] == "error"
    assert southmoor.kinds() == ["markers", "markers"]


@pytest.mark.parametrize(
    "query",
    [{}, {"forename": "Aoife"}, {"surname": "Kilbride", "per_page": "101"},
     {"surname": "Kilbride", "page": "0"}, {"surname": "Kilbride", "dob": "12/04/1990"},
     {"ids": ",".join(f"SM-{n:06d}" for n in range(101))},
     {"ids": "SM-000001", "surname": "Kilbride"}, {"ids": " , "}],
)  # fmt: skip
async def test_partner_answers_400_to_a_bad_query(southmoor: Southmoor, query: dict[str, str]) -> None:
    async for http in _http(southmoor):
        headers = await _bearer(http)
        answer = await http.get("/api/v2/nominals", params=query, headers=headers)
        assert answer.status_code == 400
        assert answer.json()["status"] == "error" and answer.json()["error"]["message"]


async def test_partner_search_pages_in_its_own_envelope(southmoor: Southmoor) -> None:
    async for http in _http(southmoor):
        headers = await _bearer(http)
        answer = await http.get("/api/v2/nominals", params={"surname": "Kilbride", "page": 2, "per_page": 2},
                                headers=headers)  # fmt: skip
        health = await http.get("/health")
    body = answer.json()
    assert body["status"] == "ok" and health.json() == {"status": "ok"}
    assert {k: v for k, v in body["result"].items() if k != "items"} == {
        "page": 2, "perPage": 2, "totalPages": 2, "totalItems": 3
    }  # fmt: skip
    [patrick] = body["result"]["items"]
    assert json.loads(json.dumps(patrick)) == {
        "nominalId": "SM-000003", "lastName": "O'Brien", "firstNames": "Patrick", "dateOfBirth": None,
        "sex": "U", "nationality": None, "pncRef": None, "croRef": None,
        "aka": [{"lastName": "Kilbride", "firstNames": "Pat"}],
        "addresses": [{"line1": "2 Marsh Road", "line2": None, "town": None, "postCode": None}],
    }  # fmt: skip
