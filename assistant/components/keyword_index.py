"""BM25 over the committed chunks: llama-index's ``BM25Retriever`` on bm25s, persisted under the data dir and
rebuilt whenever the registry revision changes.

>>> index = KeywordIndex.build(registry.all_chunks(), registry.revision())   # doctest: +SKIP
>>> index.search("icebreaker fleet", k=5)                                    # doctest: +SKIP
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from assistant.models import ChunkRow

logger = logging.getLogger(__name__)


class KeywordIndex:
    """BM25 over committed chunks, for one registry revision."""

    def __init__(self, retriever: Any, revision: int) -> None:
        self.retriever = retriever
        self.revision = revision
        self.ids: list[str] = [c["node_id"] for c in retriever.corpus]
        self.brief_of = np.array([c.get("brief_id", "") for c in retriever.corpus], dtype=object)

    @classmethod
    def build(cls, chunks: list[ChunkRow], revision: int) -> KeywordIndex | None:
        if not chunks:
            return None
        from llama_index.core.schema import BaseNode, TextNode
        from llama_index.retrievers.bm25 import BM25Retriever

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import
        nodes: list[BaseNode] = [
            TextNode(id_=c.id, text=c.text, metadata={"brief_id": c.brief_id}) for c in chunks
        ]
        return cls(BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=10), revision)

    def persist(self, folder: Path) -> None:
        """Write to a temporary folder, then swap it in: a crash leaves the old index or none, never half of one."""
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.retriever.persist(str(tmp), show_progress=False)
        (tmp / "revision").write_text(str(self.revision))
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, revision: int) -> KeywordIndex | None:
        try:
            if int((folder / "revision").read_text()) != revision:
                return None
            from llama_index.retrievers.bm25 import BM25Retriever

            return cls(BM25Retriever.from_persist_dir(str(folder)), revision)
        except (OSError, ValueError) as e:
            logger.info("keyword index at %s not usable (%s); rebuilding", folder, e)
            return None

    def unknown(self, text: str) -> tuple[list[str], list[str]]:
        """The words of ``text`` tokenised and stemmed as the index is, and those of them no chunk contains."""
        import bm25s

        r = self.retriever
        tokens = bm25s.tokenize(text, stemmer=r.stemmer, token_pattern=r.token_pattern, show_progress=False,
                                return_ids=False)
        words = tokens[0] if tokens and isinstance(tokens[0], list) else []
        return words, [w for w in words if w not in r.bm25.vocab_dict]

    def document_frequency(self, stems: set[str]) -> dict[str, int]:
        """In how many chunks each stem occurs (0 for a word no brief uses)."""
        bm25 = self.retriever.bm25
        indptr = bm25.scores["indptr"]
        out = {}
        for stem in stems:
            i = bm25.vocab_dict.get(stem)
            out[stem] = 0 if i is None else int(indptr[i + 1] - indptr[i])
        return out

    @property
    def size(self) -> int:
        return int(self.retriever.bm25.scores["num_docs"])

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        import bm25s

        r = self.retriever
        tokens = bm25s.tokenize(query, stemmer=r.stemmer, token_pattern=r.token_pattern, show_progress=False)
        if not tokens.vocab:
            return []
        mask = None
        if allowed is not None:
            mask = np.fromiter(
                (b in allowed for b in self.brief_of), dtype=np.float32, count=len(self.brief_of)
            )
            if not mask.any():
                return []
        k = min(k, len(self.ids))
        idx, scores = r.bm25.retrieve(tokens, k=k, weight_mask=mask, show_progress=False, n_threads=1)
        out = []
        for i, s in zip(idx[0], scores[0], strict=True):
            node_id = i["node_id"] if isinstance(i, dict) else self.ids[int(i)]
            if s > 0:
                out.append((node_id, float(s)))
        return out
