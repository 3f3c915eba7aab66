"""The brief store: Chroma vectors (through llama-index's ChromaVectorStore), the SQLite registry and
a persisted BM25 keyword index, kept consistent with each other.

>>> store = BriefStore(Settings(data_dir="/tmp/briefs"))   # doctest: +SKIP
>>> [b.id for b in store.list_briefs()]                     # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ConfigError, NotFoundError, StoreError
from assistant.models import BriefMeta
from assistant.registry import ChunkRow, Registry
from assistant.settings import Settings, configure_offline

logger = logging.getLogger(__name__)

BM25_DIR = "bm25"


def chunk_id(brief_id: str, generation: str, idx: int) -> str:
    return f"{brief_id}:{generation}:{idx}"


def make_chroma_client(settings: Settings) -> Any:
    """An embedded ``PersistentClient`` under the data dir, or an ``HttpClient`` when chroma_url is set."""
    configure_offline()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        return chromadb.PersistentClient(path=str(settings.data_dir / "chroma"), settings=chroma_settings)
    from urllib.parse import urlparse

    url = urlparse(settings.chroma_url)
    headers = {}
    if settings.chroma_token_env:
        token = os.environ.get(settings.chroma_token_env)
        if not token:
            raise ConfigError(f"BRIEFS_CHROMA_TOKEN_ENV names {settings.chroma_token_env!r}, but that environment variable is empty")
        headers["Authorization"] = f"Bearer {token}"
    try:
        return chromadb.HttpClient(
            host=url.hostname or "localhost",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            headers=headers,
            settings=chroma_settings,
        )
    except Exception as e:  # chromadb raises bare ValueError/ConnectionError here
        raise StoreError(f"Cannot reach the Chroma server at {settings.chroma_url}: {e}") from e


class KeywordIndex:
    """BM25 over committed chunks (llama-index's BM25Retriever on bm25s), persisted and rebuilt when stale."""

    def __init__(self, retriever: Any, revision: int) -> None:
        self.retriever = retriever
        self.revision = revision
        self.ids: list[str] = [c["node_id"] for c in retriever.corpus]
        self.brief_of = np.array([c.get("brief_id", "") for c in retriever.corpus], dtype=object)

    @classmethod
    def build(cls, chunks: list[ChunkRow], revision: int) -> KeywordIndex | None:
        if not chunks:
            return None
        from llama_index.core.schema import TextNode
        from llama_index.retrievers.bm25 import BM25Retriever

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import
        nodes = [TextNode(id_=c.id, text=c.text, metadata={"brief_id": c.brief_id}) for c in chunks]
        return cls(BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=10), revision)

    def persist(self, folder: Path) -> None:
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

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        import bm25s

        r = self.retriever
        tokens = bm25s.tokenize(query, stemmer=r.stemmer, token_pattern=r.token_pattern, show_progress=False)
        if not tokens.vocab:
            return []
        mask = None
        if allowed is not None:
            mask = np.fromiter((b in allowed for b in self.brief_of), dtype=np.float32, count=len(self.brief_of))
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


