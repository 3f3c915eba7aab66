"""Plain-text and Markdown rendering of an Answer, shared by the CLI, terminal chat and exports, and brief
metadata as clients see it (HTTP API, MCP)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.models import Answer, BriefMeta, Citation, Passage


def render_answer(answer: Answer, width: int = 100) -> str:
    lines = [answer.text, ""]
    if answer.citations:
        lines.append("Sources:")
        for c in answer.citations:
            who = ", ".join(c.authors) or c.organisation or ""
            meta = " · ".join(x for x in (who, c.date) if x)
            quote = c.quote if len(c.quote) <= width * 2 else c.quote[: width * 2] + "…"
            page = f", {page_label(c)}" if c.page else ""
            lines.append(
                f"  [{c.n}] {c.title}" + (f" ({meta})" if meta else "") + f" — {c.brief_id}:{c.start}-{c.end}{page}"
            )
            lines.append(f"      “{quote}”")
    return "\n".join(lines).rstrip()


def answer_markdown(answer: Answer) -> str:
    """The answer with a numbered source list, for copying or exporting (a comparison as a Markdown table)."""
    out = [compare_table(answer) if answer.kind == "compare" and answer.table else answer.text, ""]
    for c in answer.citations:
        link = f" <{c.source}>" if c.source and c.source.startswith("http") else ""
        where = page_label(c) if c.page else f"chars {c.start}-{c.end}"
        out.append(f"[{c.n}]: {c.title}{link}, {where}: “{c.quote}”")
    return "\n".join(out).rstrip()


def page_label(span: Citation | Passage) -> str:
    """ "p. 4", or "pp. 4–5" for a quote that runs onto the next page ("" for a brief without pages)."""
    if not span.page:
        return ""
    return f"pp. {span.page}–{span.page_end}" if span.page_end else f"p. {span.page}"


def compare_table(answer: Answer) -> str:
    """A comparison answer as a Markdown table: one row per side."""
    rows = ["| Side | What the briefs say |", "|---|---|"]
    for r in answer.table:
        cell = (r.text or "_The briefs say nothing about this._").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| {r.side.replace('|', '/')} | {cell} |")
    return "\n".join(rows)


def public_meta(meta: BriefMeta) -> dict[str, Any]:
    """A brief's metadata for clients: ``path`` is the file name only, never the server's folders."""
    return {**meta.model_dump(), "path": Path(meta.path).name}
