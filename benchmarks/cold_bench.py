"""Cold start: ``briefs ask`` in a fresh process, and ``briefs serve`` until ``/healthz``, ``/readyz`` and a
first ``/v1/ask`` answer, on the CRS store the ingest bench leaves (benchmarks/results/crs-data).

    python -m benchmarks.cold_bench [--repeats 5] [--baseline-src DIR]

``--baseline-src`` is a checkout of the code to compare with (``git worktree add /tmp/base <rev>``); its runs
are interleaved with this tree's, against a copy of the store (``<data>-baseline``: older code rebuilds the BM25
index in its own format). Medians of ``--repeats`` runs after one discarded warm-up run each; one extra run
with ``python -X importtime`` attributes import time to packages (each module's own time, summed by top-level
package, so scipy counts as scipy whoever imports it). Writes benchmarks/results/cold.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.common import CRS_DATA, ROOT, configure, load, pct, rss_mb, table
from benchmarks.common import write_result as save

QUESTION = "How is the Highway Trust Fund financed?"
PACKAGES = [
    "chromadb", "onnxruntime", "tokenizers", "numpy", "pydantic", "pydantic_core", "pydantic_settings", "click",
    "nltk", "scipy", "sklearn", "pandas", "torch", "transformers", "sentence_transformers", "llama_index",
    "bm25s", "uvicorn", "fastapi", "starlette", "gradio", "mcp", "assistant", "ui",
]  # fmt: skip


def run_env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), "BRIEFS_PROFILE": "default"}


def ask_once(src: Path, data: Path, importtime: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "ui.cli", "ask", QUESTION,
           "--json", "--data-dir", str(data)]  # fmt: skip
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=run_env(src), cwd=src, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"briefs ask failed in {src}:\n{out.stderr[-3000:]}")
    answer = json.loads(out.stdout)
    result: dict[str, Any] = {"wall_s": wall, "answer_ms": float(answer.get("timings", {}).get("total_ms", 0.0))}
    if importtime:
        result["imports"] = import_breakdown(out.stderr)
    return result


def import_breakdown(stderr: str) -> dict[str, float]:
    """Seconds of import time by top-level package (own time of each module, summed), plus the total."""
    by: dict[str, float] = {}
    total = 0.0
    for m in re.finditer(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", stderr):
        own, name = int(m.group(1)) / 1e6, m.group(4)
        total += own
        top = name.split(".")[0]
        by[top if top in PACKAGES else "other"] = by.get(top if top in PACKAGES else "other", 0.0) + own
    return {"total": total, **by}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, body: dict[str, Any] | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120 if body else 0.5) as r:
            r.read()
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)
    except (urllib.error.URLError, OSError):
        return 0


def serve_once(src: Path, data: Path) -> dict[str, float]:
    """Seconds from starting ``briefs serve`` until /healthz answers 200, /readyz answers 200 and the first
    /v1/ask is answered; and the server's resident memory then."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--data-dir", str(data)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=run_env(src), cwd=src, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    out: dict[str, float] = {}
    try:
        for key, path in (("healthz_s", "/healthz"), ("readyz_s", "/readyz")):
            while _get(url + path) != 200:
                if proc.poll() is not None or time.perf_counter() - t0 > 300:
                    err = proc.stderr.read().decode()[-3000:] if proc.stderr else ""
                    raise SystemExit(f"briefs serve ({src}) did not answer {path}:\n{err}")
                time.sleep(0.02)
            out[key] = time.perf_counter() - t0
        status = _get(url + "/v1/ask", {"question": QUESTION})
        out["first_ask_s"] = time.perf_counter() - t0
        assert status == 200, f"/v1/ask answered {status}"
        out.update({k: v for k, v in rss_mb(proc.pid).items() if k == "rss_mb"})
    finally:
        proc.terminate()
        proc.wait(30)
    return out


def median(runs: list[dict[str, Any]], key: str) -> float:
    return pct([r[key] for r in runs], 50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=CRS_DATA)
    parser.add_argument("--baseline-src", type=Path, default=None, help="checkout of the code to compare with")
    args = parser.parse_args()
    configure()
    if not (args.data_dir / "registry.sqlite3").is_file():
        raise SystemExit(f"No store at {args.data_dir}: run python -m benchmarks.ingest_bench first")
    trees = {"now": (ROOT, args.data_dir)}
    if args.baseline_src:
        copy = args.data_dir.with_name(args.data_dir.name + "-baseline")
        if not copy.is_dir():
            shutil.copytree(args.data_dir, copy)
        trees = {"baseline": (args.baseline_src.resolve(), copy), **trees}
    print(f"store {args.data_dir}; {load()}", flush=True)
    for src, data in trees.values():
        ask_once(src, data)  # warm-up: exports the ONNX model, rebuilds BM25, fills the page cache
    asks: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    serves: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for rep in range(args.repeats):
        order = list(trees) if rep % 2 == 0 else list(reversed(trees))
        for name in order:
            asks[name].append(ask_once(*trees[name]))
            serves[name].append(serve_once(*trees[name]))
            print(f"  round {rep + 1} {name:8s} ask {asks[name][-1]['wall_s']:5.2f} s, serve /healthz "
                  f"{serves[name][-1]['healthz_s']:5.2f} s /readyz {serves[name][-1]['readyz_s']:5.2f} s "
                  f"({load()})", flush=True)  # fmt: skip
    imports = {name: ask_once(*trees[name], importtime=True)["imports"] for name in trees}

    names = list(trees)
    rows = []
    for label, runs, key in (
        ("briefs ask, cold process (s)", asks, "wall_s"),
        ("  the answer itself (ms)", asks, "answer_ms"),
        ("briefs serve until /healthz (s)", serves, "healthz_s"),
        ("briefs serve until /readyz 200 (s)", serves, "readyz_s"),
        ("briefs serve until a first /v1/ask answer (s)", serves, "first_ask_s"),
        ("server RSS after it (MiB)", serves, "rss_mb"),
    ):
        values = [median(runs[n], key) for n in names]
        ratio = [f"{values[0] / values[-1]:.1f}x"] if len(names) == 2 else []
        rows.append([label, *values, *ratio])
    print(table(rows, ["median", *names, *(["baseline / now"] if len(names) == 2 else [])], digits=2))
    packages = sorted({p for n in names for p in imports[n]}, key=lambda p: -max(imports[n].get(p, 0) for n in names))
    print("\nimport time of `briefs ask` by package (python -X importtime, own time summed by package, s)")
    print(table([[p, *[imports[n].get(p, 0.0) for n in names]] for p in packages if p != "total"]
                + [["total", *[imports[n]["total"] for n in names]]], ["package", *names], digits=2))  # fmt: skip
    print(load())
    print(f"wrote {save('cold', {'asks': asks, 'serves': serves, 'imports': imports, 'trees': {n: str(t[0]) for n, t in trees.items()}})}")


if __name__ == "__main__":
    main()
