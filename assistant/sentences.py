"""Sentence vectors for the extractive answerer, computed at ingest by "late chunking": the chunk's
token embeddings (from the same forward pass that embeds the chunk) are mean-pooled over each
sentence's tokens. Scoring a question's candidate sentences then needs no encoder call.

Vectors are derived data keyed by chunk id (which carries the brief's generation): a missing entry
(older store, another process's brief in server mode) is computed on the fly and cached in memory.

>>> index = SentenceIndex(Path("/tmp/briefs/sentences.sqlite3"))   # doctest: +SKIP
>>> spans, vecs = index.get(["brief:abc:0"])["brief:abc:0"]        # doctest: +SKIP
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

Spans = list[tuple[int, int]]


class SentenceIndex:
    """chunk id -> (sentence spans relative to the chunk text, float16 unit vectors)."""

    def __init__(self, path: Path, cache_size: int = 4096) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS sentences (chunk_id TEXT PRIMARY KEY, spans BLOB NOT NULL, vecs BLOB NOT NULL, dim INTEGER NOT NULL)")
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[Spans, np.ndarray]] = OrderedDict()
        self._cache_size = cache_size

    def put_many(self, items: list[tuple[str, Spans, np.ndarray]]) -> None:
        rows = [(cid, np.asarray(spans, dtype=np.int32).tobytes(), vecs.astype(np.float16).tobytes(), vecs.shape[1] if vecs.ndim == 2 else 0)
                for cid, spans, vecs in items if len(spans)]
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany("INSERT OR REPLACE INTO sentences VALUES (?,?,?,?)", rows)
            self._conn.execute("COMMIT")

    def get(self, chunk_ids: list[str]) -> dict[str, tuple[Spans, np.ndarray]]:
        out: dict[str, tuple[Spans, np.ndarray]] = {}
        missing = []
        with self._lock:
            for cid in chunk_ids:
                if cid in self._cache:
                    self._cache.move_to_end(cid)
                    out[cid] = self._cache[cid]
                else:
                    missing.append(cid)
            if missing:
                marks = ",".join("?" * len(missing))
                for cid, spans, vecs, dim in self._conn.execute(f"SELECT chunk_id, spans, vecs, dim FROM sentences WHERE chunk_id IN ({marks})", missing):
                    s = np.frombuffer(spans, dtype=np.int32).reshape(-1, 2)
                    v = np.frombuffer(vecs, dtype=np.float16).reshape(-1, dim).astype(np.float32)
                    out[cid] = ([(int(a), int(b)) for a, b in s], v)
                    self._remember(cid, out[cid])
        return out

    def remember(self, chunk_id: str, spans: Spans, vecs: np.ndarray) -> None:
        """Cache vectors computed at query time (not persisted: the chunk may belong to another process)."""
        with self._lock:
            self._remember(chunk_id, (spans, vecs))

    def _remember(self, cid: str, value: tuple[Spans, np.ndarray]) -> None:
        self._cache[cid] = value
        self._cache.move_to_end(cid)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def delete_brief(self, brief_id: str, keep_prefix: str | None = None) -> None:
        """Drop a brief's vectors (all generations, or all but ``keep_prefix``)."""
        pattern = brief_id.replace("%", r"\%").replace("_", r"\_") + ":%"
        with self._lock:
            if keep_prefix:
                self._conn.execute(r"DELETE FROM sentences WHERE chunk_id LIKE ? ESCAPE '\' AND chunk_id NOT LIKE ? ESCAPE '\'",
                                   (pattern, keep_prefix.replace("%", r"\%").replace("_", r"\_") + "%"))
            else:
                self._conn.execute(r"DELETE FROM sentences WHERE chunk_id LIKE ? ESCAPE '\'", (pattern,))
            for cid in [c for c in self._cache if c.startswith(brief_id + ":")]:
                del self._cache[cid]


def pool_spans(token_embeddings: np.ndarray, offsets: list[tuple[int, int]], spans: Spans) -> tuple[Spans, np.ndarray]:
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
    return kept, (np.stack(vecs).astype(np.float32) if vecs else np.zeros((0, token_embeddings.shape[1]), np.float32))
