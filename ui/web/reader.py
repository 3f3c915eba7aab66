"""The reader view of the web chat: a citation opens its whole brief in a dialog (cleaned text with headings,
from ``GET /v1/documents/{id}/text``), scrolled to the cited span, which is highlighted; the answer's other
citations into that brief are marked too. For a PDF the dialog shows where pages begin and links to the
original at the cited page (``/v1/files/{id}#page=4``).

The sources panel carries what the dialog needs (:func:`reader_data`: the brief id and the answer's citations
into it, as data attributes); the page script (:data:`READER_JS`) fetches the brief from the API and builds the
dialog from text nodes only, so nothing in a brief is ever parsed as HTML. Offsets are code points, as in Python.
"""

from __future__ import annotations

import json
from html import escape

from assistant.models import Citation
from ui.render import page_label

FILES_URL = "v1/files/"  # relative to the page, so a reverse proxy's path prefix is kept
TEXT_URL = "v1/documents/{id}/text"


def file_link(brief_id: str, page: int) -> str:
    """The URL that opens a brief's original file at ``page`` in the browser's PDF viewer."""
    return f"{FILES_URL}{escape(brief_id, quote=True)}#page={page}"


def reader_data(cites: list[Citation]) -> str:
    """Data attributes for a brief's block in the sources panel: its id and the citations into it."""
    spans = [
        {"n": c.n, "start": c.start, "end": c.end, "page": c.page, "page_end": c.page_end}
        for c in sorted(cites, key=lambda c: c.n)
    ]
    return (
        f' data-brief="{escape(cites[0].brief_id, quote=True)}"'
        f' data-cites="{escape(json.dumps(spans, separators=(",", ":")), quote=True)}"'
    )


def citation_tools(c: Citation, turn: int) -> str:
    """After a cited passage: "Read in brief" (opens the reader at it) and, for a PDF, its "p. 4" link."""
    label = escape(f"Read citation {c.n} in the whole brief", quote=True)
    parts = [
        f'<button type="button" class="ba-read" data-n="{c.n}" data-turn="{turn}" aria-label="{label}">'
        f"Read [{c.n}] in the brief</button>"
    ]
    if c.page:
        title = escape(f"Open the PDF at page {c.page}", quote=True)
        parts.append(
            f'<a class="ba-page" href="{file_link(c.brief_id, c.page)}" target="_blank" rel="noopener" '
            f'title="{title}">{escape(page_label(c))}</a>'
        )
    return f'<span class="ba-tools">{"".join(parts)}</span>'


