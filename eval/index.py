"""An isolated index of a dataset's sources, cached by content so reruns don't re-embed.

The cache key hashes every source file (relative name and bytes, ``manifest.csv`` included) together with
what changes the ingest output: the settings for the embedding model and the chunk size and overlap, the
ingest pipeline's version and the code that writes it (the ``ingest`` package, segmentation, embedding). Retrieval, answer and LLM settings are not
part of the key, so changing them reuses the index (a storage change in ``assistant/`` must bump
``ingest.pipeline.PIPELINE_VERSION``).
Each index lives in its own data dir ``<cache_dir>/<dataset>-<key>/`` (an embedded Chroma store, never a
configured Chroma server) and is used only once a ``READY`` marker says its ingest finished.

>>> settings = prepare_index(load_dataset("eval/datasets/gold.jsonl"), Settings())   # doctest: +SKIP
>>> settings.data_dir                                                                 # doctest: +SKIP
PosixPath('…/eval/cache/gold-3f2a…')
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.errors import IngestError
from assistant.service import BriefsService
from assistant.settings import Settings
from eval.datasets import EvalDataset

logger = logging.getLogger(__name__)

DEFAULT_CACHE_DIR = Path(__file__).resolve().parent / "cache"
READY = "READY.json"
ROOT = Path(__file__).resolve().parent.parent
# What decides an index's content: the ingest package, and the core code that segments and embeds what it writes.
INGEST_CODE = [
    ROOT / "ingest",
    ROOT / "assistant" / "text.py",
    ROOT / "assistant" / "components" / "embedders.py",
]


def source_files(sources: list[Path]) -> list[tuple[str, Path]]:
    """(name relative to its source root, path) of every non-hidden file under ``sources``, sorted."""
    out: list[tuple[str, Path]] = []
    for root in sources:
        if root.is_file():
            out.append((root.name, root))
            continue
        for f in sorted(root.rglob("*")):
            rel = f.relative_to(root)
            if f.is_file() and not any(part.startswith(".") for part in rel.parts):
                out.append((f"{root.name}/{rel.as_posix()}", f))
    return out


def index_key(sources: list[Path], settings: Settings) -> str:
    """Hash of the sources' contents and the ingest-relevant settings."""
    h = hashlib.sha256()
    for rel, path in source_files(sources):
        h.update(f"{rel}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    for code in sorted(f for c in INGEST_CODE for f in ([c] if c.is_file() else c.rglob("*.py"))):
        h.update(hashlib.sha256(code.read_bytes()).digest())
    h.update(BriefsService.embedding_code().encode())  # how the store turns chunks into vectors (not the rest of it)
    relevant = {
        "pipeline": BriefsService.pipeline_version(),
        "embed_model": settings.embed_model or "bundled",
        "embedder": [settings.embedder, settings.embed_precision],  # another backend or precision re-embeds
        "chunk": settings.chunk.model_dump(),
    }
    h.update(json.dumps(relevant, sort_keys=True).encode())
    return h.hexdigest()[:16]


def prepare_index(
    dataset: EvalDataset,
    settings: Settings,
    cache_dir: Path | None = None,
    service: BriefsService | None = None,
) -> Settings:
    """Settings pointing at an index of ``dataset.sources``, ingesting them first unless cached."""
    cache_dir = Path(cache_dir or DEFAULT_CACHE_DIR)
    if not source_files(dataset.sources):
        raise IngestError(
            f"Dataset {dataset.name!r} has no source files under {', '.join(map(str, dataset.sources))}"
        )
    key = index_key(dataset.sources, settings)
    data_dir = cache_dir / f"{dataset.name}-{key}"
    isolated = settings.model_copy(
        update={"data_dir": data_dir, "chroma_url": None, "store": "embedded", "registry": "sqlite"}
    )
    with _locked(cache_dir / f"{dataset.name}-{key}.lock"):
        if (data_dir / READY).is_file():
            logger.info("using the cached index %s", data_dir)
            return isolated
        shutil.rmtree(data_dir, ignore_errors=True)  # an interrupted build: start over
        _ingest(dataset, isolated, service, data_dir)
    return isolated


def _ingest(dataset: EvalDataset, settings: Settings, service: BriefsService | None, data_dir: Path) -> None:
    logger.info("indexing the sources of %s into %s", dataset.name, data_dir)
    indexer = BriefsService(settings, embedder=service.embedder if service else None)
    report = indexer.ingest(dataset.sources)
    indexer.store.close()
    if report.failed:
        failed = "; ".join(f"{f['path']}: {f['error']}" for f in report.failed)
        raise IngestError(f"Could not index the sources of dataset {dataset.name!r}: {failed}")
    if not report.briefs:
        raise IngestError(
            f"No briefs were indexed from {', '.join(map(str, dataset.sources))} (skipped: {report.skipped})"
        )
    (data_dir / READY).write_text(
        json.dumps({**report.to_json(), "sources": [str(s) for s in dataset.sources]}, indent=2)
    )


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock, so two runs never build the same index at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
