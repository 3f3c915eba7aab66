"""The ingest's embed and write stages (two threads): order, and what an error stops."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from assistant.models import IngestReport
from ingest.pipeline import _Writer


def _run(batches: list[list[Any]], embed: Any, write: Any) -> None:
    with _Writer(embed, write, IngestReport()) as writer:
        for batch in batches:
            writer.submit(batch)


def test_batches_are_written_in_order_after_their_embedding() -> None:
    written: list[tuple[int, str]] = []
    _run([[1], [2], [3]], lambda b: f"v{b[0]}", lambda b, e, r: written.append((b[0], e)))
    assert written == [(1, "v1"), (2, "v2"), (3, "v3")]


def test_an_embedding_error_still_writes_what_was_embedded_before_it() -> None:
    written: list[int] = []
    release = threading.Event()

    def embed(batch: list[int]) -> str:
        if batch[0] == 2:
            raise RuntimeError("embedding failed")
        return "v"

    def write(batch: list[int], embedded: str, report: IngestReport) -> None:
        release.wait(5)  # the write of batch 1 is still running when batch 2 fails
        written.append(batch[0])

    def submit_and_release() -> None:
        with _Writer(embed, write, IngestReport()) as writer:
            writer.submit([1])
            writer.submit([2])
            threading.Timer(0.3, release.set).start()
            writer.submit([3])

    with pytest.raises(RuntimeError, match="embedding failed"):
        submit_and_release()
    assert written == [1]  # batch 1 whole; nothing after the failure


def test_a_write_error_stops_all_later_writes_even_after_it_was_raised() -> None:
    written: list[int] = []

    def write(batch: list[int], embedded: str, report: IngestReport) -> None:
        if batch[0] == 1:
            raise RuntimeError("disk full")
        written.append(batch[0])

    with pytest.raises(RuntimeError, match="disk full"):
        _run([[1], [2], [3], [4]], lambda b: "v", write)
    assert written == []
