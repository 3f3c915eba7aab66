"""Question understanding: what kind of answer a question wants, of what type, about what, and the filters it states
in words. The result (:class:`~assistant.models.Interpretation`) travels with the Answer, so a user can see why it
answered as it did.

Kinds: ``metadata`` (about a brief itself: authors, date, report number, version, product type, organisation, source),
``list`` (a set of briefs), ``summary`` (a brief's main points), ``compare`` (two or more sides), else ``fact``; a
question that needs the conversation is a follow-up whatever its kind. Filters come only from phrases that name the
briefs (``published since March 2026``, ``by Feickert``, ``In Focus briefs``, ``all versions``) and only when the library
has such briefs, so "what happened in 2025?" never becomes a date filter.

>>> i = interpret("Who wrote the CRS In Focus on the XM-30?", [], {})
>>> (i.kind, i.metadata_fields)
('metadata', ['authors'])
>>> interpret("Which briefs published in April 2026 are about defense?", [], {}).filters.date_from
datetime.date(2026, 4, 1)
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence

from assistant.answering.aliases import briefs_about
from assistant.answering.rewrite import is_follow_up
from assistant.answering.types import expected_types
from assistant.models import BriefMeta, Filters, Interpretation, MetadataField, Turn
from assistant.text import content_terms, without_how_frame

BRIEF_NOUN = (
    r"(?:briefs?|reports?|products?|publications?|documents?|papers?|analys[ie]s|in focus(?:es)?|insights?|"
    r"legal sidebars?|sidebars?|items?|pieces?|notes?|primers?)"
)
# the words only a library's own items go by
LIBRARY_NOUN = (
    r"(?:briefs?|reports?|publications?|analys[ie]s|in focus(?:es)?|insights?|legal sidebars?|sidebars?|primers?)"
)
LIST_Q = re.compile(
    rf"^\s*(?:(?:which|what)(?: other)?(?: crs| of the)?(?: (?:recent|new|latest|[\w]+-(?:related|focused|themed)))?"
    rf"(?: {LIBRARY_NOUN}| in focus| insights| legal sidebars)\b|"
    # a word that names other things too ("What products does China produce?") only as CRS's or with a topic
    rf"(?:which|what)(?: other)? crs {BRIEF_NOUN}\b|"
    rf"(?:which|what)(?: other)? {BRIEF_NOUN} (?:on|about|regarding|cover|covers|discuss|discusses|deal with)\b|"
    rf"(?:list|show|name|find)(?: me)?(?: all| the| every)?(?: crs)? {BRIEF_NOUN}\b|"
    rf"what (?:has|have|did|does) (?:crs|the \w+|\w+) (?:published|put out|issued|released|written|produced)\b|"
    rf"(?:which|what) (?:[\w'’\"-]+ ){{0,5}}?{BRIEF_NOUN} (?:has|have|did|does) (?:crs|the \w+|\w+) "
    rf"(?:published|put out|issued|released|written|produced)\b|"
    # the base form only with the publisher or the library as subject ("Which … briefs did CRS publish?"; not "What
    # products does China produce?")
    rf"(?:which|what) (?:[\w'’\"-]+ ){{0,5}}?{BRIEF_NOUN} (?:did|does|do) (?:crs|the (?:library|collection)|you) "
    rf"(?:publish|put out|issue|release|write|produce)\b|"
    rf"(?:are there|is there|do you have|does the (?:library|collection) have) (?:any )?{BRIEF_NOUN}\b)",
    re.I,
)
SUMMARY_Q = re.compile(
    rf"\b(?:summari[sz]e|sum up|summary of|main points|key points|key takeaways|gist|in a nutshell|tl;?dr|overview of|"
    rf"what (?:is|'s) (?:the |crs'?s? )?(?:\w+ ){{0,3}}{BRIEF_NOUN} (?:on|about|regarding) .+ about|"
    rf"what (?:does|do) (?:the |crs'?s? )?(?:\w+ ){{0,3}}{BRIEF_NOUN} (?:on|about) .+ (?:say|cover|argue)\b)",
    re.I,
)
COMPARE_Q = re.compile(
    r"\b(?:compare[ds]?|comparison|compared (?:to|with)|contrast|differ(?:s|ed|ence|ences)?|"
    r"distinguish(?:es)?|versus|vs\.?|stack up against|measure up against|how (?:does|do|did) .+ (?:and|with) .+ "
    r"(?:compare|differ)|(?:more|less|larger|smaller|bigger) than\b(?! (?:\d|\$)| (?:one|two|three|four|five|six|seven|"
    r"eight|nine|ten|twenty|hundred|dozen|a|an|half|double|twice|once)\b))",  # "more than 50 states" is a quantity
    re.I,
)
METADATA_CUES: list[tuple[MetadataField, re.Pattern[str]]] = [
    (
        "authors",
        re.compile(
            r"\b(?:who (?:wrote|authored|are the authors|is the author|prepared)|author(?:s|ed)?\b|"
            r"(?:written |updated )?by whom\b|"
            r"written by whom|which (?:[\w.'’-]+ ){0,2}?(?:analysts?|experts?|specialists?|researchers?|people|staff) (?:wrote|authored|prepared))",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            rf"\b(?:publication date|date of (?:publication|the {BRIEF_NOUN})|(?:last )?updated|"
            rf"when (?:was|were|did) (?:it|this|the|crs'?s?|that) .*\b(?:{BRIEF_NOUN}|it)\b.*\b(?:published|updated|issued|"
            rf"released|dated|come out|put out)|when was .+ (?:published|issued|released)|(?:issued|published|dated) when)\b",
            re.I,
        ),
    ),
    (
        "report_number",
        re.compile(
            r"\b(?:report|product) (?:no\.?|number)|\bnumber of the (?:report|product)\b|"
            r"\bwhat number is\b|\bcatalog(?:ue)? number\b",
            re.I,
        ),
    ),
    ("version", re.compile(r"\b(?:which|what) version\b|\bversion number\b|\bhow many versions\b", re.I)),
    (
        "product_type",
        re.compile(
            r"\bwhat (?:kind|type|sort) of (?:a |an )?(?:crs )?(?:product|document|publication)\b|"
            r"\bwhat (?:kind|type|sort) of (?:a |an )?(?:crs )?(?:brief|report|piece) (?:is|was)\b|\bproduct type\b",
            re.I,
        ),
    ),
    (
        "organisation",
        re.compile(
            r"\b(?:who (?:published|issued|released|put out)|which organi[sz]ation (?:published|"
            r"wrote|issued|produced)|publisher of)\b",
            re.I,
        ),
    ),
    (
        "source",
        re.compile(r"\b(?:url|web address|link to|where can i (?:find|read) (?:it|the original))\b", re.I),
    ),
]
ASKS_ABOUT_BRIEF = re.compile(rf"\b{BRIEF_NOUN}\b|\bcrs'?s?\b|\b(?:it|this|that)\b", re.I)
PRODUCT_TYPES = ("In Focus", "Insight", "Legal Sidebar")
MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m
}
DATE_PHRASE = re.compile(
    r"\b(?P<rel>since|after|from|before|until|by|in|on|during|dated|of)?\s*"
    r"(?:(?P<month>january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|"
    r"apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?\s+(?:(?P<day>\d{1,2}),?\s+)?)?(?P<year>(?:19|20)\d{2})\b",
    re.I,
)
PUBLISHED = re.compile(r"\b(?:published|put out|issued|released|dated|written|updated|came out|out)\b", re.I)
ALL_VERSIONS = re.compile(
    r"\b(?:all|every|older|earlier|previous|past) versions?\b|\bversion history\b", re.I
)
SCAFFOLD = re.compile(
    rf"\b(?:what|which|who|whom|whose|when|where|why|how|much|many|is|are|was|were|does|do|did|has|have|can|could|would|should|"
    rf"tell me|give me|show me|please|summari[sz]e|the|a|an|crs'?s?|congressional research service'?s?|of|on|about|"
    rf"regarding|in this collection|in the collection|{BRIEF_NOUN})\b",
    re.I,
)


def interpret(
    question: str, history: Sequence[Turn], briefs: dict[str, BriefMeta], today: dt.date | None = None
) -> Interpretation:
    """Classify ``question`` and pull out what it asks for; ``briefs`` (the library) decides which filters are real."""
    q = question.strip()
    follow_up = bool(history) and is_follow_up(q)
    asked = [(m.start(), f) for f, cue in METADATA_CUES if (m := cue.search(q))]
    fields = [f for _, f in sorted(asked)]  # in the order the question asks for them
    kind = "fact"
    if LIST_Q.search(q):
        kind = "list"
    elif fields and (ASKS_ABOUT_BRIEF.search(q) or follow_up):
        kind = "metadata"
    elif SUMMARY_Q.search(q):
        kind = "summary"
    elif COMPARE_Q.search(q):
        kind = "compare"
    sides = _sides(q, [b.title for b in briefs.values()]) if kind == "compare" else []
    if kind == "fact" and not follow_up and (sides := _coordinated_sides(q, briefs)):
        kind = "compare"  # "How much did Congress give the Fish and Wildlife Service and the USGS?": one part each
    filters, notes = _filters(q, kind, briefs)
    out = Interpretation(
        kind=kind,
        follow_up=follow_up,
        answer_types=expected_types(q) if kind in ("fact", "compare") else [],
        metadata_fields=fields if kind == "metadata" else [],
        topic=_topic(q),
        filters=filters,
        sides=sides,
        notes=notes,
    )
    out.notes.insert(0, _describe(out))
    return out


def _describe(i: Interpretation) -> str:
    what = {
        "fact": "a fact question",
        "metadata": "a question about a brief itself",
        "list": "a request for a list of briefs",
        "summary": "a request for a brief's main points",
        "compare": "a comparison",
    }[i.kind]
    bits = [what]
    if i.answer_types:
        bits.append("expecting " + " and ".join(i.answer_types))
    if i.metadata_fields:
        bits.append("asking for " + ", ".join(f.replace("_", " ") for f in i.metadata_fields))
    if i.sides:
        bits.append("sides: " + " | ".join(i.sides))
    if i.follow_up:
        bits.append("a follow-up to the conversation")
    return "; ".join(bits)


def _topic(q: str) -> str:
    """The question without its interrogative scaffolding, filters and brief nouns: what the briefs should be about."""
    text = re.sub(
        r"\b(\w+)'s\b(?=\s+(?:the|a|an)\b)|\b(?:what|who|where|how|that|it)'s\b", r" \1 ", q, flags=re.I
    )
    text = without_how_frame(DATE_PHRASE.sub(" ", text))  # "how high can it go": the measure asked for
    for _, cue in METADATA_CUES:
        text = cue.sub(" ", text)
    text = re.sub(
        r"\b(?:main points|key points|gist|summary|overview|most recent|current(?:ly)?|latest|newest|"
        r"in this collection|this collection|one)\b",
        " ",
        text,
        flags=re.I,
    )
    text = re.sub(r"\b(?:published|put out|issued|released|dated|written|updated)\b", " ", text, flags=re.I)
    text = SCAFFOLD.sub(" ", text)
    return re.sub(r"\s+", " ", re.sub(r"[?!.,;:]", " ", text)).strip()


def _filters(q: str, kind: str, briefs: dict[str, BriefMeta]) -> tuple[Filters, list[str]]:
    values: dict[str, object] = {}
    notes: list[str] = []
    dated = kind == "list" or bool(PUBLISHED.search(q))
    if dated:
        start, end, said = _date_range(q)
        if start or end:
            values.update(date_from=start, date_to=end)
            notes.append(f"filter: published {said}")
    author = _named_author(q, briefs)
    if author:
        values["author"] = author
        notes.append(f"filter: by {author}")
    for ptype in PRODUCT_TYPES:
        if re.search(rf"\b{re.escape(ptype)}(?:e?s)?\b", q, re.I) and any(
            (b.product_type or "").lower() == ptype.lower() for b in briefs.values()
        ):
            values["product_type"] = ptype
            notes.append(f"filter: product type {ptype}")
            break
    if ALL_VERSIONS.search(q):
        values["all_versions"] = True
        notes.append("filter: every version, not only the newest")
    return Filters.model_validate(values), notes


def _date_range(q: str) -> tuple[dt.date | None, dt.date | None, str]:
    """The publication-date range a question states ("since March 2026", "in April 2026", "on April 20, 2026")."""
    for m in DATE_PHRASE.finditer(q):
        rel = (m.group("rel") or "in").lower()
        year, month, day = int(m.group("year")), m.group("month"), m.group("day")
        if month is None and not m.group("rel"):
            continue  # a bare year is more often part of a name ("FY2027 budget", "the 2024 rule") than a filter
        mon = MONTHS.get(month.lower().rstrip(".")) if month else None
        if mon and day:
            first = last = dt.date(year, mon, int(day))
        elif mon:
            first, last = dt.date(year, mon, 1), dt.date(year, mon, calendar.monthrange(year, mon)[1])
        else:
            first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        said = m.group(0).strip()
        if rel in ("since", "after", "from"):
            return first, None, said
        if rel in ("before", "until", "by"):
            return None, last, said
        return first, last, said
    return None, None, ""


def _named_author(q: str, briefs: dict[str, BriefMeta]) -> str | None:
    """An author the question names after "by" / "written by" / "from", when the library has one of that name."""
    m = re.search(r"\b(?:by|from|written by|authored by)\s+((?:[A-Z][\w.'’-]+\s?){1,3})", q)
    if not m:
        return None
    name = m.group(1).strip()
    last = name.split()[-1].lower()
    for b in briefs.values():
        for a in b.authors:
            if last in a.lower().split() or name.lower() in a.lower():
                return last if last in a.lower().split() else name
    return None


SIDE_SPLIT = re.compile(
    r"\s*(?:,\s*(?:and\s+)?|\band\b|\bversus\b|\bvs\.?|\bwith\b|\bto\b|\bagainst\b|\bfrom\b)\s*", re.I
)
COMPARE_FRAMES = [
    # "Both NIH and DOE tried …"
    re.compile(r"\b[Bb]oth (?:the )?(?P<a>[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*)*) and (?:the )?(?P<b>[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*)*)"),
    re.compile(
        r"^\s*(?:please |can you |could you )?compare (?:the )?(?P<a>.+?) (?:and|with|to|against|versus|vs\.?) (?:the )?"
        r"(?P<b>.+?)(?:\s*(?::|\?|$|,| in | on | for | by | when | regarding | in terms of ))",
        re.I,
    ),
    re.compile(
        r"\bhow (?:does|do|did|would|is|are|was|were) (?:the )?(?P<a>.+?) (?:and|compare with|compare to|differ from|stack up "
        r"against|measure up against|compare against) (?:the )?(?P<b>.+?)(?: (?:differ|compare)\b|\s*(?:\?|$|,| in | on ))",
        re.I,
    ),
    re.compile(
        r"\bdifferences? between (?:the )?(?P<a>.+?) and (?:the )?(?P<b>.+?)(?:\s*(?:\?|$|,| in | on ))", re.I
    ),
    re.compile(
        r"\b(?:what )?distinguishes (?:the )?(?P<a>.+?) from (?:the )?(?P<b>.+?)(?:\s*(?:\?|$|,| in | on ))",
        re.I,
    ),
    # explicit dividers: tried first when the question has one
    re.compile(r"(?P<a>[\w .'’-]+?) (?:versus|vs\.?|(?:as )?compared (?:with|to)|relative to|as opposed to) (?:the )?"
               r"(?P<b>[\w .'’-]+)", re.I),
]
DIVIDER = re.compile(r"\b(?:versus|vs\.?|compared (?:with|to)|relative to|as opposed to)\s", re.I)


NAME_AND = " and_ "  # an "and" inside a name ("Fish and Wildlife Service"), kept from the side split
CAPITAL_AND = re.compile(r"\b([A-Z][\w.'’-]*)\s+and\s+([A-Z][\w.'’-]*)(?=\s+([A-Z][\w.'’-]*))")


def _protect_names(q: str, titles: list[str]) -> str:
    """``q`` with the "and" of a name the library's titles use ("U.S. Fish and Wildlife Service") marked, so that
    "the U.S. Fish and Wildlife Service and the U.S. Geological Survey" splits only at the second. The name goes on
    after the "and" ("… Wildlife Service"): "Israel and Iran" in a title "Israel and Iran: …" are still two sides."""
    if " and " not in q:
        return q
    lowered = [t.lower() for t in titles]

    def mark(m: re.Match[str]) -> str:
        phrase = f"{m.group(1)} and {m.group(2)} {m.group(3)}".lower()
        return f"{m.group(1)}{NAME_AND}{m.group(2)}" if any(phrase in t for t in lowered) else m.group(0)

    return CAPITAL_AND.sub(mark, q)


VERB = re.compile(r"\s+(?:would|will|could|can|might|may|do|does|did|is|are|was|were|has|have|had)\b")


def _before_verb(text: str) -> str:
    """The noun phrase that opens ``text``: what comes before its verb ("S. 4188 would impose on …" → "S. 4188")."""
    return VERB.split(text, maxsplit=1)[0]


def _sides(q: str, titles: list[str] | None = None) -> list[str]:
    """The things compared ("the XM-30" and "the M-1E3 Abrams program"), as the question names them. An explicit
    "versus" is the divider when there is one ("Category I and II banks versus Category III and IV banks"); a
    modifier the sides share is left out of both ("the Marine Corps' ACV and ARV programs" compares ACV and ARV)."""
    frames = COMPARE_FRAMES[-1:] + COMPARE_FRAMES[:-1] if DIVIDER.search(q) else COMPARE_FRAMES
    q = _protect_names(q, titles or [])
    for frame in frames:
        m = frame.search(q)
        if m:
            a = _clean_side(_after_last_link(m.group("a"))).replace(NAME_AND, " and ")
            b = _clean_side(_before_verb(m.group("b"))).replace(NAME_AND, " and ")
            if a.count("(") > a.count(")") and b.count(")") > b.count("("):  # "… credits (EEHIC and RCEC)"
                a, b = a[a.rfind("(") + 1 :].strip(), b[: b.find(")")].strip()
            a = DIMENSION_OF.sub("", a)  # "the speed of the copper investigation": what they are compared on
            if a and b:
                return _unshared(a, b)
    return []


# a side that opens with what is compared rather than what it is ("speed of", "actual costs of"): lower-case words
DIMENSION_OF = re.compile(r"^(?:[a-z][\w-]*\s+){1,3}of\s+(?:the\s+)?(?=\S)")


# two names joined by "and" ("the Fish and Wildlife Service and the USGS"), an "and" inside a name protected
COORDINATED = re.compile(
    r"\b(?:the\s+)?(?P<a>[A-Z][\w.'’-]*(?:\s+(?:(?:and_|of|for|on)\s+)?[A-Z][\w.'’-]*)*)\s+and\s+(?:the\s+)?"
    r"(?P<b>[A-Z][\w.'’-]*(?:\s+(?:(?:and_|of|for|on)\s+)?[A-Z][\w.'’-]*)*)"
)


def _coordinated_sides(q: str, briefs: dict[str, BriefMeta]) -> list[str]:
    """The two things a fact question asks about together, when the library has a brief on each: "How much more did
    Congress give the Fish and Wildlife Service and the USGS than requested?" is answered side by side, from the FWS
    brief and the USGS brief. A name counts as a brief's when its words (or the acronym the title defines) are all in
    what the title is about (before its colon: "The U.S. Geological Survey (USGS): FY2027 Budget Request"); names that
    share a brief, or that many titles use, are not sides ("the House and the Senate")."""
    m = COORDINATED.search(_protect_names(q, [b.title for b in briefs.values()]))
    if m is None:
        return []
    sides = [m.group("a").replace(NAME_AND, " and ").strip(), m.group("b").replace(NAME_AND, " and ").strip()]
    owners = [briefs_about(set(content_terms(side)), briefs) for side in sides]
    return sides if all(owners) and not owners[0] & owners[1] else []


def _after_last_link(text: str) -> str:
    """The noun phrase that ends ``text``: what follows its last preposition or verb ("… affect required capital for
    Category I and II banks" → "Category I and II banks")."""
    # "of" inside a name stays ("the Department of Defense", "Bank of America"): not split between capitals
    parts = re.split(r"\b(?:compare|for|(?<![A-Z][\w.'’-]\s)(?:of|on|in|at|to)(?!\s+(?:the\s+)?[A-Z])|with|from|between|by|"
                     r"affect|affects|would|will|do|does|did|is|are|was|were|that|which)\s+", text, flags=re.I)
    return parts[-1] if parts[-1].strip() else text


def _unshared(a: str, b: str) -> list[str]:
    """When one side is a single name and the other ends with one after a shared modifier ("Marine Corps' ACV" and
    "ARV"), the sides are the two names."""
    wa, wb = a.split(), b.split()
    if len(wb) == 1 and len(wa) > 1 and re.fullmatch(r"[A-Z][\w-]*", wb[0]) and re.fullmatch(r"[A-Z][\w-]*", wa[-1]):
        return [wa[-1], b]
    # "Japan's and China's holdings of federal debt", "Trump's surcharge … Nixon's": the lone owner owns the same
    # thing as the other ("China's holdings of federal debt" → "Japan's holdings of federal debt")
    owner = re.compile(r"^([A-Z][\w.-]*(?: [A-Z][\w.-]*)*['’]s)(?: (.+))?$")
    ma, mb = owner.match(a), owner.match(b)
    if ma and mb and bool(ma.group(2)) != bool(mb.group(2)):
        owned = ma.group(2) or mb.group(2)
        return [f"{ma.group(1)} {owned}", f"{mb.group(1)} {owned}"]
    return [a, b]


# a relative clause after a side's noun ("the effective rates they actually receive", "… rates that apply")
RELATIVE_TAIL = re.compile(
    r"\s+(?:(?:they|it|we|he|she)|(?:that|which|who)(?=\s+(?:\w+ly\s+)?(?:is|are|was|were|has|have|had|would|will|can|"
    r"could|do|does|did|\w+ed)\b))\s+(?:\w+\s+)*?\w+$"
)
PREPOSITION_END = re.compile(r"\s(?:of|for|to|in|on|at|by|with|from)$", re.I)


def _clean_side(text: str) -> str:
    text = re.sub(r"^(?:the|a|an|its|their)\s+", "", text.strip(), flags=re.I)
    text = re.sub(r"^(?:that|those) (?:for|of)\s+", "", text, flags=re.I)  # "… compare with that for single filers"
    if len(text.split()) > 2:
        cut = RELATIVE_TAIL.sub("", text.strip(" ,.?"))
        text = cut if cut and not PREPOSITION_END.search(cut) else text  # not "the cost of that program" → "cost of"
    text = re.sub(r"(?<=\w{3})\s+(?:[a-z]{2,}[^e\s]ed|being)$", "", text.strip(" ,.?")) if len(text.split()) > 2 else text
    return re.sub(r"\s+(?:programs?|efforts?|ones?)$", "", text.strip(" ,.?'’"), flags=re.I)
