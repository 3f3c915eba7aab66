"""Small protocols the core depends on; backends in :mod:`assistant.components` implement them.

Each protocol is one role with one to four methods. The registry is four roles (what the question path
reads about briefs, what it reads about chunks, the commit point, and the layouts that page numbers and the reader
view read), which :class:`Registry` joins.
This module names only models, never an implementation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from assistant.models import (
        Answer,
        BriefLayout,
        BriefMeta,
        ChunkRow,
        Committed,
        PreparedBrief,
        Retrieval,
        SentenceVectors,
        StreamEvent,
        VectorEntry,
    )


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; ``tokenize`` is the model's own tokenizer (chunks are sized by it)."""

    name: str
    max_tokens: int
    dim: int

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray: ...

    def tokenize(self, text: str) -> list[str]: ...

    def count_tokens(self, text: str) -> int: ...


@runtime_checkable
class SentenceEmbedder(Embedder, Protocol):
    """An embedder that also returns one vector per sentence span from the same forward pass (late chunking)."""

    def embed_with_sentences(
        self, texts: Sequence[str], spans: Sequence[list[tuple[int, int]]], batch_size: int | None = None
    ) -> tuple[np.ndarray, list[SentenceVectors]]: ...


@runtime_checkable
class Generator(Protocol):
    """A chat LLM: messages in, text (or a stream of text pieces) out."""

    name: str

    def generate(self, messages: list[dict[str, str]]) -> str: ...

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]: ...


class Answerer(Protocol):
    """Writes an Answer from retrieved passages (see :mod:`assistant.answering`)."""

    name: str

    def answer(self, question: str, retrieval: Retrieval) -> Answer: ...

    def stream(self, question: str, retrieval: Retrieval) -> Iterator[StreamEvent]: ...


@runtime_checkable
class VectorIndex(Protocol):
    """Chunk vectors, keyed by chunk id, tagged with their brief and generation; ``len()`` counts them."""

    def add(self, rows: Sequence[ChunkRow], vectors: np.ndarray, title: str, generation: str) -> None: ...

    def query(
        self, vector: np.ndarray, k: int, brief_ids: set[str] | None = None, prefilter: bool = True
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the ``k`` nearest vectors, within ``brief_ids`` when given (``prefilter``: a hint that
        the filter is narrow, so the index should filter before searching rather than after)."""
        ...

    def delete(self, brief_id: str, generation: str | None = None, *, keep: bool = False) -> None:
        """Remove a brief's vectors: all of them, those of ``generation``, or (``keep``) all but ``generation``."""
        ...

    def scan(self) -> Iterator[VectorEntry]:
        """Every stored vector's id, brief, generation and write time (what recovery checks)."""
        ...

    def __len__(self) -> int: ...


@runtime_checkable
class BriefRecords(Protocol):
    """Registry role read on the question path: the committed briefs."""

    def revision(self) -> int:
        """Changes whenever the set of committed briefs changes (keys the BM25 and metadata caches)."""
        ...

    def briefs(self) -> list[BriefMeta]: ...

    def brief(self, brief_id: str) -> BriefMeta | None: ...

    def brief_text(self, brief_id: str) -> str | None: ...


@runtime_checkable
class BriefLayouts(Protocol):
    """Registry role of page numbers and the reader view: where a brief's sections and pages start in its text."""

    def brief_layout(self, brief_id: str) -> BriefLayout | None:
        """None for an unknown brief; an empty layout for one stored before layouts were kept."""
        ...


@runtime_checkable
class ChunkRecords(Protocol):
    """Registry role read on the question path: committed chunks and their sentence vectors."""

    def chunks(self, ids: Iterable[str]) -> dict[str, ChunkRow]:
        """The committed chunks among ``ids``; ids of uncommitted or replaced chunks are left out."""
        ...

    def all_chunks(self) -> list[ChunkRow]: ...

    def brief_chunks(self, brief_id: str) -> list[ChunkRow]:
        """A committed brief's chunks, in order."""
        ...

    def sentence_vectors(self, ids: Iterable[str]) -> dict[str, SentenceVectors]:
        """Stored sentence vectors of the committed chunks among ``ids`` (missing ones are computed by the caller)."""
        ...


@runtime_checkable
class Commits(Protocol):
    """Registry role of the writers: ``commit_brief`` is the one commit point of a brief."""

    def committed(self) -> dict[str, Committed]:
        """brief id -> what is committed (generation, fingerprint, path, chunk count), read fresh."""
        ...

    def commit_brief(self, brief: PreparedBrief) -> list[tuple[str, str]]:
        """Commit a brief, its chunks and their sentence vectors atomically; returns the (id, generation) pairs it replaced."""
        ...

    def delete_brief(self, brief_id: str) -> bool: ...


@runtime_checkable
class Registry(BriefRecords, ChunkRecords, Commits, BriefLayouts, Protocol):
    """The registry roles together, as the store uses them."""
