"""Answer types: what kind of value a question asks for, and which sentences contain one.

A question's expected type comes from its interrogative and what follows it ("how much … cost" → amount, "how many"
→ number, "when" → date, "who builds" → organisation); a sentence has a type when it contains a value of that kind,
found by patterns over the sentence (amounts, percentages, counts, dates, durations, named people, organisations,
places). Patterns are deliberate: they run on a few dozen candidate sentences per question, in microseconds, and say
exactly why a sentence was judged to carry an answer.

>>> sorted(types_in("The Army requested $1.6 billion in FY2027 for 19 vehicles."))
['amount', 'date', 'number']
>>> expected_types("How much will each launcher cost?")
['amount']
"""

from __future__ import annotations

import re
from typing import Literal

AnswerType = Literal["amount", "percent", "number", "date", "duration", "person", "organisation", "place"]

MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan\.|Feb\.|Mar\.|Apr\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
NUM = r"\d[\d,]*(?:\.\d+)?"
SCALE = r"(?:\s?(?:thousand|million|billion|trillion|[mbkMBK]n?)\b)?"
NUMBER_WORD = (
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"hundred|dozen|dozens|hundreds|thousands|millions|several|a few)\b"
)
# Capitalised words that begin sentences or name months, days and institutions, not people or places.
NOT_NAMES = (
    r"The|A|An|In|On|At|This|That|These|Those|It|Its|Under|According|For|From|As|By|If|When|While|After|Before|"
    r"January|February|March|April|May|June|July|August|September|October|November|December|Monday|Tuesday|"
    r"Wednesday|Thursday|Friday|Saturday|Sunday|Congress|Army|Navy|Air|Marine|Marines|Space|Department|Office|"
    r"Federal|National|United|State|States|House|Senate|Committee|Act|Program|Section|Title|Figure|Table"
)
PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    "amount": re.compile(
        rf"(?:[$€£¥]\s?{NUM}{SCALE}|\b{NUM}\s?(?:million|billion|trillion)?\s?(?:dollars|euros|pounds|yuan)\b)"
    ),
    "percent": re.compile(
        rf"\b{NUM}\s?(?:%|percent\b|percentage points?\b)|\b(?:half|a third|a quarter|two-thirds)\b"
    ),
    "date": re.compile(
        rf"\b{MONTH}\s+(?:\d{{1,2}},?\s+)?\d{{4}}\b|\b(?:19|20)\d{{2}}s?\b|\bFY\s?\d{{2,4}}\b|"
        r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(?:spring|summer|fall|autumn|winter|mid|early|late)[- ](?:19|20)\d{2}\b"
    ),
    "duration": re.compile(
        rf"\b(?:{NUM}|{NUMBER_WORD})[- ](?:years?|months?|weeks?|days?|hours?|minutes?|decades?)\b"
    ),
    # a count or quantity: not a year, not a bill, law, section or fiscal-year label
    "number": re.compile(
        rf"(?<![$€£¥.\d§-])(?<!FY)(?<!P\.L\. )(?<!H\.R\. )(?<!S\. )(?<!No\. )(?<!Section )(?<!section )(?<!§ )"
        rf"\b(?!(?:19|20)\d{{2}}\b){NUM}\b(?!\s?(?:%|percent))(?!-\d)|{NUMBER_WORD}"
    ),
    "person": re.compile(
        r"\b(?:Mr|Ms|Mrs|Dr|Sen|Rep|Gen|Adm|Lt|Col|Gov|Sec)\.\s+[A-Z][a-z]+|"
        r"\b(?:Senator|Representative|Secretary|President|Chairman|Chair|Director|Administrator|General|"
        r"Admiral|Judge|Justice|Speaker|Minister|Governor|Commissioner|Chief)\s+(?:of\s+[A-Z][\w.]+\s+)?[A-Z][a-z]+|"
        rf"\b(?!(?:{NOT_NAMES})\b)[A-Z][a-z]+(?:\s+[A-Z]\.)?\s+(?!(?:{NOT_NAMES})\b)[A-Z][a-z]{{2,}}\b"
    ),
    "organisation": re.compile(
        r"\b(?:[A-Z][\w&.-]*\s+){0,4}(?:Inc|Corp|Corporation|Company|Co|LLC|Ltd|Systems|Technologies|"
        r"Industries|Group|Agency|Administration|Department|Office|Bureau|Commission|Council|Service|"
        r"Institute|University|Authority|Board|Foundation|Association|Committee|Court|Dynamics|"
        r"Aerospace|Motors|Lockheed|Boeing|Raytheon|Northrop|Textron|Rheinmetall|Army|Navy|"
        r"Corps|Force|Guard)\b\.?|\b[A-Z]{2,6}\b"
    ),
    # "in Darwin", or a capitalised name inside a sentence ("… North Dakota, South Dakota …")
    "place": re.compile(
        rf"\b(?:in|at|near|from|to|across)\s+(?:the\s+)?(?!(?:{NOT_NAMES})\b)[A-Z][a-z]+(?:[\s-][A-Z][a-z]+)*\b|"
        rf"(?<=[a-z,;(] )(?!(?:{NOT_NAMES})\b)[A-Z][a-z]+(?:\s[A-Z][a-z]+)?\b"
    ),
}

