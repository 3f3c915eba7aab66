"""PDF pages as lines of text, by one of three parsers behind one function, :func:`read_pages`.

Every parser returns the same thing: for each page, its lines in reading order, each with where it sits on the page
and its font size when the parser knows them. :mod:`ingest.pdf_clean` does the rest (page chrome, hyphenation,
footnote markers, paragraphs, headings, the page map), so the parsers can be compared on the same cleaner
(``benchmarks/pdf_parsers.py``).

* ``pypdf`` (the default, pure Python): text in content-stream order, so a two-column page made by a browser or
  a word processor reads column by column; no positions or sizes.
* ``pymupdf`` (optional, ``pip install pymupdf``; AGPL): text blocks in stream order with positions and font
  sizes; superscript footnote markers are dropped by size.
* ``pdfplumber`` (optional, ``pip install pdfplumber``): lines by position (so two columns interleave), with
  positions and sizes.

>>> pages = read_pages(Path("brief.pdf").read_bytes())          # doctest: +SKIP
>>> pages[0][0].text                                              # doctest: +SKIP
'Farm Bill Primer: Conservation Title'
"""

from __future__ import annotations

import io
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from assistant.errors import IngestError

PdfParser = Literal["pypdf", "pymupdf", "pdfplumber"]
PARSERS: tuple[PdfParser, ...] = ("pypdf", "pymupdf", "pdfplumber")
INSTALL = {"pymupdf": "pip install pymupdf", "pdfplumber": "pip install pdfplumber"}
SUPERSCRIPT = 0.8  # a span of digits this much smaller than its line's text is a footnote marker
DIGITS = re.compile(r"^\s*\d{1,3}\s*$")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a page: its text, and (when the parser knows) its top and bottom as fractions of the page
    height, its font size in points and whether it is bold."""

    text: str
    top: float | None = None
    bottom: float | None = None
    size: float | None = None
    bold: bool = False


Page = list[Line]


def read_pages(data: bytes, parser: PdfParser = "pypdf") -> list[Page]:
    """The lines of every page of the PDF in ``data``; IngestError for an encrypted, corrupt or unreadable file."""
    read: Callable[[bytes], list[Page]] = {"pypdf": _pypdf, "pymupdf": _pymupdf, "pdfplumber": _pdfplumber}[parser]
    try:
        return read(data)
    except IngestError:
        raise
    except ImportError as e:
        raise IngestError(
            f"the PDF parser {parser!r} is not installed ({INSTALL.get(parser, 'pip install ' + parser)}), "
            "or choose another with BRIEFS_INGEST__PDF_PARSER"
        ) from e


def _pypdf(data: bytes) -> list[Page]:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError("the PDF is encrypted")
        texts = [page.extract_text() or "" for page in reader.pages]
    except LimitReachedError as e:  # pypdf bounds what one stream may decompress to
        raise IngestError(f"the PDF holds a stream that expands past pypdf's safety limit ({e})") from e
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise IngestError(f"corrupted or unreadable PDF: {e}") from e
    return [[Line(t) for t in text.split("\n") if t.strip()] for text in texts]


def _pymupdf(data: bytes) -> list[Page]:
    import pymupdf

    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except (RuntimeError, ValueError) as e:
        raise IngestError(f"corrupted or unreadable PDF: {e}") from e
    if doc.needs_pass:
        raise IngestError("the PDF is encrypted")
    pages = []
    for page in doc.pages():
        height = page.rect.height or 1.0
        lines: Page = []
        for block in page.get_text("dict", sort=False)["blocks"]:
            for line in block.get("lines", []):
                spans = [s for s in line["spans"] if s["text"]]
                if not spans:
                    continue
                size = _dominant([(s["size"], len(s["text"].strip())) for s in spans])
                text = "".join(
                    s["text"] for s in spans if not (DIGITS.match(s["text"]) and s["size"] < size * SUPERSCRIPT)
                )
                if text.strip():
                    bold = all(s["flags"] & 16 or "Bold" in s["font"] for s in spans if s["text"].strip())
                    y0, y1 = line["bbox"][1], line["bbox"][3]
                    lines.append(Line(text, y0 / height, y1 / height, size, bold))
        pages.append(lines)
    return pages


def _pdfplumber(data: bytes) -> list[Page]:
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except (PDFSyntaxError, ValueError, KeyError, TypeError) as e:
        raise IngestError(f"corrupted or unreadable PDF: {e}") from e
    pages = []
    with pdf:
        for page in pdf.pages:
            height = float(page.height) or 1.0
            lines: Page = []
            for line in page.extract_text_lines(return_chars=True):
                chars = [c for c in line["chars"] if c["text"].strip()]
                if not chars:
                    continue
                size = _dominant([(float(c["size"]), 1) for c in chars])
                text = _drop_small_digits(line["text"], chars, size)
                if text.strip():
                    bold = all("Bold" in c.get("fontname", "") for c in chars)
                    lines.append(Line(text, float(line["top"]) / height, float(line["bottom"]) / height, size, bold))
            pages.append(lines)
    return pages


def _drop_small_digits(text: str, chars: list[dict[str, Any]], size: float) -> str:
    """``text`` without the digits printed much smaller than the line (superscript footnote markers); ``chars``
    are the line's non-space characters, in the order of ``text``."""
    out, at = [], 0
    for ch in text:
        if ch.isspace() or at >= len(chars):
            out.append(ch)
            continue
        c = chars[at]
        at += 1
        if not (ch.isdigit() and float(c["size"]) < size * SUPERSCRIPT):
            out.append(ch)
    return "".join(out)


def _dominant(sizes: list[tuple[float, int]]) -> float:
    """The size that most of the characters have (weighted by their count)."""
    weights: dict[float, int] = {}
    for size, n in sizes:
        weights[round(size, 1)] = weights.get(round(size, 1), 0) + max(n, 1)
    return max(weights.items(), key=lambda kv: kv[1])[0] if weights else statistics.fmean(s for s, _ in sizes)
