"""The one service every surface calls: the CLI, the HTTP API, the web UI, the eval suite and the MCP server
use :class:`BriefsService` and the models in :mod:`assistant.models`, nothing else of the core.

It wires the components (store, embedder, generator) from one :class:`~assistant.settings.Settings`; each can
be passed in instead (tests pass fakes, the eval passes its loaded embedder). Models load on first use, so
commands that only read the registry (listing, deleting) never import an embedding framework.

>>> service = BriefsService(get_settings({"data_dir": "data"}))     # doctest: +SKIP
>>> answer = service.ask("What did the visit achieve?")               # doctest: +SKIP
>>> [c.quote for c in answer.citations]                               # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from assistant.errors import NoBriefsError, NotFoundError
from assistant.models import (
    Answer,
    BriefLayout,
    BriefMeta,
    BriefText,
    Filters,
    IngestReport,
    Mode,
    Passage,
    SearchHit,
    StreamEvent,
    Turn,
    UploadResult,
)
from assistant.originals import FOLDER, Originals
from assistant.pages import page_span
from assistant.protocols import Embedder, Generator
from assistant.reader import brief_reading
from assistant.settings import Settings, get_settings
from assistant.store import BriefStore, embedder_fingerprint

logger = logging.getLogger(__name__)

History = Sequence[Turn] | Sequence[dict[str, Any]] | None


class BriefsService:
    """Questions in, verified and cited answers out; briefs in and out of the store."""

    def __init__(
        self,
        settings: Settings | dict[str, Any] | str | None = None,
        *,
        store: BriefStore | None = None,
        embedder: Embedder | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.settings = get_settings(settings)
        self._store = store
        self._embedder = embedder
        self._generator = generator
        self._write_lock = threading.Lock()  # ingest, upload and delete from this process run one at a time
        self._warming: threading.Thread | None = None
        self._warm_error: BaseException | None = None

    # -- components (built on first use) ------------------------------------------------------------
    @cached_property
    def store(self) -> BriefStore:
        return self._store or BriefStore(self.settings)

    @cached_property
    def embedder(self) -> Embedder:
        if self._embedder is not None:
            return self._embedder
        from assistant.components.embedders import make_embedder

        return make_embedder(self.settings)

    @cached_property
    def generator(self) -> Generator | None:
        if self._generator is not None:
            return self._generator
        from assistant.components.llms import make_generator

        return make_generator(self.settings)

    @cached_property
    def retriever(self) -> Any:
        from assistant.retrieval.hybrid import HybridRetriever

        self.store.check_embedder(self.embedder)  # never compare a question with another model's vectors
        return HybridRetriever(self.settings, self.store, self.embedder)

    @cached_property
    def answerer(self) -> Any:
        """The question-aware answer pipeline (one strategy per kind of question)."""
        from assistant.answering.pipeline import AnswerPipeline

        return AnswerPipeline(self.settings, self.retriever, self.store, self.embedder, self.generator)

    @cached_property
    def _ingestor(self) -> Any:
        from ingest.pipeline import Ingestor

        return Ingestor(self.settings, self.store, self.embedder)

    @cached_property
    def _uploads(self) -> Any:
        from assistant.uploads import Uploads

        return Uploads(
            self.settings.data_dir / "uploads",
            self.settings.ingest.max_file_mb,
            self.ingest,
            self.brief_id_at,
        )

    def warm_up(self) -> None:
        """Load the store, the models and the keyword index now, so that errors surface here rather than on the
        first request, and the first question pays for none of it."""
        _ = self.store, self.answerer
        if self.store.keyword_index() is not None:  # a first retrieval loads the text utilities too
            self.retrieve("warm up the models", top_k=1)

    def prepare(self) -> dict[str, str]:
        """Load the configured embedder now, exporting its ONNX model the first time (``make install`` does this
        once); returns its fingerprint and the model file it runs."""
        emb = self.embedder
        return {
            "embedder": embedder_fingerprint(emb),
            "model": str(getattr(emb, "onnx_path", None) or getattr(emb, "path", "")),
        }

    def start_warm_up(self) -> None:
        """:meth:`warm_up` in a background thread (a server answers /healthz meanwhile; see :meth:`readiness`)."""
        if self._warming is not None:
            return

        def run() -> None:
            t0 = time.perf_counter()
            try:
                self.warm_up()
            except BaseException as e:  # reported by readiness() and on the first request
                self._warm_error = e
                logger.error("warming up failed: %s", e)
            else:
                logger.info("ready: store and models loaded in %.1fs", time.perf_counter() - t0)

        self._warming = threading.Thread(target=run, name="warm-up", daemon=True)
        self._warming.start()

    def wait_until_warm(self, timeout: float | None = None) -> str:
        """Block until :meth:`start_warm_up` has finished (or ``timeout``); returns :meth:`readiness`'s state."""
        if self._warming is not None:
            self._warming.join(timeout)
        return self.readiness()[0]

    def readiness(self) -> tuple[str, str | None]:
        """("warming" | "ready" | "failed", the error): whether :meth:`start_warm_up` has finished. Without a
        background warm-up, this warms up now."""
        if self._warming is None:
            self.warm_up()
        elif self._warming.is_alive():
            return "warming", None
        if self._warm_error is not None:
            return "failed", str(self._warm_error)
        return "ready", None

    # -- questions ----------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        history: History = None,
        filters: Filters | dict[str, Any] | None = None,
        top_k: int | None = None,
        mode: Mode = "hybrid",
    ) -> Answer:
        """Answer ``question`` (a follow-up when ``history`` is given) from the briefs (NoBriefsError when there are none)."""
        self._require_briefs()
        answer: Answer = self.answerer.answer(question, _turns(history), _filters(filters), top_k, mode)
        return self.with_pages(answer)

    def stream(
        self,
        question: str,
        history: History = None,
        filters: Filters | dict[str, Any] | None = None,
        top_k: int | None = None,
        mode: Mode = "hybrid",
    ) -> Iterator[StreamEvent]:
        """Text deltas as they are produced, then one ``answer`` event with the verified Answer."""
        self._require_briefs()
        for event in self.answerer.stream(question, _turns(history), _filters(filters), top_k, mode):
            if event.answer is not None:
                event.answer = self.with_pages(event.answer)
            yield event

    def with_pages(self, answer: Answer) -> Answer:
        """``answer`` with the page (and page_end) of every citation and passage into a PDF brief, from the
        brief's page map: every answerer's citations get them here, in one place."""
        self.add_pages([*answer.citations, *answer.passages])
        return answer

    def add_pages(self, spans: Sequence[Any]) -> None:
        """Set ``page`` / ``page_end`` on citations or passages (anything with brief_id, start, end) of PDF briefs."""
        maps: dict[str, list[int]] = {}
        for span in spans:
            if span.brief_id not in maps:
                meta = self.store.registry.brief(span.brief_id)
                layout = self.store.registry.brief_layout(span.brief_id) if meta and meta.pages else None
                maps[span.brief_id] = layout.pages if layout else []
            span.page, span.page_end = page_span(maps[span.brief_id], span.start, span.end)

    def _require_briefs(self) -> None:
        if not self.store.list_briefs():
            raise NoBriefsError(
                f"No briefs are ingested yet in {self.settings.data_dir}: add some first, e.g. "
                f"`briefs ingest corpus/ --data-dir {self.settings.data_dir}` (or upload them in the web "
                "chat's Library tab, or POST /v1/documents)."
            )

    def retrieve(
        self,
        query: str,
        filters: Filters | dict[str, Any] | None = None,
        top_k: int | None = None,
        mode: Mode = "hybrid",
    ) -> list[Passage]:
        """Ranked passages for ``query`` as it is (no rewriting)."""
        passages: list[Passage] = self.retriever.retrieve(query, _filters(filters), top_k, mode).passages
        self.add_pages(passages)
        return passages

    def search(
        self,
        query: str,
        filters: Filters | dict[str, Any] | None = None,
        top_k: int | None = None,
        mode: Mode = "hybrid",
    ) -> list[SearchHit]:
        """Ranked passages with their brief's metadata."""
        briefs = self.retriever.briefs()
        hits = []
        for rank, p in enumerate(self.retrieve(query, filters, top_k, mode), 1):
            meta = briefs.get(p.brief_id)
            about = (
                {
                    "authors": meta.authors,
                    "organisation": meta.organisation,
                    "date": meta.date,
                    "source": meta.source,
                }
                if meta
                else {}
            )
            hits.append(SearchHit.model_validate({**p.model_dump(), "rank": rank, **about}))
        return hits

    # -- the library --------------------------------------------------------------------------------
    def list_briefs(self, filters: Filters | dict[str, Any] | None = None) -> list[BriefMeta]:
        """Every brief; with ``filters``, those that pass them and the newest-version rule (as retrieval does)."""
        briefs = self.store.list_briefs()
        if filters is None:
            return briefs
        from assistant.retrieval.filters import allowed_briefs

        allowed = allowed_briefs({b.id: b for b in briefs}, _filters(filters))
        return briefs if allowed is None else [b for b in briefs if b.id in allowed]

    def get_brief(self, brief_id: str) -> BriefMeta:
        """The brief's metadata (NotFoundError for an unknown id)."""
        return self.store.get_brief(brief_id)

    def brief_text(self, brief_id: str) -> str:
        """The brief's cleaned text: every citation's ``quote == brief_text(id)[start:end]``."""
        return self.store.brief_text(brief_id)

    def brief_layout(self, brief_id: str) -> BriefLayout:
        """Where the brief's sections and (PDFs) pages start in its cleaned text."""
        self.get_brief(brief_id)  # NotFoundError for an unknown id
        return self.store.registry.brief_layout(brief_id) or BriefLayout()

    def read_brief(self, brief_id: str) -> BriefText:
        """The whole brief for the reader view: cleaned text, sections with their spans, PDF pages."""
        meta = self.get_brief(brief_id)
        file_type = Originals.kept_type(meta.path) if self.originals.path_of(meta) else None
        return brief_reading(meta, self.brief_text(brief_id), self.brief_layout(brief_id), file_type)

    def original_file(self, brief_id: str) -> tuple[Path, str]:
        """(path, media type) of the brief's kept original (PDFs), always inside the data dir; NotFoundError when
        the brief is unknown or no original is kept for it (not a PDF, or ingested elsewhere in server mode)."""
        meta = self.get_brief(brief_id)
        path = self.originals.path_of(meta)
        media = Originals.kept_type(meta.path)
        if path is None or media is None:
            raise NotFoundError(
                f"No original file is kept for brief {brief_id!r} ({Path(meta.path).name}): originals are kept for "
                "PDFs, under the data dir of the server that ingested them; re-ingest it here to keep one."
            )
        return path, media

    @cached_property
    def originals(self) -> Originals:
        return Originals(self.settings.data_dir / FOLDER)

    def brief_id_at(self, path: str) -> str | None:
        """The id of the brief ingested from ``path``, if any."""
        return next((i for i, c in self.store.registry.committed().items() if c.path == path), None)

    def status(self) -> dict[str, Any]:
        """What readiness checks report: brief and vector counts, the embedder and the answerer."""
        return {
            "briefs": len(self.list_briefs()),
            "vectors": self.store.vector_count(),
            "embedder": getattr(self.embedder, "name", "?"),
            "answerer": self.settings.answerer,
        }

    # -- writing ------------------------------------------------------------------------------------
    def ingest(self, paths: Sequence[Path | str], prune: bool = False, progress: Any = None) -> IngestReport:
        """Ingest files and folders; unchanged files are skipped, bad ones reported by path with the reason."""
        with self._write_lock:
            report: IngestReport = self._ingestor.ingest(paths, prune=prune, progress=progress)
            return report

    def upload(self, files: list[tuple[str, BinaryIO]]) -> list[UploadResult]:
        """Save uploaded files (client file names, checked) under the uploads folder and ingest them."""
        results: list[UploadResult] = self._uploads.save_and_ingest(files)
        return results

    def delete(self, brief_id: str) -> BriefMeta:
        """Delete a brief (its chunks, vectors and sentence vectors) and its file when it was uploaded."""
        with self._uploads.lock, self._write_lock:
            meta = self.store.delete_brief(brief_id)
            self._uploads.remove(meta.path)
            with self.store.writing():
                self.originals.prune({b.content_hash for b in self.store.list_briefs()})
        self.store.keyword_index()
        return meta

    # -- for the eval suite ---------------------------------------------------------------------------
    @staticmethod
    def embedding_code() -> str:
        """The source of what decides the stored vectors (for index caches): chunk headers and late chunking."""
        import inspect

        from assistant import store

        return inspect.getsource(store.embed_header) + inspect.getsource(store.embed_chunks)

    @staticmethod
    def pipeline_version() -> str:
        """The ingest pipeline's version: what an index cache must be keyed by besides its sources and settings."""
        from ingest.pipeline import PIPELINE_VERSION

        return PIPELINE_VERSION

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``texts`` from the configured embedder."""
        return self.embedder.embed(texts)

    def supports(self, claim: str, evidence: Passage) -> bool:
        """Whether ``evidence`` supports ``claim`` by the production citation check (lexical, then embedding)."""
        from assistant.answering.citations import CitationVerifier

        return CitationVerifier(self.settings.answer, self.embedder).support(claim, evidence)[0]


def _turns(history: History) -> list[Turn]:
    return [t if isinstance(t, Turn) else Turn.model_validate(t) for t in history or []]


def _filters(filters: Filters | dict[str, Any] | None) -> Filters | None:
    return Filters.model_validate(filters) if isinstance(filters, dict) else filters
