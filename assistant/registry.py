"""The brief registry: the record of every committed brief, its cleaned text and its chunks.

The registry is the source of truth for what is ingested. A brief's chunks are written to the vector
store first and committed here in one step; vectors that no committed brief owns are orphans,
ignored by retrieval and removed by :meth:`BriefStore.recover`. That makes a brief all-or-nothing.

Two backends implement the :class:`Registry` protocol, chosen by :func:`make_registry`:
:class:`SQLiteRegistry` (a WAL database under the data dir, the embedded default) and
:class:`~assistant.registry_chroma.ChromaRegistry` (a second collection on the shared Chroma server,
used whenever ``chroma_url`` is set, so that every process sharing the server shares one registry).

>>> registry = make_registry(Settings(data_dir="/tmp/briefs"))   # doctest: +SKIP
>>> registry.briefs()                                            # doctest: +SKIP
[]
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from assistant.models import BriefMeta
from assistant.settings import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS briefs (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    generation TEXT NOT NULL,
    meta TEXT NOT NULL,
    text TEXT NOT NULL
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
"""


@dataclass(frozen=True, slots=True)
class ChunkRow:
    id: str
    brief_id: str
    idx: int
    start: int
    end: int
    section: str | None
    text: str


REGISTRY_SUFFIX = "_registry"  # server mode: the registry collection is "<collection>_registry"


@runtime_checkable
class Registry(Protocol):
    """What the store needs from a registry. ``commit_brief`` is the atomic commit point of a brief."""

    def revision(self) -> int:
        """Changes whenever the set of committed briefs changes (keys the BM25 and metadata caches)."""
        ...

    def briefs(self) -> list[BriefMeta]: ...

    def brief(self, brief_id: str) -> BriefMeta | None: ...

    def brief_text(self, brief_id: str) -> str | None: ...

    def by_path(self) -> dict[str, tuple[str, str]]:
        """path -> (brief id, fingerprint)."""
        ...

    def generations(self) -> dict[str, str]:
        """brief id -> committed generation, read fresh (recover() decides what to delete from it)."""
        ...

    def chunks(self, ids: Iterable[str]) -> dict[str, ChunkRow]:
        """The committed chunks among ``ids``; ids of uncommitted or replaced chunks are left out."""
        ...

    def all_chunks(self) -> list[ChunkRow]: ...

    def chunk_count(self) -> int: ...

    def commit_brief(self, meta: BriefMeta, fingerprint: str, generation: str, text: str,
                     chunks: list[ChunkRow]) -> list[tuple[str, str]]:
        """Commit a brief atomically; returns the (brief id, generation) pairs it replaced."""
        ...

    def delete_brief(self, brief_id: str) -> bool: ...

    def close(self) -> None: ...


def make_registry(settings: Settings, chunk_collection: Any = None, client: Any = None) -> Registry:
    """SQLite under the data dir (embedded), or a collection on the Chroma server when chroma_url is set.

    ``chunk_collection`` and ``client`` are the store's Chroma chunk collection and client (server mode only).
    """
    match settings.chroma_url:
        case None:
            return SQLiteRegistry(settings.data_dir / "registry.sqlite3")
        case _:
            from assistant.registry_chroma import ChromaRegistry

            if chunk_collection is None or client is None:
                raise ValueError("A Chroma registry needs the store's Chroma client and chunk collection")
            return ChromaRegistry(client, f"{settings.collection}{REGISTRY_SUFFIX}", chunk_collection,
                                  cache_s=settings.chroma_registry_ttl_s)


class SQLiteRegistry:
    """Thread-safe access to the registry database (embedded mode)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
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

    # -- reads ------------------------------------------------------------------------------------
    def revision(self) -> int:
        rows = self._query("SELECT value FROM state WHERE key='revision'")
        return int(rows[0][0]) if rows else 0

    def briefs(self) -> list[BriefMeta]:
        return [BriefMeta.model_validate_json(m) for (m,) in self._query("SELECT meta FROM briefs ORDER BY id")]

    def brief(self, brief_id: str) -> BriefMeta | None:
        rows = self._query("SELECT meta FROM briefs WHERE id=?", (brief_id,))
        return BriefMeta.model_validate_json(rows[0][0]) if rows else None

    def brief_text(self, brief_id: str) -> str | None:
        rows = self._query("SELECT text FROM briefs WHERE id=?", (brief_id,))
        return rows[0][0] if rows else None

    def by_path(self) -> dict[str, tuple[str, str]]:
        """path -> (brief id, fingerprint)."""
        return {p: (i, f) for i, p, f in self._query("SELECT id, path, fingerprint FROM briefs")}

    def generations(self) -> dict[str, str]:
        return dict(self._query("SELECT id, generation FROM briefs"))

    def chunks(self, ids: Iterable[str]) -> dict[str, ChunkRow]:
        ids = list(ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._query(f'SELECT id, brief_id, idx, start, "end", section, text FROM chunks WHERE id IN ({marks})', ids)
        return {r[0]: ChunkRow(*r) for r in rows}

    def all_chunks(self) -> list[ChunkRow]:
        return [ChunkRow(*r) for r in self._query('SELECT id, brief_id, idx, start, "end", section, text FROM chunks ORDER BY brief_id, idx')]

    def chunk_count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM chunks")[0][0])

    # -- writes -----------------------------------------------------------------------------------
    def commit_brief(self, meta: BriefMeta, fingerprint: str, generation: str, text: str,
                     chunks: list[ChunkRow]) -> list[tuple[str, str]]:
        """Replace a brief and its chunks atomically (a brief at the same path is replaced too)."""
        with self.transaction() as c:
            replaced = c.execute("SELECT id, generation FROM briefs WHERE id=? OR path=?", (meta.id, meta.path)).fetchall()
            c.execute("DELETE FROM chunks WHERE brief_id IN (SELECT id FROM briefs WHERE id=? OR path=?)", (meta.id, meta.path))
            c.execute("DELETE FROM briefs WHERE id=? OR path=?", (meta.id, meta.path))
            c.execute(
                "INSERT INTO briefs(id, path, fingerprint, generation, meta, text) VALUES (?,?,?,?,?,?)",
                (meta.id, meta.path, fingerprint, generation, meta.model_dump_json(), text),
            )
            c.executemany(
                'INSERT INTO chunks(id, brief_id, idx, start, "end", section, text) VALUES (?,?,?,?,?,?,?)',
                [(r.id, r.brief_id, r.idx, r.start, r.end, r.section, r.text) for r in chunks],
            )
            self._bump(c)
        return [(i, g) for i, g in replaced]

    def delete_brief(self, brief_id: str) -> bool:
        with self.transaction() as c:
            c.execute("DELETE FROM chunks WHERE brief_id=?", (brief_id,))
            gone = c.execute("DELETE FROM briefs WHERE id=?", (brief_id,)).rowcount > 0
            if gone:
                self._bump(c)
        return gone

    @staticmethod
    def _bump(c: sqlite3.Connection) -> None:
        c.execute(
            "INSERT INTO state(key, value) VALUES ('revision', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def get_state(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM state WHERE key=?", (key,))
        return rows[0][0] if rows else None

    def set_state(self, key: str, value: object) -> None:
        with self.transaction() as c:
            c.execute("INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, json.dumps(value) if not isinstance(value, str) else value))
