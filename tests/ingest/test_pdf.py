"""PDF briefs as analysts get them, ingested through the real pipeline (real Chroma, the bundled embedder): page
numbers of known sentences, no running headers or footers in the chunks, words rejoined where a line-end hyphen
broke them, footnote markers gone, two-column reading order, scans refused. The PDFs are made here
(tests/pdfs.py): fpdf2 in the default run; Chromium print-to-PDF of the seed brief and CRS briefs in the slow run
(``-m slow``; the CRS ones skip when ../shared/corpus_ext is absent)."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.models import Citation
from assistant.pages import page_span
from assistant.service import BriefsService
from assistant.text import sentence_spans
from ingest.pdf_clean import clean_pages, keep_hyphen
from ingest.pdf_parsers import PARSERS, Line, read_pages
from tests import pdfs
from tests.conftest import test_settings

CHROMIUM = Path("/usr/bin/chromium")


# -- helpers ----------------------------------------------------------------------------------------
def ingest_pdfs(root: Path, embedder: Any, *made: pdfs.TestPdf) -> BriefsService:
    folder = root / "briefs"
    folder.mkdir(parents=True, exist_ok=True)
    for t in made:
        if t.path.parent != folder:
            shutil.copy(t.path, folder / t.path.name)
    service = BriefsService(test_settings(data_dir=root / "data"), embedder=embedder)
    report = service.ingest([folder])
    assert not report.failed, report.failed
    return service


def brief_of(service: BriefsService, test: pdfs.TestPdf) -> str:
    return next(b.id for b in service.list_briefs() if Path(b.path).name == test.path.name)


def chunk_text(service: BriefsService, brief_id: str) -> str:
    return "\n".join(c.text for c in service.store.brief_chunks(brief_id))


def known_sentences(test: pdfs.TestPdf, text: str, every: int = 3) -> list[tuple[str, int]]:
    """(sentence, offset in the brief text) of every ``every``-th long sentence of the source."""
    out = []
    for para in test.paragraphs[1:]:
        for s, e in sentence_spans(para):
            sentence = para[s:e].strip()
            if len(sentence) >= 50 and text.count(sentence) == 1:
                out.append((sentence, text.index(sentence)))
    return out[::every]


def assert_clean_pdf_brief(service: BriefsService, test: pdfs.TestPdf) -> None:
    """What every generated PDF must come out as: page-correct, no chrome, words whole, markers gone."""
    brief_id = brief_of(service, test)
    meta, text, chunks = service.get_brief(brief_id), service.brief_text(brief_id), chunk_text(service, brief_id)
    assert meta.title == test.title and meta.pages >= 3
    for pattern in test.running_patterns:
        assert not re.search(pattern, chunks), f"running line {pattern!r} reached the chunks"
    broken = [f"{a}-{b}" for a, b in set(test.splits) if re.search(rf"\b{a}(?:[-\u00ad]\s*|\s+){b}\b", chunks)]
    assert not broken, f"hyphenations left broken: {broken}"
    rejoined = [a + b for a, b in set(test.splits) if re.search(rf"\b{a}(?:[-\u00ad]\s*|\s+){b}\b", " ".join(test.paragraphs)) is None]
    assert all(w in text for w in rejoined), [w for w in rejoined if w not in text]
    glued = [w for w in test.footnoted if re.search(rf"\b{w}[.,;]?\d", text)]
    assert not glued, f"footnote markers still glued to {glued}"
    sentences = known_sentences(test, text)
    assert len(sentences) >= 8
    layout = service.brief_layout(brief_id)
    for sentence, at in sentences:
        page, _ = page_span(layout.pages, at, at + len(sentence))
        assert page == pdfs.page_of(test.path, sentence), sentence
    headings = {h for _, h in layout.sections}
    assert set(test.headings) <= headings, set(test.headings) - headings


# -- the cleaner, line by line ----------------------------------------------------------------------
def test_running_lines_and_page_numbers_are_dropped_and_paragraphs_join_across_pages() -> None:
    pages = [
        [Line("Grid Outlook · Policy Lab"), Line("Storage grew in every state and the"), Line("- 1 -")],
        [Line("Grid Outlook · Policy Lab"), Line("region doubled its capacity."), Line("- 2 -")],
        [Line("Grid Outlook · Policy Lab"), Line("Prices fell."), Line("Page 3")],
    ]
    doc = clean_pages(pages)
    assert doc.text == "Storage grew in every state and the region doubled its capacity.\n\nPrices fell."
    assert doc.pages == [0, len("Storage grew in every state and the "), doc.text.index("Prices")]
    assert "Grid Outlook · Policy Lab" in doc.dropped


@pytest.mark.parametrize(
    ("first", "rest", "doc_words", "compounds", "keep"),
    [
        ("secu", "rity", {"security"}, set(), False),  # the joined word is used elsewhere
        ("legis", "lation", set(), set(), False),  # fragments that are no words: one word broken
        ("self", "reported", {"reported"}, set(), True),  # a compound prefix
        ("general", "purpose", {"general", "purposes"}, set(), True),  # two words the brief uses alone
        ("cyber", "security", {"cybersecurity"}, {"cyber-security"}, True),  # the brief writes it hyphenated
        ("PRC", "sponsored", set(), set(), True),  # an acronym keeps its hyphen
    ],
)
def test_line_end_hyphen_is_kept_only_for_compounds(
    first: str, rest: str, doc_words: set[str], compounds: set[str], keep: bool
) -> None:
    assert keep_hyphen(first, rest, doc_words, compounds) is keep


def test_glued_footnote_markers_go_but_numbers_stay() -> None:
    doc = clean_pages([[Line("The states.1 Congress gave $1.5 billion to 50 states in FY2018 under P.L.115-334.")]])
    assert doc.text == "The states. Congress gave $1.5 billion to 50 states in FY2018 under P.L.115-334."


def test_larger_type_is_a_heading_when_the_parser_gives_sizes() -> None:
    lines = [Line("Funding History", 0.1, 0.12, 14.0), Line("Congress appropriated funds.", 0.13, 0.15, 11.0)]
    doc = clean_pages([lines, [Line("More text follows here.", 0.1, 0.12, 11.0)]])
    assert doc.sections == [(0, "Funding History")] and doc.title == "Funding History"


def test_heading_across_two_columns_is_found_but_column_lines_are_not_headings() -> None:
    """pypdf gives no type sizes: on a page set in two columns, a heading spanning both is longer than a column's
    lines, and the first line of a column paragraph is short next to a full page's lines."""
    def wide(page: int) -> list[Line]:
        full = "Congress appropriated funds for the grants in fiscal year {} since the program began in 2018 and"
        return [Line(full.format(2018 + 4 * page + i)) for i in range(4)] + [Line("spent most of it on equipment.")]

    columns = [
        Line("Funding for States, Territories, and DC"),
        Line("The Help America Vote Act of 2002 set up a"),
        Line("grant program for the states to improve the"),
        Line("administration of federal elections."),
        Line("Department of Homeland Security (DHS) has"),
        Line("given the states advice on the grants."),
    ]
    doc = clean_pages([wide(0), columns, wide(1)])
    assert [h for _, h in doc.sections] == ["Funding for States, Territories, and DC"]
    assert "Department of Homeland Security (DHS) has given the states advice on the grants." in doc.text


