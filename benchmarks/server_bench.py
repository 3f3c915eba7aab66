"""Embedded store versus server mode (a live ``chroma run`` on loopback) on the same data, in one process:
ingest seconds, chunks/s and answer latency p50/p95.

    python -m benchmarks.server_bench [--subset in-focus] [--questions 20] [--keep DIR]

Chunk texts are embedded once (during the embedded ingest) and the vectors are reused for the server
ingest, so the two ingest figures differ only in the work besides embedding (parse, clean, chunk, store
writes, BM25 build: "non-embed s"); the embedding time is printed separately and added to both totals.
Writes benchmarks/results/server.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.models import SentenceVectors
from assistant.service import BriefsService
from assistant.settings import Settings, get_settings
from benchmarks.common import CRS, RESULTS, configure, load, pct
from tests.server.servers import chroma_server

TEMPLATES = [
    "What does CRS report about {}?",
    "What are the main issues for Congress regarding {}?",
    "How is {} funded?",
    "What is the history of {}?",
]


class CachingEmbedder:
    """Wraps an embedder: each distinct text (and its sentence spans) is embedded once; ``embed_s`` is the
    time spent embedding."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name, self.max_tokens, self.dim, self.fingerprint = (
            inner.name,
            inner.max_tokens,
            inner.dim,
            inner.fingerprint,
        )
        self.cache: dict[str, np.ndarray] = {}
        self.with_sentences: dict[tuple[str, tuple], tuple[np.ndarray, SentenceVectors]] = {}
        self.embed_s = 0.0

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            t0 = time.perf_counter()
            self.cache.update(zip(missing, self.inner.embed(missing, batch_size), strict=True))
            self.embed_s += time.perf_counter() - t0
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_with_sentences(
        self, texts: Sequence[str], spans: Sequence[list[tuple[int, int]]], batch_size: int | None = None
    ) -> tuple[np.ndarray, list[SentenceVectors]]:
        keys = [(t, tuple(s)) for t, s in zip(texts, spans, strict=True)]
        missing = [k for k in dict.fromkeys(keys) if k not in self.with_sentences]
        if missing:
            t0 = time.perf_counter()
            vecs, pooled = self.inner.embed_with_sentences(
                [k[0] for k in missing], [list(k[1]) for k in missing], batch_size
            )
            self.with_sentences.update(zip(missing, zip(vecs, pooled, strict=True), strict=True))
            self.embed_s += time.perf_counter() - t0
        if not keys:
            return np.zeros((0, self.dim), np.float32), []
        return np.stack([self.with_sentences[k][0] for k in keys]), [self.with_sentences[k][1] for k in keys]

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def tokenize(self, text: str) -> list[str]:
        return self.inner.tokenize(text)


def questions(settings: Settings, embedder: Any, n: int) -> list[str]:
    briefs = BriefsService(settings, embedder=embedder).list_briefs()
    rng = random.Random(7)
    return [TEMPLATES[i % len(TEMPLATES)].format(rng.choice(briefs).title.split(":")[0]) for i in range(n)]


def ingest(name: str, settings: Settings, corpus: Path, cache: CachingEmbedder) -> dict[str, float]:
    before = cache.embed_s
    t0 = time.perf_counter()
    report = BriefsService(settings, embedder=cache).ingest([corpus])
    wall = time.perf_counter() - t0
    embed_s = cache.embed_s - before
    assert not report.failed, report.failed
    print(
        f"{name}: ingested {report.briefs} briefs / {report.chunks} chunks in {wall:.1f}s ({embed_s:.1f}s embedding)",
        flush=True,
    )
    return {
        "briefs": report.briefs,
        "chunks": report.chunks,
        "ingest_wall_s": wall,
        "embed_in_run_s": embed_s,
        "non_embed_s": wall - embed_s,
    }


