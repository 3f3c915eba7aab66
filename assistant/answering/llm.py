"""The LLM answerer (llama.cpp or an OpenAI-compatible server): numbered sources in, ``[n]``-cited text out,
every citation verified by :class:`~assistant.answering.citations.CitationVerifier` before it is shown.

>>> answerer = LLMAnswerer(settings, generator, embedder, briefs_fn)   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from assistant.answering.abstain import BriefsFn, abstention
from assistant.answering.citations import CitationVerifier, parse_claims
from assistant.answering.fact import FactStrategy
from assistant.errors import LLMError
from assistant.models import Answer, Interpretation, Retrieval, StreamEvent
from assistant.protocols import Embedder, Generator
from assistant.settings import Settings

logger = logging.getLogger(__name__)

NOT_IN_SOURCES = "NOT IN SOURCES"

SYSTEM_PROMPT = (
    "You answer questions about policy briefs using ONLY the numbered sources provided. "
    "Write 1-4 short sentences. End every sentence with the number of the source that supports it, like [1] or [2]. "
    f"Never cite a source that does not say what the sentence says. If the sources do not answer the question, reply exactly: {NOT_IN_SOURCES}"
)


TYPE_HINTS = {
    "amount": "an amount of money",
    "percent": "a percentage",
    "number": "a number",
    "date": "a date",
    "duration": "a length of time",
    "person": "a person's name",
    "organisation": "an organisation's name",
    "place": "a place",
}


def build_messages(
    question: str, retrieval: Retrieval, interpretation: Interpretation | None = None
) -> list[dict[str, str]]:
    sources = "\n\n".join(
        f"[{i}] {p.title}{' — ' + p.section if p.section and p.section != p.title else ''}\n{p.text}"
        for i, p in enumerate(retrieval.passages, 1)
    )
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {
            "role": "user",
            "content": f"Sources:\n\n{sources}\n\nQuestion: {question}\n{_expect(interpretation)}Answer with [n] citations:",
        },
    ]


def _expect(interpretation: Interpretation | None) -> str:
    """Tells the model what kind of value answers the question (so it can say NOT IN SOURCES when none does)."""
    if interpretation is None or not interpretation.answer_types:
        return ""
    wanted = " or ".join(TYPE_HINTS.get(t, t) for t in interpretation.answer_types)
    return f"The answer is {wanted}; if no source states it, reply {NOT_IN_SOURCES}.\n"


class LLMAnswerer:
    """Numbered sources in, ``[n]``-cited text out, every citation verified before it is shown."""

    def __init__(
        self,
        settings: Settings,
        generator: Generator,
        embedder: Embedder,
        briefs: BriefsFn,
        fallback: FactStrategy | None = None,
    ) -> None:
        self.settings = settings
        self.generator = generator
        self.name = f"{settings.answerer}:{generator.name}"
        self.verifier = CitationVerifier(settings.answer, embedder)
        self.briefs = briefs
        self.fallback = fallback

    def answer(
        self, question: str, retrieval: Retrieval, interpretation: Interpretation | None = None
    ) -> Answer:
        *_, last = self.stream(question, retrieval, interpretation)
        assert last.answer is not None
        return last.answer

    def stream(
        self, question: str, retrieval: Retrieval, interpretation: Interpretation | None = None
    ) -> Iterator[StreamEvent]:
        if retrieval.low_confidence:
            yield StreamEvent(
                type="answer", answer=abstention(question, retrieval, retrieval.low_confidence, self.name)
            )
            return
        t0 = time.perf_counter()
        pieces: list[str] = []
        try:
            for piece in self.generator.stream(build_messages(question, retrieval, interpretation)):
                pieces.append(piece)
                yield StreamEvent(type="delta", text=piece)
        except LLMError:
            if self.fallback is None:
                raise
            logger.warning(
                "LLM failed; answering extractively (BRIEFS_LLM__FALLBACK_TO_EXTRACTIVE)", exc_info=True
            )
            yield from self.fallback.stream(question, retrieval, interpretation)
            return
        t1 = time.perf_counter()
        yield StreamEvent(
            type="answer",
            answer=self.finish(question, "".join(pieces), retrieval, {"generate_ms": (t1 - t0) * 1000}),
        )

    def finish(self, question: str, raw: str, retrieval: Retrieval, timings: dict[str, float]) -> Answer:
        """Verify the generated text's citations and build the Answer (or abstain)."""
        t0 = time.perf_counter()
        if NOT_IN_SOURCES.lower() in raw.lower()[:40]:
            answer = abstention(question, retrieval, "the LLM found no answer in the sources", self.name)
        else:
            verified = self.verifier.verify(parse_claims(raw), retrieval.passages, self.briefs())
            if verified.citations:
                answer = Answer(
                    question=question,
                    text=verified.text,
                    citations=verified.citations,
                    passages=retrieval.passages,
                    query=retrieval.query,
                    answerer=self.name,
                    dropped_citations=verified.dropped,
                    confidence=round(retrieval.confidence, 4),
                )
            else:
                answer = abstention(
                    question, retrieval, "no generated sentence was supported by its citation", self.name
                )
                answer.dropped_citations = verified.dropped
        answer.timings = {**retrieval.timings, **timings, "verify_ms": (time.perf_counter() - t0) * 1000}
        return answer
