"""Fault injection: a real `briefs` process is killed (SIGKILL) at a point the test chooses, or two writers share
one embedded data dir; after the next run the store equals a clean reference ingest — the same briefs and chunk
hashes, every chunk with its vector and its sentence vectors, no orphan vectors, a loadable keyword index.

The kill points are chosen by patching the named function in the child process (nothing in the product knows about
faults): the child imports the CLI, wraps the function so that its Nth call kills the process before or after the
real call, then runs the command.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, TINY, test_settings

pytestmark = pytest.mark.slow

CHILD = r"""
import importlib, os, signal, sys, time
target, when, nth, sleep_s = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
module, _, attr = target.rpartition(".")
owner_name, _, method = attr.partition(":")
owner = getattr(importlib.import_module(module), owner_name)
real = getattr(owner, method)
calls = [0]
def patched(*args, **kwargs):
    calls[0] += 1
    hit = calls[0] == nth
    if hit and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    if hit and when == "sleep":
        time.sleep(sleep_s)
    out = real(*args, **kwargs)
    if hit and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)
    return out
setattr(owner, method, patched)
from ui.cli import cli
cli(sys.argv[5:])
"""


def _corpus(folder: Path, n: int = 8) -> Path:
    folder.mkdir(parents=True)
    base = (TINY / "arctic-shipping.md").read_text().split("---\n", 2)[2]
    for i in range(n):
        body = base.replace("forty vessels", f"{40 + i} vessels").replace("2030", str(2030 + i))
        (folder / f"brief-{i:02d}.md").write_text(f"# Arctic brief {i}\n\nThis is brief number {i} on polar logistics.\n\n{body}")
    return folder


def _env() -> dict[str, str]:
    return {**os.environ, "BRIEFS_INGEST__BATCH_CHUNKS": "4", "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": str(ROOT)}


def _briefs(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, env=_env(),
                          timeout=timeout, cwd=ROOT)


def _faulty(target: str, when: str, nth: int, *args: str, sleep_s: float = 0.0) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CHILD, target, when, str(nth), str(sleep_s), *args], env=_env(), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def state(data: Path) -> dict[str, object]:
    """What must equal the reference: briefs, chunk hashes, and the completeness of every derived store."""
    from assistant.store import BriefStore

    store = BriefStore(test_settings(data_dir=data))
    try:
        chunks = store.registry.all_chunks()
        vector_ids = set(store.vectors.collection.get(include=[])["ids"])
        committed = store.registry.committed()
        sentences = store.registry.sentence_counts()  # type: ignore[attr-defined]
        keyword = store.keyword_index()
        return {
            "briefs": sorted(committed),
            "chunks": hashlib.sha256("\n".join(f"{c.brief_id}|{c.idx}|{c.start}|{c.end}|{c.text}" for c in chunks).encode()).hexdigest(),
            "vectors_match_chunks": vector_ids == {c.id for c in chunks},
            "sentences_complete": sentences == {i: c.chunks for i, c in committed.items()},
            "keyword_index": keyword is not None and len(keyword.ids) == len(chunks),
        }
    finally:
        store.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _corpus(tmp_path_factory.mktemp("faults") / "briefs")


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    data = tmp_path_factory.mktemp("reference") / "data"
    done = _briefs("ingest", str(corpus), "--json", "--data-dir", str(data))
    assert done.returncode == 0, done.stderr[-2000:]
    ref = state(data)
    assert len(ref["briefs"]) == 8 and all(ref[k] for k in ("vectors_match_chunks", "sentences_complete", "keyword_index"))  # type: ignore[arg-type]
    return ref


POINTS = [
    ("before-vectors", "assistant.components.chroma.ChromaVectorIndex:add", "before", 3),
    ("between-vectors-and-commit", "assistant.components.chroma.ChromaVectorIndex:add", "after", 3),
    ("during-commit", "assistant.components.registry_sqlite.SQLiteRegistry:commit_brief", "before", 3),
    ("after-commit-before-old-vectors-go", "assistant.components.registry_sqlite.SQLiteRegistry:commit_brief", "after", 3),
    ("during-bm25-persist", "assistant.components.keyword_index.KeywordIndex:persist", "after", 1),
]


@pytest.mark.parametrize(("name", "target", "when", "nth"), POINTS, ids=[p[0] for p in POINTS])
def test_a_kill_at_any_write_point_leaves_a_store_the_next_run_completes(
        name: str, target: str, when: str, nth: int, corpus: Path, reference: dict[str, object], tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = _faulty(target, when, nth, "ingest", str(corpus), "--json", "--data-dir", str(data))
    proc.communicate(timeout=600)
    assert proc.returncode == -signal.SIGKILL, f"{name}: the kill point was never reached"
    rerun = _briefs("ingest", str(corpus), "--json", "--data-dir", str(data))
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert state(data) == reference, name
    assert json.loads(_briefs("ingest", str(corpus), "--json", "--data-dir", str(data)).stdout)["unchanged"] == 8


def test_a_kill_during_delete_is_completed_by_the_next_prune(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "briefs"
    folder.mkdir()
    for f in corpus.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    data = tmp_path / "data"
    assert _briefs("ingest", str(folder), "--json", "--data-dir", str(data)).returncode == 0
    (folder / "brief-03.md").unlink()
    expected_data = tmp_path / "expected"
    assert _briefs("ingest", str(folder), "--json", "--data-dir", str(expected_data)).returncode == 0
    proc = _faulty("assistant.components.chroma.ChromaVectorIndex:delete", "before", 1,
                   "ingest", str(folder), "--prune", "--json", "--data-dir", str(data))
    proc.communicate(timeout=600)
    assert proc.returncode == -signal.SIGKILL
    again = _briefs("ingest", str(folder), "--prune", "--json", "--data-dir", str(data))
    assert again.returncode == 0, again.stderr[-2000:]
    assert state(data) == state(expected_data)


def test_two_writers_on_one_embedded_data_dir_lose_nothing(corpus: Path, reference: dict[str, object], tmp_path: Path) -> None:
    """The probe's repro: one ingest stalls 20 s inside the commit of its third brief while a second ingest of the same
    folder starts on the same data dir (its recovery used to delete the first one's uncommitted vectors)."""
    data = tmp_path / "data"
    slow = _faulty("assistant.components.registry_sqlite.SQLiteRegistry:commit_brief", "sleep", 3,
                   "ingest", str(corpus), "--json", "--data-dir", str(data), sleep_s=20.0)
    deadline = time.time() + 120
    while time.time() < deadline and not (data / "registry.sqlite3").exists():
        time.sleep(0.2)
    time.sleep(8)  # the first writer is now inside its stalled commit
    second = _briefs("ingest", str(corpus), "--json", "--data-dir", str(data))
    out, err = slow.communicate(timeout=600)
    assert slow.returncode == 0, err[-2000:]
    assert second.returncode == 0, second.stderr[-2000:]
    assert state(data) == reference
    rerun = json.loads(_briefs("ingest", str(corpus), "--json", "--data-dir", str(data)).stdout)
    assert (rerun["unchanged"], rerun["repaired"]) == (8, 0)
