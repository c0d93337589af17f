"""The `csv-export` connector kind: a partner whose records system publishes nightly CSV exports over HTTP.

The partner serves two files under `base_url`, behind an API key (`X-Api-Key`):

    people.csv    person_ref, surname, forenames, born (DD/MM/YYYY), sex (M/F/U), pnc, aliases
                  ("SURNAME, Forenames; ..."), address (one line), postcode
    custody.csv   custody_ref, person_ref, custody_no, suite, arrested (YYYY-MM-DD HH:MM), reason,
                  offences ("CODE: wording | ..."), released, outcome (CHARGED, BAILED, RUI, NFA, CAUTION or
                  empty while detained), authorised_by

A call fetches the file it needs with `If-None-Match`: the partner answers 304 until the next nightly
export, and the connector reads its copy. So a batch of any number of ids is one request, and a search or
a batch answers from an index by reference and by surname. Every failure becomes a `connectors` error:
the conformance suite (`csv_exports.testing`) checks that it does.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar, TypeVar

import httpx
from pydantic import SecretStr

from connectors import (
    Address,
    BaseConnector,
    Capability,
    ConnectionSettings,
    CustodyOutcome,
    CustodyRecord,
    Gender,
    HttpUrlText,
    Offence,
    PartnerBadResponse,
    PartnerConfig,
    PartnerTimeout,
    PartnerUnavailable,
    PersonName,
    PersonRecord,
    SearchCriteria,
    normalise_pnc_id,
)

__all__ = ["CsvExportConnector", "CsvExportSettings"]

T = TypeVar("T")

PEOPLE_COLUMNS = (
    "person_ref",
    "surname",
    "forenames",
    "born",
    "sex",
    "pnc",
    "aliases",
    "address",
    "postcode",
)
CUSTODY_COLUMNS = (
    "custody_ref", "person_ref", "custody_no", "suite", "arrested", "reason", "offences", "released",
    "outcome", "authorised_by",
)  # fmt: skip
_SEX = {"M": Gender.MALE, "F": Gender.FEMALE, "U": Gender.UNKNOWN, "": None}
_OUTCOME = {
    "CHARGED": CustodyOutcome.CHARGED,
    "BAILED": CustodyOutcome.BAILED,
    "RUI": CustodyOutcome.RELEASED_UNDER_INVESTIGATION,
    "NFA": CustodyOutcome.NO_FURTHER_ACTION,
    "CAUTION": CustodyOutcome.CAUTION,
}


class CsvExportSettings(ConnectionSettings):
    """`[partners.connection]` of a `csv-export` partner."""

    #: Where the partner publishes people.csv and custody.csv.
    base_url: HttpUrlText
    #: Sent as `X-Api-Key` with every request.
    api_key: SecretStr
    verify_tls: bool = True


class _Bad(ValueError):
    """A row the connector cannot read: the partner's bad data."""


@dataclass
class _Export:
    """One file as last fetched: its ETag and its rows, indexed."""

    etag: str | None = None
    by_ref: dict[str, list[dict[str, str]]] = field(default_factory=dict)


