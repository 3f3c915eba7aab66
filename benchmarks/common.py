"""Shared helpers for the benchmarks: corpus location, peak-RSS sampling, percentiles."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CRS = Path(
    os.environ.get("BRIEFS_BENCH_CORPUS", ROOT.parent / "shared" / "corpus_ext" / "crs_reports" / "markdown")
)
RESULTS = ROOT / "benchmarks" / "results"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def peak_rss() -> Iterator[dict[str, float]]:
    """Sample this process's resident memory every 50 ms; yields a dict filled with the peak (MiB)."""
    out = {"peak_mb": rss_mb(), "start_mb": rss_mb()}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            out["peak_mb"] = max(out["peak_mb"], rss_mb())

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        yield out
    finally:
        stop.set()
        t.join()
        out["peak_mb"] = max(out["peak_mb"], rss_mb())


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")
