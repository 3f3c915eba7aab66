"""Choose the registry backend (``settings.registry``): SQLite under the data dir, or a collection on the Chroma server.

>>> registry = make_registry(Settings(data_dir="/tmp/briefs"))   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, assert_never

from assistant.protocols import Registry
from assistant.settings import Settings

REGISTRY_SUFFIX = "_registry"  # server mode: the registry collection is "<collection>_registry"


def make_registry(settings: Settings, chunk_collection: Any = None, client: Any = None) -> Registry:
    """The registry for ``settings.registry``; the Chroma one needs the store's client and chunk collection."""
    match settings.registry:
        case "sqlite" | None:
            from assistant.components.registry_sqlite import SQLiteRegistry

            return SQLiteRegistry(settings.data_dir / "registry.sqlite3")
        case "chroma":
            from assistant.components.registry_chroma import ChromaRegistry
            from assistant.components.sentence_index import SentenceIndex

            if chunk_collection is None or client is None:
                raise ValueError("A Chroma registry needs the store's Chroma client and chunk collection")
            return ChromaRegistry(
                client,
                f"{settings.collection}{REGISTRY_SUFFIX}",
                chunk_collection,
                SentenceIndex(settings.data_dir / "sentences.sqlite3"),
                cache_s=settings.chroma_registry_ttl_s,
            )
        case _ as unreachable:
            assert_never(unreachable)
