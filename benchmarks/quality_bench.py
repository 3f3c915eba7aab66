"""Retrieval quality of each embedder on the CRS dev split: ``briefs eval run --split dev`` once per embedder
(each in its own index cache folder under benchmarks/results, so reruns reuse them), doc hit@5 and MRR@5 side by side.

    python -m benchmarks.quality_bench [--variants sentence-transformers,onnx-int8,onnx-fp32] [--split dev]

Exits 1 when the default embedder (onnx int8) is more than 0.01 below sentence-transformers on either metric.
Writes benchmarks/results/quality.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from benchmarks.common import RESULTS, ROOT, configure, load, require_corpus, table
from benchmarks.common import write_result as save

VARIANTS = {
    "sentence-transformers": ["embedder=sentence-transformers"],
    "onnx-int8": ["embedder=onnx", "embed_precision=int8"],
    "onnx-fp32": ["embedder=onnx", "embed_precision=fp32"],
}
METRICS = ["doc_hit_at_5", "doc_mrr_at_5", "hit_at_k", "mrr", "context_recall", "key_fact_recall", "citation_accuracy"]
TOLERANCE = 0.01


def evaluate(variant: str, split: str) -> dict[str, Any]:
    sets = [a for s in VARIANTS[variant] for a in ("--set", s)]
    cmd = [sys.executable, "-m", "ui.cli", "eval", "run", "--dataset", "eval/datasets/crs.jsonl", "--split", split,
           "--cache-dir", str(RESULTS / f"eval-cache-{variant}"), "--out", str(RESULTS / f"eval-{variant}"),
           "--json", *sets]  # fmt: skip
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise SystemExit(f"eval with {variant} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout)["summary"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="sentence-transformers,onnx-int8")
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    args = parser.parse_args()
    configure()
    require_corpus()
    variants = args.variants.split(",")
    summaries = {}
    for v in variants:
        summaries[v] = evaluate(v, args.split)
        print(f"  {v}: doc hit@5 {summaries[v]['doc_hit_at_5']}, MRR@5 {summaries[v]['doc_mrr_at_5']} ({load()})", flush=True)
    ref = summaries.get("sentence-transformers")
    rows = [[m, *[summaries[v].get(m) for v in variants]] for m in METRICS]
    print(table(rows, ["metric", *variants], digits=4))
    failed = False
    if ref is not None and "onnx-int8" in summaries:
        for m in ("doc_hit_at_5", "doc_mrr_at_5"):
            delta = summaries["onnx-int8"][m] - ref[m]
            failed |= delta < -TOLERANCE
            print(f"{m}: onnx int8 - sentence-transformers = {delta:+.4f} (tolerance -{TOLERANCE})")
    print(f"wrote {save('quality', {'split': args.split, 'summaries': summaries})}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
