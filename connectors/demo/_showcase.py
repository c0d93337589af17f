"""The fixed part of the demo world: the forces, the day it stops, and the showcase people.

The showcase people are written by hand, each with what every force holding them records: its spelling of
their name, its addresses, markers, intelligence, custody and referrals. Every generated data set holds them
under nominal refs 1-99, for the README and the end-to-end tests. The record shapes (`Marker`, `Intel`,
`Custody`, `Referral`) are also what the generator in `_generate.py` draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from connectors.demo import _names as v
from connectors.pnc import format_pnc_id

__all__ = [
    "FORCES",
    "REFERENCE_TIME",
    "SHOWCASE",
    "SHOWCASE_COPIES",
    "Copy",
    "Custody",
    "ForceInfo",
    "Intel",
    "Marker",
    "Referral",
    "ShowcasePerson",
]

#: The day the synthetic world stops: nothing happens after it, so records do not depend on today's date.
REFERENCE_TIME = datetime(2025, 6, 30, 12, 0)


@dataclass(frozen=True, slots=True)
class ForceInfo:
    """A demo force: its short name (the partner name), its title and its nominal ref prefix."""

    name: str
    title: str
    ref_prefix: str

    def ref(self, number: int, kind: str = "") -> str:
        """The force's ref for record `number`: nominals `NS000123`, other records `NSINT0000123`."""
        return f"{self.ref_prefix}{number:06d}" if not kind else f"{self.ref_prefix}{kind}{number:07d}"


FORCES: dict[str, ForceInfo] = {
    f.name: f
    for f in (
        ForceInfo("northshire", "Northshire Police", "NS"),
        ForceInfo("southmoor", "Southmoor Constabulary", "SM-"),
        ForceInfo("eastvale", "Eastvale Police", "EV"),
    )
}


@dataclass(frozen=True, slots=True)
class ShowcasePerson:
    """A fixed person present in every generated data set, for the README and end-to-end tests.

    Attributes:
        given_name: the given name as the person is really called (a force may spell it differently).
        family_name: the family name, as stored.
        date_of_birth: the same in every force.
        pnc_id: the person's PNC ID, or None if no force holds one.
        forces: the forces holding a record of the person.
        note: why the person is interesting.
        refs: the person's nominal ref in each force, in the order of `forces`.
        gender: `M` or `F`.
    """

    given_name: str
    family_name: str
    date_of_birth: date
    pnc_id: str | None
    forces: tuple[str, ...]
    note: str
    refs: tuple[str, ...]
    gender: str

    def ref(self, force: str) -> str:
        """The person's nominal ref in `force` (KeyError if that force does not hold them)."""
        try:
            return self.refs[self.forces.index(force)]
        except ValueError:
            raise KeyError(force) from None


class Marker(NamedTuple):
    """A warning marker, as a row of `warning_signal`."""

    code: str
    text: str
    raised_on: date


class Intel(NamedTuple):
    """An intelligence log entry: 3x5x2 grading, handling conditions if any, summary and full text."""

    source: str
    grade: str
    handling: str
    conditions: str | None
    summary: str
    full: str
    logged_at: datetime


class Custody(NamedTuple):
    """A detention: `released_at` and `disposal` are None while the person is still held."""

    suite: str
    arrested_at: datetime
    reason: str
    authorised_by: str
    released_at: datetime | None
    disposal: str | None
    risk_flags: str | None
    offences: tuple[tuple[str, str], ...]


class Referral(NamedTuple):
    """A vulnerability referral; `children_present` is None where the question does not arise."""

    kind: str
    occurred_at: datetime
    children_present: bool | None
    summary: str


@dataclass(frozen=True, slots=True)
class Copy:
    """One force's record of a showcase person: how it names them and what it knows."""

    forenames: str
    has_pnc: bool
    address: tuple[str, str | None, str, str]
    aliases: tuple[tuple[str, str | None], ...] = ()
    markers: tuple[Marker, ...] = ()
    intel: tuple[Intel, ...] = ()
    custody: tuple[Custody, ...] = ()
    referrals: tuple[Referral, ...] = ()
    nationality: str = "British"
    cro: str | None = None


#: Each force's showcase people, in ref order, with that force's copy of them; `_showcase` fills it.
SHOWCASE_COPIES: dict[str, list[tuple[ShowcasePerson, Copy]]] = {name: [] for name in FORCES}


