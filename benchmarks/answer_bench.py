"""Warm extractive answering in-process (no HTTP), stage by stage, on the CRS store and on any scaled copies the
scale bench built (benchmarks/results/crs-data-x<N>): query embedding, dense search, BM25, fusion, answering.

    python -m benchmarks.answer_bench [--questions 40] [--rounds 3]

The stores are opened side by side in one process and asked the same questions in turn (rotating which store
goes first), ``--rounds`` times; medians and p95 per stage. Writes benchmarks/results/answer.json.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from benchmarks.common import CRS_DATA, RESULTS, configure, load, pct, rss_mb, table
from benchmarks.common import write_result as save
from benchmarks.scale_bench import BUILT, STAGES, questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configure()
    from assistant.service import BriefsService

    if not (CRS_DATA / "registry.sqlite3").is_file():
        raise SystemExit(f"No store at {CRS_DATA}: run python -m benchmarks.ingest_bench first")
    dirs = {"1x": CRS_DATA} | {
        p.name.rsplit("-", 1)[1]: p
        for p in sorted(RESULTS.glob("crs-data-x*"), key=lambda p: int(p.name.rsplit("x", 1)[1]))
        if (p / BUILT).is_file()
    }
    qs = questions(CRS_DATA, args.questions)
    print(load(), flush=True)
    services = {}
    for name, d in dirs.items():
        t0 = time.perf_counter()
        services[name] = BriefsService({"data_dir": d})
        services[name].warm_up()
        services[name].ask(qs[0])
        print(f"  {name}: warmed up in {time.perf_counter() - t0:.1f} s", flush=True)
    wall: dict[str, list[float]] = {n: [] for n in services}
    stages: dict[str, dict[str, list[float]]] = {n: {s: [] for s in STAGES} for n in services}
    names = list(services)
    for rnd in range(args.rounds):
        for i, q in enumerate(qs):
            shift = (i + rnd) % len(names)
            for name in names[shift:] + names[:shift]:
                t0 = time.perf_counter()
                answer = services[name].ask(q)
                wall[name].append((time.perf_counter() - t0) * 1000)
                for s in STAGES:
                    if s in answer.timings:
                        stages[name][s].append(answer.timings[s])
    results: dict[str, Any] = {}
    rows = []
    for name in names:
        r: dict[str, Any] = {"p50_ms": pct(wall[name], 50), "p95_ms": pct(wall[name], 95)}
        for s, v in stages[name].items():
            r[f"{s}_p50"], r[f"{s}_p95"] = pct(v, 50), pct(v, 95)
        results[name] = r
        rows.append([name, r["p50_ms"], r["p95_ms"], *[r[f"{s}_p50"] for s in STAGES[:-1]]])
    print(table(rows, ["store", "ask p50 ms", "ask p95 ms", *[f"{s.removesuffix('_ms')} p50" for s in STAGES[:-1]]]))
    print(f"process RSS with every store open: {rss_mb()['rss_mb']:.0f} MiB; {load()}")
    print(f"wrote {save('answer', {'questions': qs, 'results': results})}")


if __name__ == "__main__":
    main()