def test_a_citation_gets_the_pages_of_its_own_span() -> None:
    starts = [0, 100, 250]
    assert page_span(starts, 120, 180) == (2, None)  # inside a chunk that starts on page 1
    assert page_span(starts, 90, 110) == (1, 2)
    assert page_span(starts, 250, 300) == (3, None)


# -- fpdf2 PDFs (default run) ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fpdf_brief(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[tuple[BriefsService, pdfs.TestPdf]]:
    root = tmp_path_factory.mktemp("fpdf")
    (root / "briefs").mkdir()
    made = pdfs.fpdf_pdf(pdfs.SEED, root / "briefs" / "blinken-policy-lab.pdf")
    service = ingest_pdfs(root, embedder, made)
    yield service, made
    service.store.close()


def test_fpdf_brief_has_pages_and_no_page_chrome(fpdf_brief: tuple[BriefsService, pdfs.TestPdf]) -> None:
    service, made = fpdf_brief
    assert_clean_pdf_brief(service, made)


def test_answer_from_a_pdf_cites_the_page_of_each_quote(fpdf_brief: tuple[BriefsService, pdfs.TestPdf]) -> None:
    service, made = fpdf_brief
    answer = service.ask("What did the visit achieve?")
    assert answer.citations and not answer.abstained
    for c in answer.citations:
        assert c.quote == service.brief_text(c.brief_id)[c.start : c.end]
        assert c.page == pdfs.page_of(made.path, c.quote), c.quote
        last = pdfs.last_page_of(made.path, c.quote)
        assert c.page_end == (last if last != c.page else None)
    assert all(p.page is not None for p in answer.passages)


def test_stream_and_search_carry_pages_too(fpdf_brief: tuple[BriefsService, pdfs.TestPdf]) -> None:
    service, _ = fpdf_brief
    final = [e.answer for e in service.stream("What did the visit achieve?") if e.answer is not None][-1]
    assert final.citations and all(c.page for c in final.citations)
    assert all(h.page for h in service.search("Game Theory predictability"))


def test_citation_across_a_page_break_gets_page_end(fpdf_brief: tuple[BriefsService, pdfs.TestPdf]) -> None:
    service, made = fpdf_brief
    brief_id = brief_of(service, made)
    pages = service.brief_layout(brief_id).pages
    text = service.brief_text(brief_id)
    start = text.rfind(". ", 0, pages[1]) + 2  # the sentence running over the first page break
    end = text.find(". ", pages[1]) + 1
    c = Citation(n=1, brief_id=brief_id, title="t", quote=text[start:end], start=start, end=end, score=1.0)
    service.add_pages([c])
    assert (c.page, c.page_end) == (1, 2)


