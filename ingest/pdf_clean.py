"""PDF pages (lines from :mod:`ingest.pdf_parsers`) into prose as the author wrote it, with a page map.

* **Running headers and footers**: a line near the top or bottom of a page (or, without positions, among its first
  two or last three lines) that repeats on most pages once digits are normalised ("Page 3 of 9" = "Page # of #"),
  and page-number lines ("4", "- 4 -", "Page 4"), are dropped.
* **Hyphenation**: "secu-" at a line end followed by "rity" becomes "security" unless the hyphen is more plausibly
  part of a compound: the document writes "self-reported" elsewhere, or both halves are words it uses on their
  own and it never writes them joined. A soft hyphen at a line end always joins.
* **Footnote markers**: digits glued to a word ("the states.1 Congress") are dropped (the parsers that know sizes
  drop superscript digits already).
* **Paragraphs and headings**: lines are joined into paragraphs (by vertical gaps when the parser gives positions,
  else by short lines that end a sentence); a paragraph that runs over a page break is joined across it. A line
  set larger than the body text (or, without sizes, a short title-case line standing alone) is a heading.

The page map is the offset in the cleaned text where each page starts, so a citation's page is a bisect away
(:func:`assistant.pages.page_span`).

>>> from ingest.pdf_parsers import Line
>>> doc = clean_pages([[Line("Background"), Line("Grants for election secu-"), Line("rity grew and"), Line("Page 1 of 2")],
...                    [Line("the states matched them."), Line("Page 2 of 2")]])
>>> doc.text, doc.pages
('Background\\n\\nGrants for election security grew and the states matched them.', [0, 50])
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from ingest.pdf_parsers import Line, Page

ZONE = 0.09  # the top and bottom of a page (fraction of its height) where running lines sit
HEADING_SIZE = 1.12  # a line this much larger than the body text is a heading
PARAGRAPH_GAP = 0.45  # a vertical gap this many line heights wide starts a paragraph
SHORT = 60  # characters: a running line this short may differ from page to page in its digits only
PAGE_NUMBER = re.compile(r"^(?:page\s*)?#{1,4}(?:\s*(?:of|/)\s*#{1,4})?$|^[-–—]\s*#{1,4}\s*[-–—]$")
GLUED_MARKER = re.compile(r"(?<=[a-z][.,;:)”’\"]|[a-z]{2})\d{1,2}(?=\s|$)")  # "states.1 Congress", "program12 and"
ENDS_SENTENCE = tuple('.!?:"”’)')
HYPHEN_END = re.compile(r"(?<=[^\s-])-$")  # "secu-", "U.S.-" (not "--" or a dash standing alone)
WORD_END = re.compile(r"([A-Za-z]+)-$")
SOFT_END = re.compile(r"([A-Za-z]+)\u00ad$")
FIRST_WORD = re.compile(r"^([a-z]+)")
WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
COMPOUND_PREFIXES = {"self", "cross", "well", "non", "ex", "all", "half", "co", "post", "pre", "anti", "multi"}


@dataclass
class PdfText:
    """Cleaned PDF text: ``sections`` are (offset, heading); ``pages[i]`` is where page i+1 starts in ``text``."""

    text: str
    sections: list[tuple[int, str]] = field(default_factory=list)
    title: str | None = None
    pages: list[int] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # the running lines removed (for diagnostics)


@dataclass
class _Para:
    pieces: list[tuple[int, str]]  # (page index, text): a new piece where the paragraph crosses a page break
    heading: bool = False
    size: float | None = None

    @property
    def tail(self) -> str:
        return self.pieces[-1][1]


def clean_pages(pages: list[Page]) -> PdfText:
    """Clean the lines of each page; see the module docstring for what is removed and joined."""
    pages = [[n for n in (_normalise(line) for line in page) if n.text] for page in pages]
    running = _running(pages)
    dropped: list[Line] = []
    kept: list[Page] = []
    for page in pages:
        keep: list[Line] = []
        for i, line in enumerate(page):
            (dropped if _is_chrome(line, i, len(page), running) else keep).append(line)
        kept.append(keep)
    body = _body_size(kept)
    vocab, compounds = _vocabulary(kept)
    paras: list[_Para] = []
    widths = [_typical_length(page) for page in kept]
    full = statistics.median([w for w, page in zip(widths, kept, strict=True) if page] or [80.0])
    for number, page in enumerate(kept):
        typical = (widths[number], max(widths[number], full))  # a heading may span both columns of a page
        prev: Line | None = None
        for line in page:
            _add_line(paras, number, line, prev, body, typical, vocab, compounds)
            prev = line
    text, sections, title, starts = _join(paras, len(pages))
    return PdfText(text, sections, title, starts, [d.text for d in dropped])


# -- lines ----------------------------------------------------------------------------------------
def _normalise(line: Line) -> Line:
    text = line.text.replace("\u2010", "-").replace("\ufb01", "fi").replace("\ufb02", "fl")
    text = re.sub(r"\u00ad(?=\S)", "", text)  # a soft hyphen inside a line is invisible
    text = GLUED_MARKER.sub("", text)
    text = re.sub(r"\s+", " ", text).strip()
    return Line(text, line.top, line.bottom, line.size, line.bold)


def _key(text: str) -> str:
    """What running lines are compared by: lower case; digits count as one ("Page 3 of 9" = "Page 4 of 9") in short
    lines only, so that body lines that differ by a number are not taken for one running line."""
    text = text.lower()
    return (re.sub(r"\d+", "#", text) if len(text) <= SHORT else text).strip(" .·|-–—")


def _candidate(line: Line, index: int, count: int) -> bool:
    """Where running lines sit: near the top or bottom of the page, or first or last in its text."""
    if line.text[:1].islower():  # the rest of a sentence: body text, however often it repeats
        return False
    near_edge = line.top is not None and line.bottom is not None and (line.top < ZONE or line.bottom > 1 - ZONE)
    return near_edge or index < 2 or index >= count - 3


def _running(pages: list[Page]) -> set[str]:
    """Keys of lines that repeat at the edges of most pages."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({_key(ln.text) for i, ln in enumerate(page) if _candidate(ln, i, len(page)) and len(ln.text) <= 150})
    need = max(2, math.ceil(len(pages) / 2))
    return {k for k, n in counts.items() if n >= need and k}


