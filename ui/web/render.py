"""Pure HTML (and Markdown) rendering for the web chat: answers with clickable [n] footnotes, the sources
panel with each cited passage highlighted inside its paragraph, the abstention state and the library.

Every piece of text from a brief, a question or an answer goes through :func:`html.escape`.

>>> render_answer_html(Answer(question="q", text="Ice melts. [1]"), turn=2)          # doctest: +ELLIPSIS
'<div class="ba-answer">Ice melts.<sup>...[1]...</sup></div>'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from assistant.errors import BriefsError
from assistant.models import NOT_STATED, Answer, BriefMeta, Citation, Filters, Passage
from ui.render import answer_markdown
from ui.web.reader import citation_tools, reader_data

MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
CONTEXT_CHARS = 320  # characters of the surrounding paragraph shown on each side of a cited passage
CLOSEST_BRIEFS = 3
TextOf = Callable[[str], str | None]


@dataclass
class ChatTurn:
    """One question of the conversation, with its answer (None while streaming) or an error message."""

    question: str
    answer: Answer | None = None
    filters: Filters | None = None
    error: str | None = None


# -- answers ----------------------------------------------------------------------------------------
def source_id(turn: int, n: int) -> str:
    """The element id of citation ``n`` of question ``turn`` in the sources panel."""
    return f"src-{turn}-{n}"


def _cite_html(turn: int, n: int, citation: Citation | None) -> str:
    if citation is None:  # streamed text before the citations are verified
        return f'<span class="ba-cite-pending">[{n}]</span>'
    target = source_id(turn, n)
    label = escape(f"Source {n}: {citation.title}", quote=True)
    return (
        f'<a class="ba-cite" href="#{target}" data-target="{target}" aria-label="{label}" '
        f'title="{label}">[{n}]</a>'
    )


def render_text_html(text: str, turn: int, citations: list[Citation] | None = None) -> str:
    """Escape ``text`` and turn its ``[n]`` markers into footnote links to the sources panel."""
    by_n = {c.n: c for c in citations or []}
    out: list[str] = []
    at = 0
    for m in MARKER.finditer(text):
        out.append(escape(text[at : m.start()]))
        nums = [int(x) for x in re.split(r"\s*,\s*", m.group(1))]
        out.append(
            "<sup>"
            + "".join(_cite_html(turn, n, by_n.get(n) if citations else None) for n in nums)
            + "</sup>"
        )
        at = m.end()
    out.append(escape(text[at:]))
    return "".join(out).strip()


def render_answer_html(answer: Answer, turn: int = 1, filters: Filters | None = None) -> str:
    """The chat bubble of a final answer in the form of its kind: a list of briefs, a comparison table, a fact about
    a brief, or cited text; or the distinct "not covered" / "not stated" state. How the question was understood
    follows in a collapsed note."""
    if answer.abstained:
        return render_abstention_html(answer, filters, turn) + _why_html(answer)
    cites = answer.citations
    if answer.kind == "list" and answer.briefs:
        body = _list_html(answer, turn)
    elif answer.kind == "compare" and answer.table:
        head = '<tr><th scope="col">Side</th><th scope="col">What the briefs say</th></tr>'
        rows = "".join(
            f'<tr><th scope="row">{escape(r.side)}</th><td>'
            + (
                render_text_html(r.text, turn, cites)
                if r.text
                else '<span class="ba-missing">The briefs say nothing about this.</span>'
            )
            + "</td></tr>"
            for r in answer.table
        )
        body = f'<table class="ba-compare">{head}{rows}</table>'
    elif answer.kind == "metadata":
        body = f'<p class="ba-kind-label">About the brief</p><p class="ba-meta-answer">{render_text_html(answer.text, turn, cites)}</p>'
    else:
        body = render_text_html(answer.text, turn, cites)
    return f'<div class="ba-answer ba-kind-{escape(answer.kind)}">{body}</div>{_why_html(answer)}'


def _list_html(answer: Answer, turn: int) -> str:
    """One item per brief: its title, report number, type and date, and the cited passage that shows why it matches."""
    lines = {line.split("):", 1)[0]: line for line in answer.text.split("\n")[1:]}
    items = []
    for b in answer.briefs:
        facts = " · ".join(escape(x) for x in (b.report_number, b.product_type, b.date) if x)
        line = next((v for k, v in lines.items() if b.title in k), "")
        why = line.split("): ", 1)[1] if "): " in line else ""
        items.append(
            f'<li><span class="ba-list-title">{escape(b.title)}</span> <span class="ba-meta">{facts}</span>'
            f'<div class="ba-list-why">{render_text_html(why, turn, answer.citations)}</div></li>'
        )
    head = escape(answer.text.split("\n", 1)[0])
    return f'<p class="ba-kind-label">{head}</p><ol class="ba-list">{"".join(items)}</ol>'


def _why_html(answer: Answer) -> str:
    """How the question was understood (kind, expected answer type, filters taken from its words)."""
    if answer.interpretation is None:
        return ""
    notes = [*answer.interpretation.notes] + (
        [f"abstained: {answer.abstain_reason}"] if answer.abstain_reason else []
    )
    items = "".join(f"<li>{escape(n)}</li>" for n in notes)
    return f'<details class="ba-why"><summary>How this was answered</summary><ul>{items}</ul></details>'


def render_pending_html(text: str, turn: int) -> str:
    """The chat bubble while an answer streams in (markers are not links until verified)."""
    body = (
        render_text_html(text, turn)
        if text.strip()
        else '<span class="ba-thinking">Searching the briefs…</span>'
    )
    return f'<div class="ba-answer ba-streaming" aria-busy="true">{body}</div>'


def render_error_html(message: str) -> str:
    return f'<div class="ba-error" role="alert"><strong>Could not answer.</strong> {escape(message)}</div>'


def closest_briefs(passages: list[Passage], limit: int = CLOSEST_BRIEFS) -> list[tuple[str, str]]:
    """(brief_id, title) of the best-ranked distinct briefs among ``passages``."""
    seen: dict[str, str] = {}
    for p in passages:
        seen.setdefault(p.brief_id, p.title)
    return list(seen.items())[:limit]


def render_abstention_html(answer: Answer, filters: Filters | None = None, turn: int = 1) -> str:
    """The "not covered" or "not stated" state; a near miss whose brief says the value is not known cites it."""
    closest = closest_briefs(answer.passages)
    near_miss = answer.text.startswith(NOT_STATED)
    if near_miss:
        explanation = answer.text[len(NOT_STATED) :].split(" The closest briefs are:")[0].strip()
        said = (
            render_text_html(explanation, turn, answer.citations)
            if answer.citations
            else f"{escape(explanation)} So there is no cited answer."
        )
        parts = [
            '<div class="ba-abstain ba-near-miss" role="note">',
            '<p class="ba-abstain-title"><span aria-hidden="true">⚠</span> The briefs don’t say</p>',
            f"<p>{said}</p>",
        ]
    else:
        parts = [
            '<div class="ba-abstain" role="note">',
            '<p class="ba-abstain-title"><span aria-hidden="true">⚠</span> The briefs don’t cover this</p>',
            "<p>No passage in the briefs answers this question, so there is no cited answer.</p>",
        ]
    if closest:
        items = "".join(f"<li>{escape(title)} <code>{escape(bid)}</code></li>" for bid, title in closest)
        parts.append(f'<p class="ba-closest-label">Closest briefs:</p><ul class="ba-closest">{items}</ul>')
    if filters is not None and not filters.is_empty():
        parts.append(
            f"<p>Filters are on ({escape(describe_filters(filters))}): clear them to search every brief.</p>"
        )
    parts.append("</div>")
    return "".join(parts)


def render_user_html(question: str) -> str:
    return escape(question)  # plain: Gradio also uses a message as the bubble's aria-label


# -- sources ----------------------------------------------------------------------------------------
def paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) of the paragraph(s) ("\n\n"-separated) around ``text[start:end]``."""
    para_start = text.rfind("\n\n", 0, start)
    para_end = text.find("\n\n", end)
    return (0 if para_start < 0 else para_start + 2), (len(text) if para_end < 0 else para_end)


