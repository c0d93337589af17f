"""Name matching: how alike two people's names are, whatever the systems that recorded them.

`name_similarity` compares normalised names (`normalise_name`): 0.6 x family-name score + 0.4 x given-name
score, each string score being the mean of Jaro-Winkler and Indel similarity (rapidfuzz) so that short
names one letter apart ("Smith"/"Smart") do not look alike while typical typos ("Daren"/"Darren",
"Jon"/"John") do. Given names also match by shared first letter for an initial (0.9), by a table of common
diminutives ("Bill"/"William", 0.95) and by token sets (middle names omitted); a missing given name scores
0.7, so an exact family name with the same date of birth still links. Family and given names swapped
between systems score 0.95 x the weaker of the two crossed comparisons.

Entity resolution (`hub.federation.resolution`, which re-exports the public names) decides what a score
means; `match_score` lets it settle most pairs by family name alone.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel, JaroWinkler

from connectors.canonical import PersonName

__all__ = ["NameKey", "match_score", "name_key", "name_similarity", "normalise_name"]

_FAMILY_WEIGHT = 0.6
_GIVEN_WEIGHT = 0.4
_MISSING_GIVEN_SCORE = 0.7
_INITIAL_SCORE = 0.9
_DIMINUTIVE_SCORE = 0.95
_SWAPPED_FACTOR = 0.95

#: A name as matching sees it: normalised (family name, given name or "").
NameKey = tuple[str, str]

_APOSTROPHES = re.compile("['\u2018\u2019\u02bc\u02bb`\u00b4\u2032]")
_NON_WORD = re.compile(r"[\W_]+")
# Letters that Unicode does not decompose into a base letter and an accent (Polish ł, Danish ø, ...).
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "\u0131": "i"}
)

# Common British given names and their diminutives: no string metric sees that Bill is William.
_DIMINUTIVES = """
john jon jonathan jack johnny | william will bill billy liam | robert rob bob bobby robbie
richard rich rick ricky dick | james jim jimmy jamie | michael mike mick mickey | anthony tony ant
christopher chris kit | daniel dan danny | david dave davy | edward ed eddie ted ned | thomas tom tommy
joseph joe joey | benjamin ben benny | samuel sam sammy | stephen steven steve stevie | andrew andy drew
alexander alex alec sandy | matthew matt | nicholas nick nicky | peter pete | patrick pat paddy
charles charlie chas chuck | henry harry hal | francis frank | frederick fred freddie | gerald gerry jerry
kenneth ken kenny | lawrence laurence larry | leonard len lenny | raymond ray | ronald ron ronnie
terence terry | timothy tim | elizabeth liz lizzie beth betty eliza libby | margaret maggie meg peggy
catherine katherine kate katie cathy kathy | susan sue susie | jennifer jen jenny | rebecca becky becca
victoria vicky vikki tori | deborah debbie deb | patricia pat patty trish | alexandra alex lexie
jessica jess jessie | samantha sam | christine chris chrissie | nicola nicky nikki | jacqueline jackie
"""
_GROUPS: dict[str, frozenset[int]] = {}
for _number, _group in enumerate(_DIMINUTIVES.replace("\n", " ").split("|")):
    for _name in _group.split():
        _GROUPS[_name] = _GROUPS.get(_name, frozenset()) | {_number}


def _strip_marks(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.category(c).startswith("M")
    )


@functools.lru_cache(maxsize=65536)
def normalise_name(text: str) -> str:
    """A name reduced to what matching compares: "Zoë O'Brien-Smith " becomes "zoe obrien smith".

    Case-folded, accents stripped, apostrophes removed, hyphens and other punctuation turned into spaces,
    whitespace collapsed. Idempotent. Cached: a search compares the same few names many times over.
    """
    text = _APOSTROPHES.sub("", text)
    if text.isascii():
        # Nothing to decompose: skip the Unicode work, which dominates merging otherwise.
        return _NON_WORD.sub(" ", text.casefold()).strip()
    # Decompose both before and after case folding: each step can produce what the other must undo.
    text = _strip_marks(_strip_marks(text).casefold()).translate(_UNDECOMPOSED)
    text = _APOSTROPHES.sub("", text)
    return _NON_WORD.sub(" ", text).strip()


def _string_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    a, b = sorted((a, b))  # rapidfuzz's float rounding can differ by argument order; keep it symmetric
    return (JaroWinkler.normalized_similarity(a, b) + Indel.normalized_similarity(a, b)) / 2


def _token_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        return _INITIAL_SCORE if a[0] == b[0] else 0.0
    if _GROUPS.get(a, frozenset()) & _GROUPS.get(b, frozenset()):
        return _DIMINUTIVE_SCORE
    return _string_similarity(a, b)


def _given_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return _MISSING_GIVEN_SCORE
    a, b = sorted((a, b))
    subset = fuzz.token_set_ratio(a, b) / 100 if " " in a or " " in b else 0.0
    return max(_token_similarity(a.split()[0], b.split()[0]), _string_similarity(a, b), subset)


def _family_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    a, b = sorted((a, b))
    # A double-barrelled name recorded in part ("Smith Jones" / "Jones") is likely, not certain.
    subset = 0.95 * fuzz.token_set_ratio(a, b) / 100 if " " in a or " " in b else 0.0
    return max(_string_similarity(a, b), subset)


def _normalised_similarity(a: NameKey, b: NameKey) -> float:
    (family_a, given_a), (family_b, given_b) = a, b
    score = _FAMILY_WEIGHT * _family_similarity(family_a, family_b)
    score += _GIVEN_WEIGHT * _given_similarity(given_a, given_b)
    if given_a and given_b:
        swapped = min(_string_similarity(family_a, given_b), _string_similarity(given_a, family_b))
        score = max(score, _SWAPPED_FACTOR * swapped)
    return min(1.0, max(0.0, score))


def match_score(a: NameKey, b: NameKey, threshold: float) -> float:
    """The similarity when it may reach `threshold`, else 0.0: most pairs are settled by family name."""
    family = _family_similarity(a[0], b[0])
    if _FAMILY_WEIGHT * family + _GIVEN_WEIGHT >= threshold or (
        a[1] and b[1] and _SWAPPED_FACTOR * _string_similarity(a[0], b[1]) >= threshold
    ):
        return _normalised_similarity(a, b)
    return 0.0


def name_key(name: PersonName) -> NameKey:
    """The name as matching compares it: normalised (family name, given name or "")."""
    return normalise_name(name.family_name), normalise_name(name.given_name or "")


def name_similarity(a: PersonName, b: PersonName) -> float:
    """How alike two names are, from 0 (nothing in common) to 1 (the same once normalised). Symmetric."""
    return _normalised_similarity(name_key(a), name_key(b))
