"""The ingest pipeline: find files, skip what is unchanged, parse, clean, chunk, embed, write.

Each brief is committed all-or-nothing (see :class:`assistant.store.BriefStore`), so killing the process
at any moment leaves a store that opens and answers; re-running completes the job.

>>> report = Ingestor(Settings(data_dir="/tmp/briefs")).ingest([Path("corpus")])   # doctest: +SKIP
>>> report.added                                                                   # doctest: +SKIP
1
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.embedding import SentenceTransformerEmbedder
from assistant.errors import BriefsError, IngestError
from assistant.models import BriefMeta
from assistant.registry import ChunkRow
from assistant.sentences import SentenceIndex
from assistant.settings import Settings, get_settings
from assistant.store import BriefStore, chunk_id
from assistant.text import sentence_spans
from ingest import metadata
from ingest.chunk import Chunk, chunk_text, make_splitter
from ingest.clean import clean_text
from ingest.load import SUFFIXES, RawDoc, is_supported, load_file

logger = logging.getLogger(__name__)

PIPELINE_VERSION = "2"  # bump when cleaning or chunking changes, so every brief is re-ingested
HEADER_TOKENS = 32  # room for "title / section" prepended to each chunk for embedding

Progress = Callable[[str, int, int], None]


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    briefs: int = 0
    chunks: int = 0
    ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Pending:
    meta: BriefMeta
    fingerprint: str
    text: str
    chunks: list[Chunk]
    is_update: bool


class Ingestor:
    """Ingests files into a :class:`BriefStore`; reuse one instance for many calls."""

    def __init__(self, settings: Settings | dict | None = None, store: BriefStore | None = None, embedder: SentenceTransformerEmbedder | None = None) -> None:
        self.settings = get_settings(settings)
        self.store = store or BriefStore(self.settings)
        self.embedder = embedder or SentenceTransformerEmbedder.from_settings(self.settings)
        self.sentences = SentenceIndex(self.settings.data_dir / "sentences.sqlite3")
        c = self.settings.chunk
        self.splitter = make_splitter(c.size, c.overlap, self.embedder.max_tokens - HEADER_TOKENS, self.embedder.tokenize)
        self.signature = f"{PIPELINE_VERSION}|{self.embedder.name}|{c.size}|{c.overlap}|{self.embedder.max_tokens}"

    # -- public -------------------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path | str], prune: bool = False, progress: Progress | None = None) -> IngestReport:
        report = IngestReport()
        self.store.recover()
        files = self._collect([Path(p) for p in paths], report)
        known = self.store.registry.by_path()
        hashes = {b.content_hash: b for b in self.store.list_briefs()}
        manifests: dict[Path, dict[str, dict[str, str]]] = {}
        self._assigned: dict[str, str] = {i: p for p, (i, _) in known.items()}  # brief id -> path, this run included
        pending: list[_Pending] = []
        for n, path in enumerate(files, 1):
            if progress:
                progress(str(path), n, len(files))
            try:
                item = self._prepare(path, known, hashes, manifests, report)
            except (IngestError, OSError) as e:
                report.failed.append({"path": str(path), "error": str(e)})
                logger.warning("skipped %s: %s", path, e)
                continue
            except Exception as e:  # a parser bug on one odd file must not stop the run
                logger.exception("unexpected error while reading %s", path)
                report.failed.append({"path": str(path), "error": f"could not be parsed ({type(e).__name__}: {e})"})
                continue
            if item is not None:
                pending.append(item)
                if sum(len(p.chunks) for p in pending) >= self.settings.ingest.batch_chunks:
                    self._write(pending, report)
                    pending = []
        self._write(pending, report)
        if prune:
            report.removed = self._prune()
        self.store.keyword_index()  # rebuild and persist BM25 now rather than on the first question
        report.briefs = len(self.store.list_briefs())
        report.chunks = self.store.registry.chunk_count()
        return report

    def delete(self, brief_id: str) -> None:
        remove_brief(self.store, self.sentences, brief_id)
        self.store.keyword_index()

    # -- steps ------------------------------------------------------------------------------------
    def _collect(self, paths: list[Path], report: IngestReport) -> list[Path]:
        files: list[Path] = []
        for p in paths:
            if p.is_dir():
                for f in sorted(p.rglob("*")):
                    if not f.is_file() or any(part.startswith(".") for part in f.relative_to(p).parts) or f.name.lower() == "manifest.csv":
                        continue
                    if is_supported(f):
                        files.append(f.resolve())
                    else:
                        report.skipped.append({"path": str(f), "error": f"unsupported file type {f.suffix or '(none)'!r}"})
            elif p.is_file():
                files.append(p.resolve())
            else:
                report.failed.append({"path": str(p), "error": "no such file or folder"})
        return list(dict.fromkeys(files))

    def _prepare(self, path: Path, known: dict[str, tuple[str, str]], hashes: dict[str, BriefMeta],
                 manifests: dict[Path, dict[str, dict[str, str]]], report: IngestReport) -> _Pending | None:
        if not is_supported(path):
            raise IngestError(f"unsupported file type {path.suffix or '(none)'!r}; supported: {' '.join(sorted(SUFFIXES))}")
        if path.parent not in manifests:
            manifests[path.parent] = metadata.read_manifest(path.parent)
        side = manifests[path.parent].get(path.name, {})
        raw_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        fingerprint = hashlib.sha256(f"{raw_hash}|{json.dumps(side, sort_keys=True)}|{self.signature}".encode()).hexdigest()
        previous = known.get(str(path))
        if previous and previous[1] == fingerprint:
            report.unchanged += 1
            return None
        twin = hashes.get(raw_hash)
        if twin is not None and twin.path != str(path) and Path(twin.path).exists():
            report.skipped.append({"path": str(path), "error": f"same content as brief {twin.id!r} ({twin.path}); not added twice"})
            return None
        doc = load_file(path, int(self.settings.ingest.max_file_mb * 2**20))
        brief_id = previous[0] if previous else (twin.id if twin is not None else None)
        meta, text, chunks = self._build(doc, side, brief_id, known)
        owner = self._assigned.get(meta.id)
        if owner is not None and owner != meta.path and owner not in (twin.path if twin else "",):
            raise IngestError(f"brief id {meta.id!r} (from front matter or manifest.csv) already belongs to {owner}; ids must be unique")
        self._assigned[meta.id] = meta.path
        hashes[raw_hash] = meta  # a second copy later in this run is a duplicate too
        return _Pending(meta, fingerprint, text, chunks, is_update=previous is not None or twin is not None)

    def _build(self, doc: RawDoc, side: dict[str, str], brief_id: str | None, known: dict[str, tuple[str, str]]) -> tuple[BriefMeta, str, list[Chunk]]:
        cleaned = clean_text(doc.text, doc.kind, doc.pages)
        if len(cleaned.text) < 20:
            raise IngestError("nothing left after removing page chrome (fewer than 20 characters of text)")
        front = doc.meta.get("frontmatter", {})
        fields = metadata.extract(cleaned.header, doc.meta.get("format", {}), {**front, **side}, cleaned.text, cleaned.title, doc.path, doc.kind, doc.text)
        brief_id = fields.pop("id", None) or brief_id or self._new_id(doc.path, known)
        chunks = chunk_text(cleaned.text, cleaned.sections, self.splitter)
        meta = BriefMeta(
            id=brief_id, path=str(doc.path), content_hash=doc.content_hash, chunks=len(chunks), chars=len(cleaned.text),
            ingested_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **fields,
        )
        return meta, cleaned.text, chunks

    def _new_id(self, path: Path, known: dict[str, tuple[str, str]]) -> str:
        """A readable id from the file name; a path hash is appended when another file has it."""
        slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:80] or "brief"
        if slug in self._assigned or self.store.registry.brief(slug) is not None:
            slug = f"{slug}-{hashlib.sha1(str(path).encode()).hexdigest()[:6]}"
        return slug

    def _write(self, pending: list[_Pending], report: IngestReport) -> None:
        if not pending:
            return
        texts, spans = [], []
        for p in pending:
            for c in p.chunks:
                head = embed_header(p.meta, c)
                texts.append(head + c.text)
                spans.append([(len(head) + s, len(head) + e) for s, e in sentence_spans(c.text)])
        vectors, sentence_vectors = self.embedder.embed_with_sentences(texts, spans)
        at = 0
        for p in pending:
            generation = p.fingerprint[:12]
            rows = [ChunkRow(chunk_id(p.meta.id, generation, c.idx), p.meta.id, c.idx, c.start, c.end, c.section, c.text) for c in p.chunks]
            try:
                self.store.write_brief(p.meta, p.fingerprint, p.text, rows, vectors[at:at + len(rows)])
            except BriefsError as e:
                report.failed.append({"path": p.meta.path, "error": str(e)})
                continue
            finally:
                at += len(rows)
            self._write_sentences(p, rows, sentence_vectors[at - len(rows):at], texts[at - len(rows):at])
            report.ids.append(p.meta.id)
            if p.is_update:
                report.updated += 1
            else:
                report.added += 1

    def _write_sentences(self, p: _Pending, rows: list[ChunkRow], pooled: list, texts: list[str]) -> None:
        """Sentence vectors with spans relative to the chunk text (derived data; written after the commit)."""
        items = []
        for row, (spans, vecs), text in zip(rows, pooled, texts, strict=True):
            shift = len(text) - len(row.text)
            items.append((row.id, [(s - shift, e - shift) for s, e in spans], vecs))
        self.sentences.put_many(items)
        self.sentences.delete_brief(p.meta.id, keep_prefix=f"{p.meta.id}:{p.fingerprint[:12]}:")

    def _prune(self) -> int:
        removed = 0
        for brief in self.store.list_briefs():
            if not Path(brief.path).exists():
                remove_brief(self.store, self.sentences, brief.id)
                removed += 1
        return removed


def remove_brief(store: BriefStore, sentences: SentenceIndex, brief_id: str) -> None:
    """Delete a brief's registry record, vectors and sentence vectors (NotFoundError for an unknown id)."""
    store.delete_brief(brief_id)
    sentences.delete_brief(brief_id)


def embed_header(meta: BriefMeta, chunk: Chunk) -> str:
    """Context the embedder sees before the chunk: the brief title and the section heading."""
    head = meta.title if not chunk.section or chunk.section == meta.title else f"{meta.title} — {chunk.section}"
    return head + "\n"


def embed_text(meta: BriefMeta, chunk: Chunk) -> str:
    """What the embedder sees for a chunk."""
    return embed_header(meta, chunk) + chunk.text
