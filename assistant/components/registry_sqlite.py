"""The embedded registry: a WAL SQLite database under the data dir recording every committed brief, its
cleaned text and layout (sections, page map), its chunks and their sentence vectors.

One transaction (:meth:`SQLiteRegistry.commit_brief`) commits a brief with its chunks and sentence vectors:
that is the brief's commit point. Its vectors were written to the vector index before it, under chunk ids
that carry the brief's generation, so until the commit they are orphans that retrieval ignores.

>>> registry = SQLiteRegistry(Path("/tmp/briefs/registry.sqlite3"))   # doctest: +SKIP
>>> registry.briefs()                                                 # doctest: +SKIP
[]
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.components import sentence_index
from assistant.models import BriefLayout, BriefMeta, ChunkRow, Committed, PreparedBrief, SentenceVectors

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS briefs (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    generation TEXT NOT NULL,
    meta TEXT NOT NULL,
    text TEXT NOT NULL,
    layout TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    brief_id TEXT NOT NULL REFERENCES briefs(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    section TEXT,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_brief ON chunks(brief_id);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
{sentence_index.TABLE};
"""
CHUNK_COLUMNS = 'id, brief_id, idx, start, "end", section, text'


class SQLiteRegistry:
    """The :class:`~assistant.protocols.Registry` of embedded mode; thread-safe."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(briefs)")}
        if "layout" not in columns:  # a store written before page maps: its briefs have no layout until re-ingested
            self._conn.execute("ALTER TABLE briefs ADD COLUMN layout TEXT")
        self._lock = threading.RLock()

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, args: Iterable[object] = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    # -- BriefRecords -----------------------------------------------------------------------------
    def revision(self) -> int:
        rows = self._query("SELECT value FROM state WHERE key='revision'")
        return int(rows[0][0]) if rows else 0

    def briefs(self) -> list[BriefMeta]:
        return [
            BriefMeta.model_validate_json(m) for (m,) in self._query("SELECT meta FROM briefs ORDER BY id")
        ]

    def brief(self, brief_id: str) -> BriefMeta | None:
        rows = self._query("SELECT meta FROM briefs WHERE id=?", (brief_id,))
        return BriefMeta.model_validate_json(rows[0][0]) if rows else None

    def brief_text(self, brief_id: str) -> str | None:
        rows = self._query("SELECT text FROM briefs WHERE id=?", (brief_id,))
        return rows[0][0] if rows else None

    def brief_layout(self, brief_id: str) -> BriefLayout | None:
        rows = self._query("SELECT layout FROM briefs WHERE id=?", (brief_id,))
        if not rows:
            return None
        return BriefLayout.model_validate_json(rows[0][0]) if rows[0][0] else BriefLayout()

    # -- ChunkRecords -----------------------------------------------------------------------------
    def chunks(self, ids: Iterable[str]) -> dict[str, ChunkRow]:
        ids = list(ids)
        out: dict[str, ChunkRow] = {}
        for at in range(0, len(ids), 500):
            part = ids[at : at + 500]
            marks = ",".join("?" * len(part))
            out.update(
                (r[0], ChunkRow(*r))
                for r in self._query(f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE id IN ({marks})", part)
            )
        return out

    def all_chunks(self) -> list[ChunkRow]:
        return [
            ChunkRow(*r) for r in self._query(f"SELECT {CHUNK_COLUMNS} FROM chunks ORDER BY brief_id, idx")
        ]

    def brief_chunks(self, brief_id: str) -> list[ChunkRow]:
        return [
            ChunkRow(*r)
            for r in self._query(
                f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE brief_id=? ORDER BY idx", (brief_id,)
            )
        ]

    def sentence_vectors(self, ids: Iterable[str]) -> dict[str, SentenceVectors]:
        with self._lock:
            return sentence_index.select(self._conn, list(ids))

    # -- Commits ----------------------------------------------------------------------------------
    def committed(self) -> dict[str, Committed]:
        rows = self._query(
            "SELECT b.id, b.generation, b.fingerprint, b.path, "
            "(SELECT COUNT(*) FROM chunks c WHERE c.brief_id = b.id) FROM briefs b"
        )
        return {i: Committed(g, f, p, int(n)) for i, g, f, p, n in rows}

    def sentence_counts(self) -> dict[str, int]:
        """brief id -> committed chunks that have a sentence-vector row (the repair check on recovery)."""
        return dict(
            self._query(
                "SELECT c.brief_id, COUNT(*) FROM chunks c JOIN sentences s ON s.chunk_id = c.id GROUP BY c.brief_id"
            )
        )

    def commit_brief(self, brief: PreparedBrief) -> list[tuple[str, str]]:
        """Replace a brief (and any brief at the same path) with its chunks and sentence vectors, atomically."""
        meta = brief.meta
        with self._transaction() as c:
            replaced = c.execute(
                "SELECT id, generation FROM briefs WHERE id=? OR path=?", (meta.id, meta.path)
            ).fetchall()
            self._drop(c, [i for i, _ in replaced])
            c.execute(
                "INSERT INTO briefs(id, path, fingerprint, generation, meta, text, layout) VALUES (?,?,?,?,?,?,?)",
                (
                    meta.id,
                    meta.path,
                    brief.fingerprint,
                    brief.generation,
                    meta.model_dump_json(),
                    brief.text,
                    brief.layout.model_dump_json(),
                ),
            )
            c.executemany(
                f"INSERT INTO chunks({CHUNK_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
                [(r.id, r.brief_id, r.idx, r.start, r.end, r.section, r.text) for r in brief.chunks],
            )
            c.executemany(
                "INSERT OR REPLACE INTO sentences VALUES (?,?,?,?)",
                [sentence_index.encode(cid, sv) for cid, sv in brief.sentences.items()],
            )
            self._bump(c)
        return [(i, g) for i, g in replaced]

    def put_sentence_vectors(self, items: dict[str, SentenceVectors]) -> None:
        """Store repaired sentence vectors of committed chunks."""
        with self._transaction() as c:
            c.executemany(
                "INSERT OR REPLACE INTO sentences VALUES (?,?,?,?)",
                [sentence_index.encode(cid, sv) for cid, sv in items.items()],
            )

    def delete_brief(self, brief_id: str) -> bool:
        with self._transaction() as c:
            gone = c.execute("SELECT 1 FROM briefs WHERE id=?", (brief_id,)).fetchone() is not None
            if gone:
                self._drop(c, [brief_id])
                self._bump(c)
        return gone

    @staticmethod
    def _drop(c: sqlite3.Connection, brief_ids: list[str]) -> None:
        for bid in brief_ids:
            c.execute(
                "DELETE FROM sentences WHERE chunk_id IN (SELECT id FROM chunks WHERE brief_id=?)", (bid,)
            )
            c.execute("DELETE FROM chunks WHERE brief_id=?", (bid,))
            c.execute("DELETE FROM briefs WHERE id=?", (bid,))

    @staticmethod
    def _bump(c: sqlite3.Connection) -> None:
        c.execute(
            "INSERT INTO state(key, value) VALUES ('revision', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
