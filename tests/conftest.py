"""Shared fixtures: real components throughout (Chroma in a temp dir, the bundled MiniLM embedder,
llama-index pipelines); the embedder is loaded once per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.embedding import SentenceTransformerEmbedder  # noqa: E402
from assistant.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TINY = DATA / "briefs"
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
CRS = SHARED / "corpus_ext" / "crs_reports" / "markdown"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder.from_settings(Settings())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def ingestor(settings: Settings, embedder: SentenceTransformerEmbedder):  # type: ignore[no-untyped-def]
    from ingest.pipeline import Ingestor

    return Ingestor(settings, embedder=embedder)


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    """A writable copy of the tiny corpus plus the real brief from corpus/."""
    folder = tmp_path / "briefs"
    shutil.copytree(TINY, folder)
    shutil.copy(CORPUS / "blinkens-visit-to-beijing.txt", folder)
    return folder


@pytest.fixture(scope="session")
def ingested_dir(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder) -> Path:
    """A data dir holding the tiny corpus and corpus/, ingested once per session (treat as read-only)."""
    from ingest.pipeline import Ingestor

    root = tmp_path_factory.mktemp("ingested")
    folder = root / "briefs"
    shutil.copytree(TINY, folder)
    shutil.copy(CORPUS / "blinkens-visit-to-beijing.txt", folder)
    report = Ingestor(Settings(data_dir=root / "data"), embedder=embedder).ingest([folder])
    assert not report.failed, report.failed
    return root / "data"


@pytest.fixture(scope="session")
def assistant(ingested_dir: Path, embedder: SentenceTransformerEmbedder):  # type: ignore[no-untyped-def]
    from assistant.service import Assistant

    return Assistant(Settings(data_dir=ingested_dir), embedder=embedder)


@pytest.fixture
def artifacts() -> Iterator[Path]:
    ARTIFACTS.mkdir(exist_ok=True)
    yield ARTIFACTS


def require_crs() -> Path:
    if not CRS.is_dir():
        pytest.skip(f"CRS corpus not found at {CRS}")
    return CRS
