"""Warm answering at scale: the CRS store copied 10x and 100x under other brief ids (reusing its vectors and
sentence vectors, so nothing is re-embedded), each served by ``briefs serve`` and asked over HTTP.

    python -m benchmarks.scale_bench [--scales 1,10,100] [--questions 40] [--reuse] [--build-only]

Per scale: briefs and chunks; the time to build the copies (the store's own writes in ``BriefStore.write_brief``'s
order, vectors then each brief's registry commit, with the copies of one brief in one Chroma write: at 350k
records every Chroma write costs ~2.8 s whatever its size) and the BM25 index; the server's time to /readyz; warm ``/v1/ask`` latency p50/p95 measured by the client,
and the server-side stage timings of the same requests (query embedding, dense search, BM25, answer); the
server's resident memory (now and peak); the store's size on disk by part. The copies keep each brief's
series, suffixed, so the newest-version filter applies at every scale as it does at 1x.

Needs the 1x store of the ingest bench (benchmarks/results/crs-data). Scaled stores are kept in
benchmarks/results/crs-data-x<N> (``--reuse`` keeps built ones). Writes benchmarks/results/scale.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.cold_bench import _get, free_port, run_env
from benchmarks.common import CRS_DATA, QUESTIONS, RESULTS, ROOT, configure, du_mb, load, pct, rss_mb, table
from benchmarks.common import write_result as save

TEMPLATES = [
    "What does CRS report about {}?",
    "What are the main issues for Congress regarding {}?",
    "How is {} funded?",
    "What is the history of {}?",
]
STAGES = ["embed_query_ms", "dense_ms", "bm25_ms", "fuse_ms", "retrieve_ms", "answer_ms", "total_ms"]
BUILT = "SCALE.json"
SYNC_THRESHOLD = 200_000  # records between HNSW index writes while the copies are added


def questions(base: Path, n: int) -> list[str]:
    from assistant.service import BriefsService

    rng = random.Random(13)
    titles = [b.title.split(":")[0] for b in BriefsService({"data_dir": base}).list_briefs()]
    out = list(QUESTIONS)
    while len(out) < n:
        out.append(rng.choice(TEMPLATES).format(rng.choice(titles)))
    return out[:n]


def build(base: Path, scale: int, reuse: bool) -> dict[str, float]:
    """The ``scale``x store: a copy of the largest smaller one already built, plus the missing copies."""
    target = RESULTS / f"crs-data-x{scale}"
    marker = target / BUILT
    if reuse and marker.is_file():
        return dict(json.loads(marker.read_text()), reused=1.0)
    smaller = sorted(
        (int(p.name.rsplit("x", 1)[1]), p) for p in RESULTS.glob("crs-data-x*") if (p / BUILT).is_file()
    )
    start, source = next(((s, p) for s, p in reversed(smaller) if s < scale), (1, base))
    t0 = time.perf_counter()
    if reuse and (target / "registry.sqlite3").is_file():  # an interrupted build: add the copies still missing
        print(f"  resuming the {scale}x build in {target}", flush=True)
    else:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)
        (target / BUILT).unlink(missing_ok=True)  # the source's marker: this store is not built yet
    copied = time.perf_counter() - t0
    t1 = time.perf_counter()
    add_copies(base, target, range(start, scale))
    written = time.perf_counter() - t1
    from assistant.service import BriefsService

    t2 = time.perf_counter()
    store = BriefsService({"data_dir": target}).store
    store.keyword_index()
    bm25 = time.perf_counter() - t2
    out = {"copy_s": copied, "write_s": written, "bm25_build_s": bm25, "from_scale": float(start)}
    marker.write_text(json.dumps(out))
    print(f"  built {scale}x from {start}x: copy {copied:.0f} s, writes {written:.0f} s, BM25 {bm25:.0f} s", flush=True)
    return out


def add_copies(base: Path, target: Path, copies: range) -> None:
    """Write copy ``k`` of every brief of ``base`` into ``target`` for each ``k`` in ``copies``."""
    from assistant.models import ChunkRow, PreparedBrief
    from assistant.service import BriefsService
    from assistant.store import chunk_id

    src = BriefsService({"data_dir": base}).store
    dst = BriefsService({"data_dir": target}).store
    # Chroma persists its HNSW index (and rewrites its id map) every sync_threshold records (default 1000), and each
    # write (add or delete) costs ~2.8 s of fixed work at 350k records: the copies of a brief go in one add, and
    # the index is written once, at the end. Reads are unaffected.
    dst.vectors.collection.modify(configuration={"hnsw": {"sync_threshold": SYNC_THRESHOLD}})  # type: ignore[attr-defined]
    present = {b.id for b in dst.list_briefs()}
    originals = src.list_briefs()
    committed = src.registry.committed()
    by_brief: dict[str, list[ChunkRow]] = {}
    for c in src.registry.all_chunks():
        by_brief.setdefault(c.brief_id, []).append(c)
    t0 = time.perf_counter()
    for n, b in enumerate(originals, 1):
        rows = sorted(by_brief.get(b.id, []), key=lambda c: c.idx)
        got = src.vectors.collection.get(ids=[c.id for c in rows], include=["embeddings"])  # type: ignore[attr-defined]  # Chroma
        vec_of = dict(zip(got["ids"], got["embeddings"], strict=True))
        vectors = np.array([vec_of[c.id] for c in rows], dtype=np.float32)
        sentences = src.sentence_vectors([c.id for c in rows])
        text = src.brief_text(b.id)
        fingerprint = committed[b.id].fingerprint  # one generation for all copies: their vectors go in one write
        todo = [k for k in copies if f"{b.id}-copy{k}" not in present]
        briefs = []
        for k in todo:
            meta = b.model_copy(
                update={
                    "id": f"{b.id}-copy{k}",
                    "path": f"{b.path}#copy{k}",
                    "series": f"{b.series}-copy{k}" if b.series else None,
                    "content_hash": hashlib.sha256(f"copy{k}|{b.content_hash}".encode()).hexdigest(),
                }
            )
            new_rows = [
                ChunkRow(chunk_id(meta.id, fingerprint[:12], c.idx), meta.id, c.idx, c.start, c.end, c.section, c.text)
                for c in rows
            ]
            brief = PreparedBrief(meta, fingerprint, text, new_rows)
            brief.sentences = {nr.id: sentences[c.id] for nr, c in zip(new_rows, rows, strict=True) if c.id in sentences}
            briefs.append(brief)
        if briefs:  # BriefStore.write_brief's order (vectors, then each commit), with one Chroma write per brief
            with dst.writing():
                all_rows = [r for brief in briefs for r in brief.chunks]
                dst.vectors.add(all_rows, np.tile(vectors, (len(briefs), 1)), b.title, fingerprint[:12])
                for brief in briefs:
                    dst.registry.commit_brief(brief)
        if n % 10 == 0:
            rate = n * len(copies) / (time.perf_counter() - t0)
            print(f"    {n}/{len(originals)} briefs x {len(copies)} copies ({rate:.0f} briefs/s)", flush=True)
    # back to Chroma's default, and one write to make it persist the index now: a store left with unpersisted
    # records would replay them into HNSW at every server start
    dst.vectors.collection.modify(configuration={"hnsw": {"sync_threshold": 1000}})  # type: ignore[attr-defined]
    dst.vectors.collection.add(ids=["scale-bench-flush"], embeddings=[[1.0] + [0.0] * (vectors.shape[1] - 1)])  # type: ignore[attr-defined]
    dst.vectors.collection.delete(ids=["scale-bench-flush"])  # type: ignore[attr-defined]
    dst.close()


def serve_and_ask(data: Path, qs: list[str]) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--data-dir", str(data)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=run_env(ROOT), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while _get(url + "/readyz") != 200:
            if proc.poll() is not None or time.perf_counter() - t0 > 900:
                err = proc.stderr.read().decode()[-3000:] if proc.stderr else ""
                raise SystemExit(f"briefs serve on {data} did not become ready:\n{err}")
            time.sleep(0.1)
        ready = time.perf_counter() - t0
        for q in qs[:3]:  # warm: first touches of the HNSW index, the BM25 arrays, the caches
            ask(url, q)
        latencies: list[float] = []
        stages: dict[str, list[float]] = {s: [] for s in STAGES}
        for q in qs:
            t = time.perf_counter()
            answer = ask(url, q)
            latencies.append((time.perf_counter() - t) * 1000)
            timings = answer.get("timings", {})
            for s in STAGES:
                if s in timings:
                    stages[s].append(float(timings[s]))
        memory = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(60)
    return {
        "ready_s": ready,
        "p50_ms": pct(latencies, 50),
        "p95_ms": pct(latencies, 95),
        **{f"{s.removesuffix('_ms')}_p50_ms": pct(v, 50) for s, v in stages.items()},
        **{f"{s.removesuffix('_ms')}_p95_ms": pct(v, 95) for s, v in stages.items()},
        **memory,
    }


def ask(url: str, question: str) -> dict[str, Any]:
    import urllib.request

    req = urllib.request.Request(
        url + "/v1/ask", data=json.dumps({"question": question}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        return dict(json.loads(r.read()))


def disk(data: Path) -> dict[str, float]:
    parts = {"chroma": du_mb(data / "chroma"), "bm25": du_mb(data / "bm25")}
    parts["registry"] = sum(du_mb(f) if f.is_dir() else f.stat().st_blocks * 512 / 2**20 for f in data.glob("registry.sqlite3*"))
    parts["total"] = du_mb(data)
    return parts


def counts(data: Path) -> tuple[int, int]:
    from assistant.service import BriefsService

    store = BriefsService({"data_dir": data}).store
    return len(store.list_briefs()), store.chunk_count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="reuse scaled stores built by an earlier run")
    parser.add_argument("--build-only", action="store_true", help="build the scaled stores, measure nothing")
    args = parser.parse_args()
    configure()
    if not (CRS_DATA / "registry.sqlite3").is_file():
        raise SystemExit(f"No store at {CRS_DATA}: run python -m benchmarks.ingest_bench first")
    qs = questions(CRS_DATA, args.questions)
    print(load(), flush=True)
    results: dict[str, dict[str, Any]] = {}
    for scale in sorted(int(s) for s in args.scales.split(",")):
        data = CRS_DATA if scale == 1 else RESULTS / f"crs-data-x{scale}"
        built = build(CRS_DATA, scale, args.reuse) if scale > 1 else {}
        if args.build_only:
            continue
        briefs, chunks = counts(data)
        measured = serve_and_ask(data, qs)
        results[f"{scale}x"] = {"briefs": briefs, "chunks": chunks, **built, **measured, "disk_mb": disk(data)}
        r = results[f"{scale}x"]
        print(f"{scale:>4}x {briefs:6d} briefs {chunks:7d} chunks | ask p50 {r['p50_ms']:.0f} p95 {r['p95_ms']:.0f} ms | "
              f"RSS {r['rss_mb']:.0f} MiB | disk {r['disk_mb']['total']:.0f} MiB | {load()}", flush=True)  # fmt: skip
    if args.build_only:
        return
    rows = []
    previous: dict[str, Any] | None = None
    for name, r in results.items():
        growth = f"{r['p95_ms'] / previous['p95_ms']:.2f}x" if previous else "-"
        rows.append([name, r["briefs"], r["chunks"], r["p50_ms"], r["p95_ms"], growth, r["dense_p50_ms"],
                     r["dense_p95_ms"], r["bm25_p50_ms"], r["bm25_p95_ms"], r["answer_p50_ms"], r["ready_s"],
                     r["rss_mb"], r["peak_rss_mb"], r["disk_mb"]["total"]])  # fmt: skip
        previous = r
    print(table(rows, ["scale", "briefs", "chunks", "ask p50 ms", "ask p95 ms", "p95 vs previous", "dense p50",
                       "dense p95", "BM25 p50", "BM25 p95", "answer p50", "ready s", "RSS MiB", "peak RSS MiB",
                       "disk MiB"]))  # fmt: skip
    print(table([[n, *[r["disk_mb"][k] for k in ("chroma", "registry", "bm25", "total")]] for n, r in results.items()],
                ["scale", "chroma MiB", "registry MiB", "bm25 MiB", "total MiB"]))  # fmt: skip
    print(load())
    print(f"wrote {save('scale', {'questions': qs, 'results': results})}")


if __name__ == "__main__":
    main()
