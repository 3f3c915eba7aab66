"""Embedding and writing overlap parsing (a background writer thread): the result is the same as writing in line,
and an error while embedding reaches the caller with the earlier batches committed whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.service import BriefsService
from tests.conftest import TINY, FakeEmbedder, test_settings


class FailingEmbedder(FakeEmbedder):
    """Fails on its ``fail_at``-th call to ``embed``."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.calls = 0
        self.fail_at = fail_at

    def embed(self, texts: Any, batch_size: int | None = None) -> np.ndarray:
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("the embedder ran out of memory")
        return super().embed(texts, batch_size)


def test_small_batches_give_the_same_store_as_one_batch(tmp_path: Path) -> None:
    one = BriefsService(test_settings(data_dir=tmp_path / "one"), embedder=FakeEmbedder())
    many = BriefsService(test_settings(data_dir=tmp_path / "many", ingest={"batch_chunks": 1}), embedder=FakeEmbedder())
    assert one.ingest([TINY]).added == many.ingest([TINY]).added == 5
    assert one.store.registry.all_chunks() == many.store.registry.all_chunks()
    assert [b.id for b in one.list_briefs()] == [b.id for b in many.list_briefs()]


def test_an_error_while_embedding_reaches_the_caller_after_the_earlier_batches(tmp_path: Path) -> None:
    settings = test_settings(data_dir=tmp_path / "data", ingest={"batch_chunks": 1})
    with pytest.raises(RuntimeError, match="ran out of memory"):
        BriefsService(settings, embedder=FailingEmbedder(fail_at=3)).ingest([TINY])
    store = BriefsService(settings, embedder=FakeEmbedder()).store
    committed = store.registry.committed()
    assert len(committed) == 2  # the two batches before the failure, each brief whole
    assert sum(c.chunks for c in committed.values()) == len(store.vectors)
    assert BriefsService(settings, embedder=FakeEmbedder()).ingest([TINY]).added == 3  # the rest, next time
