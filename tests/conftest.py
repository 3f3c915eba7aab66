"""Shared fixtures and fakes. Real components throughout (Chroma in a temp dir, the bundled MiniLM embedder,
llama-index pipelines), loaded once per session; settings come from the ``test`` profile, which reads no
``BRIEFS_*`` environment variables. The fakes are for what a test does not measure: a deterministic embedder
(hash-seeded unit vectors, as haystack's mock embedder) and a scripted generator (an LLM that says what the
test wants, as llm's EmbedDemo / pgpt's mock profile)."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.settings import Settings, configure_offline, get_settings

configure_offline()

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TINY = DATA / "briefs"
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
CRS = SHARED / "corpus_ext" / "crs_reports" / "markdown"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def test_settings(**overrides: Any) -> Settings:
    """Settings of the ``test`` profile (no environment variables) with ``overrides``."""
    return get_settings("test", **overrides)


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


# -- fakes ---------------------------------------------------------------------------------------------
class FakeEmbedder:
    """A deterministic :class:`~assistant.protocols.Embedder`: each word gets a hash-seeded random direction and a
    text is the normalised sum of its words' directions (so texts sharing words are similar). Whitespace tokens."""

    name = "fake-embedder"
    max_tokens = 256

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(word.lower().encode()).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for w in re.findall(r"\w+", text) or ["<empty>"]:
                out[i] += self._word(w)
            out[i] /= np.linalg.norm(out[i]) or 1.0
        return out

    def tokenize(self, text: str) -> list[str]:
        return text.split()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))


class ScriptedGenerator:
    """A :class:`~assistant.protocols.Generator` that replies with ``reply`` (a string, or a function of the
    messages) and records every prompt; it streams the reply word by word."""

    name = "scripted"

    def __init__(self, reply: Any) -> None:
        self.reply = reply
        self.prompts: list[list[dict[str, str]]] = []

    def _text(self, messages: list[dict[str, str]]) -> str:
        self.prompts.append(messages)
        return self.reply(messages) if callable(self.reply) else str(self.reply)

    def generate(self, messages: list[dict[str, str]]) -> str:
        return self._text(messages)

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        words = self._text(messages).split(" ")
        yield words[0]
        for word in words[1:]:
            yield " " + word


# -- fixtures -----------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def embedder() -> Any:
    """The default embedder (ONNX Runtime, int8), loaded once per session."""
    from assistant.components.embedders import make_embedder

    return make_embedder(test_settings())


@pytest.fixture(scope="session")
def st_embedder() -> Any:
    """The reference embedder (sentence-transformers on torch)."""
    from assistant.components.embedders import make_embedder

    return make_embedder(test_settings(embedder="sentence-transformers"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return test_settings(data_dir=tmp_path / "data")


@pytest.fixture
def ingestor(settings: Settings, embedder: Any) -> Any:
    """A service over an empty data dir (ingest, then look at ``.store``)."""
    from assistant.service import BriefsService

    return BriefsService(settings, embedder=embedder)


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    """A writable copy of the tiny corpus plus the real brief from corpus/."""
    folder = tmp_path / "briefs"
    shutil.copytree(TINY, folder)
    shutil.copy(CORPUS / "blinkens-visit-to-beijing.txt", folder)
    return folder


def ingest_into(data_dir: Path, folder: Path, embedder: Any, **overrides: Any) -> Settings:
    """Ingest ``folder`` into ``data_dir`` with the test profile; returns the settings (asserts nothing failed)."""
    from assistant.service import BriefsService

    settings = test_settings(data_dir=data_dir, **overrides)
    service = BriefsService(settings, embedder=embedder)
    report = service.ingest([folder])
    assert not report.failed, report.failed
    service.store.close()
    return settings


@pytest.fixture(scope="session")
def ingested_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Path:
    """A data dir holding the tiny corpus and corpus/, ingested once per session (treat as read-only)."""
    root = tmp_path_factory.mktemp("ingested")
    folder = root / "briefs"
    shutil.copytree(TINY, folder)
    shutil.copy(CORPUS / "blinkens-visit-to-beijing.txt", folder)
    return ingest_into(root / "data", folder, embedder).data_dir


@pytest.fixture(scope="session")
def assistant(ingested_dir: Path, embedder: Any) -> Any:
    from assistant.service import BriefsService

    return BriefsService(test_settings(data_dir=ingested_dir), embedder=embedder)


@pytest.fixture
def artifacts() -> Iterator[Path]:
    ARTIFACTS.mkdir(exist_ok=True)
    yield ARTIFACTS


def assert_quotes_exact(service: Any, answer: Any) -> None:
    """Every citation quotes its brief exactly at [start:end], and its [n] marker is in the answer text."""
    for c in answer.citations:
        assert service.brief_text(c.brief_id)[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.text


def require_crs() -> Path:
    if not CRS.is_dir():
        pytest.skip(f"CRS corpus not found at {CRS}")
    return CRS
