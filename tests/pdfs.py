"""Test PDFs that look like the briefs analysts get, made by the tests themselves (nothing large is committed).

* :func:`chromium_pdf`: a brief (Markdown from the CRS corpus, or the seed brief in ``corpus/``) printed to PDF by
  Debian's Chromium (Playwright's ``page.pdf``) with a running header, a footer with page numbers, footnote
  markers, one two-column page and real line-end hyphenation (a long word at the end of a line is split with a
  hyphen and a forced break, as a typesetter does).
* :func:`fpdf_pdf`: the same kind of brief from another generator (fpdf2): header and footer callbacks, soft
  hyphens that fpdf2 turns into line-end hyphens, superscript footnote markers and a two-column page.
* :func:`scanned_pdf`: a page that is only an image (no text layer), as a scanner makes.

Each returns a :class:`TestPdf` with the ground truth: the paragraphs as written, the running lines as printed
and the words the generator may have broken. :func:`page_of` finds the page of a sentence in a PDF's raw text
(pypdf, letters only), independently of the ingest pipeline.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "blinkens-visit-to-beijing.txt"
CRS_MARKDOWN = ROOT.parent / "shared" / "corpus_ext" / "crs_reports" / "markdown"
CRS_FILES = (  # a few In Focus briefs of different shapes (tables, lists, long sections)
    "in-focus/IF12024v6-farm-bill-primer-conservation-title.md",
    "in-focus/IF11286v9-election-security-federal-funding-for-securing-e.md",
    "in-focus/IF10491v14-australia-background-and-u-s-relations.md",
)
FOOTER_RE = r"Page \d+ of \d+"
LONG_WORD = re.compile(r"^[a-z]{9,}$")
FOOTNOTE_AT = re.compile(r"\b([a-z]{3,})([.,;])\s")  # where a footnote marker is glued: "…the states.1 Congress"
FONTS = Path("/usr/share/fonts/truetype")


@dataclass
class TestPdf:
    """A generated PDF and what it is known to contain."""

    path: Path
    generator: str
    title: str
    paragraphs: list[str]  # body paragraphs as written (headings included), without footnote markers
    headings: list[str]
    running: list[str]  # running header/footer text as printed on page 1 ("Page 1 of 5" …)
    running_patterns: list[str]  # regexes matching every page's running lines
    splits: list[tuple[str, str]] = field(default_factory=list)  # (first, rest) of words that may break
    footnoted: list[str] = field(default_factory=list)  # words a footnote marker was glued to

    __test__ = False


# -- sources --------------------------------------------------------------------------------------
def brief_source(path: Path) -> tuple[str, list[tuple[str, list[str]]]]:
    """(title, [(heading, paragraphs)]) of a Markdown or text brief, through the project's own cleaner."""
    from ingest.clean import clean_text

    raw = path.read_text(encoding="utf-8")
    kind = "md" if path.suffix == ".md" else "txt"
    if kind == "md" and raw.startswith("---\n"):
        import frontmatter

        raw = frontmatter.loads(raw).content
    doc = clean_text(raw, kind)
    heads = {off: h for off, h in doc.sections}
    title = doc.title or path.stem
    sections: list[tuple[str, list[str]]] = []
    offset = 0
    for para in doc.text.split("\n\n"):
        here, offset = offset, offset + len(para) + 2
        if doc.about and here == doc.about[0]:
            continue
        para = para.replace("\n", " ").strip()
        if here in heads:
            if heads[here] != title or sections:
                sections.append((heads[here], []))
            continue
        if not sections:
            sections.append(("", []))
        if len(para) > 30:  # tables and lists come through as short fragments: keep the prose
            sections[-1][1].append(para)
    return title, [(h, ps) for h, ps in sections if ps][:7]


def crs_sources(limit: int = 2) -> list[Path]:
    """CRS Markdown briefs to render (empty when the shared corpus is absent)."""
    return [CRS_MARKDOWN / f for f in CRS_FILES if (CRS_MARKDOWN / f).is_file()][:limit]


