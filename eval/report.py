"""Reports of an eval run: ``report.json`` (what ``compare`` reads), ``report.md`` and a self-contained
``report.html`` (inline SVG metric bars with each item's score as a tick; the per-question table lists
failures first). Written to ``eval/reports/<dataset>-<timestamp>/`` unless another folder is given.

>>> paths = write_reports(result)          # doctest: +SKIP
>>> sorted(p.name for p in paths.values())  # doctest: +SKIP
['report.html', 'report.json', 'report.md']
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import Any

from eval.run import EvalResult

DEFAULT_REPORTS_DIR = Path(__file__).resolve().parent / "reports"
GROUPS = {
    "retrieval": ["doc_hit_at_5", "doc_mrr_at_5", "hit_at_k", "mrr", "ndcg_at_k", "context_recall"],
    "answers": [
        "key_fact_recall",
        "token_f1",
        "answer_similarity",
        "judge_faithfulness",
        "judge_correctness",
    ],
    "citations (against the labels)": ["cited_fact_recall", "citations_correct", "citation_accuracy"],
    "citations (ALCE, support by our own verifier)": ["citation_recall", "citation_precision"],
    "concision": ["answer_words", "answer_words_p90", "facts_per_100_words"],
    "abstention": ["correct_abstention", "abstention_nearmiss", "abstention_offtopic", "false_abstention"],
    "latency": ["latency_p50_ms", "latency_p95_ms"],
}
# The per-kind table: (metric, column heading).
KIND_COLUMNS = [
    ("items", "n"),
    ("doc_hit_at_5", "doc hit@5"),
    ("key_fact_recall", "facts"),
    ("cited_fact_recall", "cited facts"),
    ("citations_correct", "cites ok"),
    ("answer_words", "words p50"),
    ("answer_words_p90", "words p90"),
    ("facts_per_100_words", "facts/100w"),
    ("correct_abstention", "abstained"),
    ("false_abstention", "false abst."),
]
TABLE_SCORES = [
    "doc_hit_at_5",
    "key_fact_recall",
    "cited_fact_recall",
    "citations_correct",
    "answer_words",
    "token_f1",
    "citation_recall",
]
SHORT = {
    "doc_hit_at_5": "doc hit",
    "key_fact_recall": "facts",
    "cited_fact_recall": "cited",
    "citations_correct": "cites ok",
    "answer_words": "words",
    "token_f1": "F1",
    "citation_recall": "ALCE R",
}


def default_out_dir(result: EvalResult, root: Path = DEFAULT_REPORTS_DIR) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return root / f"{result.dataset['name']}-{result.config['mode']}-{stamp}"


def write_reports(result: EvalResult, out_dir: Path | None = None) -> dict[str, Path]:
    """Write the three reports; returns their paths by format."""
    out_dir = Path(out_dir or default_out_dir(result))
    out_dir.mkdir(parents=True, exist_ok=True)
    data = result.to_json()
    paths = {
        "json": out_dir / "report.json",
        "markdown": out_dir / "report.md",
        "html": out_dir / "report.html",
    }
    paths["json"].write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["markdown"].write_text(render_markdown(data), encoding="utf-8")
    paths["html"].write_text(render_html(data), encoding="utf-8")
    return paths


def write_baseline(data: dict[str, Any], path: Path) -> Path:
    """A slim copy of a report for `briefs eval compare` to gate against: the figures, per-item scores and failures,
    without answers and passages (what a baseline committed to the repository needs, and no more)."""
    slim: dict[str, Any] = {
        k: data[k] for k in ("dataset", "config", "created", "summary", "by_kind", "metrics") if k in data
    }
    slim["items"] = [
        {k: it[k] for k in ("id", "kind", "scores", "failures") if k in it} for it in data["items"]
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(slim, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def ordered_items(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Items with failures first (most failures first), then the rest in dataset order."""
    return sorted(data["items"], key=lambda it: -len(it["failures"]))


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"
    return str(value)


