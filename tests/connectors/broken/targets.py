"""Connectors for the conformance suite's own tests: one that is right, and some that are wrong in one way
each, as a connector author's first attempts are. Run as `--conformance-target` targets in a subprocess
(tests/connectors/test_broken_connectors.py); this module holds no tests itself."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import httpx

from connectors.canonical import MarkerCode, PersonName, PersonRecord, SearchCriteria, WarningMarker
from connectors.conformance import ConformanceSample, ConformanceTarget
from connectors.contract import BaseConnector, Capability, PartnerConfig
from connectors.errors import PartnerBadResponse, PartnerTimeout, PartnerUnavailable

PEOPLE = {
    "A1": ("Smith", "Alice", date(1980, 1, 2), "2001/0000123Y"),
    "A2": ("Smith", "Bob", date(1975, 5, 6), None),
}
MARKERS = {"A1": [("WE", "Weapons")], "A2": [("VI", "Violent")]}


class Healthy(BaseConnector):
    """Records in memory, or (at a URL) a partner API it reads with httpx, translating every failure."""

    kind = "memory"
    supported = frozenset({Capability.SEARCH, Capability.PEOPLE, Capability.MARKERS})

    def __init__(self, config: PartnerConfig, url: str | None = None) -> None:
        super().__init__(config)
        self.url, self.requests = url, 0
        self._client: httpx.AsyncClient | None = None

    async def open(self) -> None:
        if self.url is not None and self._client is None:
            self._client = httpx.AsyncClient(timeout=self.config.timeout)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def person(self, ref: str) -> PersonRecord:
        surname, forename, born, pnc = PEOPLE[ref]
        return PersonRecord(self.name, ref, (PersonName(surname, forename),), born, pnc_id=pnc)

    async def search_people(self, criteria: SearchCriteria, limit: int) -> list[PersonRecord]:
        self.requests += 1
        found = [
            self.person(ref)
            for ref, (surname, _, _, pnc) in PEOPLE.items()
            if surname.upper() == (criteria.family_name or "").upper() or (pnc and pnc == criteria.pnc_id)
        ]
        return found[:limit]

    async def get_people(self, ids: Sequence[str]) -> Mapping[str, Any]:
        if self.url is not None:
            await self.remote(ids)
        self.requests += 1
        return {ref: self.person(ref) for ref in ids if ref in PEOPLE}

    async def get_markers(self, ids: Sequence[str]) -> Mapping[str, Any]:
        self.requests += 1
        return {
            ref: [WarningMarker(self.name, MarkerCode(code), text) for code, text in MARKERS[ref]]
            for ref in ids
            if ref in MARKERS
        }

    async def remote(self, ids: Sequence[str]) -> Any:
        """The partner API call, every failure translated into a connectors.errors exception."""
        assert self._client is not None
        try:
            async with asyncio.timeout(self.config.timeout):
                response = await self._client.get(f"{self.url}/people", params={"ids": ",".join(ids)})
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise PartnerTimeout(self.name, "no answer in time") from exc
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(self.name, f"cannot reach the partner ({type(exc).__name__})") from exc
        if response.status_code in (401, 403) or response.status_code >= 500:
            raise PartnerUnavailable(self.name, f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise PartnerBadResponse(self.name, "not JSON") from exc
        if not isinstance(body, dict) or not isinstance(body.get("people"), list):
            raise PartnerBadResponse(self.name, "not a list of people")
        return body


class MissingIdsAsNone(Healthy):
    async def get_people(self, ids: Sequence[str]) -> Mapping[str, Any]:
        found = await super().get_people(ids)
        return {ref: found.get(ref) for ref in ids}


class WrongKind(Healthy):
    async def get_markers(self, ids: Sequence[str]) -> Mapping[str, Any]:
        self.requests += 1
        return {ref: [self.person(ref)] for ref in ids if ref in PEOPLE}


class BadCodes(Healthy):
    async def get_markers(self, ids: Sequence[str]) -> Mapping[str, Any]:
        self.requests += 1
        code: Any = "XX"  # the partner's own code, passed on as it is
        return {ref: [WarningMarker(self.name, code, "Its own code")] for ref in ids if ref in PEOPLE}


class LeaksHttpx(Healthy):
    async def remote(self, ids: Sequence[str]) -> Any:
        assert self._client is not None
        response = await self._client.get(f"{self.url}/people", params={"ids": ",".join(ids)})
        response.raise_for_status()
        return response.json()


class IgnoresCancellation(Healthy):
    async def remote(self, ids: Sequence[str]) -> Any:
        while True:
            try:
                return await super().remote(ids)
            except asyncio.CancelledError:
                await asyncio.sleep(5)  # "finish what was started": the hub has stopped waiting


def _target(cls: type[Healthy]) -> ConformanceTarget:
    made: list[Healthy] = []

    def connect() -> Healthy:
        made.append(cls(PartnerConfig(name="memory", kind="memory")))
        return made[-1]

    return ConformanceTarget(
        connect=connect,
        sample=ConformanceSample(family_name="Smith", known_ids=("A1", "A2"), pnc_id="2001/0000123Y"),
        at_url=lambda url, timeout: cls(PartnerConfig(name="memory", kind="memory", timeout=timeout), url),
        requests=lambda: sum(c.requests for c in made),
    )


def healthy() -> ConformanceTarget:
    return _target(Healthy)


def missing_ids_as_none() -> ConformanceTarget:
    return _target(MissingIdsAsNone)


def wrong_kind() -> ConformanceTarget:
    return _target(WrongKind)


def bad_codes() -> ConformanceTarget:
    return _target(BadCodes)


def leaks_httpx() -> ConformanceTarget:
    return _target(LeaksHttpx)


def ignores_cancellation() -> ConformanceTarget:
    return _target(IgnoresCancellation)