# -- Chromium -------------------------------------------------------------------------------------
CSS = """
@page { size: Letter; margin: 0.9in 0.8in 0.9in 0.8in; }
body { font-family: 'Liberation Serif', 'DejaVu Serif', serif; font-size: 11.5pt; line-height: 1.35; margin: 0; }
h1 { font-family: 'Liberation Sans', sans-serif; font-size: 20pt; margin: 0 0 10pt 0; }
h2 { font-family: 'Liberation Sans', sans-serif; font-size: 13.5pt; margin: 14pt 0 4pt 0; }
p { text-align: justify; margin: 0 0 7pt 0; }
.cols { column-count: 2; column-gap: 0.3in; break-before: page; break-after: page; }
.cols h2 { column-span: all; }
.notes p { font-size: 9pt; }
"""
# Splits the last word of a line with a hyphen and a forced break, as a typesetter does; returns the splits.
HYPHENATE_JS = """
() => {
  const splits = [];
  const paras = Array.from(document.querySelectorAll('p.body'));
  for (const p of paras) {
    let lines = 0;
    for (let guard = 0; guard < 60; guard++) {
      const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
      const words = [];
      let node;
      while ((node = walker.nextNode())) {
        if (node.parentElement.tagName === 'SUP') continue;
        const re = /[A-Za-z]+/g; let m;
        while ((m = re.exec(node.data))) words.push({node, start: m.index, end: m.index + m[0].length, text: m[0]});
      }
      const rect = (w) => { const r = document.createRange(); r.setStart(w.node, w.start); r.setEnd(w.node, w.end);
                           return r.getBoundingClientRect(); };
      let done = false;
      let seen = 0;
      for (let i = 0; i + 1 < words.length; i++) {
        const w = words[i];
        if (rect(words[i + 1]).top <= rect(w).top + 2) continue;
        seen += 1;
        if (seen <= lines) continue;
        lines = seen;
        if (!/^[a-z]{9,}$/.test(w.text) || w.node.data[w.end] === '-' ) continue;
        if (lines % 2) continue;
        const vowel = (c) => 'aeiouy'.includes(c);
        let cut = Math.floor(w.text.length / 2);
        for (let d = 0; d < 3; d++) {
          const k = cut + (d % 2 ? -1 : 1) * Math.ceil(d / 2);
          if (vowel(w.text[k - 1]) && !vowel(w.text[k]) && vowel(w.text[k + 1])) { cut = k; break; }
        }
        const rest = w.node.splitText(w.start + cut);
        w.node.data = w.node.data + '-';
        rest.parentNode.insertBefore(document.createElement('br'), rest);
        splits.push([w.text.slice(0, cut), w.text.slice(cut)]);
        done = true;
        break;
      }
      if (!done) break;
    }
  }
  return splits;
}
"""


def _html(title: str, sections: list[tuple[str, list[str]]], two_column: int, notes: list[str]) -> tuple[str, list[str]]:
    from html import escape

    footnoted: list[str] = []
    parts = [f"<h1>{escape(title)}</h1>"]
    for i, (heading, paras) in enumerate(sections):
        body = [f"<h2>{escape(heading)}</h2>"] if heading else []
        for j, para in enumerate(paras):
            html = escape(para)
            m = FOOTNOTE_AT.search(para) if (i + j) % 3 == 1 and len(notes) < 9 else None
            if m:  # a footnote marker glued to the first sentence's last word
                notes.append(f"{len(notes) + 1} Ibid., {m.group(1)}; see the agency's published guidance.")
                footnoted.append(m.group(1))
                html = escape(para[: m.end(2)]) + f"<sup>{len(notes)}</sup>" + escape(para[m.end(2) :])
            body.append(f'<p class="body">{html}</p>')
        parts.append(f'<div class="cols">{"".join(body)}</div>' if i == two_column else "".join(body))
    if notes:
        parts.append('<div class="notes"><h2>Notes</h2>' + "".join(f"<p>{escape(n)}</p>" for n in notes) + "</div>")
    return f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title><style>{CSS}</style></head><body>{"".join(parts)}</body></html>', footnoted


