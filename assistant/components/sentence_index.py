"""Sentence vectors for the extractive answerer, computed at ingest by "late chunking": the chunk's
token embeddings (from the same forward pass that embeds the chunk) are mean-pooled over each
sentence's tokens. Scoring a question's candidate sentences then needs no encoder call.

Embedded mode stores them in the registry's own database, committed in the same transaction as the brief
(:class:`~assistant.components.registry_sqlite.SQLiteRegistry`). Server mode keeps them in a local
:class:`SentenceIndex` file (the shared Chroma registry does not hold them); entries missing there (another
process's brief) are computed on the fly and kept in a :class:`SentenceCache`.

>>> index = SentenceIndex(Path("/tmp/briefs/sentences.sqlite3"))   # doctest: +SKIP
>>> index.get(["brief:abc:0"])["brief:abc:0"].spans                # doctest: +SKIP
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from assistant.models import SentenceVectors, Spans

TABLE = "CREATE TABLE IF NOT EXISTS sentences (chunk_id TEXT PRIMARY KEY, spans BLOB NOT NULL, vecs BLOB NOT NULL, dim INTEGER NOT NULL)"


def encode(chunk_id: str, sv: SentenceVectors) -> tuple[str, bytes, bytes, int]:
    """A ``sentences`` row: int32 spans and float16 vectors (a chunk with no sentences still gets a row)."""
    dim = sv.vectors.shape[1] if sv.vectors.ndim == 2 else 0
    return (
        chunk_id,
        np.asarray(sv.spans, dtype=np.int32).tobytes(),
        sv.vectors.astype(np.float16).tobytes(),
        dim,
    )


def decode(spans: bytes, vecs: bytes, dim: int) -> SentenceVectors:
    s = np.frombuffer(spans, dtype=np.int32).reshape(-1, 2)
    v = (
        np.frombuffer(vecs, dtype=np.float16).reshape(-1, max(dim, 1)).astype(np.float32)
        if dim
        else np.zeros((0, 0), np.float32)
    )
    return SentenceVectors([(int(a), int(b)) for a, b in s], v)


def select(conn: sqlite3.Connection, chunk_ids: list[str]) -> dict[str, SentenceVectors]:
    """Rows of ``chunk_ids`` from a ``sentences`` table (in batches under SQLite's variable limit)."""
    out: dict[str, SentenceVectors] = {}
    for at in range(0, len(chunk_ids), 500):
        part = chunk_ids[at : at + 500]
        marks = ",".join("?" * len(part))
        for cid, spans, vecs, dim in conn.execute(
            f"SELECT chunk_id, spans, vecs, dim FROM sentences WHERE chunk_id IN ({marks})", part
        ):
            out[cid] = decode(spans, vecs, dim)
    return out


class SentenceCache:
    """A bounded in-memory LRU of sentence vectors (thread-safe)."""

    def __init__(self, size: int = 4096) -> None:
        self._items: OrderedDict[str, SentenceVectors] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, chunk_ids: Iterable[str]) -> dict[str, SentenceVectors]:
        with self._lock:
            out = {}
            for cid in chunk_ids:
                if cid in self._items:
                    self._items.move_to_end(cid)
                    out[cid] = self._items[cid]
            return out

    def put(self, chunk_id: str, sv: SentenceVectors) -> None:
        with self._lock:
            self._items[chunk_id] = sv
            self._items.move_to_end(chunk_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class SentenceIndex:
    """A local SQLite file of sentence vectors, chunk id -> SentenceVectors (server mode's derived cache)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(TABLE)
        self._lock = threading.Lock()

    def put_many(self, items: dict[str, SentenceVectors]) -> None:
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany(
                "INSERT OR REPLACE INTO sentences VALUES (?,?,?,?)",
                [encode(c, sv) for c, sv in items.items()],
            )
            self._conn.execute("COMMIT")

    def get(self, chunk_ids: Iterable[str]) -> dict[str, SentenceVectors]:
        with self._lock:
            return select(self._conn, list(chunk_ids))

    def delete_brief(self, brief_id: str, keep_generation: str | None = None) -> None:
        """Drop a brief's vectors (every generation, or all but ``keep_generation``)."""
        pattern = _like(brief_id + ":") + "%"
        with self._lock:
            if keep_generation:
                self._conn.execute(
                    r"DELETE FROM sentences WHERE chunk_id LIKE ? ESCAPE '\' AND chunk_id NOT LIKE ? ESCAPE '\'",
                    (pattern, _like(f"{brief_id}:{keep_generation}:") + "%"),
                )
            else:
                self._conn.execute(r"DELETE FROM sentences WHERE chunk_id LIKE ? ESCAPE '\'", (pattern,))

    def close(self) -> None:
        self._conn.close()


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")


def pool_spans(token_embeddings: np.ndarray, offsets: list[tuple[int, int]], spans: Spans) -> SentenceVectors:
    """Mean-pool token embeddings over each character span; spans with no tokens (truncated) are dropped."""
    starts = np.array([a for a, _ in offsets])
    ends = np.array([b for _, b in offsets])
    real = ends > starts
    kept: Spans = []
    vecs = []
    for s, e in spans:
        mask = real & (starts >= s) & (ends <= e)
        if not mask.any():
            continue
        v = token_embeddings[mask].mean(axis=0)
        n = float(np.linalg.norm(v))
        if n > 0:
            kept.append((s, e))
            vecs.append(v / n)
    return SentenceVectors(
        kept,
        np.stack(vecs).astype(np.float32) if vecs else np.zeros((0, token_embeddings.shape[1]), np.float32),
    )
