"""List questions ("Which briefs discuss Iran?", "What has CRS published on elections since March?"): the answer is a
set of briefs, newest first, each with its title, report number, date and one cited sentence that shows why it
matches. Filters the question states in words (dates, product type, author) have already narrowed the library; with
no topic left ("Which Legal Sidebars were published on April 20, 2026?") every brief that passes them is listed.

A brief joins the list when its best passage is nearly as similar to the topic as the best brief's
(``answer.list_min_ratio``), counting the overlap between the topic and the brief's title and subject areas.

>>> ListStrategy(settings, builder, briefs, text_of).answer(question, retrieval, interpretation).briefs   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.answering.abstain import BriefsFn, abstention
from assistant.answering.candidates import Candidate, CandidateBuilder, answer_like
from assistant.answering.compose import Cited, brief_citation
from assistant.answering.metadata import human_date
from assistant.models import Answer, BriefMeta, Citation, Interpretation, ListedBrief, Retrieval
from assistant.settings import Settings
from assistant.text import content_terms, sentence_spans

TextOf = Callable[[str], str]
GENERIC = {
    "crs",
    "brief",
    "briefs",
    "report",
    "reports",
    "product",
    "products",
    "publish",
    "cover",
    "deal",
    "discuss",
    "analyz",
    "analys",
    "devot",
    "collect",
    "written",
    "put",
    "out",
}


class ListStrategy:
    """Builds list answers from retrieval (a topic) or from the filters alone (no topic)."""

    name = "registry"

    def __init__(
        self, settings: Settings, builder: CandidateBuilder, briefs: BriefsFn, text_of: TextOf
    ) -> None:
        self.settings = settings
        self.builder = builder
        self.briefs = briefs
        self.text_of = text_of

    def answer(
        self, question: str, retrieval: Retrieval, interpretation: Interpretation, allowed: set[str] | None
    ) -> Answer:
        briefs = self.briefs()
        topic = set(content_terms(interpretation.topic)) - GENERIC
        if topic and retrieval.low_confidence:
            answer = abstention(question, retrieval, retrieval.low_confidence, self.name)
            answer.kind, answer.interpretation = "list", interpretation
            return answer
        cited = Cited(retrieval, briefs)
        evidence: dict[str, Candidate | Citation | None]
        if not topic:
            chosen = [briefs[i] for i in (allowed if allowed is not None else briefs)]
            evidence = {b.id: self._lead(b) for b in chosen}
        else:
            chosen, found = self._by_topic(question, retrieval, topic, briefs)
            evidence = dict(found)
        if not chosen:
            answer = abstention(
                question, retrieval, "no brief matches the question's topic and filters", self.name
            )
            answer.kind, answer.interpretation = "list", interpretation
            return answer
        chosen.sort(key=lambda b: (b.date or "", b.title), reverse=True)
        chosen = chosen[: self.settings.answer.list_max_briefs]
        listed, lines = [], []
        for b in chosen:
            ev = evidence.get(b.id)
            n = cited.add(ev) if isinstance(ev, Citation) else (cited.cite(ev) if ev is not None else None)
            quote = ev.quote if isinstance(ev, Citation) else ev.display if ev is not None else ""
            facts = ", ".join(x for x in (b.series, b.product_type, human_date(b.date)) if x)
            lines.append(f"- “{b.title}” ({facts}): {quote}" + (f" [{n}]" if n else ""))
            listed.append(
                ListedBrief(
                    brief_id=b.id,
                    title=b.title,
                    date=b.date,
                    report_number=b.series,
                    product_type=b.product_type,
                    citation=n,
                )
            )
        head = f"{len(listed)} brief{'s' if len(listed) != 1 else ''} match, newest first:"
        return Answer(
            question=question,
            text="\n".join([head, *lines]),
            citations=cited.citations,
            passages=retrieval.passages,
            query=retrieval.query,
            answerer=self.name,
            kind="list",
            interpretation=interpretation,
            briefs=listed,
            confidence=round(retrieval.confidence, 4),
        )

    def _by_topic(
        self, question: str, retrieval: Retrieval, topic: set[str], briefs: dict[str, BriefMeta]
    ) -> tuple[list[BriefMeta], dict[str, Candidate]]:
        best: dict[str, float] = {}
        for p in retrieval.passages:
            meta = briefs.get(p.brief_id)
            if meta is None:
                continue
            about = set(content_terms(f"{meta.title} {' '.join(meta.topics)}"))
            relevance = (p.dense_score if p.dense_score is not None else 0.0) + 0.25 * len(
                topic & about
            ) / len(topic)
            best[p.brief_id] = max(best.get(p.brief_id, -1.0), relevance)
        if not best:
            return [], {}
        top = max(best.values())
        keep = [b for b, v in best.items() if v >= self.settings.answer.list_min_ratio * top]
        evidence: dict[str, Candidate] = {}
        for bid in keep:
            idx = [i for i, p in enumerate(retrieval.passages) if p.brief_id == bid]
            cands = self.builder.build(question, retrieval, passages=idx)
            if cands:
                evidence[bid] = max(cands, key=lambda c: c.score)
        return [briefs[b] for b in keep], evidence

    def _lead(self, meta: BriefMeta) -> Citation | None:
        """The brief's first prose sentence (what a list of briefs shows when the question names no topic)."""
        text = self.text_of(meta.id)
        for s, e in sentence_spans(text[:6000]):
            if answer_like(text[s:e], meta.title):
                return brief_citation(meta, text, s, e)
        return None
