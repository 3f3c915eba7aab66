"""Sentence-aware chunking (llama-index's SentenceSplitter) within sections, with exact character offsets.

Chunks never exceed the embedder's ``max_seq_length`` (counted with the embedder's own tokenizer),
never cross a section boundary, and keep ``start``/``end`` offsets into the cleaned text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Chunk:
    idx: int
    start: int
    end: int
    section: str | None
    text: str


def make_splitter(size: int, overlap: int, max_tokens: int, tokenize: Callable[[str], list]) -> object:
    """A SentenceSplitter that counts tokens like the embedder and fits inside its window."""
    from llama_index.core.node_parser import SentenceSplitter

    limit = max_tokens - 2  # [CLS] and [SEP]
    size = min(size, limit)
    if overlap >= size:
        raise ConfigError(
            f"chunk overlap ({overlap}) must be smaller than the chunk size ({size}); set BRIEFS_CHUNK__OVERLAP lower"
        )
    return SentenceSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        tokenizer=tokenize,
        paragraph_separator="\n\n",
        include_metadata=False,
    )


def chunk_text(text: str, sections: list[tuple[int, str]], splitter: object) -> list[Chunk]:
    """Split each section's body and locate every chunk in ``text``."""
    bounds = _section_bounds(text, sections)
    chunks: list[Chunk] = []
    for start, end, heading in bounds:
        body = text[start:end]
        cursor = 0
        for piece in splitter.split_text(body):  # type: ignore[attr-defined]
            span = _locate(body, piece, cursor)
            if span is None:
                continue
            s, e = span
            cursor = s + 1
            chunks.append(Chunk(len(chunks), start + s, start + e, heading, text[start + s : start + e]))
    return chunks


def _section_bounds(text: str, sections: list[tuple[int, str]]) -> list[tuple[int, int, str | None]]:
    """(start, end, heading) of each section body; a heading's own line is left out of the body."""
    if not sections:
        return [(0, len(text), None)]
    out: list[tuple[int, int, str | None]] = []
    if sections[0][0] > 0:
        out.append((0, sections[0][0], None))
    for i, (off, heading) in enumerate(sections):
        body_start = min(off + len(heading) + 2, len(text))
        end = sections[i + 1][0] if i + 1 < len(sections) else len(text)
        if end > body_start and text[body_start:end].strip():
            out.append((body_start, end, heading))
    return out


def _locate(body: str, piece: str, cursor: int) -> tuple[int, int] | None:
    piece = piece.strip()
    if not piece:
        return None
    at = body.find(piece, max(0, cursor - 1))
    if at < 0:
        at = body.find(piece)
    if at >= 0:
        return at, at + len(piece)
    # The splitter normalised whitespace: match the words with flexible gaps.
    words = [re.escape(w) for w in piece.split()]
    m = re.compile(r"\s+".join(words)).search(body, max(0, cursor - 1)) if words else None
    return (m.start(), m.end()) if m else None
