"""The Assistant: the one use-case object every surface (CLI, HTTP, web, eval) calls.

>>> assistant = Assistant(Settings(data_dir="data"))                         # doctest: +SKIP
>>> answer = assistant.ask("What did the visit achieve?")                   # doctest: +SKIP
>>> [c.quote for c in answer.citations]                                     # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from assistant.answer import ExtractiveAnswerer, LLMAnswerer
from assistant.embedding import SentenceTransformerEmbedder
from assistant.models import Answer, BriefMeta, Filters, Passage, StreamEvent, Turn
from assistant.protocols import Answerer, Embedder, Generator
from assistant.retrieve import HybridRetriever, Mode, Retrieval
from assistant.rewrite import rewrite
from assistant.settings import Settings, get_settings
from assistant.store import BriefStore

logger = logging.getLogger(__name__)


class Assistant:
    """Questions in, verified and cited answers out."""

    def __init__(self, settings: Settings | dict | None = None, store: BriefStore | None = None,
                 embedder: Embedder | None = None, generator: Generator | None = None) -> None:
        self.settings = get_settings(settings)
        self.store = store or BriefStore(self.settings)
        self.embedder = embedder or SentenceTransformerEmbedder.from_settings(self.settings)
        self.retriever = HybridRetriever(self.settings, self.store, self.embedder)
        self.extractive = ExtractiveAnswerer(self.settings, self.embedder, self.retriever.briefs)
        if generator is None and self.settings.answerer != "extractive":
            from assistant.llm import make_generator

            generator = make_generator(self.settings)
        self.generator = generator
        self.answerer: Answerer = self.extractive
        if generator is not None:
            fallback = self.extractive if self.settings.llm.fallback_to_extractive else None
            self.answerer = LLMAnswerer(self.settings, generator, self.embedder, self.retriever.briefs, fallback)

    def _prepare(self, question: str, history: list[Turn] | list[dict] | None, filters: Filters | dict | None,
                 top_k: int | None) -> Retrieval:
        turns = [t if isinstance(t, Turn) else Turn.model_validate(t) for t in history or []]
        if isinstance(filters, dict):
            filters = Filters.model_validate(filters)
        t0 = time.perf_counter()
        query = rewrite(question, turns, self.generator)
        t1 = time.perf_counter()
        retrieval = self.retriever.retrieve(query, filters, top_k, question=question)
        retrieval.timings["rewrite_ms"] = (t1 - t0) * 1000
        retrieval.timings["retrieve_ms"] = (time.perf_counter() - t1) * 1000
        return retrieval

    def ask(self, question: str, history: list[Turn] | list[dict] | None = None, filters: Filters | dict | None = None,
            top_k: int | None = None) -> Answer:
        """Answer ``question`` (a follow-up when ``history`` is given) from the briefs."""
        t0 = time.perf_counter()
        retrieval = self._prepare(question, history, filters, top_k)
        answer = self.answerer.answer(question, retrieval)
        answer.timings = {**retrieval.timings, **answer.timings, "total_ms": (time.perf_counter() - t0) * 1000}
        return answer

    def stream(self, question: str, history: list[Turn] | list[dict] | None = None, filters: Filters | dict | None = None,
               top_k: int | None = None) -> Iterator[StreamEvent]:
        """Text deltas as they are produced, then one ``answer`` event with the verified Answer."""
        t0 = time.perf_counter()
        retrieval = self._prepare(question, history, filters, top_k)
        for event in self.answerer.stream(question, retrieval):
            if event.answer is not None:
                event.answer.timings = {**retrieval.timings, **event.answer.timings, "total_ms": (time.perf_counter() - t0) * 1000}
            yield event

    def retrieve(self, query: str, filters: Filters | dict | None = None, top_k: int | None = None, mode: Mode = "hybrid") -> list[Passage]:
        if isinstance(filters, dict):
            filters = Filters.model_validate(filters)
        return self.retriever.retrieve(query, filters, top_k, mode).passages

    def briefs(self) -> list[BriefMeta]:
        return self.store.list_briefs()

    def brief_text(self, brief_id: str) -> str:
        self.store.get_brief(brief_id)
        return self.store.registry.brief_text(brief_id) or ""