def _clip(gap: str, where: str) -> str:
    """Shorten context text: keep its end (before a passage), its start (after) or both ends (between)."""
    if len(gap) <= CONTEXT_CHARS * (2 if where == "between" else 1):
        return gap
    if where == "before":
        return "…" + gap[-CONTEXT_CHARS:].split(" ", 1)[-1]
    if where == "after":
        return gap[:CONTEXT_CHARS].rsplit(" ", 1)[0] + "…"
    return gap[:CONTEXT_CHARS].rsplit(" ", 1)[0] + " … " + gap[-CONTEXT_CHARS:].split(" ", 1)[-1]


def _marked(c: Citation, turn: int) -> str:
    return (
        f'<span class="ba-source" id="{source_id(turn, c.n)}" tabindex="-1"><sup class="ba-n">[{c.n}]</sup>'
        f"<mark>{escape(c.quote)}</mark></span>"
    )


def passage_html(text: str | None, cites: list[Citation], turn: int) -> str:
    """Cited passages of one paragraph, each in <mark> with its [n], inside the paragraph's text.

    ``cites`` must lie in one paragraph, in order, without overlapping (see :func:`paragraph_groups`).
    Without the brief text (deleted or changed since the answer) the quotes are shown on their own.
    """
    if not text or any(text[c.start : c.end] != c.quote for c in cites):
        return " … ".join(_marked(c, turn) for c in cites)
    para_start, para_end = paragraph_bounds(text, cites[0].start, cites[-1].end)
    out = [escape(_clip(text[para_start : cites[0].start], "before"))]
    for i, c in enumerate(cites):
        out.append(_marked(c, turn))
        gap_end = cites[i + 1].start if i + 1 < len(cites) else para_end
        out.append(escape(_clip(text[c.end : gap_end], "between" if i + 1 < len(cites) else "after")))
    return "".join(out)


