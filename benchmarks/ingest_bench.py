"""Ingest from scratch against the floor of the first ingest issue: a bare ``SentenceTransformer.encode`` (torch,
batch size 32, normalised) of exactly the texts the pipeline embeds, measured side by side in one process.

    python -m benchmarks.ingest_bench [--repeats 2] [--with-st-ingest] [--limit N]

Rows (best of ``--repeats``, the variants interleaved, alternating which goes first):

- ``torch floor``: ``SentenceTransformer.encode`` of the chunk texts (title/section header + chunk);
- ``onnx int8 embed``: the default embedder's ``embed`` of the same texts (no sentence vectors);
- ``briefs ingest``: the whole ingest with the default settings (onnx int8): parse, clean, chunk, embed with
  sentence vectors, write, BM25; into a fresh data dir;
- ``briefs ingest (sentence-transformers)`` with ``--with-st-ingest``: the same with the previous default.

``x floor`` is the floor's seconds over the row's (above 1: faster than the floor), for wall time and for this
process's CPU time (all threads), which other jobs on a shared machine disturb less. The first round's default
ingest is kept in benchmarks/results/crs-data for the other benchmarks (later rounds ingest into their own data
dirs, removed at the end: a process keeps its Chroma client per path). Writes benchmarks/results/ingest.json.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from benchmarks.common import (
    CRS_DATA,
    RESULTS,
    configure,
    fresh,
    load,
    peak_rss,
    require_corpus,
    table,
    timer,
)
from benchmarks.common import write_result as save


def chunk_texts(data_dir: Path) -> list[str]:
    """The exact texts the pipeline embedded into ``data_dir`` (header + chunk), in registry order."""
    from assistant.service import BriefsService
    from assistant.store import embed_header

    store = BriefsService({"data_dir": data_dir}).store
    titles = {b.id: b.title for b in store.list_briefs()}
    return [embed_header(titles[c.brief_id], c.section) + c.text for c in store.registry.all_chunks()]


def ingest(files: list[Path], data_dir: Path, **overrides: Any) -> dict[str, float]:
    from assistant.service import BriefsService

    service = BriefsService({"data_dir": fresh(data_dir), **overrides})
    service.embedder  # loaded (and exported, the first time) before the clock starts  # noqa: B018
    with peak_rss() as mem, timer() as t:
        report = service.ingest(files)
    assert not report.failed, report.failed
    service.store.close()
    return {"seconds": t["seconds"], "cpu_s": t["cpu_s"], "chunks": report.chunks, "peak_mb": mem["peak_mb"]}


def embed(fn: Any, texts: list[str]) -> dict[str, float]:
    with peak_rss() as mem, timer() as t:
        fn(texts)
    return {"seconds": t["seconds"], "cpu_s": t["cpu_s"], "chunks": len(texts), "peak_mb": mem["peak_mb"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=1, help="rounds of every variant (best is reported)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files (0 = all)")
    parser.add_argument("--with-st-ingest", action="store_true", help="also ingest with sentence-transformers")
    args = parser.parse_args()
    configure()
    from assistant.components.embedders import SentenceTransformerEmbedder, bundled_model_path, make_embedder
    from assistant.settings import get_settings

    files = sorted(f for f in require_corpus().rglob("*") if f.is_file())[: args.limit or None]
    data_dir = CRS_DATA if not args.limit else RESULTS / "crs-data-limited"
    onnx = make_embedder(get_settings({}))
    torch_model = SentenceTransformerEmbedder(bundled_model_path()).model
    print(f"{len(files)} files; {load()}", flush=True)

    runs: dict[str, list[dict[str, float]]] = {}
    texts: list[str] = []
    for rep in range(args.repeats):
        # a new data dir each round: a process keeps its Chroma client per path, so a store deleted and made again
        # at the same path would be written through the old one
        round_dir = data_dir if rep == 0 else data_dir.with_name(f"{data_dir.name}-r{rep}")
        st_dir = RESULTS / f"crs-data-st-r{rep}"
        variants: list[tuple[str, Any]] = [
            ("briefs ingest", lambda d=round_dir: ingest(files, d)),
            ("torch floor", lambda: embed(
                lambda t: torch_model.encode(t, batch_size=32, normalize_embeddings=True, show_progress_bar=False),
                texts,
            )),
            ("onnx int8 embed", lambda: embed(onnx.embed, texts)),
        ]
        if args.with_st_ingest:
            variants.append(
                ("briefs ingest (sentence-transformers)",
                 lambda d=st_dir: ingest(files, d, embedder="sentence-transformers"))
            )
        order = variants if rep % 2 == 0 else [variants[0], *reversed(variants[1:])]
        for name, run in order:  # the first ingest provides the texts the others embed
            result = run()
            runs.setdefault(name, []).append(result)
            if not texts:
                texts.extend(chunk_texts(data_dir))
            print(f"  round {rep + 1}: {name:40s} {result['seconds']:7.1f} s  ({load()})", flush=True)

    for rep in range(1, args.repeats):
        shutil.rmtree(data_dir.with_name(f"{data_dir.name}-r{rep}"), ignore_errors=True)
        shutil.rmtree(RESULTS / f"crs-data-st-r{rep}", ignore_errors=True)
    best = {name: min(r, key=lambda x: x["seconds"]) for name, r in runs.items()}
    floor = best["torch floor"]["seconds"]
    rows = []
    for name, r in best.items():
        r["chunks_per_s"] = r["chunks"] / r["seconds"]
        r["x_floor"] = floor / r["seconds"]
        r["cpu_x_floor"] = best["torch floor"]["cpu_s"] / r["cpu_s"]
        rows.append([name, r["seconds"], r["chunks"], r["chunks_per_s"], f"{r['x_floor']:.2f}x", r["cpu_s"],
                     f"{r['cpu_x_floor']:.2f}x", r["peak_mb"]])  # fmt: skip
    print(table(rows, ["path", "wall s", "chunks", "chunks/s", "x floor (wall)", "CPU s", "x floor (CPU)", "peak RSS MiB"]))
    print(load())
    print(f"wrote {save('ingest', {'files': len(files), 'best': best, 'runs': runs})}")


if __name__ == "__main__":
    main()