# (question pattern, expected types), first match wins; several can apply ("how many … and when" → number, date).
QUESTION_TYPES: list[tuple[re.Pattern[str], list[AnswerType]]] = [
    (
        re.compile(r"\bhow much (?:time|longer)\b|\bhow long\b(?! (?:is|was) the)|\bfor how long\b", re.I),
        ["duration"],
    ),
    (
        re.compile(
            r"\bwhat (?:share|percentage|percent|proportion|fraction)\b|\bwhat rate\b|\bhow large a share\b|"
            r"\bby what (?:percentage|percent)\b",
            re.I,
        ),
        ["percent"],
    ),
    (
        re.compile(
            r"\bwhat (?:is|was|are|were|'s) the (?:\w+ )?(?:cost|price|budget|value|amount|funding|"
            r"appropriation|request|revenue|total|threshold)\b|\bdollar (?:amount|value|size|figure|threshold)\b|\bdollar\b|\bhow (?:big|large) (?:was|is|were|are) (?:the|a)\b.*\b(?:line|fund|"
            r"grant|loan|deal|contract|budget)\b|\bworth\b|\bcosts?\b|\bprice\b|\bfunding\b|\bappropriat|"
            r"\bhow much (?:money|funding|did|does|do|is|was|has|have|will|would)\b.*\b(?:request|ask|spend|pay|cost|"
            r"raise|get|receive|provide|award|allocate|budget|appropriate|charge|fund)",
            re.I,
        ),
        ["amount"],
    ),
    (re.compile(r"\bhow much\b", re.I), ["amount", "number"]),
    (
        re.compile(
            r"\bhow many\b|\bwhat (?:number|count)\b|\bhow (?:big|large) (?:is|was|are|were) the (?:fleet|force|"
            r"army|stockpile|arsenal)\b",
            re.I,
        ),
        ["number"],
    ),
    (
        re.compile(
            r"\bwhen\b|\bwhat (?:year|date|day|month)\b|\bwhich (?:year|date|month)\b|\bby when\b|\bsince when\b|"
            r"\bhow soon\b",
            re.I,
        ),
        ["date"],
    ),
    (
        re.compile(
            r"\bwho (?:builds?|built|makes?|made|manufactures?|produces?|won|received|got|awarded|runs?|operates?|"
            r"administers?|funds?|brokered|leads?|led|oversees?)\b|\bwhich (?:company|companies|contractor|contractors|"
            r"firm|firms|agency|agencies|organi[sz]ation|organi[sz]ations|country|countries|department)\b",
            re.I,
        ),
        ["organisation"],
    ),
    (
        re.compile(
            r"\bwho\b|\bwhose\b|\bwhich (?:official|senator|member|person|people|justice|judge)\b", re.I
        ),
        ["person"],
    ),
    (
        re.compile(
            r"\bwhere\b|\bwhich (?:city|cities|state|states|location|base|port|region)\b|\bin what (?:city|state|"
            r"country|location)\b",
            re.I,
        ),
        ["place"],
    ),
]
SECOND_PART = re.compile(
    r"\b(?:and|,)\s+(?:in\s+)?(how many|how much|when|what year|what timeframe|in what timeframe|"
    r"what share|who|where|how long|by what vote)\b",
    re.I,
)
SECOND_TYPES: dict[str, list[AnswerType]] = {
    "how many": ["number"],
    "how much": ["amount"],
    "when": ["date"],
    "what year": ["date"],
    "what timeframe": ["date"],
    "in what timeframe": ["date"],
    "what share": ["percent"],
    "who": ["person", "organisation"],
    "where": ["place"],
    "how long": ["duration"],
    "by what vote": ["number"],
}


def expected_types(question: str) -> list[AnswerType]:
    """The value types the question asks for, in order ([] for why/what/how-does questions that want a description)."""
    found: list[AnswerType] = []
    for pattern, types in QUESTION_TYPES:
        if pattern.search(question):
            found += [t for t in types if t not in found]
            break
    for m in SECOND_PART.finditer(question):
        found += [t for t in SECOND_TYPES[m.group(1).lower()] if t not in found]
    if "person" in found and "organisation" not in found and re.search(r"\bwho\b", question, re.I):
        found.append("organisation")  # "who awarded the contract?" may be a person or an organisation
    return found


def types_in(sentence: str) -> set[AnswerType]:
    """The answer types a sentence carries a value of."""
    found = {t for t, pattern in PATTERNS.items() if pattern.search(sentence)}
    if "amount" in found or "percent" in found:
        found.add("number")
    return found


def has_type(sentence: str, wanted: list[AnswerType]) -> bool:
    """Whether the sentence carries a value of one of the ``wanted`` types (True when nothing in particular is wanted)."""
    return not wanted or bool(types_in(sentence) & set(wanted))