def _grouped(metrics: dict[str, Any]) -> list[tuple[str, str, Any]]:
    known = {name for names in GROUPS.values() for name in names}
    rows = [
        (group, name, metrics[name]["score"])
        for group, names in GROUPS.items()
        for name in names
        if name in metrics
    ]
    return rows + [("other", name, metric["score"]) for name, metric in metrics.items() if name not in known]


def _header_lines(data: dict[str, Any]) -> list[str]:
    ds, cfg = data["dataset"], data["config"]
    return [
        f"- dataset: `{ds['path']}` ({ds['format']}; split {ds.get('split', 'all')}"
        f"{' of ' + ds['splits_file'] if ds.get('splits_file') else ''}; {ds['items']} items, {ds['answerable']} answerable, "
        f"{ds['follow_ups']} follow-ups)",
        f"- answerer: `{cfg['answerer']}`; retrieval: {cfg['mode']}, top_k={cfg['top_k']}; judge: {cfg['judge']}",
        f"- chunk: {cfg['settings']['chunk']}; created {data['created']}",
    ]


def kind_table(data: dict[str, Any]) -> list[str]:
    """The per-kind table (Markdown), overall row last, then the peer's overall row when there is one."""
    by_kind = data.get("by_kind") or {}
    if not by_kind:
        return []
    head = "| kind | " + " | ".join(h for _, h in KIND_COLUMNS) + " |"
    rows = [head, "|---" * (len(KIND_COLUMNS) + 1) + "|"]
    for kind, scores in by_kind.items():
        rows.append(f"| {kind} | " + " | ".join(_fmt(scores.get(n)) for n, _ in KIND_COLUMNS) + " |")
    overall = {**data["summary"], "items": float(len(data["items"]))}
    rows.append("| **all** | " + " | ".join(_fmt(overall.get(n)) for n, _ in KIND_COLUMNS) + " |")
    if data.get("peer"):
        peer = {**data["peer"]["summary"], "items": float(len(data["items"]))}
        rows.append(
            "| *peer: llama-index* | " + " | ".join(_fmt(peer.get(n)) for n, _ in KIND_COLUMNS) + " |"
        )
    return rows


def render_markdown(data: dict[str, Any]) -> str:
    peer = data.get("peer") or {}
    lines = [
        f"# Eval: {data['dataset']['name']} ({data['dataset'].get('split', 'all')})",
        "",
        *_header_lines(data),
        "",
        *(["## By kind", "", *kind_table(data), ""] if data.get("by_kind") else []),
        "## Metrics",
        "",
        "| group | metric | score |" + (" peer |" if peer else ""),
        "|---|---|---|" + ("---|" if peer else ""),
    ]
    lines += [
        f"| {g} | {n} | {_fmt(s)} |" + (f" {_fmt(peer['summary'].get(n))} |" if peer else "")
        for g, n, s in _grouped(data["metrics"])
    ]
    if peer:
        lines += ["", f"Peer: {peer['name']}."]
    failing = [it for it in ordered_items(data) if it["failures"]]
    lines += ["", f"## Failures ({len(failing)} of {len(data['items'])} items)", ""]
    lines += [f"- **{it['id']}** {it['query']} — {'; '.join(it['failures'])}" for it in failing] or ["None."]
    lines += [
        "",
        "## Items",
        "",
        "| id | abstained | " + " | ".join(TABLE_SCORES) + " | ms |",
        "|---" * (len(TABLE_SCORES) + 3) + "|",
    ]
    for it in ordered_items(data):
        cells = " | ".join(_fmt(it["scores"].get(n)) for n in TABLE_SCORES)
        lines.append(
            f"| {it['id']} | {'yes' if it['abstained'] else 'no'} | {cells} | {_fmt(it['latency_ms'])} |"
        )
    return "\n".join(lines) + "\n"


