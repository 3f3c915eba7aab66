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
        # a fraction of something ("half of the funds", "cut by a third"), not "a third party" or "the first half"
        rf"\b{NUM}\s?(?:%|percent\b|percentage points?\b)|"
        rf"(?i:\b(?<!first )(?<!second )(?<!latter )(?<!last )(?:half|a third|a quarter|two-thirds|one-third|"
        rf"one-quarter|three-quarters)(?=\s+of\b(?!\s+(?:the\s+)?(?:year|decade|century|month|fy|\d{{4}}|a mile)\b)|"
        rf"\s*[,.;)]|\s*$)|\bby (?:half|a third|a quarter|two-thirds)\b)"
    ),
    "date": re.compile(
        rf"\b{MONTH}\s+(?:\d{{1,2}},?\s+)?\d{{4}}\b|\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b(?:19|20)\d{{2}}s?\b|\bFY\s?\d{{2,4}}\b|"
        r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(?:spring|summer|fall|autumn|winter|mid|early|late)[- ](?:19|20)\d{2}\b"
    ),
    "duration": re.compile(
        rf"\b(?:{NUM}|{NUMBER_WORD})[- ](?:(?:calendar|business|working|legislative|consecutive|session)[- ])?"
        r"(?:years?|months?|weeks?|days?|hours?|minutes?|decades?)\b"
    ),
    # a count or quantity: not a year, not a bill, law, section or fiscal-year label
    "number": re.compile(
        rf"(?<![$€£¥.\d§-])(?<!FY)(?<!P\.L\. )(?<!H\.R\. )(?<!S\. )(?<!No\. )(?<!Section )(?<!section )(?<!§ )"
        rf"\b(?!(?:19|20)\d{{2}}\b){NUM}\b(?!\s?(?:%|percent|U\.S\.C\.|C\.F\.R\.|CFR\b|Stat\.))(?!-\d)|{NUMBER_WORD}|"
        # "has used it once", "twice as many" aside: not "once the rule takes effect", "once again"
        r"\btwice\b(?! as)|\bonce\b(?!\s+(?:the|a|an|it|they|he|she|we|you|this|that|these|those|its|their|again|more|"
        r"[a-z]+ed)\b)|"
        r"\b(?:vote|tally|margin) of \d{1,3}[-–]\d{1,3}\b|\b\d{1,3}[-–]\d{1,3} (?:vote|margin)\b"  # "a vote of 50-48"
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

COMPARATIVES = (
    r"more|less|fewer|shorter|higher|lower|larger|smaller|bigger|cheaper|costlier|faster|slower|greater|wider|"
    r"narrower|heavier|lighter|deeper|farther|further|older|newer|earlier|later"
)
# (question pattern, expected types), first match wins; several can apply ("how many … and when" → number, date).
QUESTION_TYPES: list[tuple[re.Pattern[str], list[AnswerType]]] = [
    (
        re.compile(
            r"\bhow much (?:time|longer)\b|\bhow long\b(?! (?:is|was) the)|\bfor how long\b|\bhow (?:fast|quickly)\b|"
            r"\bhow many (?:more |fewer )?(?:years|months|weeks|days|hours|minutes|decades)\b|"
            r"\b(?:average|median|typical|total) (?:time|wait|waiting time|delay)\b|"
            r"\b(?:the )?speed of\b",
            re.I,
        ),
        ["duration"],
    ),
    (
        re.compile(
            r"\bwhat (?:share|percentage|percent|proportion|fraction|portion)s?\b|"
            r"\bwhat (?:[\w-]+ ){1,2}(?:share|percentage|proportion|fraction|portion)\b(?!s)|\bwhat (?:[\w-]+ ){0,3}rates?\b|\binterest rates?\b|\bhow large a share\b|"
            r"\bby what (?:percentage|percent)\b",
            re.I,
        ),
        ["percent"],
    ),
    (re.compile(r"\bby how much\b", re.I), ["percent", "amount"]),
    # a cap or a height is a share, an amount or a count, whichever the brief gives ("the cap on deployed warheads")
    (re.compile(r"\bwhat (?:\w+ )?(?:cap|caps|limit|ceiling)\b|\bhow (?:high|low)\b(?= (?:is|are|was|were|can|could|will|"
                r"would|did|does|do|has|have|had|may|might|should|must)\b| an?\b| ?\?)", re.I), ["percent", "amount", "number"]),
    # a difference ("how much shorter is the route") is a share, an amount or a quantity, whichever the brief gives
    (re.compile(rf"\bhow much (?:{COMPARATIVES})\b", re.I), ["percent", "amount", "number"]),
    (
        re.compile(
            r"\bwhat (?:is|was|are|were|'s) the (?:\w+ )?(?:cost|price|budget|value|amount|funding|"
            r"appropriation|request|revenue|total|threshold)\b|\bdollar (?:amount|value|size|figure|threshold)\b|\bin dollars\b|\bhow (?:big|large) (?:was|is|were|are) (?:the|a)\b.*\b(?:line|fund|"
            r"grant|loan|deal|contract|budget)\b|\bworth\b|\bhow (?:\w+ ){0,4}funded\b|"
            r"\bhow much (?:money|funding|did|does|do|is|was|has|have|will|would)\b.*\b(?:request|ask|spend|pay|cost|"
            r"rais|get|receiv|provid|award|allocat|budget|appropriat|charg|fund)",
            re.I,
        ),
        ["amount"],
    ),
    # the size of a payment ("the largest grant a single project can receive", "the average credit")
    (re.compile(r"\b(?:largest|maximum|biggest|smallest|minimum|average|typical|median|annual) "
                r"(?:(?-i:[A-Z][\w-]* ){1,5}|(?!(?:number|count|share|percentage|rate|age|score|term|time|period)\b)"
                r"[\w-]+ )?(?:grants?|"
                r"awards?|loans?|payments?|fees?|fines?|penalt(?:y|ies)|salar(?:y|ies)|tolls?|subsid(?:y|ies)|benefits?|"
                r"credits?)\b(?! (?:scores?|terms?|rates?|periods?|limits?)\b)", re.I), ["amount"]),
    (re.compile(r"\bhow much\b", re.I), ["amount", "number"]),
    (
        re.compile(
            r"\bhow many\b|\bwhat (?:number|count)\b|"
            r"\b(?:estimated|total|the|their|its|maximum|minimum|average|median|largest|smallest)\s+number of\b|"
            r"\bby what (?:vote|margin|tally)\b|"
            r"\bhow (?:big|large) (?:is|was|are|were) the (?:fleet|force|"
            r"army|stockpile|arsenal)\b",
            re.I,
        ),
        ["number"],
    ),
    (
        re.compile(
            r"\bwhen\b|\bwhat (?:year|date|day|month)\b|\bwhich (?:year|date|month)\b|\bby when\b|\bsince when\b|"
            r"\bhow soon\b|\btiming\b|\btimelines?\b|\btimetables?\b|\bschedule[ds]?\b",
            re.I,
        ),
        ["date"],
    ),
    (  # parties that may be countries as well as organisations
        re.compile(r"\bwho (?:brokered|mediated|hosted|sponsored)\b|\bwhich (?:\w+ )?(?:country|countries|nations?)\b", re.I),
        ["organisation", "place"],
    ),
    (
        re.compile(
            r"\bwho (?:builds?|built|makes?|made|manufactures?|produces?|won|received|got|awarded|runs?|operates?|"
            r"administers?|funds?|leads?|led|oversees?)\b|\bwhich (?:\w+ )?(?:company|companies|contractor|contractors|"
            r"firm|firms|agency|agencies|organi[sz]ation|organi[sz]ations|department|units?|command|commands|"
            r"courts?)\b",
            re.I,
        ),
        ["organisation"],
    ),
    (
        re.compile(
            r"\bwho\b|\bwhose\b|\bwhich (?:\w+ )?(?:officials?|senators?|persons?|people|justices?|judges?|"
            r"monarchs?|kings?|queens?|leaders?|presidents?|speakers?|secretar(?:y|ies)|ministers?|governors?|"
            r"nominees?|"
            r"lawmakers?|legislators?|representatives?|ambassadors?|generals?|commanders?|chairs?|chairm[ae]n|"
            r"authors?|analysts?|individuals?)\b", re.I
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
# nouns that name a value, which a question asks for unless it asks why, or for effects or reasons ("What was the
# cost rate?" wants a percentage, "Why did the tax rate rise?" an explanation)
NOUN_TYPES: list[tuple[re.Pattern[str], list[AnswerType]]] = [
    (re.compile(r"\b(?:interest|cost|tax|tariff|success|growth|participation|poverty|unemployment|inflation|error|"
                r"approval|vacancy|default|readiness) rates?\b|\bgrowth (?:targets?|goals?)\b", re.I), ["percent"]),
    (re.compile(r"\b(?:what|which) (?:\w+ )?deadline\b|\b(?:is|was|are|were) there (?:a|any) (?:\w+ )?deadline\b|"
                r"\b(?:face|faced|have|had|set|sets) (?:a|any) (?:\w+ )?deadline\b", re.I), ["date"]),
]
# words that make money the answer only when nothing else is asked for ("How did funding change?" wants amounts; "How
# many nonprofits applied for funding?" a count)
MONEY_CUES = re.compile(
    r"\bcosts?\b|\bprice\b|\bfunding\b|\bappropriat|\brevenues?\b|"
    r"(?<!Congressional )(?<!Management and )\bbudget\b(?! (?:office|process|resolution|reconciliation|committee|"
    r"control|rules?)\b)|"
    r"\bFY ?\d{2,4} (?:budget )?request",  # "the FY2026 request for NIH"
    re.I,
)
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


# "When Live Nation settled …, what cap …?": a leading clause is not the question
LEADING_CLAUSE = re.compile(
    r"^\s*(?:when(?!,|\s+(?:is|was|were|are|did|does|do|will|has|have|had|can|could|would|should)\b)|after|before|since|"
    r"if|once|while|as|according to)\b[^?]*?,\s*(?=(?:what|which|how|who|whom|whose|where|"
    r"when|why|is|are|was|were|did|does|do)\b)",
    re.I,
)
# Measures a number must come in: "How much will the M-1E3 weigh?" is not answered by "$474 million".
MEASURES: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (re.compile(r"\bhow much (?:\w+ ){0,4}weighs?\b|\bweigh (?:more|less)\b|\bhow heavy\b|\bweight of\b|\bweighs?\b(?=[^?]*\?$)(?<!\bto weigh)", re.I),
     re.compile(r"\b(?:tons?|tonnes?|pounds?|lbs?|kilograms?|kg)\b", re.I)),
    (re.compile(r"\b(?:what|its) range\b|\bthe range of (?:the|its|a)\b(?! (?:cost|price|estimate))|\bhow far\b|\bdistance\b", re.I),
     re.compile(r"\b(?:miles?|kilometers?|kilometres?|km|nautical)\b", re.I)),
    (re.compile(r"\bhow fast\b|\btop speed\b", re.I),
     re.compile(r"\b(?:mph|knots?|km/h|miles per hour|mach)\b", re.I)),
]
HOW_MANY = re.compile(r"\bhow many\s+((?:[\w.'’-]+\s+){0,4}?[\w'’-]+?)(?=\s+(?:are|were|is|was|do|does|did|have|has|had|will|would|"
                      r"could|can|should|may|might|in|on|at|of|for|from|to|that|who|which|with|make|made|took|get|got|"
                      r"received?|remain|rotate|appear|now|currently|still|each|per|altogether|in total|so far|today)\b|\s*[?,]|$)", re.I)
VAGUE_COUNT = re.compile(
    r"\b(?:several|a few|dozens|hundreds|thousands|millions|many|numerous|some)\b(?: of)?", re.I
)


# ", and how many …", "and when?", "and by what vote …": where a compound question starts asking for another thing
PART_BREAK = re.compile(
    r"(?:,\s*|\s+)and\s+(?=(?:(?:in|out of|of|for|from|at|on|to|with|under|since|until|by)\s+)?(?:how|what|when|which|who|whom|whose|where|why|by what|is|are|was|were|did|"
    r"does|do|has|have|had|will|would|can)\b)|[?;]\s+(?=[A-Z])",
    re.I,
)


def question_parts(question: str) -> list[str]:
    """The separate things a compound question asks, in order ("Who brokered the ceasefire, and how long was it meant
    to last?" → ["Who brokered the ceasefire", "how long was it meant to last?"]); one part for a simple question.
    A part that asks nothing by itself ("What about the second one?") is dropped."""
    pieces = [x.strip(" ,") for x in PART_BREAK.split(question_part(question)) if x and x.strip(" ,?")]
    asking = [x for x in pieces if part_types(x) or ASKS.match(x)]
    return asking if len(asking) > 1 else [question]


ASKS = re.compile(r"(?:(?:by|in|on|at|for|to|from) )?(?:what|how|which|who|whom|whose|when|where|why)\b(?! about\b)", re.I)


def part_types(part: str) -> list[AnswerType]:
    """The value types one part of a compound question asks for, read as the continuation it is ("… and by what
    vote did it pass?")."""
    return expected_types(part) or expected_types("and " + part)


def question_part(question: str) -> str:
    """The question without a leading clause that only sets the scene ("When X settled in March 2026, what cap …")."""
    return LEADING_CLAUSE.sub("", question, count=1)


def measure_of(question: str) -> re.Pattern[str] | None:
    """The unit a number in the answer must carry, when the question asks for a measure (weight, range, speed)."""
    if COST_WORDS.search(question):  # "the range of cost estimates", "weigh the costs": money, not a measure
        return None
    return next((unit for asks, unit in MEASURES if asks.search(question)), None)


COST_WORDS = re.compile(r"\b(?:costs?|price[sd]?|funding|estimates?|dollars?|budget)\b", re.I)
TIME_UNITS = re.compile(r"^(?:years?|months?|weeks?|days?|hours?|minutes?|decades?)$", re.I)


NOT_COUNTED = {"did", "do", "does", "were", "was", "are", "is", "have", "has", "had", "will", "would", "can", "could",
               "there", "on", "at", "for"}


def counted_of(question: str) -> list[str]:
    """What a "how many" question counts, as words (the last is the head noun): "How many U.S. highway bridges are
    rated poor?" → ["U.S.", "highway", "bridges"]; [] for time ("how many hours …" asks for a duration)."""
    m = HOW_MANY.search(question)
    found = m.group(1).split() if m else []
    if found and found[0].lower() in ("of", "in"):  # "how many of the nation's bridges …": the bridges
        found = [w for w in found[1:] if w.lower() not in ("the", "a", "an", "these", "those", "its", "their")]
    if not found or found[0].lower() in NOT_COUNTED | {"them", "those", "these", "they", "it"}:
        return []  # "how many did it take?", "how many of them …": the question names nothing it counts
    return [] if found and TIME_UNITS.match(found[-1]) else found


def counts(sentence: str) -> bool:
    """Whether the sentence gives a count: a number that is not a year, a date, a share ("80% of"), a law, a duration
    ("for 20 years") or a vague quantity ("thousands of")."""
    rest = VAGUE_COUNT.sub(" ", sentence)
    for kind in ("duration", "percent", "date"):
        rest = PATTERNS[kind].sub(" ", rest)
    return bool(PATTERNS["number"].search(rest))


HOW_MUCH = re.compile(r"\bhow much (?:in )?(?!(?:did|does|do|has|have|had|is|was|will|would|could|can|should|were|are|"
                      rf"{COMPARATIVES}|of|the|a|an)\b)"
                      r"((?:[\w'’-]+\s+){0,2}?[\w'’-]+?)\s+(?:did|does|do|has|have|had|is|was|will|would|"
                      r"could|can|should|were|are)\b", re.I)
MONEY_WORDS = {"money", "funding", "funds", "fund", "dollars", "cash", "spending", "aid", "assistance"}


def measured_of(question: str) -> list[str]:
    """What a "how much" question measures, when it names it ("How much tariff revenue have …" → ["tariff",
    "revenue"]); [] for money in general ("how much funding …") and for "how much did X cost"."""
    m = HOW_MUCH.search(question)
    if not m:
        return []
    found = m.group(1).split()
    return [] if found[-1].lower() in MONEY_WORDS or found[-1].lower() in ("the", "a", "an", "it", "they") else found


# "what will the rate be when it does?" (a condition), not "what did the court decide and when?" (a second question)
SUBORDINATE_WHEN = re.compile(
    r"\b(?:what|how|which|who|whom|whose|where|why)\b[^,;?]*?\s(?<!\band )(?<!\bor )(when)\b(?!\s*\?)", re.I
)


# what a description answers ("what trade-offs … between deadlines and ongoing funding?", "why did funding fall?"),
# however much the question speaks of money
ASKS_DESCRIPTION = re.compile(
    r"\bwhy\b|\b(?:what|which)\s+(?:[\w-]+\s+){0,2}?(?:trade-?offs|concerns|issues|arguments|reasons|options|"
    r"challenges|effects|impacts|criticisms|considerations|factors|risks|advantages|disadvantages|downsides|"
    r"drawbacks|lessons|steps|purposes|goals|approaches|rationales?|justifications?)\b",
    re.I,
)


ASKS_COST = re.compile(r"\b(?:cost|costs|how much)\b(?!-)", re.I)  # "What would the options cost?" asks for money


# "for nominees since 1975 who got a floor vote, what …" (a relative clause), not "…, and who signed it?"
RELATIVE_WHO = re.compile(r"\b(?!(?:and|or|but)\b)\w+\s+(who)\b", re.I)


def expected_types(question: str) -> list[AnswerType]:
    """The value types the question asks for, in the order it asks for them ([] for why/what/how-does questions that
    want a description). Every interrogative counts ("Who brokered the ceasefire, and how long was it meant to last?"
    → organisation, person, place, duration); where two patterns match the same words the earlier one in
    ``QUESTION_TYPES`` wins ("how much … cost" is an amount, not a quantity)."""
    question = question_part(question)
    # a "when" inside a clause that already asks something sets a condition ("what will the rate be when it does?")
    claimed: list[tuple[int, int, list[AnswerType]]] = [
        (m.start(1), m.end(1), []) for pattern in (SUBORDINATE_WHEN, RELATIVE_WHO) for m in pattern.finditer(question)
    ]
    described = bool(ASKS_DESCRIPTION.search(question))
    for pattern, types in QUESTION_TYPES + ([] if described else NOUN_TYPES):
        for m in pattern.finditer(question):
            if not any(m.start() < end and start < m.end() for start, end, _ in claimed):
                claimed.append((m.start(), m.end(), types))
    for m in SECOND_PART.finditer(question):
        start = m.start(1)
        if not any(start < end and s0 < m.end(1) for s0, end, _ in claimed):
            claimed.append((start, m.end(1), SECOND_TYPES[m.group(1).lower()]))
    found: list[AnswerType] = []
    for _, _, types in sorted(claimed, key=lambda c: c[0]):
        found += [t for t in types if t not in found]
    if not found and MONEY_CUES.search(question) and not (described and not ASKS_COST.search(question)):
        found = ["amount"]
    if "person" in found and "organisation" not in found and re.search(r"\bwho\b", question, re.I):
        found.append("organisation")  # "who awarded the contract?" may be a person or an organisation
    return found


def types_in(sentence: str) -> set[AnswerType]:
    """The answer types a sentence carries a value of."""
    found = {t for t, pattern in PATTERNS.items() if pattern.search(sentence)}
    if "amount" in found or "percent" in found:
        found.add("number")
    return found


REFERENCE = re.compile(r"\b(?:Figure|Table|Section|Title|Chapter|Part|Appendix|§)\s*[A-Z]?-?\d+[\w.-]*", re.I)


def values_in(sentence: str, wanted: set[AnswerType]) -> set[str]:
    """The distinct values of the ``wanted`` types the sentence gives ("31 exploration contracts, of which 17 …" → {"31",
    "17"}); references to a figure, table or section are not values, and a count is not read inside a date, a
    percentage or a duration."""
    text = REFERENCE.sub(" ", sentence)
    found: set[str] = set()
    for kind in wanted:
        rest = text
        if kind == "number":
            rest = VAGUE_COUNT.sub(" ", rest)
            for other in ("duration", "percent", "date", "amount"):
                rest = PATTERNS[other].sub(" ", rest)
        found |= {m.group().strip() for m in PATTERNS[kind].finditer(rest)}
    return found


def has_type(sentence: str, wanted: list[AnswerType]) -> bool:
    """Whether the sentence carries a value of one of the ``wanted`` types (True when nothing in particular is wanted)."""
    return not wanted or bool(types_in(sentence) & set(wanted))
