"""Warm extractive answering latency on the CRS corpus, retrieval and answering separately, and how it
grows when the corpus is duplicated under other ids (1x -> 10x).

    python -m benchmarks.answer_bench [--scales 1,10] [--questions 50]

The 1x store is ingested once (cached in benchmarks/results/crs-data); copies reuse its vectors, so the
larger stores cost no embedding. Writes benchmarks/results/answer.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import numpy as np  # noqa: E402
from assistant.registry import ChunkRow  # noqa: E402
from assistant.sentences import SentenceIndex  # noqa: E402

from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store import BriefStore, chunk_id  # noqa: E402
from benchmarks.common import CRS, RESULTS, pct  # noqa: E402

TEMPLATES = [
    "What does CRS report about {}?",
    "What are the main issues for Congress regarding {}?",
    "Summarize {}.",
    "What is the history of {}?",
    "How is {} funded?",
]


def questions(store: BriefStore, n: int) -> list[str]:
    rng = random.Random(42)
    briefs = store.list_briefs()
    out = []
    for i in range(n):
        b = briefs[rng.randrange(len(briefs))]
        topic = b.title.split(":")[0]
        out.append(TEMPLATES[i % len(TEMPLATES)].format(topic))
    return out


def base_store(settings: Settings) -> None:
    if (settings.data_dir / "registry.sqlite3").exists():
        return
    from ingest.pipeline import Ingestor

    report = Ingestor(settings).ingest([CRS])
    print(f"ingested {report.briefs} briefs, {report.chunks} chunks")


def replicate(src: Settings, dst: Settings, copies: int) -> None:
    """Copy every brief ``copies`` times under new ids, reusing its vectors (no re-embedding)."""
    shutil.rmtree(dst.data_dir, ignore_errors=True)
    shutil.copytree(src.data_dir, dst.data_dir)
    store = BriefStore(dst)
    sentences = SentenceIndex(dst.data_dir / "sentences.sqlite3")
    col = store._collection
    originals = store.list_briefs()
    for b in originals:
        rows = [c for c in store.registry.all_chunks() if c.brief_id == b.id]
        got = col.get(ids=[c.id for c in rows], include=["embeddings"])
        vec_by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        vecs = np.array([vec_by_id[c.id] for c in rows], dtype=np.float32)
        stored = sentences.get([c.id for c in rows])
        text = store.registry.brief_text(b.id) or ""
        for k in range(1, copies):
            meta = b.model_copy(
                update={"id": f"{b.id}-copy{k}", "path": f"{b.path}#copy{k}", "series": f"{b.series}-copy{k}"}
            )
            fp = f"{k:04d}" + b.content_hash
            new_rows = [
                ChunkRow(chunk_id(meta.id, fp[:12], c.idx), meta.id, c.idx, c.start, c.end, c.section, c.text)
                for c in rows
            ]
            store.write_brief(meta, fp, text, new_rows, vecs)
            sentences.put_many(
                [(n.id, *stored[o.id]) for n, o in zip(new_rows, rows, strict=True) if o.id in stored]
            )
    store.keyword_index()


def run(settings: Settings, qs: list[str]) -> dict[str, float]:
    assistant = Assistant(settings)
    assistant.ask("warm up: what is the federal budget?")
    retrieve, answer, total, abstained = [], [], [], 0
    for q in qs:
        t0 = time.perf_counter()
        a = assistant.ask(q)
        total.append((time.perf_counter() - t0) * 1000)
        retrieve.append(a.timings["retrieve_ms"])
        answer.append(a.timings.get("answer_ms", 0.0))
        abstained += a.abstained
    return {
        "briefs": len(assistant.briefs()),
        "chunks": assistant.store.registry.chunk_count(),
        "total_p50_ms": pct(total, 50),
        "total_p95_ms": pct(total, 95),
        "retrieve_p50_ms": pct(retrieve, 50),
        "retrieve_p95_ms": pct(retrieve, 95),
        "answer_p50_ms": pct(answer, 50),
        "answer_p95_ms": pct(answer, 95),
        "abstained": abstained,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument(
        "--reuse", action="store_true", help="reuse existing scaled stores instead of rebuilding them"
    )
    args = parser.parse_args()
    base = Settings(data_dir=RESULTS / "crs-data")
    base_store(base)
    qs = questions(BriefStore(base), args.questions)
    results = {}
    for scale in [int(s) for s in args.scales.split(",")]:
        settings = base if scale == 1 else Settings(data_dir=RESULTS / f"crs-data-x{scale}")
        if scale > 1 and not (args.reuse and (settings.data_dir / "registry.sqlite3").exists()):
            replicate(base, settings, scale)
        results[f"{scale}x"] = run(settings, qs)
        r = results[f"{scale}x"]
        print(
            f"{scale:>3}x  {r['briefs']:5d} briefs {r['chunks']:6d} chunks | total p50 {r['total_p50_ms']:6.1f} p95 {r['total_p95_ms']:6.1f} ms"
            f" | retrieve p50 {r['retrieve_p50_ms']:6.1f} p95 {r['retrieve_p95_ms']:6.1f} | answer p50 {r['answer_p50_ms']:5.1f} p95 {r['answer_p95_ms']:5.1f}"
            f" | abstained {r['abstained']}/{len(qs)}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "answer.json").write_text(json.dumps({"questions": qs, "results": results}, indent=2))


if __name__ == "__main__":
    main()