def paragraph_groups(cites: list[Citation], text: str | None) -> list[list[Citation]]:
    """Citations of one brief grouped by paragraph, in document order (overlapping ones apart)."""
    if not text:
        return [[c] for c in cites]
    groups: list[list[Citation]] = []
    bounds: tuple[int, int] | None = None
    for c in sorted(cites, key=lambda c: (c.start, c.n)):
        here = paragraph_bounds(text, c.start, c.end) if text[c.start : c.end] == c.quote else None
        if groups and here is not None and here == bounds and c.start >= groups[-1][-1].end:
            groups[-1].append(c)
        else:
            groups.append([c])
        bounds = here
    return groups


def meta_html(
    title: str, authors: list[str], organisation: str | None, date: str | None, source: str | None
) -> str:
    """Title (linked to the original when it is a URL), then authors · organisation · date."""
    if source and source.startswith(("http://", "https://")):
        head = (
            f'<a class="ba-title" href="{escape(source, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">{escape(title)}</a>'
        )
    else:
        head = f'<span class="ba-title">{escape(title)}</span>'
    bits = [", ".join(authors), organisation or "", date or ""]
    line = " · ".join(escape(b) for b in bits if b)
    file_note = (
        f' <span class="ba-file">({escape(Path(source).name)})</span>'
        if source and not source.startswith("http")
        else ""
    )
    return f'{head}{file_note}<div class="ba-meta">{line}</div>' if line else head + file_note


def text_lookup(service: Any) -> TextOf:
    """A cached ``brief_id -> cleaned text`` lookup over the service (None for unknown briefs)."""
    cache: dict[str, str | None] = {}

    def text_of(brief_id: str) -> str | None:
        if brief_id not in cache:
            try:
                cache[brief_id] = service.brief_text(brief_id)
            except BriefsError:
                cache[brief_id] = None
        return cache[brief_id]

    return text_of


def _brief_group_html(cites: list[Citation], turn: int, text_of: TextOf) -> str:
    first, text = cites[0], text_of(cites[0].brief_id)
    blocks = "".join(
        f'<blockquote class="ba-passage">{passage_html(text, group, turn)}</blockquote>'
        + (f'<div class="ba-passage-tools">{"".join(citation_tools(c, turn) for c in group)}</div>' if text else "")
        for group in sorted(paragraph_groups(cites, text), key=lambda g: min(c.n for c in g))
    )
    head = meta_html(first.title, first.authors, first.organisation, first.date, first.source)
    return f'<article class="ba-brief"{reader_data(cites)}><header>{head}</header>{blocks}</article>'


def render_sources_html(answer: Answer, service: Any, turn: int = 1, text_of: TextOf | None = None) -> str:
    """The sources of one answer: each cited brief with its metadata and highlighted passages."""
    if not answer.citations:
        return '<p class="ba-empty">Nothing cited: the briefs don’t cover this question.</p>'
    text_of = text_of or text_lookup(service)
    groups: dict[str, list[Citation]] = {}
    for c in answer.citations:
        groups.setdefault(c.brief_id, []).append(c)
    return "".join(_brief_group_html(cites, turn, text_of) for cites in groups.values())


