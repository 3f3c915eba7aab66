"""The question-aware answer pipeline, the same for every surface: understand the question, merge the filters it
states in words with the caller's, resolve a follow-up against the conversation (and the briefs it was about), then
answer with the strategy for its kind.

- **metadata** and **list** questions are answered from the registry, with or without an LLM;
- **summary** questions summarise the one brief they name;
- **compare** questions are answered side by side (each side retrieved on its own);
- **fact** questions go to the extractive fact strategy, or to the LLM answerer (told the expected answer type)
  when one is configured; the LLM's citations are verified as before.

>>> pipeline = AnswerPipeline(settings, retriever, store, embedder)    # doctest: +SKIP
>>> pipeline.answer("Who wrote the brief on U.S.-Mexico trade?", [], None, None, "hybrid").kind   # doctest: +SKIP
'metadata'
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from assistant.answering.aliases import acronyms
from assistant.answering.candidates import CandidateBuilder
from assistant.answering.compare import CompareStrategy
from assistant.answering.fact import FactStrategy
from assistant.answering.listing import ListStrategy
from assistant.answering.metadata import MetadataStrategy
from assistant.answering.rewrite import resolve_references, rewrite
from assistant.answering.summary import SummaryStrategy
from assistant.answering.understand import interpret
from assistant.models import (
    NOT_COVERED,
    NOT_STATED,
    Answer,
    Filters,
    Interpretation,
    Mode,
    Passage,
    Retrieval,
    StreamEvent,
    Turn,
)
from assistant.protocols import Embedder, Generator
from assistant.settings import Settings
from assistant.text import content_terms

logger = logging.getLogger(__name__)


def merge_filters(given: Filters | None, stated: Filters) -> Filters:
    """The caller's filters, with the ones the question states in words filling what the caller left unset."""
    if given is None:
        return stated
    base = stated.model_dump()
    base.update({k: v for k, v in given.model_dump().items() if v not in (None, [], False)})
    return Filters.model_validate(base)


REPLY_CHARS = 500  # of the previous answer, to find the brief it came from (its opening names what it is about)