# -- HTML ------------------------------------------------------------------------------------------------
CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#1d2433;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}code{background:#f1f3f7;padding:0 .25rem;border-radius:3px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e3e6ec;padding:.35rem .4rem;text-align:left;vertical-align:top}
th{background:#f6f7f9;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.fail td:first-child{border-left:3px solid #c4362c}tr.ok td:first-child{border-left:3px solid #2f8f4e}
.bad{color:#b42318}.low{background:#fdecea}details{margin-top:.25rem}summary{cursor:pointer;color:#475467}
.passage{color:#475467;font-size:12px;margin:.2rem 0}.hit{background:#e7f6ec}
"""


def _bar_chart(data: dict[str, Any]) -> str:
    """Horizontal bars (0-1 metrics; latencies scaled to the p95) with each item's score as a tick."""
    rows = _grouped(data["metrics"])
    width, label_w, bar_w, row_h = 760, 190, 460, 26
    top_ms = max((s for _, n, s in rows if n.endswith("_ms") and s), default=1.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{row_h * len(rows) + 10}" role="img" aria-label="metric scores">'
    ]
    for i, (group, name, score) in enumerate(rows):
        y = 5 + i * row_h
        scale = top_ms if name.endswith("_ms") else 1.0
        frac = 0.0 if score is None else max(0.0, min(1.0, score / scale))
        colour = "#8a94a6" if name.endswith("_ms") else "#c4362c" if name == "false_abstention" else "#3867d6"
        parts.append(
            f'<text x="0" y="{y + 16}" font-size="12" fill="#344054">{html.escape(group)} · {html.escape(name)}</text>'
        )
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="16" fill="#eef1f6"/>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w * frac:.1f}" height="16" fill="{colour}" opacity="0.85"/>'
        )
        for v in data["metrics"][name]["individual_scores"]:
            if v is not None:
                x = label_w + bar_w * max(0.0, min(1.0, v / scale))
                parts.append(
                    f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 2}" y2="{y + 22}" stroke="#101828" stroke-opacity="0.25"/>'
                )
        parts.append(
            f'<text x="{label_w + bar_w + 8}" y="{y + 16}" font-size="12" fill="#101828">{_fmt(score)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _page(citation: dict[str, Any]) -> str:
    """ ", p. 4" (", pp. 4–5") for a citation of a PDF brief, else ""."""
    if not citation.get("page"):
        return ""
    end = citation.get("page_end")
    return f", pp. {citation['page']}–{end}" if end else f", p. {citation['page']}"


def _item_row(it: dict[str, Any]) -> str:
    e = html.escape
    cells = "".join(
        f'<td class="num{" low" if isinstance(it["scores"].get(n), float) and it["scores"][n] < 0.5 else ""}">'
        f"{_fmt(it['scores'].get(n))}</td>"
        for n in TABLE_SCORES
    )
    passages = "".join(
        f'<div class="passage{" hit" if p["matches"] else ""}">#{p["rank"]} {e(p["brief_id"])} '
        f"[{p['start']}:{p['end']}] {e(p['text'][:240])}…</div>"
        for p in it["passages"]
    )
    citations = "".join(
        f'<div class="passage">[{c["n"]}] {e(c["brief_id"])}{_page(c)} “{e(c["quote"][:240])}”</div>'
        for c in it.get("citations", [])
    )
    reference = f"<p><b>Reference:</b> {e(it['reference_answer'])}</p>" if it.get("reference_answer") else ""
    details = (
        f"<details><summary>answer, citations, passages</summary><p><b>Answer:</b> {e(it['answer'] or '')}</p>{reference}"
        f"<p><b>Query used:</b> {e(it['rewritten_query'] or '')}</p>{citations}{passages}</details>"
    )
    failures = "<br>".join(e(f) for f in it["failures"]) or "–"
    return (
        f'<tr class="{"fail" if it["failures"] else "ok"}"><td>{e(it["id"])}</td><td>{e(it["query"])}{" <i>(" + e(it["kind"]) + ")</i>" if it.get("kind") else " <i>(follow-up)</i>" if it["follow_up"] else ""}'
        f"{details}</td><td>{'yes' if it['answerable'] else 'no'}</td><td>{'yes' if it['abstained'] else 'no'}</td>"
        f'{cells}<td class="num">{_fmt(it["latency_ms"])}</td><td class="bad">{failures}</td></tr>'
    )


def _kind_table_html(data: dict[str, Any]) -> str:
    e = html.escape
    by_kind = data.get("by_kind") or {}
    if not by_kind:
        return ""
    heads = "".join(f"<th>{e(h)}</th>" for _, h in KIND_COLUMNS)
    rows = [(k, v) for k, v in by_kind.items()] + [
        ("all", {**data["summary"], "items": float(len(data["items"]))})
    ]
    if data.get("peer"):
        rows.append(("peer: llama-index", {**data["peer"]["summary"], "items": float(len(data["items"]))}))
    body = "".join(
        f"<tr><td>{e(k)}</td>"
        + "".join(f'<td class="num">{_fmt(v.get(n))}</td>' for n, _ in KIND_COLUMNS)
        + "</tr>"
        for k, v in rows
    )
    return f"<h2>By kind</h2><table><tr><th>kind</th>{heads}</tr>{body}</table>{_kind_chart(data)}"


def _kind_chart(data: dict[str, Any]) -> str:
    """Grouped bars per kind: key facts stated, key facts cited, and (for unanswerable kinds) abstention."""
    by_kind = data.get("by_kind") or {}
    series = [
        ("key_fact_recall", "#3867d6", "facts"),
        ("cited_fact_recall", "#20a4a4", "cited facts"),
        ("correct_abstention", "#7a5af8", "abstained"),
    ]
    label_w, bar_w, row_h = 190, 420, 18
    parts, y = [], 5
    for kind, scores in by_kind.items():
        parts.append(f'<text x="0" y="{y + 14}" font-size="12" fill="#344054">{html.escape(kind)}</text>')
        for name, colour, label in series:
            v = scores.get(name)
            if v is None:
                continue
            parts.append(
                f'<rect x="{label_w}" y="{y + 3}" width="{bar_w * max(0.0, min(1.0, v)):.1f}" height="12" '
                f'fill="{colour}" opacity="0.85"><title>{label}: {v:.2f}</title></rect>'
            )
            parts.append(
                f'<text x="{label_w + bar_w + 8}" y="{y + 13}" font-size="11" fill="#101828">{label} {v:.2f}</text>'
            )
            y += row_h
        y += 8
    legend = " · ".join(f'<span style="color:{c}">■</span> {label}' for _, c, label in series)
    return (
        f"<p>{legend}</p><svg xmlns='http://www.w3.org/2000/svg' width='760' height='{y + 5}' role='img' "
        f"aria-label='scores by kind'>{''.join(parts)}</svg>"
    )


def render_html(data: dict[str, Any]) -> str:
    e = html.escape
    header = "".join(f"<li>{e(line[2:]).replace('`', '')}</li>" for line in _header_lines(data))
    heads = "".join(f"<th title='{e(n)}'>{e(SHORT[n])}</th>" for n in TABLE_SCORES)
    rows = "".join(_item_row(it) for it in ordered_items(data))
    failing = sum(1 for it in data["items"] if it["failures"])
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Eval: {e(data['dataset']['name'])}</title>"
        f"<style>{CSS}</style></head><body><h1>Eval: {e(data['dataset']['name'])}</h1><ul>{header}</ul>"
        f"{_kind_table_html(data)}"
        f"<h2>Metrics</h2><p>Bars are the scores; each tick is one question.</p>{_bar_chart(data)}"
        f"<h2>Questions ({failing} of {len(data['items'])} with failures, listed first)</h2>"
        f"<table><tr><th>id</th><th style='min-width:300px'>question</th><th>answer&shy;able</th><th>abst&shy;ained</th>{heads}<th>ms</th><th>failures</th></tr>{rows}</table>"
        "</body></html>\n"
    )