def render_conversation_sources_html(turns: list[ChatTurn], service: Any) -> str:
    """The sources panel for the whole conversation, newest question first and open."""
    if not turns:
        return (
            '<p class="ba-empty">The sources of each answer appear here. '
            "Select a [n] marker in an answer to jump to its passage.</p>"
        )
    text_of = text_lookup(service)
    sections = []
    for i in range(len(turns), 0, -1):
        t = turns[i - 1]
        if t.answer is not None:
            body = render_sources_html(t.answer, service, i, text_of)
        else:
            body = (
                '<p class="ba-empty">No sources.</p>'
                if t.error
                else '<p class="ba-empty">Finding sources…</p>'
            )
        is_open = " open" if i == len(turns) else ""
        sections.append(
            f'<details class="ba-turn"{is_open}><summary>Q{i}: {escape(t.question)}</summary>{body}</details>'
        )
    return "".join(sections)


# -- library ----------------------------------------------------------------------------------------
def library_summary(briefs: list[BriefMeta]) -> str:
    """``6 briefs, 21 chunks`` (or how to add some)."""
    if not briefs:
        return "No briefs yet: add some in the Library tab."
    chunks = sum(b.chunks for b in briefs)
    return f"{len(briefs)} brief{'s' if len(briefs) != 1 else ''}, {chunks} chunk{'s' if chunks != 1 else ''}"


def render_summary_html(briefs: list[BriefMeta]) -> str:
    """The line under the page title: how much the chat searches; for an empty library, the first step to take."""
    if not briefs:
        return (
            '<div class="ba-first-step" role="status"><strong>No briefs yet.</strong> Open the <b>Library</b> tab '
            "and upload briefs (.txt .md .html .pdf .docx), or ingest a folder on the server with "
            "<code>briefs ingest &lt;folder&gt;</code>. The chat answers once a brief is in.</div>"
        )
    return f'<p class="ba-summary">{escape(f"Searching {library_summary(briefs)}.")}</p>'


def render_library_html(briefs: list[BriefMeta]) -> str:
    """Every brief with its metadata and chunk count."""
    if not briefs:
        return '<p class="ba-empty">No briefs yet: upload some below.</p>'
    items = "".join(
        f'<li class="ba-lib-item">{meta_html(b.title, b.authors, b.organisation, b.date, b.source)}'
        f'<div class="ba-meta"><code>{escape(b.id)}</code> · {b.chunks} chunk{"s" if b.chunks != 1 else ""}</div></li>'
        for b in sorted(briefs, key=lambda b: b.title.lower())
    )
    return (
        f'<p class="ba-lib-summary">{escape(library_summary(briefs))}</p><ul class="ba-library">{items}</ul>'
    )


def render_status_html(ok: list[str], failed: list[tuple[str, str]]) -> str:
    """Outcome of an upload or delete: one line per file, failures with their reason."""
    lines = [f'<li class="ba-ok"><span aria-hidden="true">✓</span> {escape(m)}</li>' for m in ok]
    lines += [
        f'<li class="ba-fail"><span aria-hidden="true">✗</span> <strong>{escape(name)}</strong>: {escape(reason)}</li>'
        for name, reason in failed
    ]
    role = ' role="alert"' if failed else ' role="status"'
    return f'<ul class="ba-status"{role}>{"".join(lines)}</ul>' if lines else ""


# -- export -----------------------------------------------------------------------------------------
def describe_filters(filters: Filters) -> str:
    """``author=Lindqvist, date_from=2024-01-01`` for the non-empty filters."""
    data = filters.model_dump(exclude_none=True, exclude={"all_versions"})
    return ", ".join(f"{k}={'|'.join(v) if isinstance(v, list) else v}" for k, v in data.items() if v)


def conversation_markdown(turns: list[ChatTurn], now: dt.datetime | None = None) -> str:
    """The conversation as Markdown: each question, its answer with [n] markers and numbered sources."""
    stamp = (now or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    out = ["# Briefs Assistant conversation", "", f"Exported {stamp}.", ""]
    for i, t in enumerate(turns, 1):
        out += [f"## {i}. {t.question}", ""]
        if t.filters is not None and not t.filters.is_empty():
            out += [f"_Filters: {describe_filters(t.filters)}_", ""]
        if t.answer is not None:
            out += [answer_markdown(t.answer), ""]
        elif t.error:
            out += [f"_Error: {t.error}_", ""]
    return "\n".join(out).rstrip() + "\n"
