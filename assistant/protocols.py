"""Small protocols the core depends on; backends implement them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from assistant.models import Answer, StreamEvent
    from assistant.retrieve import Retrieval


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors."""

    name: str
    max_tokens: int

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


@runtime_checkable
class Generator(Protocol):
    """A chat LLM: messages in, text (or a stream of text pieces) out."""

    name: str

    def generate(self, messages: list[dict[str, str]]) -> str: ...

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]: ...


class Answerer(Protocol):
    """Writes an Answer from retrieved passages (see assistant.answer)."""

    name: str

    def answer(self, question: str, retrieval: Retrieval) -> Answer: ...

    def stream(self, question: str, retrieval: Retrieval) -> Iterator[StreamEvent]: ...
