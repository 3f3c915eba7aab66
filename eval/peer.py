"""The peer row: what a user would assemble from llama-index's starter docs, scored on the same items.

``VectorStoreIndex.from_documents`` over ``SimpleDirectoryReader`` of the same source files, llama-index's default
``SentenceSplitter`` (1,024 tokens), the same MiniLM embedder, top-5 retrieval; its "answer" is the top passage,
cited as such. Nothing of the assistant is used but the embedding function, so the row shows what our ingest,
retrieval and answering add. The index is persisted under the eval cache, keyed by the sources' content.

>>> pipeline = PeerPipeline(dataset, cache_dir=None, embed=service.embed)   # doctest: +SKIP
>>> pipeline.ask(dataset.items[0]).answer.text[:80]                        # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.models import Answer, Citation, Passage
from eval.datasets import EvalDataset, EvalItem
from eval.index import DEFAULT_CACHE_DIR, source_files

logger = logging.getLogger(__name__)

TOP_K = 5
SUFFIXES = [".md", ".txt", ".html", ".htm", ".pdf", ".docx"]
Embed = Callable[[Sequence[str]], np.ndarray]


def _embedding(embed: Embed) -> Any:
    """A llama-index ``BaseEmbedding`` over an embedding function."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class _Embedding(BaseEmbedding):
        _embed: Any = PrivateAttr()

        def __init__(self, fn: Embed) -> None:
            super().__init__(model_name="all-MiniLM-L6-v2", embed_batch_size=32)
            self._embed = fn

        def _get_query_embedding(self, query: str) -> list[float]:
            return list(map(float, self._embed([query])[0]))

        def _get_text_embedding(self, text: str) -> list[float]:
            return list(map(float, self._embed([text])[0]))

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [list(map(float, v)) for v in self._embed(texts)]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return _Embedding(embed)


def brief_id(path: str) -> str:
    """The id our ingest gives a file (its name, lower-cased, non-word runs as '-'), to score retrieval by brief."""
    return re.sub(r"[\W_]+", "-", Path(path).stem.lower()).strip("-")


class PeerPipeline:
    """Vanilla llama-index RAG over a dataset's sources."""

    top_k = TOP_K

    def __init__(self, dataset: EvalDataset, cache_dir: Path | None, embed: Embed) -> None:
        from llama_index.core import (
            SimpleDirectoryReader,
            StorageContext,
            VectorStoreIndex,
            load_index_from_storage,
        )

        self.embed_model = _embedding(embed)
        h = hashlib.sha256(b"peer-v1")
        for rel, path in source_files(dataset.sources):
            h.update(f"{rel}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
        folder = Path(cache_dir or DEFAULT_CACHE_DIR) / f"peer-{dataset.name}-{h.hexdigest()[:16]}"
        if (folder / "docstore.json").is_file():
            storage = StorageContext.from_defaults(persist_dir=str(folder))
            self.index = load_index_from_storage(storage, embed_model=self.embed_model)
        else:
            t0 = time.perf_counter()
            docs = []
            for root in dataset.sources:
                reader = (
                    SimpleDirectoryReader(input_dir=str(root), recursive=True, required_exts=SUFFIXES)
                    if root.is_dir()
                    else SimpleDirectoryReader(input_files=[str(root)])
                )
                docs += reader.load_data()
            self.index = VectorStoreIndex.from_documents(docs, embed_model=self.embed_model)
            self.index.storage_context.persist(persist_dir=str(folder))
            logger.info("peer index of %d documents built in %.0f s", len(docs), time.perf_counter() - t0)
        self.retriever = self.index.as_retriever(similarity_top_k=TOP_K)

    def describe(self) -> str:
        return (
            "llama-index VectorStoreIndex (SentenceSplitter 1024 tokens, MiniLM, top-5; answer = top passage)"
        )

    def ask(self, item: EvalItem) -> Any:
        from eval.run import ItemOutcome

        t0 = time.perf_counter()
        query = " ".join([t.content for t in item.history if t.role == "user"][-1:] + [item.query])
        nodes = self.retriever.retrieve(query)
        passages = [
            Passage(
                brief_id=brief_id(n.node.metadata.get("file_path", "")),
                title=n.node.metadata.get("file_name", ""),
                text=n.node.get_content(),
                start=0,
                end=len(n.node.get_content()),
                score=float(n.score or 0.0),
            )
            for n in nodes
        ]
        citations = [
            Citation(
                n=1, brief_id=p.brief_id, title=p.title, quote=p.text, start=0, end=len(p.text), score=p.score
            )
            for p in passages[:1]
        ]
        text = f"{passages[0].text} [1]" if passages else ""
        answer = Answer(
            question=item.query,
            text=text,
            citations=citations,
            passages=passages,
            abstained=not passages,
            answerer="peer:llama-index",
        )
        return ItemOutcome(item, answer, (time.perf_counter() - t0) * 1000)