def _showcase(
    number: int,
    name: tuple[str, str, date],
    pnc: str | None,
    gender: str,
    note: str,
    copies: dict[str, Copy],
) -> ShowcasePerson:
    given, family, born = name
    forces = tuple(copies)
    refs = tuple(FORCES[force].ref(number) for force in forces)
    person = ShowcasePerson(given, family, born, pnc, forces, note, refs, gender)
    for force, copy in copies.items():
        SHOWCASE_COPIES[force].append((person, copy))
    return person


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# The records are laid out as forms, a few short fields a line: one field a line would hide the people.
# fmt: off
_DARREN_NOTE = (
    "In all three forces: PNC ID in Northshire and Southmoor (spelt 'Daren' there), none in Eastvale; "
    "firearms and violent markers, intelligence with handling conditions, custody (held now in Eastvale) "
    "and a domestic-abuse referral with children present."
)
_DARREN = {
    "northshire": Copy(
        "Darren",
        True,
        ("27 Tannery Lane", None, "Northam", "NS3 6QT"),
        aliases=(("Kilbride", "Daz"),),
        cro="318824/01D",
        markers=(
            Marker("VI", "Violent towards police on arrest", date(2012, 8, 14)),
            Marker(
                "FI", "Intelligence suggests access to a handgun; approach with caution", date(2024, 10, 22)
            ),
        ),
        intel=(
            Intel(
                "2", "B", "P", None,
                "Subject linked to the supply of crack cocaine in the Northam area.",
                "Information received that Darren KILBRIDE is supplying crack cocaine from an address on "
                "Tannery Lane, Northam. Customers attend in the evenings and deliveries are made in a black "
                "Audi A3, registration NX18 KLB.",
                _at("2023-02-14T10:20"),
            ),
            Intel(
                "1", "B", "C", v.HANDLING_CONDITIONS[0],
                "Subject reported to have access to a firearm.",
                "A reliable source reports that Darren KILBRIDE keeps a handgun wrapped in a towel in the "
                "loft of a relative's address in Hexley and has shown it to associates at the Red Lion, "
                "Northam.",
                _at("2024-10-21T16:05"),
            ),
        ),
        custody=(
            Custody(
                "Northam Custody Suite", _at("2023-03-04T01:15"),
                "On suspicion of assault occasioning actual bodily harm", "PS 2417 Hargreaves",
                _at("2023-03-04T19:40"), "CHARGED", "Violent to staff;Alcohol dependent",
                (("OF61016", "Assault occasioning actual bodily harm"), ("PU86004", "Threatening behaviour")),
            ),
            Custody(
                "Hexley Custody Centre", _at("2024-10-25T06:30"), "On suspicion of possession of a firearm",
                "PS 3180 Okoro", _at("2024-10-26T04:10"), "RUI", "Violent to staff",
                (("FI68001", "Possess a firearm without a certificate"),),
            ),
        ),
        referrals=(
            Referral(
                "DA", _at("2024-11-03T23:40"), True,
                "Assault on partner at the home address after an argument; two children (aged 4 and 7) "
                "present. DASH risk high.",
            ),
        ),
    ),
    "southmoor": Copy(
        "Daren",
        True,
        ("Flat 6, Heron Court", "Canal Street", "Moorcaster", "SM2 4JX"),
        markers=(Marker("VI", "Assaulted custody staff", date(2016, 7, 9)),),
        intel=(
            Intel(
                "2", "C", "P", None,
                "Subject associating with known offenders in Moorcaster.",
                "Daren KILBRIDE has been seen regularly with known drug suppliers at the Crown public house, "
                "Moorcaster, and was seen leaving in a black Audi A3.",
                _at("2020-06-11T14:45"),
            ),
        ),
        custody=(
            Custody(
                "Moorcaster Central Custody", _at("2021-08-21T23:05"), "On suspicion of affray",
                "PS 1942 Whitfield", _at("2021-08-22T14:30"), "CAUTION", None, (("PU86001", "Affray"),),
            ),
        ),
    ),
    "eastvale": Copy(
        "Darren",
        False,
        ("4 Wharf Road", None, "Stowbridge", "EV5 2NP"),
        markers=(Marker("WE", "Known to carry a knife", date(2025, 6, 29)),),
        custody=(
            Custody(
                "Stowbridge Police Station", _at("2025-06-29T22:40"),
                "On suspicion of possession of a bladed article", "PS 2755 Lindqvist", None, None,
                "Violent to staff", (("CJ88001", "Possess a bladed article in a public place"),),
            ),
        ),
    ),
}
_CHLOE = {
    "northshire": Copy(
        "Chloe",
        False,
        ("12 Meadow Close", None, "Caldermouth", "NS8 3DF"),
        referrals=(
            Referral(
                "CP", _at("2021-02-11T09:30"), None,
                "School raised concerns about neglect and unexplained bruising; strategy discussion held "
                "with children's social care.",
            ),
            Referral(
                "MISS", _at("2023-09-16T22:10"), None,
                "Reported missing from home overnight; found in Hexley with older males; exploitation "
                "concerns raised.",
            ),
        ),
    ),
    "southmoor": Copy(
        "Chloe Louise",
        False,
        ("Flat 2, Larch House", "Fernhill Road", "Pendleford", "SM6 1RW"),
        aliases=(("Pritchard", "Chloe"),),
        referrals=(
            Referral(
                "MISS", _at("2024-03-02T18:45"), None,
                "Missing from care placement in Pendleford; located in Moorcaster by officers, return "
                "interview arranged.",
            ),
            Referral(
                "CP", _at("2024-03-05T11:00"), None,
                "Strategy meeting after missing episode; concerns about child criminal exploitation.",
            ),
        ),
    ),
}
_JAMIE = {
    "southmoor": Copy(
        "Jamie",
        False,
        ("88 Victoria Road", None, "Brackwater", "SM9 5TL"),
        markers=(Marker("DR", "Suspected supplier of Class A drugs", date(2019, 4, 20)),),
        custody=(
            Custody(
                "Brackwater Police Station", _at("2019-04-18T15:20"),
                "On suspicion of possession with intent to supply", "PS 1942 Whitfield",
                _at("2019-04-19T11:05"), "RUI", "Drug user",
                (
                    ("MD71201", "Possess with intent to supply Class A - crack cocaine"),
                    ("MD71231", "Possess a controlled drug of Class B - cannabis"),
                ),
            ),
        ),
    ),
    "eastvale": Copy(
        "Jamie Chidi",
        False,
        ("3 Kestrel Way", None, "Aldermouth", "EV2 8HU"),
        markers=(Marker("DR", "Known user of cannabis and cocaine", date(2022, 5, 10)),),
        custody=(
            Custody(
                "Aldermouth Custody Centre", _at("2022-05-07T20:50"),
                "On suspicion of possession of cannabis", "PS 4410 Brennan", _at("2022-05-08T02:15"),
                "CAUTION", None,
                (("MD71231", "Possess a controlled drug of Class B - cannabis"),),
            ),
        ),
    ),
}
_MARGARET = {
    "northshire": Copy(
        "Margaret",
        True,
        ("41 Gladstone Terrace", None, "Ashby Bridge", "NS11 2PB"),
        aliases=(("Doyle", "Margaret"),),
        nationality="Irish",
        markers=(
            Marker(
                "MN",
                "Detained under s136 Mental Health Act several times; may become distressed if restrained",
                date(2018, 2, 3),
            ),
        ),
        referrals=(
            Referral(
                "MISS", _at("2022-01-14T08:20"), None,
                "Reported missing by family after leaving a mental health ward; located by officers in "
                "Caldermouth.",
            ),
        ),
    ),
}
_KATHERINE = {
    "northshire": Copy(
        "Katherine",
        True,
        ("9 Orchard Grove", None, "Northam", "NS2 7GA"),
        custody=(
            Custody(
                "Northam Custody Suite", _at("2016-11-02T10:15"), "On suspicion of handling stolen goods",
                "PS 2417 Hargreaves", _at("2016-11-02T18:30"), "NFA", None,
                (("TH68043", "Handling stolen goods"),),
            ),
        ),
    ),
    "eastvale": Copy(
        "Kate",
        True,
        ("17 Heron Drive", None, "Fenwick Market", "EV7 3AB"),
        aliases=(("Pryce", "Katherine"),),
        intel=(
            Intel(
                "2", "C", "C", v.HANDLING_CONDITIONS[3],
                "Subject suspected of involvement in courier fraud.",
                "Information suggests Kate ASHWORTH collects cash from elderly victims of courier fraud in "
                "Stowbridge for an organised group, using a silver Vauxhall Corsa, registration EV19 TKA.",
                _at("2024-04-09T14:00"),
            ),
        ),
    ),
}

