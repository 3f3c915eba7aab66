"""Which PDF parser: each of pypdf, pymupdf and pdfplumber through the same cleaner (ingest.pdf_clean) and chunker,
on PDFs generated like the tests' (tests/pdfs.py: Chromium print-to-PDF of the seed brief and of CRS briefs, and an
fpdf2 PDF), counted where it matters: in the chunks.

    python -m benchmarks.pdf_parsers [--crs N] [--json PATH]

Per parser, and per cleaner (``raw``: the parser's lines as they are; ``before``: the PDF cleaning this project had
before page maps; ``now``: ingest.pdf_clean), it prints: running header/footer lines that reached the chunks, broken hyphenations ("secu- rity",
"secu rity") in the chunks, compounds wrongly joined ("selfreported"), footnote markers left glued to a word,
sentences of the source found verbatim in the cleaned text, citations whose page is wrong (against the page of the
sentence in the raw PDF text), seconds to parse and the parser's import time. Needs Chromium (/usr/bin/chromium),
Playwright and fpdf2 (the dev extra); pymupdf and pdfplumber are optional and skipped when absent.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.pages import page_span
from assistant.text import sentence_spans
from ingest.chunk import chunk_text, make_splitter
from ingest.clean import clean_text
from ingest.load import load_file
from ingest.pdf_parsers import PARSERS
from tests import pdfs

IMPORTS = {"pypdf": "pypdf", "pymupdf": "pymupdf", "pdfplumber": "pdfplumber"}


MODES = ("raw", "before", "now")  # the parser's lines as they are; main's cleaner before issue 15; ingest.pdf_clean


def raw_text(pages: list[list[str]]) -> str:
    """Each page's lines joined by spaces: what the parser alone gives."""
    return "\n\n".join(" ".join(lines) for lines in pages)


def before_text(pages: list[list[str]]) -> str:
    """The PDF cleaning of ingest/clean.py before issue 15: lines repeated on most of 3+ pages dropped, "-\\n" before a
    lowercase letter joined, bare page-number lines dropped."""
    from collections import Counter

    per_page = [[ln.strip() for ln in p if ln.strip()] for p in pages]
    counts = Counter(ln for lines in per_page for ln in set(lines))
    threshold = max(3, len(pages) // 2 + 1)
    running = {ln for ln, n in counts.items() if n >= threshold} if len(pages) >= 3 else set()
    paras: list[str] = []
    for lines in per_page:
        kept = [ln for ln in lines if ln not in running and not re.match(r"^(Page \d+ of \d+|\d{1,3})$", ln)]
        text = re.sub(r"-\n(?=[a-z])", "", "\n".join(kept))
        paras.append(re.sub(r"(?<![.!?:])\n(?!\n)", " ", text))
    return "\n\n".join(paras)


@dataclass
class Row:
    parser: str
    mode: str
    pdfs: int = 0
    running_lines: int = 0
    broken_hyphenations: int = 0
    joined_compounds: int = 0
    glued_markers: int = 0
    sentences_found: int = 0
    sentences: int = 0
    wrong_pages: int = 0
    paged_sentences: int = 0
    parse_s: float = 0.0
    import_s: float = 0.0


def make_pdfs(folder: Path, crs: int) -> list[pdfs.TestPdf]:
    from playwright.sync_api import sync_playwright

    made = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless=new", "--no-sandbox"])
        made.append(pdfs.chromium_pdf(browser, pdfs.SEED, folder / "seed-chromium.pdf"))
        for src in pdfs.crs_sources(crs):
            made.append(pdfs.chromium_pdf(browser, src, folder / f"{src.stem[:24]}.pdf"))
        browser.close()
    made.append(pdfs.fpdf_pdf(pdfs.SEED, folder / "seed-fpdf.pdf"))
    return made


def import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(3)]
    return min(runs)


def measure(parser: str, mode: str, made: list[pdfs.TestPdf], splitter: object) -> Row:
    row = Row(parser, mode)
    for test in made:
        t = time.perf_counter()
        doc = load_file(test.path, pdf_parser=parser)  # type: ignore[arg-type]
        row.parse_s += time.perf_counter() - t
        lines = [[ln.text for ln in page] for page in doc.pages or []]
        if mode == "now":
            cleaned = clean_text(doc.text, doc.kind, doc.pages)
            text, sections, pages = cleaned.text, cleaned.sections, cleaned.pages
        else:
            text, sections, pages = (raw_text if mode == "raw" else before_text)(lines), [], []
        chunks = " \n".join(c.text for c in chunk_text(text, sections, splitter))
        row.pdfs += 1
        row.running_lines += sum(len(re.findall(p, chunks)) for p in test.running_patterns)
        row.broken_hyphenations += sum(
            len(re.findall(rf"\b{a}(?:[-\u00ad\u2010]\s*|\s+){b}\b", chunks)) for a, b in set(test.splits)
        )
        compounds = {w for para in test.paragraphs for w in re.findall(r"\b[a-z]+-[a-z]+\b", para)}
        source = " ".join(test.paragraphs)
        row.joined_compounds += sum(
            len(re.findall(rf"\b{w.replace('-', '')}\b", chunks)) for w in compounds
            if not re.search(rf"\b{w.replace('-', '')}\b", source)
        )
        row.glued_markers += sum(len(re.findall(rf"\b{w}[.,;]?\d", chunks)) for w in set(test.footnoted))
        _sentences(row, test, text, pages)
    return row


def _sentences(row: Row, test: pdfs.TestPdf, text: str, pages: list[int]) -> None:
    flat = re.sub(r"\s+", " ", text)
    assert len(flat) == len(text) or True
    for para in test.paragraphs[1:]:
        for s, e in sentence_spans(para):
            sentence = para[s:e].strip()
            if len(sentence) < 40:
                continue
            row.sentences += 1
            at = text.find(sentence)
            if at < 0:
                continue
            row.sentences_found += 1
            truth = pdfs.page_of(test.path, sentence)
            if truth is not None and pages:
                row.paged_sentences += 1
                row.wrong_pages += page_span(pages, at, at + 1)[0] != truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--crs", type=int, default=3, help="CRS briefs to render (0-3; skipped when absent)")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args()
    splitter = make_splitter(200, 20, 256, str.split)
    with tempfile.TemporaryDirectory() as tmp:
        made = make_pdfs(Path(tmp), args.crs)
        rows = []
        for parser in PARSERS:
            try:
                __import__(IMPORTS[parser])
            except ImportError:
                print(f"{parser}: not installed, skipped")
                continue
            seconds = import_seconds(IMPORTS[parser])
            for mode in MODES:
                row = measure(parser, mode, made, splitter)
                row.import_s = seconds
                rows.append(row)
    print(f"{len(made)} PDFs: " + ", ".join(f"{t.path.name} ({t.generator})" for t in made))
    head = ("parser", "cleaner", "PDFs", "running lines", "broken hyphens", "joined compounds", "glued markers",
            "sentences found", "wrong pages", "parse s", "import s")
    print(" | ".join(head))
    for r in rows:
        print(" | ".join(str(x) for x in (
            r.parser, r.mode, r.pdfs, r.running_lines, r.broken_hyphenations, r.joined_compounds, r.glued_markers,
            f"{r.sentences_found}/{r.sentences}",
            f"{r.wrong_pages}/{r.paged_sentences}" if r.paged_sentences else "no page map", f"{r.parse_s:.2f}",
            f"{r.import_s:.2f}")))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))


if __name__ == "__main__":
    main()
