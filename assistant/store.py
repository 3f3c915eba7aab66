"""The brief store: one component that owns everything persisted — chunk vectors (a
:class:`~assistant.protocols.VectorIndex`, Chroma), the registry (SQLite, or Chroma in server mode) with the
sentence vectors, and the BM25 keyword index — and keeps them consistent.

Why a crash never loses or half-writes a brief (the whole argument lives here):

1. **One commit point.** A brief is written vectors first, under chunk ids that carry its *generation*
   (from its content fingerprint), then committed by one registry call (:meth:`Registry.commit_brief`: one
   SQLite transaction with its chunks and sentence vectors; one record upsert in server mode). Until that
   call returns, retrieval ignores the new vectors (it only reads chunks the registry lists), and the
   previous generation, if any, still answers.
2. **Derived data follows the registry.** Old generations' vectors are deleted after the commit; BM25 is
   rebuilt whenever the registry revision changes; both can be redone at any time.
3. **One writer at a time, one recovery.** In embedded mode every write and every recovery holds a
   cross-process lock on the data dir, so :meth:`recover` only ever sees vectors of dead writers and
   removes them; then it re-embeds any committed brief whose vectors or sentence vectors are incomplete
   (from the chunk text the registry holds). In server mode writers on other machines cannot share a file
   lock, so recovery leaves vectors younger than ``chroma_orphan_grace_s`` alone.
4. **One delete path**: :meth:`delete_brief` (registry first, then its vectors).

>>> store = BriefStore(Settings(data_dir="/tmp/briefs"))   # doctest: +SKIP
>>> [b.id for b in store.list_briefs()]                     # doctest: +SKIP
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.components.keyword_index import KeywordIndex
from assistant.components.sentence_index import SentenceCache
from assistant.errors import BusyError, ConfigError, NotFoundError
from assistant.models import BriefMeta, ChunkRow, PreparedBrief, SentenceVectors
from assistant.protocols import Embedder, Registry, SentenceEmbedder, VectorIndex
from assistant.settings import Settings
from assistant.text import sentence_spans

logger = logging.getLogger(__name__)

BM25_DIR = "bm25"
LEGACY_BACKEND = "sentence-transformers/"  # fingerprint prefix of the one backend that existed before the record
LOCK_FILE = "writer.lock"


def chunk_id(brief_id: str, generation: str, idx: int) -> str:
    return f"{brief_id}:{generation}:{idx}"


def embed_header(title: str, section: str | None) -> str:
    """Context the embedder sees before a chunk: the brief title and the section heading."""
    return (title if not section or section == title else f"{title} — {section}") + "\n"


def embedder_fingerprint(embedder: Embedder) -> str:
    """What identifies the vectors an embedder makes: backend, model, precision and model content
    (``fingerprint``), or its name for embedders that have none (the test fakes)."""
    return str(getattr(embedder, "fingerprint", None) or embedder.name)


def embed_chunks(
    embedder: Embedder, briefs: Sequence[tuple[str, Sequence[ChunkRow]]]
) -> list[tuple[np.ndarray, dict[str, SentenceVectors]]]:
    """Vectors (and, from the same forward pass when the embedder can, sentence vectors) for the chunks of
    several briefs at once, given as (title, chunks) pairs; sentence spans come back relative to the chunk text."""
    texts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    for title, rows in briefs:
        for r in rows:
            head = embed_header(title, r.section)
            texts.append(head + r.text)
            spans.append([(len(head) + s, len(head) + e) for s, e in sentence_spans(r.text)])
    if isinstance(embedder, SentenceEmbedder):
        vectors, pooled = embedder.embed_with_sentences(texts, spans)
    else:
        vectors, pooled = embedder.embed(texts), None
    out, at = [], 0
    for title, rows in briefs:
        sentences: dict[str, SentenceVectors] = {}
        if pooled is not None:
            for r, sv in zip(rows, pooled[at : at + len(rows)], strict=True):
                shift = len(embed_header(title, r.section))
                sentences[r.id] = SentenceVectors([(s - shift, e - shift) for s, e in sv.spans], sv.vectors)
        out.append((vectors[at : at + len(rows)], sentences))
        at += len(rows)
    return out


class WriterLock:
    """An exclusive, re-entrant (per process) lock on the data dir shared by every process that writes to it."""

    def __init__(self, path: Path, timeout_s: float) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._local = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._local:
            if self._depth == 0:
                self._acquire()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release()

    def _acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
                    os.close(fd)
                    raise BusyError(
                        f"The data dir {self.path.parent} is being written by {holder} and stayed locked for "
                        f"{self.timeout_s:g}s (BRIEFS_INGEST__LOCK_TIMEOUT_S); try again when it has finished."
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"process {os.getpid()}".encode(), 0)
        self._fd = fd

    def _release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@dataclass
class Recovery:
    """What :meth:`BriefStore.recover` found and did."""

    orphans: int = 0  # vectors removed
    repaired: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # found but not repaired (no embedder given)


class BriefStore:
    """Everything persisted, kept consistent (see the module docstring for why a crash is safe)."""

    def __init__(
        self, settings: Settings, vectors: VectorIndex | None = None, registry: Registry | None = None
    ) -> None:
        from assistant.components.chroma import make_chroma_client, make_vector_index
        from assistant.components.registry import make_registry

        self.settings = settings
        self.shared = (
            settings.store == "server"
        )  # other processes, maybe on other machines, write to the same collections
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        client = make_chroma_client(settings) if vectors is None or registry is None else None
        self.vectors: VectorIndex = vectors if vectors is not None else make_vector_index(settings, client)
        self.registry: Registry = (
            registry
            if registry is not None
            else make_registry(settings, getattr(self.vectors, "collection", None), client)
        )
        self._writer = WriterLock(settings.data_dir / LOCK_FILE, settings.ingest.lock_timeout_s)
        self._keyword: KeywordIndex | None = None
        self._kw_lock = threading.Lock()
        self._sentence_cache = SentenceCache()
        self._briefs: tuple[int, list[BriefMeta]] = (-1, [])  # list_briefs per registry revision
        self._briefs_lock = threading.Lock()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the data dir's writer lock (embedded mode; a no-op in server mode)."""
        if self.shared:
            yield
            return
        with self._writer.held():
            yield

    # -- writing ----------------------------------------------------------------------------------
    def write_brief(self, brief: PreparedBrief, vectors: np.ndarray) -> None:
        """Write one brief all-or-nothing: vectors, then the registry commit, then the old generations' vectors go."""
        meta, generation = brief.meta, brief.generation
        with self.writing():
            self.vectors.add(brief.chunks, vectors, meta.title, generation)
            replaced = self.registry.commit_brief(brief)
            for brief_id, old in replaced:
                if brief_id != meta.id:
                    self.vectors.delete(
                        brief_id, old if self.shared else None
                    )  # another brief at the same path
                elif self.shared and old != generation:
                    self.vectors.delete(
                        brief_id, old
                    )  # only what this commit replaced: another process may write a newer one
            if not self.shared and replaced:  # a new brief has no older vectors (those of a write that failed
                self.vectors.delete(meta.id, generation, keep=True)  # before its commit: the next recovery's)

    def delete_brief(self, brief_id: str) -> BriefMeta:
        """The one delete path: the registry record (with chunks and sentence vectors), then the vectors."""
        with self.writing():
            meta = self.get_brief(brief_id)
            generation = self.registry.committed().get(brief_id) if self.shared else None
            if not self.registry.delete_brief(brief_id):
                raise self._not_found(brief_id)
            self.vectors.delete(brief_id, generation.generation if generation else None)
        return meta

    def recover(self, embedder: Embedder | None = None) -> Recovery:
        """Remove vectors no committed brief owns, then re-embed committed briefs whose vectors or sentence vectors
        are incomplete (when ``embedder`` is given). Runs under the writer lock."""
        report = Recovery()
        with self.writing():
            committed = self.registry.committed()
            cutoff = time.time() - self.settings.chroma_orphan_grace_s if self.shared else float("inf")
            counts: Counter[str] = Counter()
            orphans: Counter[tuple[str, str]] = Counter()
            for e in self.vectors.scan():
                owner = committed.get(e.brief_id)
                if owner is not None and owner.generation == e.generation:
                    counts[e.brief_id] += 1
                elif e.written_at < cutoff:
                    orphans[(e.brief_id, e.generation)] += 1
            for brief_id, generation in sorted(orphans):
                self.vectors.delete(brief_id, generation)
            report.orphans = sum(orphans.values())
            sentence_counts = getattr(self.registry, "sentence_counts", lambda: None)()
            for brief_id, c in sorted(committed.items()):
                vectors_short = counts[brief_id] != c.chunks
                sentences_short = sentence_counts is not None and sentence_counts.get(brief_id, 0) != c.chunks
                if vectors_short or sentences_short:
                    if embedder is None:
                        report.incomplete.append(brief_id)
                    else:
                        self._repair(embedder, brief_id, c.generation, c.chunks, vectors_short)
                        report.repaired.append(brief_id)
        if orphans:
            logger.info(
                "removed %d vectors of %d uncommitted brief generation(s) left by an interrupted run",
                report.orphans,
                len(orphans),
            )
        if report.repaired:
            logger.warning(
                "re-embedded %d brief(s) whose vectors were incomplete: %s",
                len(report.repaired),
                report.repaired[:5],
            )
        return report

    def _repair(self, embedder: Embedder, brief_id: str, generation: str, n: int, vectors_too: bool) -> None:
        meta = self.get_brief(brief_id)
        rows = self.registry.chunks(chunk_id(brief_id, generation, i) for i in range(n))
        ordered = [rows[k] for k in sorted(rows, key=lambda k: rows[k].idx)]
        [(vecs, sentences)] = embed_chunks(embedder, [(meta.title, ordered)])
        if vectors_too:
            self.vectors.delete(brief_id, generation)
            self.vectors.add(ordered, vecs, meta.title, generation)
        put = getattr(self.registry, "put_sentence_vectors", None)
        if put is not None and sentences:
            put(sentences)

    # -- which embedder made the vectors -----------------------------------------------------------
    def recorded_embedder(self) -> str | None:
        """The fingerprint recorded with the vectors (None: an empty store, or one older than the record)."""
        read = getattr(self.vectors, "recorded_embedder", None)
        return read() if read is not None else None

    def check_embedder(self, embedder: Embedder) -> None:
        """Raise ConfigError when the stored vectors were made by another embedder than ``embedder``: a question
        embedded by one model (or backend, or precision) must never be compared with another's vectors."""
        recorded, current = self.recorded_embedder(), embedder_fingerprint(embedder)
        if recorded is None:
            if current.startswith(LEGACY_BACKEND) or len(self.vectors) == 0:
                return  # empty, or made before the record existed, when sentence-transformers was the only backend
            recorded = f"{LEGACY_BACKEND} (recorded before embedder fingerprints were)"
        if recorded != current:
            raise ConfigError(
                f"The vectors in {self.where} were made by the embedder {recorded!r}, but the configured one is "
                f"{current!r} (settings embedder, embed_precision, embed_model). Configure the embedder the store was "
                "built with, or re-embed the store with this one: briefs ingest <your folders> (it re-embeds every brief)."
            )

    def adopt_embedder(self, embedder: Embedder, fresh: set[str]) -> int:
        """Make ``embedder`` the store's. When the vectors were made by another one, first re-embed every committed
        brief not in ``fresh`` (those an ingest just wrote, or found already embedded by ``embedder``) from its stored
        chunks. Returns how many briefs were re-embedded."""
        current = embedder_fingerprint(embedder)
        record = getattr(self.vectors, "record_embedder", None)
        recorded = self.recorded_embedder()
        if record is None or recorded == current:
            return 0
        with self.writing():
            committed = self.registry.committed()
            same_vectors = recorded is None and current.startswith(LEGACY_BACKEND)
            stale = [] if same_vectors else sorted(set(committed) - fresh)
            for brief_id in stale:
                c = committed[brief_id]
                self._repair(embedder, brief_id, c.generation, c.chunks, vectors_too=True)
            record(current)
        if stale:
            logger.warning("re-embedded %d brief(s) with the embedder %s from their stored chunks", len(stale), current)
        return len(stale)

    @property
    def where(self) -> str:
        return str(getattr(self.vectors, "location", self.settings.data_dir))

    # -- reading ----------------------------------------------------------------------------------
    def list_briefs(self) -> list[BriefMeta]:
        """Every committed brief's metadata. Embedded, it is read again only when the registry's revision (a counter
        every commit and delete moves) changes: every question asks, and at 9,200 briefs reading them costs 165 ms.
        A shared registry's revision hashes ids and generations only (a moved file keeps both), so it is read."""
        if self.shared:
            return self.registry.briefs()
        revision = self.registry.revision()
        with self._briefs_lock:
            if self._briefs[0] != revision:
                self._briefs = (revision, self.registry.briefs())
            return list(self._briefs[1])

    def get_brief(self, brief_id: str) -> BriefMeta:
        meta = self.registry.brief(brief_id)
        if meta is None:
            raise self._not_found(brief_id)
        return meta

    def brief_text(self, brief_id: str) -> str:
        text = self.registry.brief_text(brief_id)
        if text is None:
            raise self._not_found(brief_id)
        return text

    def _not_found(self, brief_id: str) -> NotFoundError:
        known = ", ".join(b.id for b in self.registry.briefs()[:10]) or "none"
        return NotFoundError(f"No brief with id {brief_id!r}. Known ids include: {known}")

    def chunks(self, ids: Iterable[str]) -> dict[str, ChunkRow]:
        return self.registry.chunks(ids)

    def brief_chunks(self, brief_id: str) -> list[ChunkRow]:
        return self.registry.brief_chunks(brief_id)

    def chunk_count(self) -> int:
        return sum(b.chunks for b in self.registry.briefs())

    def vector_count(self) -> int:
        return len(self.vectors)

    def dense_search(
        self, vector: np.ndarray, k: int, allowed: set[str] | None = None, prefilter: bool = True
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the nearest chunks, optionally within ``allowed`` briefs (see VectorIndex.query)."""
        return self.vectors.query(vector, k, allowed, prefilter=prefilter)

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, SentenceVectors]:
        """Stored sentence vectors of these chunks, plus any computed earlier in this process."""
        found = self._sentence_cache.get(chunk_ids)
        missing = [c for c in chunk_ids if c not in found]
        if missing:
            found.update(self.registry.sentence_vectors(missing))
        return found

    def remember_sentences(self, chunk_id_: str, sv: SentenceVectors) -> None:
        """Keep sentence vectors computed at question time (in memory: the chunk may belong to another process)."""
        self._sentence_cache.put(chunk_id_, sv)

    def term_weights(self, stems: set[str]) -> dict[str, float]:
        """IDF of each stem over the committed chunks (a word no brief uses weighs most; all weigh 1 without BM25)."""
        index = self.keyword_index()
        if index is None:
            return dict.fromkeys(stems, 1.0)
        n = index.size
        df = index.document_frequency(stems)
        for s in stems:
            if df[s] == 0 and not s.isalnum():  # "u.s." is not one of the index's tokens: weigh it as they do
                words, _ = index.unknown(s)
                df[s] = min(index.document_frequency(set(words)).values(), default=n)
        return {s: math.log((n + 1) / (d + 1)) + 1.0 for s, d in df.items()}

    def passage_count(self) -> int:
        """Passages in the BM25 index (0 without one): the library over which a word's rarity is judged."""
        index = self.keyword_index()
        return index.size if index is not None else 0

    def keyword_index(self) -> KeywordIndex | None:
        """The BM25 index for the current registry revision (loaded, or rebuilt and persisted)."""
        revision = self.registry.revision()
        with self._kw_lock:
            if self._keyword is not None and self._keyword.revision == revision:
                return self._keyword
            root = self.settings.data_dir / BM25_DIR
            folder = root / str(revision)
            index = KeywordIndex.load(folder, revision)
            if index is None:
                index = KeywordIndex.build(self.registry.all_chunks(), revision)
                if index is not None:
                    _persist(index, folder)
            self._keyword = index
            return index

    def close(self) -> None:
        close = getattr(self.registry, "close", None)
        if close is not None:
            close()


def _persist(index: KeywordIndex, folder: Path) -> None:
    """Persist under a unique temporary name, then move into ``bm25/<revision>``: two processes rebuilding the same
    revision never write into one folder, and a crash leaves no half-written index. Older revisions are removed."""
    tmp = folder.with_name(f".{folder.name}-{uuid.uuid4().hex[:8]}")
    try:
        index.persist(tmp)
        try:
            tmp.rename(folder)
        except OSError:  # another process persisted this revision first, or an unusable (older-format) folder is there
            if KeywordIndex.load(folder, index.revision) is None:
                stale = folder.with_name(f".{folder.name}-stale-{uuid.uuid4().hex[:8]}")
                folder.rename(stale)
                shutil.rmtree(stale, ignore_errors=True)
                tmp.rename(folder)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    except OSError as e:
        logger.warning(
            "could not persist the keyword index to %s (%s); it will be rebuilt next time", folder, e
        )
        shutil.rmtree(tmp, ignore_errors=True)
        return
    for old in folder.parent.iterdir():
        if old.name != folder.name and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