class CsvExportConnector(BaseConnector):
    """See the module docstring. People and custody by id, and search; nothing else is exported."""

    kind: ClassVar[str] = "csv-export"
    supported: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.SEARCH, Capability.PEOPLE, Capability.CUSTODY}
    )

    def __init__(self, config: PartnerConfig) -> None:
        super().__init__(config)
        self.settings = CsvExportSettings.from_config(config)
        self._client: httpx.AsyncClient | None = None
        self._exports: dict[str, _Export] = {}

    async def open(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.config.timeout,
                verify=self.settings.verify_tls,
                headers={"X-Api-Key": self.settings.api_key.get_secret_value(), "Accept": "text/csv"},
            )

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def health(self) -> None:
        await self._rows("people.csv", PEOPLE_COLUMNS, "person_ref")

    async def search_people(self, criteria: SearchCriteria, limit: int) -> list[PersonRecord]:
        if limit < 1 or not (criteria.family_name or criteria.pnc_id):
            return []
        people = await self._rows("people.csv", PEOPLE_COLUMNS, "person_ref")
        found = []
        for ref in sorted(people):
            person = self._person(people[ref][0])
            if criteria.family_name and criteria.family_name.strip().upper() not in {
                n.family_name.upper() for n in person.names
            }:
                continue
            if criteria.pnc_id and person.pnc_id != normalise_pnc_id(criteria.pnc_id):
                continue
            if criteria.date_of_birth and person.date_of_birth not in (None, criteria.date_of_birth):
                continue
            found.append(person)
        return found[:limit]

    async def get_people(self, ids: Sequence[str]) -> Mapping[str, PersonRecord]:
        if not ids:
            return {}
        people = await self._rows("people.csv", PEOPLE_COLUMNS, "person_ref")
        return {ref: self._person(people[ref][0]) for ref in dict.fromkeys(ids) if ref in people}

    async def get_custody(self, ids: Sequence[str]) -> Mapping[str, list[CustodyRecord]]:
        if not ids:
            return {}
        events = await self._rows("custody.csv", CUSTODY_COLUMNS, "person_ref")
        return {
            ref: [self._custody(row) for row in events[ref]] for ref in dict.fromkeys(ids) if ref in events
        }

    # ------------------------------------------------------------------------------------------ reading

    def _read(self, what: str, build: Callable[[dict[str, str]], T], row: dict[str, str]) -> T:
        try:
            return build(row)
        except (_Bad, ValueError, KeyError) as exc:
            raise PartnerBadResponse(self.name, f"{what}: {exc}") from exc

    def _person(self, row: dict[str, str]) -> PersonRecord:
        return self._read(f"people.csv, {row.get('person_ref')!r}", self._person_of, row)

    def _person_of(self, row: dict[str, str]) -> PersonRecord:
        names = [PersonName(_required(row, "surname").title(), row["forenames"].strip() or None)]
        for alias in filter(None, (a.strip() for a in row["aliases"].split(";"))):
            surname, _, forenames = alias.partition(",")
            names.append(PersonName(surname.strip().title(), forenames.strip() or None, alias=True))
        sex = row["sex"].strip().upper()
        if sex not in _SEX:
            raise _Bad(f"sex {sex!r} is not M, F or U")
        address = tuple(
            Address(lines=(row["address"].strip(),), postcode=row["postcode"].strip() or None)
            for _ in (1,)
            if row["address"].strip()
        )
        return PersonRecord(
            partner=self.name,
            record_id=_required(row, "person_ref"),
            names=tuple(names),
            date_of_birth=_uk_date(row["born"]),
            gender=_SEX[sex],
            # An invalid PNC ID in an export is a typo, not an identifier: it is left out.
            pnc_id=normalise_pnc_id(row["pnc"].strip() or None),
            addresses=address,
        )

    def _custody(self, row: dict[str, str]) -> CustodyRecord:
        return self._read(f"custody.csv, {row.get('custody_ref')!r}", self._custody_of, row)

    def _custody_of(self, row: dict[str, str]) -> CustodyRecord:
        outcome_code = row["outcome"].strip().upper()
        if outcome_code and outcome_code not in _OUTCOME:
            raise _Bad(f"outcome {outcome_code!r} is not one of {', '.join(_OUTCOME)}")
        released = _timestamp(row["released"])
        offences = []
        for offence in filter(None, (o.strip() for o in row["offences"].split("|"))):
            code, _, wording = offence.partition(":")
            offences.append(Offence(code.strip(), wording.strip()))
        return CustodyRecord(
            partner=self.name,
            id=_required(row, "custody_ref"),
            custody_number=_required(row, "custody_no"),
            station=_required(row, "suite"),
            arrested_at=_required_timestamp(row, "arrested"),
            arrest_reason=row["reason"].strip(),
            offences=tuple(offences),
            detention_authorised_by=row["authorised_by"].strip() or None,
            released_at=released,
            # An empty outcome and no release time: the person is still detained.
            outcome=_OUTCOME[outcome_code]
            if outcome_code
            else (None if released else CustodyOutcome.IN_CUSTODY),
        )

    # ----------------------------------------------------------------------------------------- fetching

    async def _rows(self, name: str, columns: Sequence[str], key: str) -> dict[str, list[dict[str, str]]]:
        """One export's rows by `key`, fetched again only if the partner has published a new one."""
        client = self._client
        if client is None:
            raise PartnerUnavailable(self.name, "the connector was used before open()", retriable=False)
        cached = self._exports.get(name, _Export())
        headers = {"If-None-Match": cached.etag} if cached.etag else {}
        url = f"{self.settings.base_url}/{name}"
        try:
            async with asyncio.timeout(self.config.timeout):
                response = await client.get(url, headers=headers)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise PartnerTimeout(self.name, f"GET {name}: no answer within {self.config.timeout:g}s") from exc
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(
                self.name, f"GET {name}: cannot reach the partner ({type(exc).__name__})"
            ) from exc
        status = response.status_code
        if status == 304 and cached.etag:
            return cached.by_ref
        if status in (401, 403):
            raise PartnerUnavailable(
                self.name, f"GET {name}: the partner refused the API key (HTTP {status})", retriable=False
            )
        if status >= 500 or status in (408, 429):
            raise PartnerUnavailable(self.name, f"GET {name}: HTTP {status} from the partner")
        if status != 200:
            raise PartnerBadResponse(self.name, f"GET {name}: HTTP {status} from the partner")
        if not response.headers.get("content-type", "").startswith("text/csv"):
            raise PartnerBadResponse(self.name, f"GET {name}: the answer is not CSV")
        by_ref = self._index(name, response.text, columns, key)
        self._exports[name] = _Export(response.headers.get("etag"), by_ref)
        return by_ref

    def _index(
        self, name: str, text: str, columns: Sequence[str], key: str
    ) -> dict[str, list[dict[str, str]]]:
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise PartnerBadResponse(self.name, f"{name}: the export has no column {', '.join(missing)}")
        by_ref: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in reader:
            if any(value is None for value in row.values()):
                raise PartnerBadResponse(self.name, f"{name}, line {reader.line_num}: too few fields")
            by_ref[row[key].strip()].append(row)
        return dict(by_ref)


def _required(row: dict[str, str], column: str) -> str:
    value = row[column].strip()
    if not value:
        raise _Bad(f"{column} is empty")
    return value


def _uk_date(text: str) -> date | None:
    """DD/MM/YYYY, as the partner's system writes dates; empty is unknown."""
    text = text.strip()
    return datetime.strptime(text, "%d/%m/%Y").date() if text else None


def _timestamp(text: str) -> datetime | None:
    text = text.strip()
    return datetime.strptime(text, "%Y-%m-%d %H:%M") if text else None


def _required_timestamp(row: dict[str, str], column: str) -> datetime:
    value = _timestamp(row[column])
    if value is None:
        raise _Bad(f"{column} is empty")
    return value
