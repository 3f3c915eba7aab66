"""Shared helpers for the benchmarks: corpus location, machine load, memory, percentiles, results files.

Every benchmark measures what it compares in one process (or from one driving process), interleaved, so that
load from other jobs on a shared machine hits all variants alike; read the ratios, and the load it reports.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CRS = Path(
    os.environ.get("BRIEFS_BENCH_CORPUS", ROOT.parent / "shared" / "corpus_ext" / "crs_reports" / "markdown")
)
RESULTS = Path(os.environ.get("BRIEFS_BENCH_RESULTS", ROOT / "benchmarks" / "results"))
CRS_DATA = RESULTS / "crs-data"  # the 1x store the ingest bench leaves for the other benchmarks
QUESTIONS = [
    "What does CRS report about the Coast Guard's icebreaker program?",
    "How is the Highway Trust Fund financed?",
    "What are the main issues for Congress regarding AUKUS?",
    "What is the history of the ENERGY STAR program?",
    "How many Virginia-class submarines could Australia buy under AUKUS?",
    "What does the Great American Outdoors Act fund?",
    "Summarize the Seafood Import Monitoring Program.",
    "Who were the Speakers of the House elected since 1913?",
    "What is the Common Rule for human subjects research?",
    "What are the options for Congress on federal food preemption?",
]


def require_corpus() -> Path:
    if not CRS.is_dir():
        raise SystemExit(f"Corpus folder {CRS} does not exist; set BRIEFS_BENCH_CORPUS to a folder of briefs")
    return CRS


def configure() -> None:
    """What every benchmark's entry point sets: no network, no telemetry, quiet libraries."""
    from assistant.settings import configure_offline

    configure_offline()
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def load() -> str:
    """The machine's load average and core count, to print next to every figure."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def rss_mb(pid: int | str = "self") -> dict[str, float]:
    """Resident (VmRSS) and peak resident (VmHWM) memory of a process, MiB."""
    out = {"rss_mb": 0.0, "peak_rss_mb": 0.0}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                out["rss_mb"] = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                out["peak_rss_mb"] = int(line.split()[1]) / 1024
    return out


@contextmanager
def peak_rss() -> Iterator[dict[str, float]]:
    """Sample this process's resident memory every 50 ms; yields a dict filled with the peak (MiB)."""
    out = {"peak_mb": rss_mb()["rss_mb"]}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            out["peak_mb"] = max(out["peak_mb"], rss_mb()["rss_mb"])

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        yield out
    finally:
        stop.set()
        t.join()


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    """Wall seconds, and this process's CPU seconds (all threads; less sensitive to other jobs' load)."""
    out: dict[str, float] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - t0
        out["cpu_s"] = time.process_time() - c0


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def du_mb(path: Path) -> float:
    """Bytes on disk under ``path`` (allocated blocks, as ``du``), MiB."""
    total = 0
    for f in path.rglob("*"):
        if f.is_file() and not f.is_symlink():
            total += f.stat().st_blocks * 512
    return total / 2**20


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps({"load": load(), **data}, indent=2))
    return out


def table(rows: list[list[Any]], header: list[str], digits: int = 1) -> str:
    """A Markdown table (what the closing notes and docs/scaling.md quote); floats with ``digits`` decimals."""
    cells = [header, *[[f"{c:,.{digits}f}" if isinstance(c, float) else str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
