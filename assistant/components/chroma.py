"""Chroma as the vector index: an embedded ``PersistentClient`` under the data dir, or an ``HttpClient`` for a
Chroma server, written and queried through llama-index's ``ChromaVectorStore``.

>>> index = make_vector_index(Settings(data_dir="/tmp/briefs"))   # doctest: +SKIP
>>> index.query(vector, k=5)                                       # doctest: +SKIP
[('brief:3f2a…:0', 0.71), …]
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any, assert_never
from urllib.parse import urlparse

import numpy as np

from assistant.errors import ConfigError, StoreError
from assistant.models import ChunkRow, VectorEntry
from assistant.settings import Settings

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
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.collection = collection
        self.location = location
        self._store = ChromaVectorStore(chroma_collection=collection)

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
            self._store.add(nodes)
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
        from llama_index.core.vector_stores.types import (
            FilterOperator,
            MetadataFilter,
            MetadataFilters,
            VectorStoreQuery,
        )

        if brief_ids is not None and not brief_ids:
            return []
        filters = None
        if brief_ids is not None and prefilter:
            filters = MetadataFilters(
                filters=[MetadataFilter(key="brief_id", value=sorted(brief_ids), operator=FilterOperator.IN)]
            )
        top = k if brief_ids is None or prefilter else k * WIDE_FACTOR
        result = self._store.query(
            VectorStoreQuery(query_embedding=vector.tolist(), similarity_top_k=top, filters=filters)
        )
        # ChromaVectorStore reports exp(-distance); with cosine space distance = 1 - cos.
        hits = [
            (i, 1.0 + math.log(max(s, 1e-12)))
            for i, s in zip(result.ids or [], result.similarities or [], strict=False)
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
