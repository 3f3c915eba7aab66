"""The brief store: Chroma vectors (through llama-index's ChromaVectorStore), the registry and a
persisted BM25 keyword index, kept consistent with each other.

Embedded mode (no ``chroma_url``): a PersistentClient and a SQLite registry under the data dir.
Server mode (``chroma_url`` set): an HttpClient, and the registry lives on the Chroma server too
(:mod:`assistant.registry_chroma`), so processes with different data dirs share one set of briefs;
only the BM25 cache stays in the local data dir, rebuilt whenever the shared registry changes.

>>> store = BriefStore(Settings(data_dir="/tmp/briefs"))   # doctest: +SKIP
>>> [b.id for b in store.list_briefs()]                     # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ConfigError, NotFoundError, StoreError
from assistant.models import BriefMeta
from assistant.registry import ChunkRow, Registry, make_registry
from assistant.settings import Settings, configure_offline

logger = logging.getLogger(__name__)

BM25_DIR = "bm25"
DELETE_BATCH = 5000
RECOVER_PAGE = 10000


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
        from llama_index.core.schema import BaseNode, TextNode
        from llama_index.retrievers.bm25 import BM25Retriever

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import
        nodes: list[BaseNode] = [TextNode(id_=c.id, text=c.text, metadata={"brief_id": c.brief_id}) for c in chunks]
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
        self.shared = settings.chroma_url is not None  # other processes write to the same collections
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._client = make_chroma_client(settings)
        self._collection = self._open_collection()
        self.registry: Registry = make_registry(settings, self._collection, self._client)
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
            where = self.settings.chroma_url or str(self.settings.data_dir / "chroma")
            raise StoreError(f"Cannot open Chroma collection {self.settings.collection!r} at {where}: {e}") from e

    # -- writing ----------------------------------------------------------------------------------
    def write_brief(self, meta: BriefMeta, fingerprint: str, text: str, chunks: list[ChunkRow], embeddings: np.ndarray) -> None:
        """Write one brief all-or-nothing: vectors first, then the registry commit, then old vectors go."""
        generation = fingerprint[:12]
        self._add_vectors(meta, generation, chunks, embeddings)
        replaced = self.registry.commit_brief(meta, fingerprint, generation, text, chunks)
        if self.shared:  # only the generations this commit replaced: another process may be writing a newer one
            for brief_id, old in replaced:
                if (brief_id, old) != (meta.id, generation):
                    self._delete_generation(brief_id, old)
        else:
            self._delete_vectors(meta.id, keep_generation=generation)

    def _add_vectors(self, meta: BriefMeta, generation: str, chunks: list[ChunkRow], embeddings: np.ndarray) -> None:
        from llama_index.core.schema import BaseNode, TextNode

        written_at = time.time()  # lets recovery in server mode tell abandoned vectors from ones being written
        nodes: list[BaseNode] = [
            TextNode(
                id_=c.id,
                text=c.text,
                embedding=embeddings[i].tolist(),
                metadata={"brief_id": meta.id, "generation": generation, "title": meta.title, "start": c.start, "end": c.end,
                          "section": c.section or "", "idx": c.idx, "written_at": written_at},
                excluded_embed_metadata_keys=["brief_id", "generation", "start", "end", "idx", "written_at"],
            )
            for i, c in enumerate(chunks)
        ]
        if nodes:
            try:
                self.vectors.add(nodes)
            except Exception as e:  # chromadb/httpx errors: name the brief and the store
                where = self.settings.chroma_url or str(self.settings.data_dir / "chroma")
                raise StoreError(f"Cannot write the vectors of brief {meta.id!r} to Chroma at {where}: {e}") from e

    def delete_brief(self, brief_id: str) -> None:
        generation = self.registry.generations().get(brief_id) if self.shared else None
        if not self.registry.delete_brief(brief_id):
            known = ", ".join(b.id for b in self.registry.briefs()[:10]) or "none"
            raise NotFoundError(f"No brief with id {brief_id!r}. Known ids include: {known}")
        if generation is not None:
            self._delete_generation(brief_id, generation)
        else:
            self._delete_vectors(brief_id)

    def _delete_vectors(self, brief_id: str, keep_generation: str | None = None) -> None:
        where: dict[str, Any] = {"brief_id": brief_id}
        if keep_generation is not None:
            where = {"$and": [{"brief_id": brief_id}, {"generation": {"$ne": keep_generation}}]}
        self._collection.delete(where=where)

    def _delete_generation(self, brief_id: str, generation: str) -> None:
        self._collection.delete(where={"$and": [{"brief_id": brief_id}, {"generation": generation}]})

    def recover(self) -> int:
        """Remove vectors that no committed brief owns (left by an interrupted run). Returns how many.

        In server mode only vectors older than ``chroma_orphan_grace_s`` go: younger ones may belong to a
        brief another process is writing right now and is about to commit.
        """
        where = None
        if self.shared:
            where = {"written_at": {"$lt": time.time() - self.settings.chroma_orphan_grace_s}}
        committed = self.registry.generations()
        orphans: list[str] = []
        for offset in itertools.count(0, RECOVER_PAGE):  # pages keep memory flat on large shared collections
            got = self._collection.get(where=where, include=["metadatas"], limit=RECOVER_PAGE, offset=offset)
            orphans += [
                i for i, m in zip(got["ids"], got["metadatas"] or [], strict=False)
                if committed.get(str((m or {}).get("brief_id"))) != (m or {}).get("generation")
            ]
            if len(got["ids"]) < RECOVER_PAGE:
                break
        for start in range(0, len(orphans), DELETE_BATCH):
            self._collection.delete(ids=orphans[start:start + DELETE_BATCH])
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

    def dense_search(self, vector: np.ndarray, k: int, allowed: set[str] | None = None,
                     prefilter: bool = True) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the nearest committed chunks, optionally within ``allowed`` briefs.

        With ``prefilter`` Chroma filters by brief id (right for a narrow filter); without it the search
        runs unfiltered over 3k and drops other briefs afterwards, which is much faster when the filter
        excludes only a few briefs (older versions) from a large store."""
        from llama_index.core.vector_stores.types import (
            FilterOperator,
            MetadataFilter,
            MetadataFilters,
            VectorStoreQuery,
        )

        if allowed is not None and not allowed:
            return []
        filters = None
        if allowed is not None and prefilter:
            filters = MetadataFilters(filters=[MetadataFilter(key="brief_id", value=sorted(allowed), operator=FilterOperator.IN)])
        top = k if allowed is None or prefilter else k * 3
        result = self.vectors.query(VectorStoreQuery(query_embedding=vector.tolist(), similarity_top_k=top, filters=filters))
        # ChromaVectorStore reports exp(-distance); with cosine space distance = 1 - cos.
        hits = [(i, 1.0 + math.log(max(s, 1e-12))) for i, s in zip(result.ids or [], result.similarities or [], strict=False)]
        if allowed is not None and not prefilter:
            hits = [(i, s) for i, s in hits if i.rsplit(":", 2)[0] in allowed][:k]
        return hits

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
