"""Questions about a brief itself (who wrote it, when it was published, its report number, version, product type,
publisher, source) are answered from the registry, never from sentences that happen to mention an author, and cited
to the brief's own header text (the "Authors: …" line the cleaner keeps under the title), with offsets like every
other citation. When the brief's text does not state the value (a PDF's document properties), the answer says where
the value comes from and cites nothing.

>>> MetadataStrategy(briefs, text_of).answer(question, retrieval, interpretation).text   # doctest: +SKIP
'“The Army’s XM-30 …” (IF12094) was written by Andrew Feickert and Ebrima M'Bai. [1]'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from assistant.answering.abstain import BriefsFn, abstention
from assistant.answering.compose import Cited, brief_citation
from assistant.models import Answer, BriefMeta, Citation, Interpretation, MetadataField, Retrieval
from assistant.text import content_terms, sentence_spans

TextOf = Callable[[str], str]
HEADER_LINE: dict[MetadataField, re.Pattern[str]] = {
    "authors": re.compile(r"^(?:Author\(s\)|Authors?|By|Written by):\s*.+$", re.M | re.I),
    "date": re.compile(
        r"^(?:Publication Date|Date|Published|Last Updated|Updated):?\s*.+$|^Updated [A-Z][a-z]+ \d{1,2}, \d{4}.*$",
        re.M | re.I,
    ),
    "report_number": re.compile(
        r"^(?:Report No\.?|Report Number|CRS Product Number|Product Number):\s*.+$", re.M | re.I
    ),
    "version": re.compile(r"^Version:\s*.+$", re.M | re.I),
    "product_type": re.compile(r"^(?:Product Type|CRS Product Type):\s*.+$", re.M | re.I),
    "source": re.compile(r"^Source:\s*.+$", re.M | re.I),
}


def target_brief(topic: str, retrieval: Retrieval, briefs: dict[str, BriefMeta]) -> BriefMeta | None:
    """The brief a question names: retrieval's ranking, with the overlap between the topic and each title on top."""
    terms = set(content_terms(topic))
    scores: dict[str, float] = {}
    for rank, p in enumerate(retrieval.passages):
        scores[p.brief_id] = scores.get(p.brief_id, 0.0) + 1.0 / (rank + 2)
    best, value = None, -1.0
    top = max(scores.values(), default=1.0)
    for bid, s in scores.items():
        meta = briefs.get(bid)
        if meta is None:
            continue
        title = set(content_terms(f"{meta.title} {meta.series or ''}"))
        overlap = len(terms & title) / len(terms) if terms else 0.0
        v = s / top + overlap
        if v > value:
            best, value = meta, v
    return best


def human_date(iso: str | None) -> str | None:
    try:
        d = dt.date.fromisoformat(iso or "")
    except ValueError:
        return iso
    return f"{d:%B} {d.day}, {d.year}"


def _names(authors: list[str]) -> str:
    return authors[0] if len(authors) == 1 else ", ".join(authors[:-1]) + " and " + authors[-1]


class MetadataStrategy:
    """Answers metadata questions from the registry, cited to the brief's header text."""

    name = "registry"

    def __init__(self, briefs: BriefsFn, text_of: TextOf) -> None:
        self.briefs = briefs
        self.text_of = text_of

    def answer(self, question: str, retrieval: Retrieval, interpretation: Interpretation) -> Answer:
        briefs = self.briefs()
        meta = target_brief(interpretation.topic, retrieval, briefs)
        if meta is None:
            answer = abstention(question, retrieval, "no brief matches what the question names", self.name)
            answer.kind, answer.interpretation = "metadata", interpretation
            return answer
        text = self.text_of(meta.id)
        cited = Cited(retrieval, briefs)
        sentences = [
            self._sentence(f, meta, text, cited, question)
            for f in interpretation.metadata_fields or ["authors"]
        ]
        return Answer(
            question=question,
            text=" ".join(s for s in sentences if s),
            citations=cited.citations,
            passages=retrieval.passages,
            query=retrieval.query,
            answerer=self.name,
            kind="metadata",
            interpretation=interpretation,
            confidence=round(retrieval.confidence, 4),
        )

    def _sentence(self, field: MetadataField, meta: BriefMeta, text: str, cited: Cited, question: str) -> str:
        name = f"“{meta.title}”" + (f" ({meta.series})" if meta.series else "")
        claim = self._claim(field, meta, name, question)
        if claim is None:
            return f"The library records no {field.replace('_', ' ')} for {name}."
        quote = self._evidence(field, meta, text)
        if quote is None:
            return f"{claim} (from the file's metadata; the text does not state it)"
        return f"{claim} [{cited.add(quote)}]"

    @staticmethod
    def _claim(field: MetadataField, meta: BriefMeta, name: str, question: str) -> str | None:
        updated = (
            "last updated"
            if re.search(r"\b(?:updated|latest|current|most recent|revised)\b", question, re.I)
            else "published"
        )
        match field:
            case "authors":
                return f"{name} was written by {_names(meta.authors)}." if meta.authors else None
            case "date":
                return f"{name} was {updated} on {human_date(meta.date)}." if meta.date else None
            case "report_number":
                return (
                    f"The report number of {name.split(' (')[0]} is {meta.series}." if meta.series else None
                )
            case "version":
                return f"The current version of {name} is version {meta.version}." if meta.version else None
            case "product_type":
                return (
                    f"{name} is {'an' if (meta.product_type or 'x')[0].lower() in 'aeiou' else 'a'} {meta.product_type}."
                    if meta.product_type
                    else None
                )
            case "organisation":
                return f"{name} was published by the {meta.organisation}." if meta.organisation else None
            case "source":
                return f"The original of {name} is at {meta.source}." if meta.source else None
        return None

    @staticmethod
    def _evidence(field: MetadataField, meta: BriefMeta, text: str) -> Citation | None:
        """The header line of the brief's text that states the value (or, for authors and organisation, the first
        sentence naming them), as a citation."""
        m = HEADER_LINE[field].search(text) if field in HEADER_LINE else None
        if m is None and field in ("authors", "organisation"):
            name = (
                meta.authors[0].split()[-1] if field == "authors" and meta.authors else meta.organisation
            ) or ""
            found = re.search(rf"\b{re.escape(name)}\b", text) if name else None
            if found is None:
                return None
            # the whole sentence naming them ("S. M. Saifee Islam is …", initials and all)
            lo = text.rfind("\n", 0, found.start()) + 1
            hi = text.find("\n", found.end())
            hi = len(text) if hi < 0 else hi
            spans = [(lo + a, lo + b) for a, b in sentence_spans(text[lo:hi])]
            s, e = next(((a, b) for a, b in spans if a <= found.start() < b), (lo, hi))
        elif m is None:
            return None
        else:
            s, e = m.span()
        return brief_citation(meta, text, s, e)
