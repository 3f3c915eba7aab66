"""Summaries of one brief: its main points in reading order, 3–6 cited sentences drawn from across the brief (not
from one chunk), scoped to the brief the question names.

Every prose sentence of the brief is a candidate. A sentence scores by how central it is to the brief (cosine to the
mean of all its sentence vectors), whether it leads its paragraph, how early it comes, and how much of the question's
topic it names; selection spreads over the brief's sections (one sentence per section first, then the best of the
rest), then the sentences are put back in the brief's order.

>>> SummaryStrategy(settings, builder, briefs, chunks_of).answer(question, retrieval, interpretation).text   # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np

from assistant.answering.abstain import BriefsFn, abstention
from assistant.answering.candidates import Candidate, CandidateBuilder
from assistant.answering.compose import compose
from assistant.answering.metadata import target_brief
from assistant.models import Answer, ChunkRow, Interpretation, Passage, Retrieval
from assistant.settings import Settings
from assistant.text import jaccard

ChunksOf = Callable[[str], list[ChunkRow]]
SPECIFIC = re.compile(
    r"[$€£]\s?\d|\b\d[\d,.]*\s?(?:%|percent|million|billion)|\b(?:19|20)\d{2}\b|\b[A-Z]{2,}s?\b|\b\d{2,}\b|"
    r"\b(?:P\.L\.|H\.R\.|S\.)\s?\d"
)


# the section in which a brief's authors summarise it themselves
OWN_SUMMARY = re.compile(r"^\s*(?:executive summary|summary|key (?:findings|takeaways|points)|overview|abstract|in brief)\s*$", re.I)


def summary_length(sentences: int, most: int) -> int:
    """Sentences in the summary of a brief with this many prose sentences: about their square root (a two-page In
    Focus of ~45 gets 6 or ``most``, whichever is fewer), at least 3."""
    return max(min(3, most), min(most, round(math.sqrt(sentences))))


def specificity(text: str) -> float:
    """How much a sentence pins down (amounts, percentages, years, acronyms of bodies and programs, laws), from 0 to
    1: a brief's main points are its findings and figures, not its framing ("Policymakers continue to debate …")."""
    return min(1.0, len(set(SPECIFIC.findall(text))) / 3)


class SummaryStrategy:
    """The main points of the brief a question names."""

    name = "extractive"

    def __init__(
        self, settings: Settings, builder: CandidateBuilder, briefs: BriefsFn, chunks_of: ChunksOf
    ) -> None:
        self.settings = settings
        self.builder = builder
        self.briefs = briefs
        self.chunks_of = chunks_of

    def answer(self, question: str, retrieval: Retrieval, interpretation: Interpretation) -> Answer:
        briefs = self.briefs()
        meta = target_brief(interpretation.topic, retrieval, briefs)
        chunks = self.chunks_of(meta.id) if meta else []
        if meta is None or not chunks:
            answer = abstention(question, retrieval, "no brief matches what the question names", self.name)
            answer.kind, answer.interpretation = "summary", interpretation
            return answer
        passages = [
            Passage(
                brief_id=meta.id,
                title=meta.title,
                text=c.text,
                start=c.start,
                end=c.end,
                score=1.0,
                chunk_id=c.id,
                section=c.section,
            )
            for c in chunks
        ]
        whole = Retrieval(
            retrieval.query, passages, retrieval.query_vector, retrieval.confidence, None, retrieval.timings
        )
        cands = self.builder.build(question, whole)
        if not cands:
            answer = abstention(question, whole, f"no prose sentence in “{meta.title}”", self.name)
            answer.kind, answer.interpretation = "summary", interpretation
            return answer
        k = summary_length(len(cands), self.settings.answer.summary_sentences)
        own = [c for c in cands if c.section and OWN_SUMMARY.match(c.section)]
        if len(own) >= k:  # the authors' own summary states the main points: the answer draws from it
            interpretation.notes.append(f"from the brief's own “{own[0].section}” section")
            cands = own
        centroid = np.mean(np.stack([c.vector for c in cands]), axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        n = len(chunks)
        first_of_section: set[int] = set()
        seen_sections: set[str | None] = set()
        for c in sorted(cands, key=lambda c: (c.passage, c.start)):
            if c.section not in seen_sections:
                seen_sections.add(c.section)
                first_of_section.add(id(c))
        # central to the brief and to its own section: a section's main point, not the brief's framing repeated
        section_centroid = {}
        for section in {c.section for c in cands}:
            m = np.mean(np.stack([c.vector for c in cands if c.section == section]), axis=0)
            section_centroid[section] = m / (np.linalg.norm(m) or 1.0)
        for c in cands:
            position = 1.0 - c.passage / max(1, n)
            c.score = float(0.2 * (c.vector @ centroid) + 0.2 * (c.vector @ section_centroid[c.section])
                            + 0.15 * (id(c) in first_of_section) + 0.1 * c.lead + 0.1 * position
                            + 0.3 * specificity(c.text) + 0.05 * c.lexical)
        chosen = sorted(
            self._spread(cands, k),
            key=lambda c: (c.passage, c.start),
        )
        answer = compose(
            question, chosen, whole, briefs, kind="summary", interpretation=interpretation, answerer=self.name
        )
        answer.text = f"“{meta.title}”" + (f" ({meta.series})" if meta.series else "") + ": " + answer.text
        return answer

    @staticmethod
    def _spread(cands: list[Candidate], k: int) -> list[Candidate]:
        """The best sentence of each section in turn (most central sections first), without near-repeats."""
        by_section: dict[str | None, list[Candidate]] = {}
        for c in sorted(cands, key=lambda c: -c.score):
            by_section.setdefault(c.section, []).append(c)
        chosen: list[Candidate] = []
        while len(chosen) < k and any(by_section.values()):
            for section in sorted(
                by_section, key=lambda s: -(by_section[s][0].score if by_section[s] else -9)
            ):
                group = by_section[section]
                while group and any(jaccard(group[0].terms, x.terms) > 0.5 for x in chosen):
                    group.pop(0)
                if group and len(chosen) < k:
                    chosen.append(group.pop(0))
        return chosen