def chromium_pdf(browser: Any, source: Path, out: Path, header: str | None = None, two_column: int = 2) -> TestPdf:
    """Print ``source`` (Markdown or text) to ``out`` with Chromium: running header and footer, footnote
    markers, section ``two_column`` on a two-column page of its own, line-end hyphenation."""
    title, sections = brief_source(source)
    header = header or f"{title[:60]} · Briefing Series"
    notes: list[str] = []
    html, footnoted = _html(title, sections, min(two_column, len(sections) - 1), notes)
    page = browser.new_page(viewport={"width": round((8.5 - 1.6) * 96), "height": 1000})
    try:
        page.emulate_media(media="print")
        page.set_content(html)
        splits = [tuple(s) for s in page.evaluate(HYPHENATE_JS)]
        style = "font-family: 'Liberation Sans', sans-serif; font-size: 8px; width: 100%; margin: 0 0.8in; color: #444;"
        page.pdf(
            path=str(out),
            format="Letter",
            display_header_footer=True,
            header_template=f'<div style="{style} text-align: right;">{_escape(header)}</div>',
            footer_template=f'<div style="{style} text-align: center;">Congressional Research Service · Page '
            '<span class="pageNumber"></span> of <span class="totalPages"></span></div>',
            prefer_css_page_size=True,
        )
    finally:
        page.close()
    paragraphs = [title] + [x for h, ps in sections for x in ([h] if h else []) + ps] + ["Notes", *notes]
    return TestPdf(
        out,
        "chromium",
        title,
        paragraphs,
        [h for h, _ in sections if h],
        [header, "Congressional Research Service · Page 1 of"],
        [re.escape(header), r"Congressional Research Service · " + FOOTER_RE],
        splits,  # type: ignore[arg-type]
        footnoted,
    )


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


