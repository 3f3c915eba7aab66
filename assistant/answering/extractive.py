"""The default answerer: no LLM, deterministic. It picks the sentences of the retrieved passages that answer
the question and cites each one verbatim (so its citations are exact by construction).

>>> answerer = ExtractiveAnswerer(settings, embedder, briefs_fn, store)   # doctest: +SKIP
>>> answerer.answer("What did the visit achieve?", retrieval).text       # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.answering.abstain import BriefsFn, abstention
from assistant.answering.citations import citation_for_span
from assistant.models import Answer, Citation, Retrieval, SentenceVectors, StreamEvent
from assistant.protocols import Embedder
from assistant.settings import Settings
from assistant.text import MARKER, content_terms, entities, intent_cues, jaccard, sentence_spans, words

logger = logging.getLogger(__name__)
SECTION_BONUS = (
    0.15  # a sentence under a heading that names the question's topic or intent ("The Focal Outcomes")
)
LEAD_BONUS = 0.05  # analysts put the point first: the n-th sentence of a paragraph gets LEAD_BONUS / n
META_SENTENCE = re.compile(
    r"^(This|The present|In this) (article|paper|brief|report|analysis|essay|piece|insight)\b", re.I
)


class SentenceSource(Protocol):
    """Where stored sentence vectors come from (the store), and where ones computed now are kept."""

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, SentenceVectors]: ...

    def remember_sentences(self, chunk_id_: str, sv: SentenceVectors) -> None: ...


@dataclass
class _Candidate:
    passage: int
    start: int
    end: int
    text: str
    lexical: float
    prior: float
    section_match: bool = False
    passage_brief: str = ""
    lead: float = 0.0
    on_focus: bool = False
    vector: np.ndarray | None = None
    score: float = 0.0


class ExtractiveAnswerer:
    """Picks the sentences that answer the question and cites each one verbatim.

    Scoring is query-focused (embedding similarity to the question, content-word overlap, passage rank),
    selection is diverse (maximal marginal relevance) and the chosen sentences are put back in
    document order, so the answer reads in the order the brief argues.
    """

    name = "extractive"

    def __init__(
        self, settings: Settings, embedder: Embedder, briefs: BriefsFn, sentences: SentenceSource
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.briefs = briefs
        self.sentences = sentences

    def answer(self, question: str, retrieval: Retrieval) -> Answer:
        t0 = time.perf_counter()
        if retrieval.low_confidence:
            return abstention(question, retrieval, retrieval.low_confidence, self.name)
        chosen = self._select(question, retrieval)
        if not chosen:
            return abstention(
                question, retrieval, "no sentence in the passages answers the question", self.name
            )
        briefs = self.briefs()
        citations: list[Citation] = []
        parts: list[str] = []
        for c in chosen:
            p = retrieval.passages[c.passage]
            citations.append(
                citation_for_span(len(citations) + 1, p, c.start, c.end, c.score, briefs.get(p.brief_id))
            )
            parts.append(
                f"{MARKER.sub('', c.text)} [{len(citations)}]"
            )  # the source's own footnote marks would read as citations
        ms = (time.perf_counter() - t0) * 1000
        return Answer(
            question=question,
            text=" ".join(parts),
            citations=citations,
            passages=retrieval.passages,
            query=retrieval.query,
            answerer=self.name,
            confidence=round(retrieval.confidence, 4),
            timings={**retrieval.timings, "answer_ms": ms},
        )

    def stream(self, question: str, retrieval: Retrieval) -> Iterator[StreamEvent]:
        answer = self.answer(question, retrieval)
        for piece in re.split(r"(?<=\]) ", answer.text):
            yield StreamEvent(type="delta", text=piece + " ")
        yield StreamEvent(type="answer", answer=answer)

    def _sentences(self, retrieval: Retrieval) -> list[SentenceVectors]:
        """Sentence spans and vectors of each passage: stored at ingest, else embedded now and cached."""
        stored = self.sentences.sentence_vectors([p.chunk_id for p in retrieval.passages])
        out = []
        for p in retrieval.passages:
            if p.chunk_id not in stored:
                spans = sentence_spans(p.text)
                sv = SentenceVectors(spans, self.embedder.embed([p.text[s:e] for s, e in spans]))
                self.sentences.remember_sentences(p.chunk_id, sv)
                stored[p.chunk_id] = sv
            out.append(stored[p.chunk_id])
        return out

    def _candidates(self, question: str, retrieval: Retrieval) -> list[_Candidate]:
        """Prose sentences of the passages with a lexical score: the question's topic words (the
        sentence is implicitly about its brief's title and section heading) plus the question's
        intent cues (in the sentence, or half in its section heading)."""
        q_terms = set(content_terms(question, drop_question_words=True)) or set(content_terms(question))
        cues = set(content_terms(intent_cues(question))) - q_terms
        # what the question asks about, beyond the names it mentions ("population" in "… of Bangladesh?")
        focus = q_terms - set(content_terms(" ".join(entities(question))))
        out: list[_Candidate] = []
        seen: set[str] = set()
        top = max((p.score for p in retrieval.passages), default=1.0) or 1.0
        for i, (p, sv) in enumerate(zip(retrieval.passages, self._sentences(retrieval), strict=True)):
            spans, vecs = sv.spans, sv.vectors
            prior = p.score / top
            title = set(content_terms(p.title))
            section = set(content_terms(p.section or "")) - title
            section_match = bool(section & (q_terms | cues))
            para_start, nth = -2, 0  # -2: no paragraph seen yet
            for (s, e), vec in zip(spans, vecs, strict=True):
                start_of_para = p.text.rfind("\n\n", 0, s)
                nth = nth + 1 if start_of_para == para_start else 0
                para_start = start_of_para
                raw = p.text[s:e]
                text = raw.strip()
                if not _answer_like(text, p.section) or text in seen:
                    continue
                seen.add(text)
                s += len(raw) - len(raw.lstrip())
                terms = set(content_terms(text))
                # a question word in the brief's title is given for all its sentences; one in the heading counts half
                topic = len(q_terms & (terms | title)) + 0.5 * len(q_terms & section - terms - title)
                intent = 1.0 if cues & terms else 0.5 if cues & section else 0.0
                lexical = (topic + intent) / (len(q_terms) + (1 if cues else 0)) if q_terms else 0.0
                on_focus = bool(focus & (terms | title | section) or cues & terms) if focus else True
                out.append(
                    _Candidate(
                        i,
                        s,
                        s + len(text),
                        text,
                        lexical,
                        prior,
                        section_match,
                        p.brief_id,
                        1.0 / (1 + nth),
                        on_focus,
                        vec,
                    )
                )
        return out

    def _select(self, question: str, retrieval: Retrieval) -> list[_Candidate]:
        cfg = self.settings.answer
        cands = self._candidates(question, retrieval)
        if not cands:
            return []
        vecs = np.stack([c.vector for c in cands if c.vector is not None])
        sims = vecs @ retrieval.query_vector
        for c, sim in zip(cands, sims, strict=True):
            c.score = float(
                0.45 * sim
                + 0.4 * c.lexical
                + 0.15 * c.prior
                + LEAD_BONUS * c.lead
                + (SECTION_BONUS if c.section_match else 0.0)
            )
        best = float(sims.max())
        if best < cfg.min_answer_score and max(c.lexical for c in cands) < 0.5:
            return []  # nothing is similar to the question, nor names what it asks about
        if best < cfg.min_focus_score and not any(c.on_focus for c in cands):
            return []  # the briefs mention the names in the question, but not what it asks about them
        return _mmr(cands, cfg.max_sentences)


def _answer_like(text: str, section: str | None) -> bool:
    """Prose sentences only: no headings, table rows, questions or fragments."""
    n = len(words(text))
    return (
        n >= 6
        and "|" not in text
        and not text.endswith("?")
        and text != section
        and not text.startswith(("Figure ", "Table ", "Source"))
        and not META_SENTENCE.match(text)
    )


def _mmr(cands: list[_Candidate], k: int, lam: float = 0.7) -> list[_Candidate]:
    """Maximal marginal relevance with lexical redundancy (sentence vectors from one chunk share its
    context, so their cosine says little about repetition), kept to the best brief unless another
    brief's sentence is nearly as good; returned in reading order."""
    terms = [set(content_terms(c.text)) for c in cands]
    chosen: list[int] = []
    top = max(range(len(cands)), key=lambda i: cands[i].score)
    lead_brief = cands[top].passage_brief
    while len(chosen) < min(k, len(cands)):
        best_i, best_v = -1, -1e9
        for i, c in enumerate(cands):
            if i in chosen or (c.passage_brief != lead_brief and c.score < 0.9 * cands[top].score):
                continue
            redundancy = max((jaccard(terms[i], terms[j]) for j in chosen), default=0.0)
            value = lam * c.score - (1 - lam) * redundancy
            if value > best_v:
                best_i, best_v = i, value
        if best_i < 0 or (chosen and cands[best_i].score < 0.6 * cands[top].score):
            break
        chosen.append(best_i)
    picked = [cands[i] for i in chosen]
    first_rank = {c.passage: r for r, c in reversed(list(enumerate(sorted(picked, key=lambda c: -c.score))))}
    return sorted(picked, key=lambda c: (first_rank[c.passage], c.start))
