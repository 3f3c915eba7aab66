"""Answerers behind :class:`~assistant.protocols.Answerer`, chosen by ``settings.answerer``: the extractive one
(no LLM) or the LLM one over a :class:`~assistant.protocols.Generator`; both return the same Answer.

>>> answerer = make_answerer(settings, embedder, briefs_fn, store, generator=None)   # doctest: +SKIP
"""

from __future__ import annotations

from assistant.answering.abstain import BriefsFn
from assistant.answering.extractive import ExtractiveAnswerer, SentenceSource
from assistant.protocols import Answerer, Embedder, Generator
from assistant.settings import Settings


def make_answerer(
    settings: Settings,
    embedder: Embedder,
    briefs: BriefsFn,
    sentences: SentenceSource,
    generator: Generator | None = None,
) -> Answerer:
    """The extractive answerer, or the LLM answerer when a generator is configured (falling back to the
    extractive one on LLM errors when ``llm.fallback_to_extractive`` is set)."""
    extractive = ExtractiveAnswerer(settings, embedder, briefs, sentences)
    if generator is None:
        return extractive
    from assistant.answering.llm import LLMAnswerer

    fallback = extractive if settings.llm.fallback_to_extractive else None
    return LLMAnswerer(settings, generator, embedder, briefs, fallback)