READER_CSS = """
.ba-tools { display: inline-flex; gap: 8px; align-items: baseline; margin-left: 6px; white-space: nowrap; }
button.ba-read { font: inherit; font-size: 0.82em; padding: 0 6px; border-radius: 4px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary); color: var(--body-text-color); }
button.ba-read:hover, button.ba-read:focus-visible { border-color: var(--color-accent); }
a.ba-page { font-size: 0.85em; font-weight: 600; color: var(--color-accent); }
#ba-reader { position: fixed; inset: 0; z-index: 1000; background: rgba(15, 23, 42, 0.45); display: flex;
  align-items: center; justify-content: center; }
#ba-reader .ba-reader-box { background: var(--background-fill-primary, #fff); color: var(--body-text-color, #111827);
  width: min(860px, 94vw); height: min(88vh, 1000px); border-radius: 10px; display: flex; flex-direction: column;
  box-shadow: 0 20px 50px rgba(0, 0, 0, 0.35); }
#ba-reader header { position: relative; padding: 12px 16px 8px; border-bottom: 1px solid var(--border-color-primary, #e5e7eb); }
#ba-reader .ba-reader-title { font-weight: 700; font-size: 1.08em; margin: 0 32px 4px 0; }
#ba-reader .ba-reader-meta { font-size: 0.88em; opacity: 0.85; display: flex; flex-wrap: wrap; gap: 10px; align-items: baseline; }
#ba-reader .ba-reader-close { position: absolute; top: 6px; right: 10px; font-size: 1.5em; line-height: 1; border: none; background: none; cursor: pointer; color: inherit; }
#ba-reader .ba-reader-jump { font: inherit; font-size: 0.9em; border: 1px solid var(--border-color-primary, #d1d5db);
  border-radius: 4px; background: none; color: inherit; cursor: pointer; padding: 0 6px; }
#ba-reader .ba-reader-jump[aria-current="true"] { background: #fb923c; color: #111827; border-color: #ea580c; }
#ba-reader .ba-reader-body { overflow-y: auto; padding: 8px 20px 24px; line-height: 1.6; font-size: 0.97em; }
#ba-reader .ba-reader-h { font-size: 1.05em; margin: 18px 0 6px; }
#ba-reader .ba-reader-h:first-child { font-size: 1.2em; }
#ba-reader .ba-reader-p { margin: 0 0 10px; white-space: pre-line; overflow-wrap: anywhere; }
#ba-reader mark.ba-reader-mark { background: #fde68a; color: #1f2937; border-radius: 2px; padding: 0 1px; scroll-margin: 120px; }
#ba-reader mark.ba-reader-active { background: #fb923c; color: #111827; box-shadow: 0 0 0 2px #ea580c; }
#ba-reader .ba-reader-n { font-weight: 700; color: var(--color-accent, #2563eb); margin-right: 1px; }
#ba-reader .ba-page-break { display: flex; align-items: center; gap: 8px; margin: 14px 0 8px; font-size: 0.78em;
  color: #64748b; }
#ba-reader .ba-page-break::before, #ba-reader .ba-page-break::after { content: ""; flex: 1; border-top: 1px dashed #cbd5e1; }
#ba-reader .ba-page-mark { font-size: 0.72em; color: #64748b; border: 1px dashed #cbd5e1; border-radius: 3px;
  padding: 0 3px; margin: 0 3px; white-space: nowrap; }
#ba-reader .ba-reader-error { color: #dc2626; padding: 16px 20px; }
@media (max-width: 640px) {
  #ba-reader .ba-reader-box { width: 100vw; height: 100vh; border-radius: 0; }
}
"""

