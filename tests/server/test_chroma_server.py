"""Server mode end to end: the tiny corpus in a live Chroma server answers exactly as the embedded store
does, and two ingest processes with different data dirs share one server without losing anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.components.embedders import SentenceTransformerEmbedder
from assistant.service import BriefsService
from assistant.settings import Settings
from assistant.store import BriefStore

pytestmark = pytest.mark.server

QUESTIONS = [
    "How much shorter is the Northern Sea Route from Rotterdam to Shanghai?",
    "Which countries joined the semiconductor export controls in 2023?",
    "How much has Lake Chad shrunk since the 1960s?",
    "What did the visit achieve?",
    "What is the XM30?",
    "What is the central bank's policy on quinoa prices in Peru?",
]
HALF_A = ["arctic-shipping.md", "semiconductors.txt", "blinkens-visit-to-beijing.txt"]
HALF_B = ["water-security.html", "xm30-v1.md", "xm30-v2.md"]
BRIEF_OF = {
    QUESTIONS[0]: "arctic-shipping",
    QUESTIONS[1]: "semiconductors",
    QUESTIONS[2]: "water-security",
    QUESTIONS[3]: "blinkens-visit-to-beijing",
}


def test_server_store_answers_like_the_embedded_store(
    ingested_dir: Path,
    assistant: BriefsService,
    server_settings: Settings,
    embedder: SentenceTransformerEmbedder,
) -> None:
    report = BriefsService(server_settings, embedder=embedder).ingest([ingested_dir.parent / "briefs"])
    assert not report.failed, report.failed
    served = BriefsService(server_settings, embedder=embedder)
    assert [b.model_dump(exclude={"ingested_at"}) for b in served.list_briefs()] == [
        b.model_dump(exclude={"ingested_at"}) for b in assistant.list_briefs()
    ]
    assert served.store.registry.all_chunks() == assistant.store.registry.all_chunks()
    for q in QUESTIONS:
        local, remote = assistant.ask(q), served.ask(q)
        assert (remote.text, remote.abstained) == (local.text, local.abstained), q
        assert [c.model_dump() for c in remote.citations] == [c.model_dump() for c in local.citations], q
        for c in remote.citations:
            assert served.brief_text(c.brief_id)[c.start : c.end] == c.quote
    assert served.ask(QUESTIONS[-1]).abstained


def test_reingest_in_server_mode_skips_unchanged_briefs(
    ingested_dir: Path, server_settings: Settings, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    folder = ingested_dir.parent / "briefs"
    first = BriefsService(server_settings, embedder=embedder).ingest([folder])
    again = BriefsService(
        server_settings.model_copy(update={"data_dir": tmp_path / "elsewhere"}), embedder=embedder
    ).ingest([folder])
    assert (again.added, again.updated, again.unchanged) == (0, 0, first.added)


def run_ingest(files: list[Path], settings: Settings, data_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "BRIEFS_CHROMA_URL": str(settings.chroma_url),
        "BRIEFS_COLLECTION": settings.collection,
        "BRIEFS_DATA_DIR": str(data_dir),
        "BRIEFS_INGEST__BATCH_CHUNKS": "4",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    briefs = Path(sys.executable).parent / "briefs"
    return subprocess.Popen(
        [str(briefs), "ingest", "--json", *map(str, files)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_ingest_from_two_processes_loses_nothing(
    tiny_copy: Path,
    server_settings: Settings,
    assistant: BriefsService,
    embedder: SentenceTransformerEmbedder,
    tmp_path: Path,
) -> None:
    procs = [
        run_ingest([tiny_copy / f for f in half], server_settings, tmp_path / name)
        for half, name in ((HALF_A, "data-a"), (HALF_B, "data-b"))
    ]
    deadline = time.monotonic() + 300
    outs = [p.communicate(timeout=max(1.0, deadline - time.monotonic())) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]
        assert json.loads(out.strip().splitlines()[-1])["failed"] == []

    third = server_settings.model_copy(update={"data_dir": tmp_path / "data-c", "chroma_orphan_grace_s": 0.0})
    store = BriefStore(third)
    expected = assistant.store  # the embedded ingest of the same files
    assert [b.id for b in store.list_briefs()] == [b.id for b in assistant.list_briefs()]
    assert store.chunk_count() == expected.chunk_count() == len(store.registry.all_chunks())
    assert [(r.brief_id, r.idx, r.start, r.end, r.text) for r in store.registry.all_chunks()] == [
        (r.brief_id, r.idx, r.start, r.end, r.text) for r in expected.registry.all_chunks()
    ]
    assert store.recover().orphans == 0  # nothing either process wrote is an orphan to a third
    assert store.vector_count() == expected.chunk_count()

    served = BriefsService(third, store=store, embedder=embedder)
    for q, brief_id in BRIEF_OF.items():
        answer = served.ask(q)
        assert not answer.abstained, q
        assert brief_id in {c.brief_id for c in answer.citations}, (q, answer.text)
    assert {c.brief_id for c in served.ask(QUESTIONS[4]).citations} & {"xm30-v2", "xm30-v1"}