# -- fpdf2 ----------------------------------------------------------------------------------------
def fpdf_pdf(source: Path, out: Path, series: str = "Policy Lab Briefing Series") -> TestPdf:
    """Write ``source`` with fpdf2: header and footer callbacks, soft hyphens in long words (fpdf2 prints a hyphen
    where it breaks at one), superscript footnote markers, and the third section on a two-column page."""
    from fpdf import FPDF

    title, sections = brief_source(source)
    splits: list[tuple[str, str]] = []
    footnoted: list[str] = []

    class Brief(FPDF):  # type: ignore[misc]
        def header(self) -> None:
            self.set_font(sans, "", 8)
            self.cell(0, 6, f"{series} | {title[:50]}", align="R", new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font(sans, "", 8)
            self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")

    def soft(text: str) -> str:
        def cut(m: re.Match[str]) -> str:
            w = m.group(0)
            if not LONG_WORD.match(w):
                return w
            k = _syllable_cut(w)
            splits.append((w[:k], w[k:]))
            return w[:k] + "\u00ad" + w[k:]

        return re.sub(r"[A-Za-z]+", cut, text)

    pdf = Brief(format="Letter")
    sans, serif = _fonts(pdf)
    pdf.set_title(title)
    pdf.set_author("Policy Lab")
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_page()
    pdf.set_font(sans, "B", 17)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for i, (heading, paras) in enumerate(sections):
        if i == 2:
            pdf.add_page()
        if heading:
            pdf.set_font(sans, "B", 13)
            pdf.multi_cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        pdf.set_font(serif, "", 11.5)
        if i == 2:
            with pdf.text_columns(ncols=2, gutter=8, text_align="J", balance=True) as cols:
                for para in paras:
                    cols.write(text=soft(para) + "\n\n")
            pdf.add_page()
            continue
        for j, para in enumerate(paras):
            m = FOOTNOTE_AT.search(para) if (i + j) % 3 == 1 else None
            if m:  # written as flowing text, so that the superscript marker sits inside the paragraph
                footnoted.append(m.group(1))
                pdf.write(5.6, soft(para[: m.end(2)]))
                pdf.char_vpos = "SUP"
                pdf.write(5.6, str(len(footnoted)))
                pdf.char_vpos = "LINE"
                pdf.write(5.6, soft(para[m.end(2) :]))
                pdf.ln(5.6)
            else:
                pdf.multi_cell(0, 5.6, soft(para), align="J", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.5)
    pdf.output(str(out))
    paragraphs = [title] + [x for h, ps in sections for x in ([h] if h else []) + ps]
    return TestPdf(
        out,
        "fpdf2",
        title,
        paragraphs,
        [h for h, _ in sections if h],
        [f"{series} | {title[:50]}", "Page 1 of"],
        [re.escape(f"{series} | {title[:50]}"), FOOTER_RE],
        splits,
        footnoted,
    )


def _syllable_cut(word: str) -> int:
    """Where to hyphenate ``word``: a vowel-consonant-vowel boundary near its middle (secu-rity), else the middle."""
    middle = len(word) // 2
    for k in sorted(range(3, len(word) - 3), key=lambda k: abs(k - middle)):
        if word[k - 1] in "aeiouy" and word[k] not in "aeiouy" and word[k + 1] in "aeiouy":
            return k
    return middle


def _fonts(pdf: Any) -> tuple[str, str]:
    """Unicode TrueType fonts (Liberation, as on Debian) for fpdf2; its core fonts are Latin-1 only."""
    found = {}
    for name, file in (("sans", "liberation/LiberationSans-Regular.ttf"), ("sansB", "liberation/LiberationSans-Bold.ttf"),
                       ("serif", "liberation/LiberationSerif-Regular.ttf")):
        if not (FONTS / file).is_file():
            raise FileNotFoundError(f"{FONTS / file} is missing: apt-get install fonts-liberation")
        found[name] = FONTS / file
    pdf.add_font("Sans", "", str(found["sans"]))
    pdf.add_font("Sans", "B", str(found["sansB"]))
    pdf.add_font("Serif", "", str(found["serif"]))
    return "Sans", "Serif"


# -- a scan ---------------------------------------------------------------------------------------
def scanned_pdf(out: Path) -> Path:
    """Two pages that are only pictures of text (no text layer), written by Pillow as a scanner's PDF would be."""
    from PIL import Image, ImageDraw

    pages = []
    for n in (1, 2):
        img = Image.new("L", (850, 1100), 255)
        draw = ImageDraw.Draw(img)
        for k in range(30):
            draw.text((80, 90 + 30 * k), f"Scanned page {n}, line {k}: the ministry reported grain reserves.", fill=0)
        pages.append(img.convert("RGB"))
    pages[0].save(out, "PDF", resolution=100.0, save_all=True, append_images=pages[1:])
    return out


# -- ground truth ---------------------------------------------------------------------------------
def letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


@functools.lru_cache(maxsize=32)
def _raw_pages(path: Path, mtime: float) -> tuple[str, ...]:
    from pypdf import PdfReader

    return tuple(letters(page.extract_text() or "") for page in PdfReader(path).pages)


def page_of(path: Path, sentence: str, head: int = 60) -> int | None:
    """The 1-based page whose raw text (pypdf) holds the first ``head`` letters of ``sentence`` (None: no page)."""
    needle = letters(sentence)[:head]
    pages = _raw_pages(path, path.stat().st_mtime)
    return next((i for i, page in enumerate(pages, 1) if needle in page), None)


def last_page_of(path: Path, sentence: str, tail: int = 60) -> int | None:
    """The page holding the last ``tail`` letters of ``sentence``."""
    needle = letters(sentence)[-tail:]
    pages = _raw_pages(path, path.stat().st_mtime)
    return next((i for i, page in enumerate(pages, 1) if needle in page), None)