# Part of the page script (ui.web.assets.JS): opens the reader for a "Read in brief" button.
READER_JS = r"""
  const make = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  let readerOpener = null;
  const closeReader = () => {
    const d = document.getElementById('ba-reader');
    if (d) d.remove();
    document.removeEventListener('keydown', readerKeys, true);
    if (readerOpener) readerOpener.focus();
  };
  const readerKeys = (ev) => { if (ev.key === 'Escape') { ev.preventDefault(); closeReader(); } };
  const pageLabel = (c) => c.page ? (c.page_end ? `pp. ${c.page}–${c.page_end}` : `p. ${c.page}`) : '';
  const paragraphs = (cps) => {
    const out = [];
    let start = 0;
    for (let i = 0; i < cps.length; i++) {
      if (cps[i] === '\n' && cps[i + 1] === '\n') { out.push([start, i]); start = i + 2; i++; }
    }
    out.push([start, cps.length]);
    return out.filter(([a, b]) => b > a);
  };
  const renderBrief = (doc, cites, activeN) => {
    const cps = Array.from(doc.text);
    const heads = new Map(doc.sections.map((s) => [s.start, Array.from(s.heading).length]));
    const pageAt = new Map(doc.pages.filter((p) => p.page > 1).map((p) => [p.start, p.page]));
    const body = make('div', 'ba-reader-body');
    body.tabIndex = 0;
    const labelled = new Set();
    for (const [ps, pe] of paragraphs(cps)) {
      if (pageAt.has(ps)) body.appendChild(make('div', 'ba-page-break', `page ${pageAt.get(ps)}`));
      const heading = heads.get(ps) === pe - ps;
      const node = make(heading ? 'h3' : 'p', heading ? 'ba-reader-h' : 'ba-reader-p');
      const cuts = new Set([ps, pe]);
      for (const c of cites) for (const x of [c.start, c.end]) if (x > ps && x < pe) cuts.add(x);
      for (const x of pageAt.keys()) if (x > ps && x < pe) cuts.add(x);
      const points = Array.from(cuts).sort((a, b) => a - b);
      for (let k = 0; k + 1 < points.length; k++) {
        const [a, b] = [points[k], points[k + 1]];
        if (a > ps && pageAt.has(a)) node.appendChild(make('span', 'ba-page-mark', `p. ${pageAt.get(a)}`));
        const text = cps.slice(a, b).join('');
        const c = cites.find((c) => c.start <= a && b <= c.end);
        if (!c) { node.appendChild(document.createTextNode(text)); continue; }
        if (!labelled.has(c.n)) { node.appendChild(make('sup', 'ba-reader-n', `[${c.n}]`)); labelled.add(c.n); }
        const m = make('mark', 'ba-reader-mark' + (c.n === activeN ? ' ba-reader-active' : ''), text);
        m.dataset.n = String(c.n);
        node.appendChild(m);
      }
      body.appendChild(node);
    }
    return body;
  };
  const showCitation = (box, n, cites, fileUrl) => {
    box.querySelectorAll('mark.ba-reader-mark').forEach((m) => m.classList.toggle('ba-reader-active', m.dataset.n === String(n)));
    box.querySelectorAll('.ba-reader-jump').forEach((b) => b.setAttribute('aria-current', String(b.dataset.n === String(n))));
    const c = cites.find((c) => c.n === n);
    const link = box.querySelector('.ba-reader-pdf');
    if (link && c && c.page) { link.href = `${fileUrl}#page=${c.page}`; link.textContent = `Open the PDF at ${pageLabel(c)}`; }
    const first = box.querySelector(`mark.ba-reader-mark[data-n="${n}"]`);
    if (first) first.scrollIntoView({block: 'center'});
  };
  const openReader = async (button) => {
    const article = button.closest('.ba-brief');
    if (!article) return;
    readerOpener = button;
    const briefId = article.dataset.brief;
    const cites = JSON.parse(article.dataset.cites || '[]');
    const n = Number(button.dataset.n);
    closeReader();
    readerOpener = button;
    const overlay = make('div');
    overlay.id = 'ba-reader';
    overlay.addEventListener('click', (ev) => { if (ev.target === overlay) closeReader(); });
    const box = make('div', 'ba-reader-box');
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'true');
    const header = make('header');
    const title = make('p', 'ba-reader-title', 'Loading the brief…');
    title.id = 'ba-reader-title';
    box.setAttribute('aria-labelledby', 'ba-reader-title');
    const close = make('button', 'ba-reader-close', '×');
    close.type = 'button';
    close.setAttribute('aria-label', 'Close the reader');
    close.addEventListener('click', closeReader);
    header.append(close, title);
    box.appendChild(header);
    overlay.appendChild(box);
    document.body.appendChild(overlay);
    document.addEventListener('keydown', readerKeys, true);
    close.focus();
    let doc;
    try {
      const url = (__TEXT_URL__).replace('{id}', encodeURIComponent(briefId));
      const resp = await fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
      doc = await resp.json();
      if (!resp.ok) throw new Error((doc.error && doc.error.message) || resp.statusText);
    } catch (err) {
      title.textContent = 'Could not open the brief';
      box.appendChild(make('p', 'ba-reader-error', String(err.message || err)));
      return;
    }
    title.textContent = doc.title;
    const meta = make('div', 'ba-reader-meta');
    meta.appendChild(make('span', '', cites.length > 1 ? 'Citations of this answer:' : 'Citation:'));
    for (const c of cites) {
      const jump = make('button', 'ba-reader-jump', `[${c.n}]${c.page ? ' ' + pageLabel(c) : ''}`);
      jump.type = 'button';
      jump.dataset.n = String(c.n);
      jump.addEventListener('click', () => showCitation(box, c.n, cites, doc.file_url));
      meta.appendChild(jump);
    }
    if (doc.file_url) {
      const pdf = make('a', 'ba-reader-pdf', 'Open the PDF');
      pdf.href = doc.file_url.replace(/^\//, '');
      pdf.target = '_blank';
      pdf.rel = 'noopener';
      meta.appendChild(pdf);
    }
    header.appendChild(meta);
    box.appendChild(renderBrief(doc, cites, n));
    showCitation(box, n, cites, doc.file_url ? doc.file_url.replace(/^\//, '') : '');
  };
  document.addEventListener('click', (ev) => {
    const b = ev.target.closest && ev.target.closest('button.ba-read');
    if (!b) return;
    ev.preventDefault();
    ev.stopPropagation();
    openReader(b);
  }, true);
""".replace("__TEXT_URL__", json.dumps(TEXT_URL))
