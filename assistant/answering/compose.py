"""Turning chosen sentences into an Answer: numbered citations, each sentence followed by its ``[n]``, the quote the
exact text of the brief at ``[start, end)``.

>>> answer = compose(question, chosen, retrieval, briefs, kind="fact")   # doctest: +SKIP
"""

from __future__ import annotations

from assistant.answering.candidates import Candidate
from assistant.models import Answer, AnswerKind, BriefMeta, Citation, Interpretation, Retrieval


class Cited:
    """Accumulates citations; the same span cited twice gets one number."""

    def __init__(self, retrieval: Retrieval, briefs: dict[str, BriefMeta]) -> None:
        self.retrieval = retrieval
        self.briefs = briefs
        self.citations: list[Citation] = []
        self._index: dict[tuple[str, int, int], int] = {}

    def cite(self, c: Candidate) -> int:
        p = self.retrieval.passages[c.passage]
        key = (p.brief_id, p.start + c.start, p.start + c.end)
        if key not in self._index:
            self._index[key] = len(self.citations) + 1
            self.citations.append(
                c.citation(self._index[key], self.retrieval.passages, self.briefs.get(p.brief_id))
            )
        return self._index[key]

    def add(self, citation: Citation) -> int:
        """A citation built elsewhere (e.g. of a brief's header line), renumbered into this answer."""
        key = (citation.brief_id, citation.start, citation.end)
        if key not in self._index:
            self._index[key] = len(self.citations) + 1
            self.citations.append(citation.model_copy(update={"n": self._index[key]}))
        return self._index[key]

    def sentence(self, c: Candidate) -> str:
        return f"{c.display} [{self.cite(c)}]"


def compose(
    question: str,
    chosen: list[Candidate],
    retrieval: Retrieval,
    briefs: dict[str, BriefMeta],
    *,
    kind: AnswerKind = "fact",
    interpretation: Interpretation | None = None,
    answerer: str = "extractive",
) -> Answer:
    """An answer made of ``chosen`` sentences in the given order, each cited."""
    cited = Cited(retrieval, briefs)
    text = " ".join(cited.sentence(c) for c in chosen)
    return Answer(
        question=question,
        text=text,
        citations=cited.citations,
        passages=retrieval.passages,
        query=retrieval.query,
        answerer=answerer,
        confidence=round(retrieval.confidence, 4),
        kind=kind,
        interpretation=interpretation,
    )


def reading_order(chosen: list[Candidate]) -> list[Candidate]:
    """Sentences grouped by passage (best passage first), each group in document order."""
    first_rank: dict[int, int] = {}
    for r, c in enumerate(sorted(chosen, key=lambda c: -c.score)):
        first_rank.setdefault(c.passage, r)
    return sorted(chosen, key=lambda c: (first_rank[c.passage], c.start))


def brief_citation(meta: BriefMeta, text: str, start: int, end: int) -> Citation:
    """A citation of ``text[start:end]`` of the brief ``meta`` (its header line, a lead sentence), numbered later."""
    return Citation(
        n=0,
        brief_id=meta.id,
        title=meta.title,
        quote=text[start:end],
        start=start,
        end=end,
        score=1.0,
        authors=meta.authors,
        organisation=meta.organisation,
        date=meta.date,
        source=meta.source,
    )