class BriefStore:
    """Everything persisted: vectors in Chroma, briefs and chunks in the registry, the BM25 index."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.registry = Registry(settings.data_dir / "registry.sqlite3")
        self._client = make_chroma_client(settings)
        self._collection = self._open_collection()
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.vectors = ChromaVectorStore(chroma_collection=self._collection)
        self._keyword: KeywordIndex | None = None
        self._kw_lock = threading.Lock()

    def _open_collection(self) -> Any:
        try:
            return self._client.get_or_create_collection(
                self.settings.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        except Exception as e:
            raise StoreError(f"Cannot open Chroma collection {self.settings.collection!r}: {e}") from e

    # -- writing ----------------------------------------------------------------------------------
    def write_brief(self, meta: BriefMeta, fingerprint: str, text: str, chunks: list[ChunkRow], embeddings: np.ndarray) -> None:
        """Write one brief all-or-nothing: vectors first, then the registry commit, then old vectors go."""
        from llama_index.core.schema import TextNode

        generation = fingerprint[:12]
        nodes = [
            TextNode(
                id_=c.id,
                text=c.text,
                embedding=embeddings[i].tolist(),
                metadata={"brief_id": meta.id, "generation": generation, "title": meta.title, "start": c.start, "end": c.end, "section": c.section or ""},
                excluded_embed_metadata_keys=["brief_id", "generation", "start", "end"],
            )
            for i, c in enumerate(chunks)
        ]
        if nodes:
            self.vectors.add(nodes)
        self.registry.commit_brief(meta, fingerprint, generation, text, chunks)
        self._delete_vectors(meta.id, keep_generation=generation)

    def delete_brief(self, brief_id: str) -> None:
        if not self.registry.delete_brief(brief_id):
            known = ", ".join(b.id for b in self.registry.briefs()[:10]) or "none"
            raise NotFoundError(f"No brief with id {brief_id!r}. Known ids include: {known}")
        self._delete_vectors(brief_id)

    def _delete_vectors(self, brief_id: str, keep_generation: str | None = None) -> None:
        where: dict[str, Any] = {"brief_id": brief_id}
        if keep_generation is not None:
            where = {"$and": [{"brief_id": brief_id}, {"generation": {"$ne": keep_generation}}]}
        self._collection.delete(where=where)

    def recover(self) -> int:
        """Remove vectors that no committed brief owns (left by an interrupted run). Returns how many."""
        committed = self.registry.generations()
        got = self._collection.get(include=["metadatas"])
        orphans = [
            i for i, m in zip(got["ids"], got["metadatas"] or [], strict=False)
            if committed.get((m or {}).get("brief_id")) != (m or {}).get("generation")
        ]
        for start in range(0, len(orphans), 5000):
            self._collection.delete(ids=orphans[start:start + 5000])
        if orphans:
            logger.info("removed %d orphan vectors from an interrupted run", len(orphans))
        return len(orphans)

    def vector_count(self) -> int:
        return int(self._collection.count())

    # -- reading ----------------------------------------------------------------------------------
    def list_briefs(self) -> list[BriefMeta]:
        return self.registry.briefs()

    def get_brief(self, brief_id: str) -> BriefMeta:
        meta = self.registry.brief(brief_id)
        if meta is None:
            raise NotFoundError(f"No brief with id {brief_id!r}")
        return meta

    def dense_search(self, vector: np.ndarray, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the nearest committed chunks, optionally within ``allowed`` briefs."""
        from llama_index.core.vector_stores.types import (
            FilterOperator,
            MetadataFilter,
            MetadataFilters,
            VectorStoreQuery,
        )

        if allowed is not None and not allowed:
            return []
        filters = None
        if allowed is not None:
            filters = MetadataFilters(filters=[MetadataFilter(key="brief_id", value=sorted(allowed), operator=FilterOperator.IN)])
        query = VectorStoreQuery(query_embedding=vector.tolist(), similarity_top_k=k, filters=filters)
        result = self.vectors.query(query)
        # ChromaVectorStore reports exp(-distance); with cosine space distance = 1 - cos.
        return [(i, 1.0 + math.log(max(s, 1e-12))) for i, s in zip(result.ids or [], result.similarities or [], strict=False)]

    def keyword_index(self) -> KeywordIndex | None:
        """The BM25 index for the current registry revision (loaded, or rebuilt and persisted)."""
        revision = self.registry.revision()
        with self._kw_lock:
            if self._keyword is not None and self._keyword.revision == revision:
                return self._keyword
            folder = self.settings.data_dir / BM25_DIR
            index = KeywordIndex.load(folder, revision)
            if index is None:
                index = KeywordIndex.build(self.registry.all_chunks(), revision)
                if index is not None:
                    index.persist(folder)
            self._keyword = index
            return index
