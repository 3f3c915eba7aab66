"""Each supported format is parsed with its metadata, and page chrome never reaches the chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.service import BriefsService
from tests.conftest import CORPUS

CHROME = [
    "Download PDF",
    "Version History",
    "[Citation]",
    "[Subscribe]",
    "Disclaimer:",
    "crsreports.congress.gov",
    "Read Full Briefs",
    "Hide Overview",
    "Share/Save",
    "Subscribe to our newsletter",
    "](http",
    "[Listen]",
]


def _briefs(ingestor: BriefsService) -> dict[str, object]:
    return {b.id: b for b in ingestor.store.list_briefs()}


def make_pdf(path: Path, title: str, author: str, paragraphs: list[str]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_font("helvetica", size=11)
    for i, para in enumerate(paragraphs):
        pdf.add_page()
        pdf.cell(
            0, 8, "Policy Lab Briefing Series", new_x="LMARGIN", new_y="NEXT"
        )  # running header on every page
        pdf.multi_cell(0, 6, para)
        pdf.cell(0, 8, f"Page {i + 1} of {len(paragraphs)}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def make_docx(path: Path, title: str, author: str) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    document.add_heading("Fisheries Subsidies", level=1)
    document.add_paragraph(
        "The WTO agreement on fisheries subsidies entered into force in 2025 after two thirds of members ratified it."
    )
    document.add_heading("Next steps", level=2)
    document.add_paragraph(
        "Negotiators still disagree on subsidies that contribute to overcapacity and overfishing."
    )
    document.save(str(path))
    return path


def test_markdown_front_matter_metadata(ingestor: BriefsService, tiny_copy: Path) -> None:
    ingestor.ingest([tiny_copy / "arctic-shipping.md"])
    b = _briefs(ingestor)["arctic-shipping"]
    assert b.title == "Melting Ice, New Lanes: Arctic Shipping and Security"
    assert b.authors == ["Maria Lindqvist", "Tomas Berg"]
    assert b.organisation == "Nordic Policy Institute"
    assert b.date == "2024-03-14"
    assert b.source == "https://example.org/briefs/arctic-shipping"


def test_crs_header_metadata_and_versions_kept_apart(ingestor: BriefsService, tiny_copy: Path) -> None:
    ingestor.ingest([tiny_copy / "xm30-v1.md", tiny_copy / "xm30-v2.md"])
    briefs = _briefs(ingestor)
    v1, v2 = briefs["xm30-v1"], briefs["xm30-v2"]
    assert (v1.series, v1.version, v1.date) == ("IF99930", 1, "2023-03-02")
    assert (v2.series, v2.version, v2.date) == ("IF99930", 2, "2026-02-10")
    assert v2.authors == ["Andrew Feickert"]
    assert v2.organisation == "Congressional Research Service"
    assert v2.title == "The Army's XM30 Mechanized Infantry Combat Vehicle"


def test_html_meta_tags_and_boilerplate(ingestor: BriefsService, tiny_copy: Path) -> None:
    ingestor.ingest([tiny_copy / "water-security.html"])
    b = _briefs(ingestor)["water-security"]
    assert "Water Security in the Sahel" in b.title
    assert b.authors == ["Amina Diallo"]
    assert b.organisation == "Global Futures Forum"
    assert b.date == "2025-06-30"
    text = ingestor.store.registry.brief_text("water-security") or ""
    assert "Lake Chad has shrunk" in text and "newsletter" not in text and "About" not in text


def test_text_byline_and_manifest_override(ingestor: BriefsService, tiny_copy: Path) -> None:
    ingestor.ingest([tiny_copy / "semiconductors.txt"])
    b = _briefs(ingestor)["semiconductors"]
    assert b.title == "Chips and Alliances: Semiconductor Export Controls"
    assert b.authors == ["Daniel Okafor"]
    assert b.organisation == "Center for Technology and Statecraft (CTS)"
    assert b.date == "2024-11-05"  # from manifest.csv
    assert b.source == "https://example.org/briefs/chips-and-alliances"


def test_corpus_brief_metadata_and_chrome(ingestor: BriefsService) -> None:
    ingestor.ingest([CORPUS])
    b = _briefs(ingestor)["blinkens-visit-to-beijing"]
    assert b.title.startswith("Blinken’s Visit to Beijing")
    assert b.authors == ["S. M. Saifee Islam"]
    assert b.organisation == "KRF Center for Bangladesh and Global Affairs (CBGA)"
    assert "[Read Full Briefs as a Pdf]" not in (ingestor.store.registry.brief_text(b.id) or "")


def test_pdf_info_and_running_headers_removed(ingestor: BriefsService, tmp_path: Path) -> None:
    paras = [
        f"Section {i}. Grid storage capacity in the region grew to {10 * i} gigawatts, led by lithium iron phosphate batteries."
        for i in range(1, 5)
    ]
    path = make_pdf(tmp_path / "grid-storage.pdf", "Grid Storage Outlook", "Ines Moreau", paras)
    report = ingestor.ingest([path])
    assert report.added == 1, report.failed
    b = _briefs(ingestor)["grid-storage"]
    assert b.title == "Grid Storage Outlook" and b.authors == ["Ines Moreau"]
    assert b.date is not None and len(b.date) == 10
    text = ingestor.store.registry.brief_text("grid-storage") or ""
    assert "40 gigawatts" in text
    assert "Policy Lab Briefing Series" not in text and "Page 2 of 4" not in text


def test_docx_core_properties_and_headings(ingestor: BriefsService, tmp_path: Path) -> None:
    path = make_docx(tmp_path / "fisheries.docx", "Fishing for Agreement", "Kwame Mensah")
    ingestor.ingest([path])
    b = _briefs(ingestor)["fisheries"]
    assert b.title == "Fishing for Agreement" and b.authors == ["Kwame Mensah"]
    sections = {row.section for row in ingestor.store.registry.all_chunks()}
    assert {"Fisheries Subsidies", "Next steps"} <= sections


def test_no_chunk_contains_chrome(ingestor: BriefsService, tiny_copy: Path) -> None:
    ingestor.ingest([tiny_copy])
    chunks = ingestor.store.registry.all_chunks()
    assert chunks
    for c in chunks:
        for marker in CHROME:
            assert marker not in c.text, (c.brief_id, marker, c.text[:200])


@pytest.mark.parametrize("size", [48, 120])
def test_chunks_fit_the_embedder_and_point_into_the_text(
    settings, embedder, tiny_copy: Path, size: int
) -> None:  # type: ignore[no-untyped-def]
    settings.chunk.size, settings.chunk.overlap = size, 8
    ingestor = BriefsService(settings, embedder=embedder)
    ingestor.ingest([tiny_copy])
    for c in ingestor.store.registry.all_chunks():
        text = ingestor.store.registry.brief_text(c.brief_id) or ""
        assert text[c.start : c.end] == c.text
        assert embedder.count_tokens(c.text) <= min(size, embedder.max_tokens - 2)
        assert c.section is None or c.section in text


def test_a_list_that_runs_into_the_disclaimer_is_kept() -> None:
    from ingest.clean import clean_text

    text = (
        "# Issues\n\nPossible issues include\n\n"
        "- **Sanctions.** Members could seek to block sanctions relief.\n"
        "- **Supplemental appropriations.** The Administration may request as much as $100 billion.\n"
        "                              Disclaimer:  \n"
        " These documents were prepared by the Congressional Research Service (CRS).\n"
    )
    cleaned = clean_text(text, kind="md").text
    assert "$100 billion" in cleaned and "Members could seek" in cleaned
    assert "prepared by the Congressional Research Service" not in cleaned


def test_an_interactive_charts_script_and_text_are_page_chrome() -> None:
    from ingest.clean import clean_text

    page = (
        "Figure 1 shows staff on duty. SSA's total staffing level at the end of February 2026 was 49,683.\n\n"
        "Figure 1. SSA Total Staff on Duty\nJanuary 2019-February 2026. Figure is interactive in HTML report version.\n"
        "| //Based on IAG in AP 7.4.1 (Revised 20240624)\n\n$(function () {\n\nvar files = [\"https://code.highcharts.com/x.js\"];\n"
        "function cl() {\nif (typeof window[\"Highcharts\"] !== \"undefined\") {\n}\n}\n});\n"
        "ChartLine chart with 86 data points.Line graph of the total number of staff.Created with Highcharts 12.6.0Jan-19\n"
        "| Source: CRS analysis of OPM data.\n\nStaffing then fell."
    )
    text = clean_text(page, "md").text
    assert "49,683" in text and "Staffing then fell." in text and "Source: CRS analysis" in text
    for chrome in ("function", "Highcharts", "ChartLine", "interactive", "var files"):
        assert chrome not in text