def answer_latency(assistants: dict[str, BriefsService], qs: list[str]) -> tuple[dict[str, list[float]], int]:
    """Ask every question of each mode in turn (alternating who goes first), so load on a shared machine
    hits both modes alike; returns seconds per mode and how many answers were identical across modes."""
    times: dict[str, list[float]] = {m: [] for m in assistants}
    same = 0
    for assistant in assistants.values():
        assistant.ask(qs[0])  # warm: BM25 load, caches
    for i, q in enumerate(qs):
        order = list(assistants) if i % 2 == 0 else list(reversed(assistants))
        got = {}
        for mode in order:
            t = time.perf_counter()
            answer = assistants[mode].ask(q)
            times[mode].append(time.perf_counter() - t)
            got[mode] = (answer.text, [(c.brief_id, c.start, c.end) for c in answer.citations])
        same += len({repr(v) for v in got.values()}) == 1
    return times, same


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--corpus", type=Path, default=CRS, help="Folder of briefs (default: the CRS Markdown corpus)."
    )
    ap.add_argument("--subset", default=None, help="Subfolder of the corpus only, e.g. in-focus.")
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--keep", type=Path, default=None, help="Work folder to keep (default: a temporary one).")
    ap.add_argument(
        "--out", type=Path, default=RESULTS / "server.json", help="Where to write the JSON results."
    )
    args = ap.parse_args()
    corpus = args.corpus / args.subset if args.subset else args.corpus
    if not corpus.is_dir():
        raise SystemExit(f"Corpus folder {corpus} does not exist; pass --corpus or set BRIEFS_BENCH_CORPUS")
    work = args.keep or Path(tempfile.mkdtemp(prefix="server-bench-"))
    shutil.rmtree(work, ignore_errors=True)
    configure()
    from assistant.components.embedders import make_embedder

    print(load(), flush=True)
    embedder = make_embedder(get_settings({}))
    cache = CachingEmbedder(embedder)
    embedded = get_settings({"data_dir": work / "embedded"})
    rows: dict[str, dict[str, float]] = {"embedded": ingest("embedded", embedded, corpus, cache)}
    embed_s = rows["embedded"]["embed_in_run_s"]
    qs = questions(embedded, embedder, args.questions)
    with chroma_server(work / "chroma-server") as url:
        server = get_settings({"data_dir": work / "server", "chroma_url": url, "collection": "bench"})
        rows["server"] = ingest("server", server, corpus, cache)
        assistants = {
            "embedded": BriefsService(embedded, embedder=embedder),
            "server": BriefsService(server, embedder=embedder),
        }
        times, same = answer_latency(assistants, qs)
    for name, row in rows.items():
        row["ingest_s"] = row["non_embed_s"] + embed_s  # both modes pay the same embedding cost
        row["chunks_per_s"] = row["chunks"] / row["ingest_s"]
        row["non_embed_chunks_per_s"] = row["chunks"] / row["non_embed_s"]
        row["answer_p50_ms"], row["answer_p95_ms"] = pct(times[name], 50) * 1000, pct(times[name], 95) * 1000
    print(
        f"\ncorpus: {corpus} ({rows['embedded']['briefs']:.0f} briefs, {rows['embedded']['chunks']:.0f} chunks); "
        f"embedding (shared by both modes): {embed_s:.1f}s; answers identical in both modes: {same}/{len(qs)}"
    )
    print(
        f"{'mode':<10}{'ingest s':>10}{'chunks/s':>10}{'non-embed s':>13}{'ch/s':>7}{'answer p50 ms':>15}{'p95 ms':>9}"
    )
    for name, r in rows.items():
        print(
            f"{name:<10}{r['ingest_s']:>10.1f}{r['chunks_per_s']:>10.1f}{r['non_embed_s']:>13.1f}{r['non_embed_chunks_per_s']:>7.0f}"
            f"{r['answer_p50_ms']:>15.0f}{r['answer_p95_ms']:>9.0f}"
        )
    print(load())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out = {
        "corpus": str(corpus),
        "questions": len(qs),
        "embed_s": embed_s,
        "identical_answers": same,
        "modes": rows,
    }
    args.out.write_text(json.dumps(out, indent=2))
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
