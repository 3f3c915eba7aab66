"""Embedding in several processes (sentence-transformers' multi-process pool, ``BRIEFS_INGEST__WORKERS>1``)
gives the same vectors as in-process embedding, and an ingest with workers stores the same vectors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.components.embedders import SentenceTransformerEmbedder, bundled_model_path
from assistant.service import BriefsService
from tests.conftest import test_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pooled() -> Iterator[SentenceTransformerEmbedder]:
    # batch size 4: four batches (16 texts) are enough to take the pool path, even for the tiny corpus
    emb = SentenceTransformerEmbedder(bundled_model_path(), batch_size=4, workers=2)
    yield emb
    emb.close()


@pytest.fixture(scope="module")
def single() -> SentenceTransformerEmbedder:
    """The same model in-process (the default embedder is ONNX Runtime; the pool is sentence-transformers')."""
    return SentenceTransformerEmbedder(bundled_model_path(), batch_size=4, workers=1)


def test_multiprocess_embeddings_equal_single_process(
    pooled: SentenceTransformerEmbedder, single: SentenceTransformerEmbedder
) -> None:
    texts = [
        f"Brief {i}: export controls on chips, Arctic shipping lanes and water security ({i % 7})."
        * (1 + i % 3)
        for i in range(300)
    ]
    reference = single.embed(texts)
    multi = pooled.embed(texts)
    assert pooled._pool is not None  # the pool path was taken, not the in-process one
    assert multi.shape == reference.shape and multi.dtype == np.float32
    np.testing.assert_allclose(multi, reference, atol=1e-5)
    np.testing.assert_allclose(pooled.embed(texts[:5]), reference[:5], atol=1e-5)  # small inputs stay in-process


def test_ingest_with_workers_stores_the_same_vectors(
    pooled: SentenceTransformerEmbedder, single: SentenceTransformerEmbedder, tiny_copy: Path, tmp_path: Path
) -> None:
    reference = BriefsService(test_settings(data_dir=tmp_path / "one", embedder="sentence-transformers"),
                              embedder=single)
    assert not reference.ingest([tiny_copy]).failed
    settings = test_settings(data_dir=tmp_path / "data", embedder="sentence-transformers", ingest={"workers": 2})
    report = BriefsService(settings, embedder=pooled).ingest([tiny_copy])
    assert not report.failed and report.chunks >= 16
    ids = [r.id for r in reference.store.registry.all_chunks()]
    store = BriefsService(settings, embedder=pooled).store
    assert [r.id for r in store.registry.all_chunks()] == ids
    got = store.vectors.collection.get(ids=ids, include=["embeddings"])
    want = reference.store.vectors.collection.get(ids=ids, include=["embeddings"])
    by_id = dict(zip(want["ids"], want["embeddings"], strict=True))
    np.testing.assert_allclose(
        np.array(got["embeddings"]), np.array([by_id[i] for i in got["ids"]]), atol=1e-5
    )
