"""Acronyms a brief defines ("Chief of Space Operations (CSO)"), so that a question that uses one form matches a
sentence that uses the other.

>>> {a: sorted(exp) for a, exp in acronyms("The Chief of Space Operations (CSO) testified.").items()}
{'cso': ['chief', 'oper', 'space']}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from assistant.models import BriefMeta
from assistant.text import content_terms, stem, terms_of, words

# "Chief of Space Operations (CSO)", "Integrated Fire Protection Capability (IFPC)": a defined acronym
ACRONYM = re.compile(r"((?:[A-Z][\w’'-]*(?:\.\w+)*\.?(?:\s+(?:of|and|for|the|on|in|to|&))*\s+){1,7}[A-Z][\w’'-]*)\s+\(([A-Z][A-Za-z0-9&]{1,9}(?: [A-Z][A-Za-z0-9&]{1,9})?)\)")


# abbreviations every reader knows, which briefs use without defining them: a sentence saying "the United States"
# also says "U.S." (as the phrase, not its words apart: "each state has one unit" does not)
COMMON_NAMES: list[tuple[str, re.Pattern[str]]] = [
    (content_terms(abbreviation)[0], re.compile(rf"\b{name}\b"))
    for abbreviation, name in (("U.S.", "United States"), ("U.K.", "United Kingdom"), ("U.N.", "United Nations"),
                               ("EU", "European Union"))
]


def common_names(sentence: str) -> set[str]:
    """The abbreviations (as terms) of the well-known names the sentence spells out."""
    return {abbreviation for abbreviation, name in COMMON_NAMES if name.search(sentence)}


def acronyms(text: str) -> dict[str, frozenset[str]]:
    """The acronyms a text defines, as ``{acronym term: expansion terms}``. An acronym counts only when its letters
    are the initials of the words just before it ("Space Force (USSF)" does not define USSF from "Space Force"; "U.S.
    Space Force (USSF)" does)."""
    out: dict[str, frozenset[str]] = {}
    for m in ACRONYM.finditer(text):
        acro = m.group(2)[:-1] if m.group(2).endswith("s") and m.group(2)[-2].isupper() else m.group(2)
        letters = "".join(ch for ch in acro if ch.isupper())
        expansion = _expansion(m.group(1), letters)
        if expansion:
            out[stem(acro.split()[-1].lower())] = expansion  # "F2F HICs" is found as "HICs"
    return out


def _expansion(before: str, letters: str) -> frozenset[str]:
    """The words just before an acronym whose initials spell it: capitalised words ("Chief of Space Operations"),
    all words ("Department of Defense" for DOD) or hyphen parts too ("Low-Income Home Energy" for LIHE…)."""
    if len(letters) < 2:
        return frozenset()
    found = words(before)
    for candidates in (
        [w for w in found if w[0].isupper()],
        found,
        [p for w in found for p in w.split("-") if p and p[0].isupper()],
    ):
        for k in range(1, min(len(letters), len(candidates)) + 1):
            tail = candidates[-k:]
            spelled = "".join(_initials(w) for w in tail).upper()
            if spelled == letters:
                return frozenset(content_terms(" ".join(tail)))
            if len(spelled) >= len(letters):
                break
    return frozenset()


def _initials(word: str) -> str:
    """What a word gives an acronym: its first letter, or every capital of a dotted abbreviation ("U.S." in "U.S.
    Geological Survey (USGS)")."""
    if "." in word.rstrip(".") and len(word) <= 6:
        return "".join(ch for ch in word if ch.isupper()) or word[0]
    return word[0]


def with_aliases(terms: frozenset[str], aliases: dict[str, frozenset[str]]) -> frozenset[str]:
    """``terms`` plus each defined acronym whose expansion it contains, and each expansion whose acronym it
    contains, so that "CSO" in a question matches "Chief of Space Operations" in a sentence and back."""
    extra = {a for a, exp in aliases.items() if exp <= terms} | {t for a, exp in aliases.items() if a in terms for t in exp}
    return terms | extra if extra else terms


SUBJECT_TITLES = 3  # a name more titles than this are about ("Congress", "House") is a topic, not one brief's subject


@lru_cache(maxsize=8192)
def title_subject(title: str) -> frozenset[str]:
    """The terms of what a title is about: its words before the colon ("The U.S. Geological Survey (USGS)" of "…: FY2027
    Budget Request"), with the acronyms they define."""
    head = title.split(":", 1)[0]
    return with_aliases(frozenset(terms_of(head)), acronyms(head))


def briefs_about(terms: set[str], briefs: Mapping[str, BriefMeta]) -> set[str]:
    """The briefs whose title is about every one of ``terms`` (a name: "USGS", "Fish and Wildlife Service"); none when
    more than ``SUBJECT_TITLES`` titles are."""
    if not terms:
        return set()
    found = {b.id for b in briefs.values() if terms <= title_subject(b.title)}
    return found if len(found) <= SUBJECT_TITLES else set()
