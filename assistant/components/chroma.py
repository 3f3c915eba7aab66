"""Chroma as the vector index: an embedded ``PersistentClient`` under the data dir, or an ``HttpClient`` for a
Chroma server. Writes go through llama-index's ``ChromaVectorStore``; questions query the collection directly
(distances only), so answering never imports llama-index. The collection's metadata records which embedder
made its vectors (:meth:`ChromaVectorIndex.recorded_embedder`).

>>> index = make_vector_index(Settings(data_dir="/tmp/briefs"))   # doctest: +SKIP
>>> index.query(vector, k=5)                                       # doctest: +SKIP
[('brief:3f2a…:0', 0.71), …]
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any, assert_never
from urllib.parse import urlparse

import numpy as np

from assistant.errors import ConfigError, StoreError
from assistant.models import ChunkRow, VectorEntry
from assistant.settings import Settings

EMBEDDER_KEY = "briefs_embedder"  # collection metadata: the fingerprint of the embedder that made the vectors
PAGE = 10000  # records per get() when scanning: memory stays flat on large shared collections
WIDE_FACTOR = 3  # unfiltered search over k * 3, then drop excluded briefs (see ChromaVectorIndex.query)


def make_chroma_client(settings: Settings) -> Any:
    """The Chroma client for ``settings.store``: embedded under the data dir, or the server at ``chroma_url``."""
    try:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
    except ImportError as e:
        raise ConfigError("The Chroma vector index needs chromadb: pip install chromadb") from e
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    match settings.store:
        case "embedded" | None:
            return chromadb.PersistentClient(path=str(settings.data_dir / "chroma"), settings=chroma_settings)
        case "server":
            return _http_client(chromadb, chroma_settings, settings)
        case _ as unreachable:
            assert_never(unreachable)


def _http_client(chromadb: Any, chroma_settings: Any, settings: Settings) -> Any:
    url = urlparse(settings.chroma_url or "")
    headers = {}
    if settings.chroma_token_env:
        token = os.environ.get(settings.chroma_token_env)
        if not token:
            raise ConfigError(
                f"BRIEFS_CHROMA_TOKEN_ENV names {settings.chroma_token_env!r}, but that environment variable is empty"
            )
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


def open_collection(client: Any, settings: Settings) -> Any:
    try:
        return client.get_or_create_collection(
            settings.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
    except Exception as e:
        raise StoreError(
            f"Cannot open Chroma collection {settings.collection!r} at {where(settings)}: {e}"
        ) from e


def where(settings: Settings) -> str:
    return settings.chroma_url or str(settings.data_dir / "chroma")


class ChromaVectorIndex:
    """The :class:`~assistant.protocols.VectorIndex` on one Chroma collection."""

    def __init__(self, collection: Any, location: str) -> None:
        self.collection = collection
        self.location = location

    @cached_property
    def _max_batch(self) -> int:
        """The most records one Chroma write takes (5,461 embedded): larger writes go in parts."""
        try:
            return int(self.collection._client.get_max_batch_size())  # noqa: SLF001  # no public route to it
        except Exception:  # an older client or a server that does not say
            return 1000

    @cached_property
    def _store(self) -> Any:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.collection)

    def recorded_embedder(self) -> str | None:
        """The fingerprint of the embedder this collection's vectors were made with (None: not recorded)."""
        value = (self.collection.metadata or {}).get(EMBEDDER_KEY)
        return str(value) if value else None

    def record_embedder(self, fingerprint: str) -> None:
        """Record ``fingerprint`` as the embedder of this collection's vectors (the distance function is kept)."""
        meta = {k: v for k, v in (self.collection.metadata or {}).items() if not k.startswith("hnsw:")}
        try:
            self.collection.modify(metadata={**meta, EMBEDDER_KEY: fingerprint})
        except Exception as e:  # chromadb/httpx errors: name the store
            raise StoreError(f"Cannot record the embedder on Chroma at {self.location}: {e}") from e

    def add(self, rows: Sequence[ChunkRow], vectors: np.ndarray, title: str, generation: str) -> None:
        from llama_index.core.schema import BaseNode, TextNode

        written_at = (
            time.time()
        )  # lets recovery in server mode tell abandoned vectors from ones being written
        nodes: list[BaseNode] = [
            TextNode(
                id_=r.id,
                text=r.text,
                embedding=vectors[i].tolist(),
                metadata={
                    "brief_id": r.brief_id,
                    "generation": generation,
                    "title": title,
                    "start": r.start,
                    "end": r.end,
                    "section": r.section or "",
                    "idx": r.idx,
                    "written_at": written_at,
                },
                excluded_embed_metadata_keys=["brief_id", "generation", "start", "end", "idx", "written_at"],
            )
            for i, r in enumerate(rows)
        ]
        if not nodes:
            return
        try:
            for at in range(0, len(nodes), self._max_batch):  # a long brief can exceed what Chroma takes at once
                self._store.add(nodes[at : at + self._max_batch])
        except Exception as e:  # chromadb/httpx errors: name the brief and the store
            raise StoreError(
                f"Cannot write the vectors of brief {rows[0].brief_id!r} to Chroma at {self.location}: {e}"
            ) from e

    def query(
        self, vector: np.ndarray, k: int, brief_ids: set[str] | None = None, prefilter: bool = True
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the nearest vectors. With ``prefilter`` Chroma filters by brief id (right for a
        narrow filter); without it the search runs unfiltered over ``k * 3`` and drops other briefs afterwards, much
        faster when the filter excludes only a few briefs (older versions) of a large store."""
        if brief_ids is not None and not brief_ids:
            return []
        where = {"brief_id": {"$in": sorted(brief_ids)}} if brief_ids is not None and prefilter else None
        top = k if brief_ids is None or prefilter else k * WIDE_FACTOR
        try:
            result = self.collection.query(
                query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
                n_results=top,
                where=where,
                include=["distances"],
            )
        except Exception as e:  # chromadb/httpx errors: name the store
            raise StoreError(f"Cannot query the vectors in Chroma at {self.location}: {e}") from e
        # cosine space: distance = 1 - cos
        hits = [
            (i, 1.0 - float(d))
            for i, d in zip((result["ids"] or [[]])[0], (result["distances"] or [[]])[0], strict=False)
        ]
        if brief_ids is not None and not prefilter:
            hits = [(i, s) for i, s in hits if i.rsplit(":", 2)[0] in brief_ids][:k]
        return hits

    def delete(self, brief_id: str, generation: str | None = None, *, keep: bool = False) -> None:
        clause: dict[str, Any] = {"brief_id": brief_id}
        if generation is not None:
            clause = {
                "$and": [{"brief_id": brief_id}, {"generation": {"$ne" if keep else "$eq": generation}}]
            }
        self.collection.delete(where=clause)

    def scan(self) -> Iterator[VectorEntry]:
        for offset in itertools.count(0, PAGE):
            got = self.collection.get(include=["metadatas"], limit=PAGE, offset=offset)
            for i, m in zip(got["ids"], got["metadatas"] or [], strict=False):
                m = m or {}
                yield VectorEntry(
                    i, str(m.get("brief_id")), str(m.get("generation")), float(m.get("written_at") or 0.0)
                )
            if len(got["ids"]) < PAGE:
                return

    def __len__(self) -> int:
        return int(self.collection.count())


def make_vector_index(settings: Settings, client: Any | None = None) -> ChromaVectorIndex:
    """The vector index for ``settings`` (Chroma, embedded or server); ``client`` reuses an open Chroma client."""
    client = client if client is not None else make_chroma_client(settings)
    return ChromaVectorIndex(open_collection(client, settings), where(settings))
