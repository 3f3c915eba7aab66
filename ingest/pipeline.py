"""The ingest pipeline: find files, skip what is unchanged, parse, clean, chunk, embed, write.

Parsing overlaps embedding: batches of about ``ingest.batch_chunks`` chunks are embedded and written by one
background thread (:class:`_Writer`) while the next files are parsed (the embedder's native code runs without
the GIL). The embedder's fingerprint is part of every brief's change signature, so changing the model, the
backend or the precision re-embeds, and :meth:`~assistant.store.BriefStore.adopt_embedder` re-embeds the briefs
whose files were not part of the run before recording the new embedder with the vectors.

Each brief is committed all-or-nothing by :meth:`assistant.store.BriefStore.write_brief`, so killing the process
at any moment leaves a store that opens and answers; re-running completes the job (and repairs any committed
brief whose vectors went missing). The pipeline depends on the :class:`~assistant.protocols.Embedder` protocol
and the store, nothing else of the core.

>>> report = Ingestor(settings, store, embedder).ingest([Path("corpus")])   # doctest: +SKIP
>>> report.added                                                          # doctest: +SKIP
1
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import queue
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np

from assistant.errors import BriefsError, IngestError
from assistant.models import (
    BriefLayout,
    BriefMeta,
    ChunkRow,
    Committed,
    IngestReport,
    PreparedBrief,
    SentenceVectors,
)
from assistant.originals import FOLDER, Originals
from assistant.protocols import Embedder
from assistant.settings import Settings
from assistant.store import BriefStore, chunk_id, embed_chunks, embedder_fingerprint
from assistant.text import sentence_spans
from ingest import metadata
from ingest.chunk import chunk_text, make_splitter
from ingest.clean import clean_text
from ingest.load import SUFFIXES, Limits, RawDoc, is_supported, load_file

logger = logging.getLogger(__name__)
Embedded = list[tuple[np.ndarray, dict[str, SentenceVectors]]]  # per brief of a batch: chunk and sentence vectors

# bump when cleaning or chunking changes, so every brief is re-ingested (5: PDF page maps; 6: a block that runs into
# the disclaimer keeps its lines before it, sentence spans of wrapped paragraphs; 7: the spaces a page showed around
# links and broken bold markup, interactive charts' scripts and text dropped as chrome)
PIPELINE_VERSION = "7"
HEADER_TOKENS = 32  # room for "title / section" prepended to each chunk for embedding
BRIEF_ID = re.compile(r"^\w[\w.-]{0,127}$")  # what the HTTP routes accept as {brief_id}: no '/', no ':'

Progress = Callable[[str, int, int], None]


@dataclass
class _Pending:
    brief: PreparedBrief
    is_update: bool


class Ingestor:
    """Ingests files into a :class:`BriefStore`; reuse one instance for many calls."""

    def __init__(self, settings: Settings, store: BriefStore, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        c = settings.chunk
        self.splitter = make_splitter(
            c.size, c.overlap, embedder.max_tokens - HEADER_TOKENS, _TokenCount(embedder.count_tokens)
        )
        self.signature = (
            f"{PIPELINE_VERSION}|{embedder_fingerprint(embedder)}|{c.size}|{c.overlap}|{embedder.max_tokens}"
        )
        if settings.ingest.pdf_parser != "pypdf":  # another parser reads PDFs differently: re-ingest them
            self.signature += f"|{settings.ingest.pdf_parser}"
        self.originals = Originals(settings.data_dir / FOLDER)

    # -- public -------------------------------------------------------------------------------------
    def ingest(
        self, paths: Iterable[Path | str], prune: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        report = IngestReport()
        report.repaired = len(self.store.recover(self.embedder).repaired)
        files = self._collect([Path(p) for p in paths], report)
        known = {c.path: (i, c) for i, c in self.store.registry.committed().items()}
        if not known:
            self.store.adopt_embedder(self.embedder, set())  # an empty store: record the embedder before any vector
        hashes = {b.content_hash: b for b in self.store.list_briefs()}
        manifests: dict[Path, dict[str, dict[str, str]]] = {}
        self._assigned: dict[str, str] = {
            i: p for p, (i, _) in known.items()
        }  # brief id -> path, this run included
        self._current: dict[str, str | None] = {}  # path -> sha256 of the file as it is now (None: gone)
        self._fresh: set[str] = set()  # briefs found unchanged: embedded with this embedder already
        pending: list[_Pending] = []
        with _Writer(self._embed, self._write, report) as writer:
            for n, path in enumerate(files, 1):
                if progress:
                    progress(str(path), n, len(files))
                item = self._prepare_or_report(path, known, hashes, manifests, report)
                if item is not None:
                    pending.append(item)
                    if sum(len(p.brief.chunks) for p in pending) >= self.settings.ingest.batch_chunks:
                        writer.submit(pending)
                        pending = []
            writer.submit(pending)
        if prune:
            report.removed = self._prune()
        report.repaired += self.store.adopt_embedder(self.embedder, self._fresh | set(report.ids))
        self.store.keyword_index()  # rebuild and persist BM25 now rather than on the first question
        with self.store.writing():  # kept PDFs that no brief refers to any more (updated, pruned)
            self.originals.prune({b.content_hash for b in self.store.list_briefs()})
        report.briefs = len(self.store.list_briefs())
        report.chunks = self.store.chunk_count()
        return report

    # -- steps ------------------------------------------------------------------------------------
    def _collect(self, paths: list[Path], report: IngestReport) -> list[Path]:
        files: list[Path] = []
        for p in paths:
            if p.is_dir():
                for f in sorted(p.rglob("*")):
                    rel = f.relative_to(p)
                    if any(part.startswith(".") for part in rel.parts) or f.name.lower() == "manifest.csv":
                        continue
                    if f.is_symlink() and not f.exists():
                        report.skipped.append({"path": str(f), "error": "broken or looping symbolic link"})
                        continue
                    if not f.is_file():
                        continue
                    if is_supported(f):
                        files.append(f.resolve())
                    else:
                        report.skipped.append(
                            {"path": str(f), "error": f"unsupported file type {f.suffix or '(none)'!r}"}
                        )
            elif p.is_file():
                files.append(p.resolve())
            else:
                report.failed.append({"path": str(p), "error": "no such file or folder"})
        return list(dict.fromkeys(files))

    def _prepare_or_report(
        self,
        path: Path,
        known: dict[str, tuple[str, Committed]],
        hashes: dict[str, BriefMeta],
        manifests: dict[Path, dict[str, dict[str, str]]],
        report: IngestReport,
    ) -> _Pending | None:
        """:meth:`_prepare`, with a bad file reported by path and reason rather than raised."""
        try:
            return self._prepare(path, known, hashes, manifests, report)
        except (IngestError, OSError) as e:
            report.failed.append({"path": str(path), "error": str(e)})
            logger.warning("skipped %s: %s", path, e)
        except Exception as e:  # a parser bug on one odd file must not stop the run
            logger.exception("unexpected error while reading %s", path)
            report.failed.append({"path": str(path), "error": f"could not be parsed ({type(e).__name__}: {e})"})
        return None

    def _prepare(
        self,
        path: Path,
        known: dict[str, tuple[str, Committed]],
        hashes: dict[str, BriefMeta],
        manifests: dict[Path, dict[str, dict[str, str]]],
        report: IngestReport,
    ) -> _Pending | None:
        if not is_supported(path):
            raise IngestError(
                f"unsupported file type {path.suffix or '(none)'!r}; supported: {' '.join(sorted(SUFFIXES))}"
            )
        if path.parent not in manifests:
            manifests[path.parent] = metadata.read_manifest(path.parent)
        side = manifests[path.parent].get(path.name, {})
        raw_hash = self._hash_now(path) or ""
        fingerprint = hashlib.sha256(
            f"{raw_hash}|{json.dumps(side, sort_keys=True)}|{self.signature}".encode()
        ).hexdigest()
        previous = known.get(str(path))
        if previous and previous[1].fingerprint == fingerprint:
            report.unchanged += 1
            self._fresh.add(previous[0])
            return None
        twin = hashes.get(raw_hash)
        moved_from = None
        if twin is not None and twin.path != str(path):
            now = self._hash_now(Path(twin.path))
            if now == raw_hash:  # a duplicate only while the twin's file still holds this content
                report.skipped.append(
                    {
                        "path": str(path),
                        "error": f"same content as brief {twin.id!r} ({twin.path}); not added twice",
                    }
                )
                return None
            if now is None:
                moved_from = twin  # the twin's file is gone: this is the same brief, moved; it keeps its id
        cfg = self.settings.ingest
        limits = Limits(int(cfg.max_file_mb * 2**20), int(cfg.max_expanded_mb * 2**20), cfg.max_text_chars)
        doc = load_file(path, limits, cfg.pdf_parser)
        brief_id = previous[0] if previous else (moved_from.id if moved_from else None)
        brief = self._build(doc, side, brief_id, fingerprint)
        meta = brief.meta
        owner = self._assigned.get(meta.id)
        if owner is not None and owner != meta.path and not (moved_from and owner == moved_from.path):
            raise IngestError(
                f"brief id {meta.id!r} (from front matter or manifest.csv) already belongs to {owner}; ids must be unique"
            )
        self._assigned[meta.id] = meta.path
        hashes[raw_hash] = meta  # a second copy later in this run is a duplicate too
        self._current[str(path)] = raw_hash
        return _Pending(brief, is_update=previous is not None or moved_from is not None)

    def _hash_now(self, path: Path) -> str | None:
        """sha256 of the file as it is on disk now (cached for the run); None when it is gone."""
        key = str(path)
        if key not in self._current:
            try:
                self._current[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                self._current[key] = None
        return self._current[key]

    def _build(
        self, doc: RawDoc, side: dict[str, str], brief_id: str | None, fingerprint: str
    ) -> PreparedBrief:
        cleaned = clean_text(doc.text, doc.kind, doc.pages)
        if len(cleaned.text) < 20:
            raise IngestError("nothing left after removing page chrome (fewer than 20 characters of text)")
        front = doc.meta.get("frontmatter", {})
        fields = metadata.extract(
            cleaned.header,
            doc.meta.get("format", {}),
            {**front, **side},
            cleaned.text,
            cleaned.title,
            doc.path,
            doc.kind,
            doc.text,
        )
        explicit = fields.pop("id", None)
        if explicit is not None:
            _check_id(explicit, doc.path)
        brief_id = explicit or brief_id or self._new_id(doc.path)
        chunks = chunk_text(cleaned.text, cleaned.sections, self.splitter)
        meta = BriefMeta(
            id=brief_id,
            path=str(doc.path),
            content_hash=doc.content_hash,
            chunks=len(chunks),
            chars=len(cleaned.text),
            ingested_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            pages=len(cleaned.pages),
            **fields,
        )
        generation = fingerprint[:12]
        rows = [
            ChunkRow(
                chunk_id(brief_id, generation, c.idx), brief_id, c.idx, c.start, c.end, c.section, c.text
            )
            for c in chunks
        ]
        for row in rows:  # segmented here, while the writer thread embeds the previous brief: embed_chunks then
            sentence_spans(row.text)  # finds these lines in the segmenter's cache instead of idling ONNX Runtime
        layout = BriefLayout(sections=cleaned.sections, pages=cleaned.pages)
        return PreparedBrief(meta, fingerprint, cleaned.text, rows, layout=layout)

    def _new_id(self, path: Path) -> str:
        """A readable id from the file name (letters of any script kept); a path hash is appended when taken."""
        stem = unicodedata.normalize("NFKC", path.stem).lower()
        slug = re.sub(r"[\W_]+", "-", stem).strip("-")[:80].strip("-") or "brief"
        holder = self.store.registry.brief(slug)
        if holder is not None and holder.path == str(path):
            return slug  # another writer committed this very file since this run started: the same brief
        if self._assigned.get(slug, str(path)) != str(path) or holder is not None:
            slug = f"{slug}-{hashlib.sha1(str(path).encode()).hexdigest()[:6]}"
        return slug

    def _embed(self, pending: list[_Pending]) -> Embedded:
        return embed_chunks(self.embedder, [(p.brief.meta.title, p.brief.chunks) for p in pending])

    def _write(
        self,
        pending: list[_Pending],
        embedded: Embedded,
        report: IngestReport,
    ) -> None:
        for p, (vectors, sentences) in zip(pending, embedded, strict=True):
            p.brief.sentences = sentences
            meta = p.brief.meta
            try:
                with self.store.writing():  # the kept original first, so that a committed PDF brief has its file
                    if Originals.kept_type(meta.path):
                        self.originals.keep(Path(meta.path), meta.content_hash)
                    self.store.write_brief(p.brief, vectors)
            except BriefsError as e:
                report.failed.append({"path": p.brief.meta.path, "error": str(e)})
                continue
            report.ids.append(p.brief.meta.id)
            if p.is_update:
                report.updated += 1
            else:
                report.added += 1

    def _prune(self) -> int:
        removed = 0
        for brief in self.store.list_briefs():
            if not os.path.exists(brief.path):
                self.store.delete_brief(brief.id)
                removed += 1
        return removed


class _TokenCount:
    """The splitter's tokenizer: it only takes ``len()`` of what this returns, so count tokens (memoised: the
    splitter measures the same pieces again while merging) instead of building the list of token strings."""

    def __init__(self, count: Callable[[str], int], size: int = 65536) -> None:
        self._count = count
        self._known: dict[str, int] = {}
        self._size = size

    def __call__(self, text: str) -> list[None]:
        n = self._known.get(text)
        if n is None:
            if len(self._known) >= self._size:
                self._known.clear()
            n = self._known[text] = self._count(text)
        return [None] * n


class _Writer:
    """Embeds and writes batches of prepared briefs in submission order, in two background threads (one embeds a
    batch while the other writes the one before it, so ONNX Runtime does not wait on Chroma and SQLite), while the
    caller parses the next files; at most one batch waits before each. An error in either thread is raised in the
    caller at the next :meth:`submit` or on leaving the ``with`` block, and stops the work for good: after an
    embedding error the batches embedded before it are still written, after a write error nothing more is.
    Leaving early (an error while parsing) also lets the batches already embedded be written. Every brief is
    committed whole or not at all."""

    def __init__(
        self,
        embed: Callable[[list[_Pending]], Embedded],
        write: Callable[[list[_Pending], Embedded, IngestReport], None],
        report: IngestReport,
    ) -> None:
        self._embed = embed
        self._write = write
        self._report = report
        self._inbox: queue.Queue[list[_Pending] | None] = queue.Queue(maxsize=1)
        self._embedded: queue.Queue[tuple[list[_Pending], Embedded] | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._no_embedding = threading.Event()  # set for good by an error (never cleared, unlike _error)
        self._no_writing = threading.Event()
        self._threads = [
            threading.Thread(target=self._embedding, name="ingest-embed", daemon=True),
            threading.Thread(target=self._writing, name="ingest-writer", daemon=True),
        ]

    def __enter__(self) -> _Writer:
        for thread in self._threads:
            thread.start()
        return self

    def submit(self, batch: list[_Pending]) -> None:
        self._raise_pending()
        if batch:
            self._inbox.put(batch)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is not None:  # drop what waits to be embedded, let what is embedded be written
            try:
                self._inbox.get_nowait()
            except queue.Empty:
                pass
        self._inbox.put(None)
        for thread in self._threads:
            thread.join()
        if kind is None:
            self._raise_pending()

    def _embedding(self) -> None:
        while (batch := self._inbox.get()) is not None:
            if not self._no_embedding.is_set():
                try:
                    self._embedded.put((batch, self._embed(batch)))
                except BaseException as e:  # handed to the caller, which raises it
                    self._fail(e, writing_too=False)
        self._embedded.put(None)

    def _writing(self) -> None:
        while (item := self._embedded.get()) is not None:
            if not self._no_writing.is_set():
                try:
                    self._write(item[0], item[1], self._report)
                except BaseException as e:
                    self._fail(e, writing_too=True)

    def _fail(self, error: BaseException, writing_too: bool) -> None:
        self._no_embedding.set()
        if writing_too:
            self._no_writing.set()
        if self._error is None:
            self._error = error

    def _raise_pending(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def _check_id(value: object, path: Path) -> None:
    if not isinstance(value, str) or not BRIEF_ID.match(value):
        raise IngestError(
            f"brief id {value!r} (front matter or manifest.csv of {path.name}) is not valid: use letters, digits, "
            "'.', '-' or '_', starting with a letter or digit, at most 128 characters (no '/' or ':')"
        )