def _is_chrome(line: Line, index: int, count: int, running: set[str]) -> bool:
    if not _candidate(line, index, count):
        return False
    key = _key(line.text)
    return key in running or bool(PAGE_NUMBER.match(key))


def _body_size(pages: list[Page]) -> float | None:
    weights: Counter[float] = Counter()
    for page in pages:
        for ln in page:
            if ln.size:
                weights[round(ln.size, 1)] += len(ln.text)
    return weights.most_common(1)[0][0] if weights else None


def _typical_length(page: Page) -> float:
    """How long a full line of body text is on this page (characters)."""
    lengths = sorted(len(ln.text) for ln in page)
    return float(lengths[int(len(lengths) * 0.8)]) if lengths else 80.0


# -- hyphenation ----------------------------------------------------------------------------------
def _vocabulary(pages: list[Page]) -> tuple[set[str], set[str]]:
    """Words and hyphenated compounds the document uses within lines (line-end fragments left out)."""
    words: set[str] = set()
    compounds: set[str] = set()
    for page in pages:
        broken = False
        for ln in page:
            tokens = WORD.findall(ln.text)
            if broken and tokens:
                tokens = tokens[1:]
            broken = bool(HYPHEN_END.search(ln.text) or SOFT_END.search(ln.text))
            if broken and tokens:
                tokens = tokens[:-1]
            for t in tokens:
                t = t.lower()
                if "-" in t:
                    compounds.add(t)
                    words.update(t.split("-"))
                else:
                    words.add(t)
    return words, compounds


def keep_hyphen(first: str, rest: str, words: set[str], compounds: set[str]) -> bool:
    """Whether "first-" at a line end and "rest" on the next line are a compound ("self-reported") rather than one
    word broken by hyphenation ("secu-rity")."""
    a, b = first.lower(), rest.lower()
    if f"{a}-{b}" in compounds or (first.isupper() and len(first) > 1):  # "PRC-sponsored"
        return True
    if a + b in words:
        return False
    known = {b, b + "s", b + "es", b.removesuffix("s")} & words
    return a in COMPOUND_PREFIXES or (a in words and bool(known) and len(a) > 2 and len(b) > 2)


# -- paragraphs -----------------------------------------------------------------------------------
def _is_heading(line: Line, body: float | None, typical: tuple[float, float]) -> bool:
    """``typical``: the length of a full line in the page's column and across the page (they differ on a page
    set in columns, where a heading can span both: it then has to be title case to its last word)."""
    text = line.text
    words = text.split()
    if not words or len(words) > 14 or len(text) > 120 or text.endswith((".", ",", ";", "-")):
        return False
    first = next((c for c in text if c.isalpha()), "")
    if not first.isupper():
        return False
    if line.size is not None and body is not None:
        return line.size >= body * HEADING_SIZE
    long_words = [w for w in words if len(w) > 3]
    title_case = sum(w[0].isupper() for w in long_words) / len(long_words) if long_words else 1.0
    column, page = typical
    if len(text) < 0.7 * column:
        return len(words) <= 4 or title_case >= 0.6
    return len(text) < 0.7 * page and title_case >= 0.6 and words[-1][:1].isupper()