class AnswerPipeline:
    """Routes a question to the strategy for its kind (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        retriever: Any,
        store: Any,
        embedder: Embedder,
        generator: Generator | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.generator = generator
        self.embedder = embedder
        briefs = retriever.briefs
        builder = CandidateBuilder(embedder, store)
        self.fact = FactStrategy(settings, builder, briefs, store.term_weights, store.passage_count)
        self.metadata = MetadataStrategy(briefs, store.brief_text)
        self.brief_text = store.brief_text
        self._acronym_cache: dict[tuple[str, str], dict[str, frozenset[str]]] = {}
        self.listing = ListStrategy(settings, builder, briefs, store.brief_text)
        self.summary = SummaryStrategy(settings, builder, briefs, store.brief_chunks)
        self.compare = CompareStrategy(settings, builder, briefs, store.term_weights)
        self.llm = None
        if generator is not None:
            from assistant.answering.llm import LLMAnswerer

            fallback = self.fact if settings.llm.fallback_to_extractive else None
            self.llm = LLMAnswerer(settings, generator, embedder, briefs, fallback)

    @property
    def name(self) -> str:
        return self.llm.name if self.llm is not None else self.fact.name

    def answer(
        self,
        question: str,
        history: Sequence[Turn],
        filters: Filters | None,
        top_k: int | None,
        mode: Mode = "hybrid",
    ) -> Answer:
        *_, last = self.stream(question, history, filters, top_k, mode)
        assert last.answer is not None
        return last.answer

    def stream(
        self,
        question: str,
        history: Sequence[Turn],
        filters: Filters | None,
        top_k: int | None,
        mode: Mode = "hybrid",
    ) -> Iterator[StreamEvent]:
        """Text deltas (an LLM's draft, or the extractive answer's sentences), then one event with the Answer."""
        t0 = time.perf_counter()
        turns = [t for t in history if t.role in ("user", "assistant")]
        asked = question
        question = resolve_references(question, turns)  # "the second one" → what the previous answer named second
        interp = interpret(question, turns, self.retriever.briefs())
        if question != asked:
            interp.follow_up = True
            interp.notes.append(f"reads “{asked}” as “{question}”")
        merged = merge_filters(filters, interp.filters)
        query = rewrite(question, turns, self.generator)
        t1 = time.perf_counter()
        prior = self._prior_briefs(turns, merged, mode) if interp.follow_up else []
        if prior:
            interp.notes.append("stays on the brief being discussed: " + ", ".join(prior))

        def retrieve(q: str, k: int | None = None) -> Retrieval:
            if prior:
                within = self.retriever.retrieve(
                    q, merged.model_copy(update={"brief_id": prior}), k or top_k, mode, question=question
                )
                if within.passages and not within.low_confidence:
                    return within
            return self.retriever.retrieve(q, merged, k or top_k, mode, question=question)

        events = self._route(question, query, interp, merged, retrieve, turns)
        for event in events:
            if event.answer is not None:
                a = event.answer
                a.kind, a.interpretation, a.question = interp.kind, interp, asked
                a.query = a.query or query
                a.timings = {
                    **a.timings,
                    "understand_ms": (t1 - t0) * 1000,
                    "total_ms": (time.perf_counter() - t0) * 1000,
                }
            yield event

    def _route(
        self,
        question: str,
        query: str,
        interp: Interpretation,
        filters: Filters,
        retrieve: Any,
        turns: Sequence[Turn] = (),
    ) -> Iterator[StreamEvent]:
        t0 = time.perf_counter()
        match interp.kind:
            case "metadata":
                answer = self.metadata.answer(question, retrieve(query), interp)
            case "list":
                retrieval = retrieve(query, self.settings.answer.list_passages)
                answer = self.listing.answer(
                    question, retrieval, interp, self.retriever.allowed_briefs(filters)
                )
            case "summary":
                answer = self.summary.answer(question, retrieve(self._named(interp, query)), interp)
            case "compare" if len(interp.sides) >= 2:
                answer = self.compare.answer(question, retrieve, interp, query if interp.follow_up else None)
            case _:
                retrieval = retrieve(query)
                if not interp.follow_up:  # a follow-up's query carries the conversation's words, not names it spells
                    retrieval = self._with_acronyms(query, retrieval, retrieve)
                match = query if interp.follow_up and query != question else None
                if self.llm is not None:
                    yield from self.llm.stream(match or question, retrieval, interp)
                else:
                    previous = self._previous_answer(turns) if interp.follow_up else None
                    yield from self.fact.stream(question, retrieval, interp, match, previous)
                return
        answer.timings = {**answer.timings, "answer_ms": (time.perf_counter() - t0) * 1000}
        yield StreamEvent(type="delta", text=answer.text)
        yield StreamEvent(type="answer", answer=answer)

    def _previous_answer(self, turns: Sequence[Turn]) -> np.ndarray | None:
        """The vector of the conversation's last answer (where in the brief the conversation left off)."""
        last = next((t for t in reversed(turns) if t.role == "assistant" and t.content.strip()), None)
        return None if last is None else self.embedder.embed([last.content[:2000]])[0]

    @staticmethod
    def _named(interp: Interpretation, query: str) -> str:
        """What a summary finds its brief by: the topic the question names ("tying federal funds to election
        policies"), not its request words ("Summarize CRS's In Focus on …"); a follow-up's query. (A metadata
        question keeps all its words: found by its topic alone, it lost a sixth of the probe set's metadata items.)"""
        return interp.topic if interp.topic and not interp.follow_up else query

    def _with_acronyms(self, query: str, retrieval: Retrieval, retrieve: Any) -> Retrieval:
        """``retrieval``, or the retrieval of ``query`` with the acronyms its best brief defines for the names it spells
        out: "the National Park Service" finds the passage saying "NPS received a 70% share"."""
        top = retrieval.passages[0].brief_id if retrieval.passages and not retrieval.low_confidence else None
        if top is None:
            return retrieval
        terms = set(content_terms(query))
        extra = [a for a, expansion in self._acronyms_of(top).items()
                 if a not in terms and expansion <= terms and len(expansion) >= 2]
        if not extra:
            return retrieval
        again: Retrieval = retrieve(f"{query} {' '.join(extra)}")
        return retrieval if again.low_confidence or not again.passages else again

    def _acronyms_of(self, brief_id: str) -> dict[str, frozenset[str]]:
        """The acronyms a brief defines (read once per brief and version)."""
        meta = self.retriever.briefs().get(brief_id)
        key = (brief_id, meta.content_hash if meta else "")
        if key not in self._acronym_cache:
            self._acronym_cache[key] = acronyms(self.brief_text(brief_id) or "")
        return self._acronym_cache[key]

    def _prior_briefs(self, turns: list[Turn], filters: Filters, mode: Mode) -> list[str]:
        """The briefs the conversation was about: those the last answer cited, or else the brief that best matches the
        last question asked together with the answer it got (the answer says which brief it came from: "MAP shares
        the cost of overseas marketing …" is the farm bill primer's, though a USDA overview names the program too)."""
        for t in reversed(turns):
            if t.role == "assistant" and t.brief_ids:
                return list(t.brief_ids)
        at = max((i for i, t in enumerate(turns) if t.role == "user"), default=None)
        if at is None:
            return []
        last, earlier = turns[at], turns[:at]
        reply = next((t.content for t in turns[at + 1 :] if t.role == "assistant"), "")
        if reply.startswith((NOT_COVERED, NOT_STATED)):
            reply = ""  # an abstention names briefs that did not answer
        query = f"{rewrite(last.content, earlier, None)} {reply[:REPLY_CHARS]}".strip()
        retrieval = self.retriever.retrieve(query, filters, 5, mode)
        if retrieval.low_confidence or not retrieval.passages:
            return []
        return [leading_brief(retrieval.passages)]


def leading_brief(passages: list[Passage]) -> str:
    """The brief the best passages come from, by their summed scores: one passage of an overview that names the
    program does not outvote several of the brief an answer was drawn from."""
    votes: dict[str, float] = {}
    for p in passages:
        votes[p.brief_id] = votes.get(p.brief_id, 0.0) + p.score
    return max(votes, key=lambda b: votes[b])