def test_original_pdf_is_kept_under_the_data_dir(fpdf_brief: tuple[BriefsService, pdfs.TestPdf]) -> None:
    service, made = fpdf_brief
    path, media = service.original_file(brief_of(service, made))
    assert media == "application/pdf" and path.read_bytes() == made.path.read_bytes()
    assert path.is_relative_to(service.settings.data_dir.resolve())


def test_updated_pdf_replaces_its_kept_copy_and_delete_removes_it(tmp_path: Path, embedder: Any) -> None:
    folder = tmp_path / "briefs"
    folder.mkdir()
    first = pdfs.fpdf_pdf(pdfs.SEED, folder / "brief.pdf")
    service = ingest_pdfs(tmp_path, embedder, first)
    kept = service.settings.data_dir / "files"
    old = {p.name for p in kept.iterdir()}
    pdfs.fpdf_pdf(pdfs.SEED, folder / "brief.pdf", series="Policy Lab Briefing Series, second edition")
    assert service.ingest([folder]).updated == 1
    new = {p.name for p in kept.iterdir()}
    assert len(new) == 1 and new != old
    service.delete(service.list_briefs()[0].id)
    assert not list(kept.iterdir())


def test_scanned_pdf_is_reported_not_ingested(ingestor: BriefsService, tmp_path: Path) -> None:
    path = pdfs.scanned_pdf(tmp_path / "scanned-grain-report.pdf")
    report = ingestor.ingest([path])
    assert report.added == 0 and not ingestor.list_briefs()
    assert "no text layer; OCR is not enabled" in report.failed[0]["error"]


def test_store_written_before_page_maps_still_answers(tmp_path: Path, embedder: Any) -> None:
    """A registry without the layout column (an older store) opens, gains it, and its briefs have no pages."""
    from tests.conftest import TINY

    service = ingest_pdfs(tmp_path, embedder)
    service.ingest([TINY])
    service.store.close()
    db = tmp_path / "data" / "registry.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE briefs DROP COLUMN layout")
    reopened = BriefsService(test_settings(data_dir=tmp_path / "data"), embedder=embedder)
    answer = reopened.ask("What happened to shipping routes?")
    assert answer.citations and all(c.page is None for c in answer.citations)
    assert reopened.brief_layout(answer.citations[0].brief_id).pages == []


@pytest.mark.parametrize("parser", PARSERS)
def test_every_parser_reads_the_same_sentences(parser: str, tmp_path: Path) -> None:
    if parser != "pypdf":
        pytest.importorskip(parser, reason=f"{parser} is optional: pip install -e '.[pdf]'")
    made = pdfs.fpdf_pdf(pdfs.SEED, tmp_path / "brief.pdf")
    doc = clean_pages(read_pages(made.path.read_bytes(), parser))  # type: ignore[arg-type]
    assert doc.title == made.title and len(doc.pages) == 4
    assert "The visit did not result in any significant breakthroughs." in doc.text


# -- Chromium print-to-PDF (slow run) -----------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium_briefs(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[tuple[BriefsService, list[pdfs.TestPdf]]]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}; install it with `make install-browser`")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'")
    root = tmp_path_factory.mktemp("chromium")
    folder = root / "briefs"
    folder.mkdir()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless=new", "--no-sandbox"])
        made = [pdfs.chromium_pdf(browser, pdfs.SEED, folder / "blinkens-visit-chromium.pdf")]
        made += [pdfs.chromium_pdf(browser, src, folder / f"{src.stem[:30]}.pdf") for src in pdfs.crs_sources(2)]
        browser.close()
    service = ingest_pdfs(root, embedder, *made)
    yield service, made
    service.store.close()


@pytest.mark.slow
def test_chromium_pdfs_have_pages_and_no_page_chrome(chromium_briefs: tuple[BriefsService, list[pdfs.TestPdf]]) -> None:
    service, made = chromium_briefs
    for test in made:
        assert test.splits, "the generator broke no word at a line end"
        assert_clean_pdf_brief(service, test)


@pytest.mark.slow
def test_two_column_page_reads_column_by_column(chromium_briefs: tuple[BriefsService, list[pdfs.TestPdf]]) -> None:
    service, made = chromium_briefs
    seed = made[0]
    text = service.brief_text(brief_of(service, seed))
    two_column = pdfs.brief_source(pdfs.SEED)[1][2][1]  # the third section is printed on two columns
    for para in two_column:
        for s, e in sentence_spans(para):
            assert para[s:e].strip() in text


@pytest.mark.slow
def test_crs_pdf_answers_with_page_cited_quotes(chromium_briefs: tuple[BriefsService, list[pdfs.TestPdf]]) -> None:
    service, made = chromium_briefs
    crs = [t for t in made if "election-security" in t.path.name]
    if not crs:
        pytest.skip(f"CRS corpus not found at {pdfs.CRS_MARKDOWN}")
    answer = service.ask("How much funding has Congress provided for election security grants?")
    assert answer.citations
    for c in answer.citations:
        path = next(t.path for t in made if brief_of(service, t) == c.brief_id)
        assert c.page == pdfs.page_of(path, c.quote)
