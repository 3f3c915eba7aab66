"""The shared registry for server mode: one record per committed brief in ``<collection>_registry`` on
the Chroma server, so every process that shares the server (on any machine, with any data dir) sees
the same briefs.

A record is ``id = brief id``, ``document = cleaned text`` and metadata ``{generation, fingerprint,
path, meta (BriefMeta JSON), layout (BriefLayout JSON), committed_at}``; upserting that one record is the atomic commit point of a
brief. Chunk rows are not copied: they are the chunk collection's own documents and metadata
(``brief_id``, ``generation``, ``idx``, ``start``, ``end``, ``section``), and a chunk counts only while
its ``(brief_id, generation)`` is the committed one. The revision is a hash of the committed
``(id, generation)`` pairs, so every process notices any other's commit and rebuilds its BM25 index.
Sentence vectors are derived data kept in a local :class:`~assistant.components.sentence_index.SentenceIndex`
(written after the commit; another process's briefs get theirs computed on the fly by the answerer).

>>> registry = ChromaRegistry(client, "briefs_registry", client.get_collection("briefs"))   # doctest: +SKIP
>>> registry.revision()                                                                      # doctest: +SKIP
0
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assistant.components.sentence_index import SentenceIndex
from assistant.errors import StoreError
from assistant.models import BriefLayout, BriefMeta, ChunkRow, Committed, PreparedBrief, SentenceVectors

logger = logging.getLogger(__name__)

PLACEHOLDER_EMBEDDING = [0.0]  # Chroma requires a vector per record; registry records are never searched
CHUNKS_PER_GET = 4000  # chunk rows fetched per request when rebuilding BM25


@dataclass(frozen=True, slots=True)
class _Record:
    generation: str
    fingerprint: str
    path: str
    meta: BriefMeta


class ChromaRegistry:
    """The :class:`~assistant.registry.Registry` kept in a Chroma collection next to the chunks.

    Reads on the question path (revision, briefs, chunks) use a snapshot of the registry records that is
    at most ``cache_s`` old; reads that decide what to write or delete (generations, by_path) are fresh.
    """

    def __init__(
        self, client: Any, name: str, chunk_collection: Any, sentences: SentenceIndex, cache_s: float = 2.0
    ) -> None:
        self.name = name
        self.cache_s = cache_s
        self._chunks = chunk_collection
        self._sentences = sentences
        try:
            self._records = client.get_or_create_collection(
                name, embedding_function=None, metadata={"hnsw:space": "l2"}
            )
        except Exception as e:
            raise StoreError(f"Cannot open the registry collection {name!r} on the Chroma server: {e}") from e
        self._snap: dict[str, _Record] = {}
        self._snap_at = float("-inf")
        self._lock = threading.Lock()

    def close(self) -> None:
        """The HTTP client belongs to the store; only the local sentence file is closed."""
        self._sentences.close()

    # -- snapshot ---------------------------------------------------------------------------------
    def _snapshot(self, fresh: bool = False) -> dict[str, _Record]:
        with self._lock:
            if fresh or time.monotonic() - self._snap_at > self.cache_s:
                got = self._call("read", lambda: self._records.get(include=["metadatas"]))
                snap = {}
                for i, m in zip(got["ids"], got["metadatas"] or [], strict=True):
                    snap[i] = _Record(
                        m["generation"], m["fingerprint"], m["path"], BriefMeta.model_validate_json(m["meta"])
                    )
                self._snap, self._snap_at = snap, time.monotonic()
            return self._snap

    def _invalidate(self) -> None:
        with self._lock:
            self._snap_at = float("-inf")

    def _call(self, what: str, fn: Any) -> Any:
        try:
            return fn()
        except Exception as e:  # chromadb raises httpx and its own errors; the user needs to know which store
            raise StoreError(
                f"Cannot {what} the shared registry {self.name!r} on the Chroma server: {e}"
            ) from e

    # -- reads ------------------------------------------------------------------------------------
    def revision(self) -> int:
        pairs = sorted((i, r.generation) for i, r in self._snapshot().items())
        if not pairs:
            return 0
        digest = hashlib.sha256("\n".join(f"{i}\t{g}" for i, g in pairs).encode()).hexdigest()
        return int(digest[:15], 16)

    def briefs(self) -> list[BriefMeta]:
        snap = self._snapshot()
        return [snap[i].meta for i in sorted(snap)]

    def brief(self, brief_id: str) -> BriefMeta | None:
        record = self._snapshot().get(brief_id)
        return record.meta if record else None

    def brief_text(self, brief_id: str) -> str | None:
        got = self._call("read", lambda: self._records.get(ids=[brief_id], include=["documents"]))
        return got["documents"][0] if got["ids"] else None

    def brief_layout(self, brief_id: str) -> BriefLayout | None:
        got = self._call("read", lambda: self._records.get(ids=[brief_id], include=["metadatas"]))
        if not got["ids"]:
            return None
        raw = (got["metadatas"] or [{}])[0].get("layout")
        return BriefLayout.model_validate_json(raw) if raw else BriefLayout()

    def committed(self) -> dict[str, Committed]:
        return {
            i: Committed(r.generation, r.fingerprint, r.path, r.meta.chunks)
            for i, r in self._snapshot(fresh=True).items()
        }

    def sentence_vectors(self, ids: Iterable[str]) -> dict[str, SentenceVectors]:
        return self._sentences.get(ids)

    def chunks(self, ids: Iterable[str]) -> dict[str, ChunkRow]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        got = self._call(
            "read chunks for", lambda: self._chunks.get(ids=ids, include=["documents", "metadatas"])
        )
        return self._rows(got, {i: r.generation for i, r in self._snapshot().items()})

    def brief_chunks(self, brief_id: str) -> list[ChunkRow]:
        record = self._snapshot().get(brief_id)
        if record is None:
            return []
        where = {"$and": [{"brief_id": brief_id}, {"generation": record.generation}]}
        got = self._call(
            "read chunks for", lambda: self._chunks.get(where=where, include=["documents", "metadatas"])
        )
        return sorted(self._rows(got, {brief_id: record.generation}).values(), key=lambda r: r.idx)

    def all_chunks(self) -> list[ChunkRow]:
        """Every committed chunk, fetched a group of briefs at a time (each request is consistent)."""
        snap = self._snapshot(fresh=True)
        committed = {i: r.generation for i, r in snap.items()}
        rows: list[ChunkRow] = []
        for group in _groups(sorted(snap), lambda i: snap[i].meta.chunks, CHUNKS_PER_GET):
            where = {"brief_id": {"$in": group}} if len(group) > 1 else {"brief_id": group[0]}
            got = self._call(
                "read chunks for",
                lambda w=where: self._chunks.get(where=w, include=["documents", "metadatas"]),
            )
            rows.extend(self._rows(got, committed).values())
        rows.sort(key=lambda r: (r.brief_id, r.idx))
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.brief_id] = counts.get(r.brief_id, 0) + 1
        short = [i for i, r in snap.items() if counts.get(i, 0) != r.meta.chunks]
        if short:
            logger.warning(
                "%d committed briefs have fewer or more chunks in Chroma than registered: %s",
                len(short),
                short[:5],
            )
        return rows

    @staticmethod
    def _rows(got: dict[str, Any], committed: dict[str, str]) -> dict[str, ChunkRow]:
        out: dict[str, ChunkRow] = {}
        for cid, doc, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True):
            m = m or {}
            if committed.get(str(m.get("brief_id"))) != m.get("generation"):
                continue  # being written by another process, or replaced and awaiting deletion
            idx = m["idx"] if "idx" in m else int(cid.rsplit(":", 1)[-1])
            out[cid] = ChunkRow(
                cid, m["brief_id"], int(idx), int(m["start"]), int(m["end"]), m.get("section") or None, doc
            )
        return out

    # -- writes -----------------------------------------------------------------------------------
    def commit_brief(self, brief: PreparedBrief) -> list[tuple[str, str]]:
        """Upsert the brief's one record (the commit point), then drop any other brief at the same path."""
        meta, fingerprint, generation, text = brief.meta, brief.fingerprint, brief.generation, brief.text
        same_path = self._call(
            "read", lambda: self._records.get(where={"path": meta.path}, include=["metadatas"])
        )
        same_id = self._call("read", lambda: self._records.get(ids=[meta.id], include=["metadatas"]))
        replaced = {
            i: m["generation"]
            for got in (same_path, same_id)
            for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)
        }
        record = {
            "generation": generation,
            "fingerprint": fingerprint,
            "path": meta.path,
            "meta": meta.model_dump_json(),
            "layout": brief.layout.model_dump_json(),
            "committed_at": time.time(),
        }
        self._call(
            "write",
            lambda: self._records.upsert(
                ids=[meta.id], embeddings=[PLACEHOLDER_EMBEDDING], documents=[text], metadatas=[record]
            ),
        )
        others = [i for i in replaced if i != meta.id]
        if others:
            self._call("write", lambda: self._records.delete(ids=others))
        self._invalidate()
        self._sentences.put_many(brief.sentences)  # derived: a crash here only costs recomputation
        self._sentences.delete_brief(meta.id, keep_generation=generation)
        return sorted(replaced.items())

    def delete_brief(self, brief_id: str) -> bool:
        got = self._call("read", lambda: self._records.get(ids=[brief_id], include=[]))
        if not got["ids"]:
            return False
        self._call("write", lambda: self._records.delete(ids=[brief_id]))
        self._invalidate()
        self._sentences.delete_brief(brief_id)
        return True


def _groups(ids: list[str], size: Any, limit: int) -> Iterable[list[str]]:
    """Consecutive groups of ids whose summed ``size(id)`` stays under ``limit`` (one id may exceed it)."""
    group: list[str] = []
    total = 0
    for i in ids:
        n = max(1, int(size(i)))
        if group and total + n > limit:
            yield group
            group, total = [], 0
        group.append(i)
        total += n
    if group:
        yield group