SHOWCASE: tuple[ShowcasePerson, ...] = (
    _showcase(
        1, ("Darren", "Kilbride", date(1984, 3, 12)), format_pnc_id(2001, 318824), "M", _DARREN_NOTE, _DARREN
    ),
    _showcase(
        2, ("Chloe", "Marsh", date(2008, 6, 30)), None, "F",
        "A child known to two forces through child-protection referrals and missing episodes, with no PNC ID "
        "and no intelligence; Southmoor adds a middle name and her stepfather's surname as an alias.",
        _CHLOE,
    ),
    _showcase(
        3, ("Jamie", "Okafor", date(1995, 11, 2)), None, "M",
        "In Southmoor and Eastvale with no PNC ID in either, so only name and date of birth match him; "
        "drugs markers and custody in both.",
        _JAMIE,
    ),
    _showcase(
        4, ("Margaret", "O'Brien", date(1961, 1, 20)), format_pnc_id(1989, 207731), "F",
        "Only in Northshire: a mental-health marker (special-category health data) and her maiden name "
        "Doyle as an alias.",
        _MARGARET,
    ),
    _showcase(
        5, ("Katherine", "Ashworth", date(1979, 9, 14)), format_pnc_id(2006, 551902), "F",
        "Katherine in Northshire, Kate (maiden name Pryce) in Eastvale: only the PNC ID says they are one "
        "person; intelligence with handling conditions in Eastvale.",
        _KATHERINE,
    ),
)
# fmt: on
