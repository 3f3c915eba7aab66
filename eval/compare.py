"""The regression gate: compare a current ``report.json`` with a baseline, metric by metric.

A metric regresses when it moves the wrong way by more than its tolerance. Tolerances are absolute for
scores in 0..1 (``0.03`` = three points) and may be relative for latencies (``"100%"`` = may double).
``inf`` switches a metric's gate off. A metric the baseline has and the current report lacks fails too.

>>> rows = compare({"summary": {"mrr": 0.80}}, {"summary": {"mrr": 0.70}})
>>> rows[0].status
'REGRESSED'
>>> compare({"summary": {"mrr": 0.80}}, {"summary": {"mrr": 0.70}}, {"mrr": Tolerance(0.2)})[0].status
'ok'
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import BriefsError

LOWER_IS_BETTER = frozenset({"false_abstention", "latency_p50_ms", "latency_p95_ms"})


@dataclass(frozen=True)
class Tolerance:
    """How far a metric may move the wrong way: ``value`` in the metric's units, a fraction of the baseline
    (``relative``), or ``items`` questions' worth (``items / n`` for a metric over ``n`` applicable questions),
    whichever is larger.

    Why one item: the extractive answerer is deterministic (two runs on one machine give identical reports), so the
    only noise is float rounding across CPUs, which can flip a near-tie for one question; a second item is a
    regression."""

    value: float
    relative: bool = False
    items: float = 0.0

    def allowed(self, before: float, n: int = 0) -> float:
        base = abs(before) * self.value if self.relative else self.value
        return max(base, self.items / n) if self.items and n else base

    def __str__(self) -> str:
        if math.isinf(self.value):
            return "off"
        if self.relative:
            return f"{self.value * 100:g}%"
        return f"{self.items:g} item" + ("s" if self.items != 1 else "") if self.items else f"{self.value:g}"


ONE_ITEM = Tolerance(0.0, items=1)
INFORMATIONAL = Tolerance(math.inf)  # reported, never gated: longer is not worse in itself
DEFAULT_TOLERANCES: dict[str, Tolerance] = {
    "doc_hit_at_5": ONE_ITEM,
    "doc_mrr_at_5": Tolerance(0.03),
    "hit_at_k": Tolerance(0.03),
    "mrr": Tolerance(0.03),
    "ndcg_at_k": Tolerance(0.03),
    "context_recall": Tolerance(0.03),
    "key_fact_recall": ONE_ITEM,
    "cited_fact_recall": ONE_ITEM,
    "citations_correct": ONE_ITEM,
    "citation_accuracy": ONE_ITEM,
    "token_f1": Tolerance(0.03),
    "answer_similarity": Tolerance(0.03),
    "answer_words": INFORMATIONAL,
    "answer_words_p90": INFORMATIONAL,
    "facts_per_100_words": INFORMATIONAL,
    "citation_recall": Tolerance(0.03),
    "citation_precision": Tolerance(0.03),
    "correct_abstention": ONE_ITEM,
    "abstention_nearmiss": ONE_ITEM,
    "abstention_offtopic": ONE_ITEM,
    "false_abstention": ONE_ITEM,
    "latency_p50_ms": Tolerance(1.0, relative=True),
    "latency_p95_ms": Tolerance(1.5, relative=True),
    "judge_faithfulness": Tolerance(0.1),
    "judge_correctness": Tolerance(0.1),
}
FALLBACK = Tolerance(0.03)


class CompareError(BriefsError):
    """A report cannot be read, or a tolerance is malformed."""


@dataclass
class Row:
    metric: str
    before: float | None
    after: float | None
    tolerance: Tolerance
    status: str  # ok | better | REGRESSED | MISSING | new | n/a

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before

    @property
    def failed(self) -> bool:
        return self.status in ("REGRESSED", "MISSING")


def parse_tolerance(spec: str) -> tuple[str, Tolerance]:
    """``"mrr=0.05"``, ``"latency_p95_ms=50%"`` or ``"latency_p50_ms=inf"`` → (metric, Tolerance)."""
    name, sep, raw = spec.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name or not raw:
        raise CompareError(
            f"Invalid tolerance {spec!r}: use METRIC=VALUE, e.g. mrr=0.05 or latency_p95_ms=50%"
        )
    if name not in DEFAULT_TOLERANCES:
        raise CompareError(
            f"Unknown metric {name!r} in tolerance {spec!r}; metrics: {', '.join(DEFAULT_TOLERANCES)}"
        )
    relative = raw.endswith("%")
    try:
        value = float(raw.rstrip("%")) / (100 if relative else 1)
    except ValueError as e:
        raise CompareError(
            f"Invalid tolerance value {raw!r} for {name}: use a number (0.05), a percentage (50%) or inf"
        ) from e
    if value < 0 or math.isnan(value):
        raise CompareError(f"Tolerance for {name} must be zero or more, got {raw!r}")
    return name, Tolerance(value, relative)


def load_report(path: str | Path) -> dict[str, Any]:
    """A ``report.json`` (or a folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise CompareError(f"Cannot read report {str(path)!r}: {e.strerror}") from e
    except json.JSONDecodeError as e:
        raise CompareError(f"Report {str(path)!r} is not valid JSON ({e.msg} at line {e.lineno})") from e
    if not isinstance(data, dict) or not isinstance(data.get("summary"), dict):
        raise CompareError(
            f"Report {str(path)!r} has no 'summary' object; pass a report.json written by `briefs eval run`"
        )
    return data


def compare(
    baseline: dict[str, Any], current: dict[str, Any], tolerances: dict[str, Tolerance] | None = None
) -> list[Row]:
    """One row per metric of either report, baseline order first."""
    tol = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    before, after = baseline["summary"], current["summary"]
    rows = []
    for name in list(dict.fromkeys([*before, *after])):
        b, a, t = before.get(name), after.get(name), tol.get(name, FALLBACK)
        rows.append(Row(name, b, a, t, _status(name, b, a, t, _applicable(baseline, name))))
    return rows


def _applicable(report: dict[str, Any], name: str) -> int:
    """How many questions a metric was computed over (its per-item scores that are not None)."""
    scores = (report.get("metrics") or {}).get(name, {}).get("individual_scores") or []
    return sum(v is not None for v in scores)


def _status(name: str, before: float | None, after: float | None, tol: Tolerance, n: int = 0) -> str:
    if before is None:
        return "new" if after is not None else "n/a"
    if after is None:
        return "MISSING"
    if math.isinf(tol.value):
        return "ok"
    worse = (after - before) if name in LOWER_IS_BETTER else (before - after)
    if worse > tol.allowed(before, n) + 1e-9:
        return "REGRESSED"
    return "better" if worse < -1e-9 else "ok"


def mismatch_notes(baseline: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Differences that make the comparison less meaningful (other dataset, item count, answerer, mode)."""
    notes = []
    for section, key in (
        ("dataset", "name"),
        ("dataset", "items"),
        ("config", "answerer"),
        ("config", "mode"),
        ("config", "top_k"),
    ):
        b, c = baseline.get(section, {}).get(key), current.get(section, {}).get(key)
        if b != c:
            notes.append(f"{section}.{key} differs: baseline {b!r}, current {c!r}")
    return notes


def new_failures(baseline: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Items (matched by id) that fail in ``current`` in a way they did not in ``baseline``."""
    before = {it["id"]: set(it.get("failures", [])) for it in baseline.get("items", [])}
    out = []
    for it in current.get("items", []):
        if it["id"] in before and (fresh := [f for f in it.get("failures", []) if f not in before[it["id"]]]):
            out.append(f"{it['id']}: {'; '.join(fresh)}")
    return out


def format_table(rows: list[Row]) -> str:
    def num(v: float | None) -> str:
        return "–" if v is None else f"{v:.1f}" if abs(v) >= 10 else f"{v:.4f}"

    def signed(v: float | None) -> str:
        return "–" if v is None else f"{v:+.1f}" if abs(v) >= 10 else f"{v:+.4f}"

    header = f"{'metric':<20} {'before':>10} {'after':>10} {'delta':>10} {'tolerance':>10}  status"
    lines = [header, "-" * len(header)]
    lines += [
        f"{r.metric:<20} {num(r.before):>10} {num(r.after):>10} {signed(r.delta):>10} {str(r.tolerance):>10}  {r.status}"
        for r in rows
    ]
    return "\n".join(lines)