def _starts_paragraph(line: Line, prev: Line | None, last: _Para, typical: float) -> bool:
    if last.heading:
        return True
    ends = last.tail.rstrip().endswith(ENDS_SENTENCE)
    continues = not ends or line.text[:1].islower()
    if prev is None:  # first line of a page: the last paragraph may run over the page break
        return not continues
    if None not in (line.top, prev.top, prev.bottom) and line.top is not None and prev.top is not None:
        assert prev.bottom is not None
        if line.top < prev.top - 0.01:  # the next column
            return not continues
        height = max(prev.bottom - prev.top, 1e-3)
        if line.top - prev.bottom > PARAGRAPH_GAP * height:
            return True
        if line.size and prev.size and abs(line.size - prev.size) > 0.15 * prev.size:
            return True
        return False
    return ends and len(prev.text) < 0.8 * typical


def _add_line(
    paras: list[_Para],
    page: int,
    line: Line,
    prev: Line | None,
    body: float | None,
    typical: tuple[float, float],
    words: set[str],
    compounds: set[str],
) -> None:
    """``typical``: how long a full line is in this page's column, and across the page."""
    heading = _is_heading(line, body, typical) and (not paras or prev is None or _standalone(line, prev, paras[-1]))
    if heading and paras and paras[-1].heading and prev is not None and paras[-1].size == line.size:
        if not paras[-1].tail.endswith(("?", ".", ":")):  # a heading set on two lines
            _glue(paras[-1], page, line.text, " ")
            return
    if heading:
        paras.append(_Para([(page, line.text)], heading=True, size=line.size))
    elif not paras or _starts_paragraph(line, prev, paras[-1], typical[0]):
        paras.append(_Para([(page, line.text)], size=line.size))
    else:
        _continue(paras[-1], page, line.text, words, compounds)


def _standalone(line: Line, prev: Line, last: _Para) -> bool:
    """A heading candidate stands on its own: after a heading or the end of a sentence, or set apart by size."""
    if line.size is not None and prev.size is not None:
        return True
    return last.heading or last.tail.rstrip().endswith(ENDS_SENTENCE)


def _continue(para: _Para, page: int, text: str, words: set[str], compounds: set[str]) -> None:
    tail = para.tail
    rest = FIRST_WORD.match(text)
    soft = SOFT_END.search(tail)
    hard = HYPHEN_END.search(tail)
    word = WORD_END.search(tail)
    if soft:
        _replace_tail(para, tail[:-1])
        _glue(para, page, text, "")
    elif word and rest and not keep_hyphen(word.group(1), rest.group(1), words, compounds):
        _replace_tail(para, tail[:-1])
        _glue(para, page, text, "")
    elif hard:
        _glue(para, page, text, "")
    else:
        _glue(para, page, text, " ")


def _replace_tail(para: _Para, text: str) -> None:
    page, _ = para.pieces[-1]
    para.pieces[-1] = (page, text)


def _glue(para: _Para, page: int, text: str, joiner: str) -> None:
    """Append ``text``; the joiner stays with the piece before it, so that a page's piece starts at its text."""
    last_page, tail = para.pieces[-1]
    if last_page == page:
        para.pieces[-1] = (page, tail + joiner + text)
    else:
        para.pieces[-1] = (last_page, tail + joiner)
        para.pieces.append((page, text))


def _join(paras: list[_Para], n_pages: int) -> tuple[str, list[tuple[int, str]], str | None, list[int]]:
    """The text ("\\n\\n" between paragraphs), the sections, the title and each page's start offset."""
    parts: list[str] = []
    sections: list[tuple[int, str]] = []
    starts: dict[int, int] = {}
    offset = 0
    title: str | None = None
    for para in paras:
        text = "".join(t for _, t in para.pieces)
        if parts and parts[-1] == text:
            continue
        if para.heading:
            title = title or text
            sections.append((offset, text))
        at = offset
        for page, piece in para.pieces:
            starts.setdefault(page, at)
            at += len(piece)
        parts.append(text)
        offset += len(text) + 2
    full = "\n\n".join(parts)
    pages = [0] * n_pages
    following = len(full)
    for i in range(n_pages - 1, -1, -1):  # a page without text starts where the next one does
        following = starts.get(i, following)
        pages[i] = following
    if pages:
        pages[0] = 0
    return full, sections, title, pages

