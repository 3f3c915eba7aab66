"""Every surface shows the page of a PDF citation as "p. 4" (or "pp. 4–5"): the CLI and MCP text, the Markdown
export, the web chat's sources panel (linked to the PDF at the page) and the eval report. One fpdf2 PDF of the seed
brief, ingested through the real pipeline."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from assistant.models import Answer
from assistant.service import BriefsService
from tests import pdfs
from tests.conftest import TINY, test_settings
from ui.render import answer_markdown, page_label, render_answer

QUESTION = "What did the visit achieve?"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[BriefsService]:
    root = tmp_path_factory.mktemp("labels")
    shutil.copytree(TINY, root / "briefs")
    pdfs.fpdf_pdf(pdfs.SEED, root / "briefs" / "blinken-policy-lab.pdf")
    svc = BriefsService(test_settings(data_dir=root / "data"), embedder=embedder)
    assert not svc.ingest([root / "briefs"]).failed
    yield svc
    svc.store.close()


@pytest.fixture(scope="module")
def answer(service: BriefsService) -> Answer:
    answer = service.ask(QUESTION)
    assert any(c.page for c in answer.citations)
    return answer


def test_page_label_reads_p_or_pp(answer: Answer) -> None:
    c = next(c for c in answer.citations if c.page).model_copy()
    assert page_label(c) == f"p. {c.page}"
    c.page_end = c.page + 1
    assert page_label(c) == f"pp. {c.page}–{c.page + 1}"


def test_cli_and_mcp_text_show_the_page(service: BriefsService, answer: Answer) -> None:
    from ui.cli import cli

    result = CliRunner().invoke(cli, ["ask", QUESTION, "--data-dir", str(service.settings.data_dir)])
    assert result.exit_code == 0, result.output
    text = render_answer(answer)  # what the MCP ask tool sends as its text block
    for c in answer.citations:
        where = f"{c.brief_id}:{c.start}-{c.end}" + (f", {page_label(c)}" if c.page else "")
        assert where in result.output and where in text


def test_markdown_export_gives_the_page_instead_of_offsets(answer: Answer) -> None:
    md = answer_markdown(answer)
    for c in answer.citations:
        assert (f", {page_label(c)}: “" if c.page else f", chars {c.start}-{c.end}: “") in md


def test_web_sources_link_the_page_to_the_pdf(service: BriefsService, answer: Answer) -> None:
    from ui.web.render import render_sources_html

    html = render_sources_html(answer, service)
    for c in (c for c in answer.citations if c.page):
        assert f'href="v1/files/{c.brief_id}#page={c.page}"' in html
        assert f">{page_label(c)}</a>" in html


def test_eval_report_rows_show_the_page() -> None:
    from eval.report import _item_row

    item = {
        "id": "q1", "query": QUESTION, "kind": "fact", "follow_up": False, "answerable": True, "abstained": False,
        "scores": {}, "latency_ms": 3.0, "failures": [], "passages": [], "answer": "x", "rewritten_query": QUESTION,
        "citations": [
            {"n": 1, "brief_id": "pdf-brief", "start": 0, "end": 5, "quote": "Quote", "page": 2, "page_end": 3},
            {"n": 2, "brief_id": "text-brief", "start": 0, "end": 5, "quote": "Quote"},
        ],
    }
    row = _item_row(item)
    assert "[1] pdf-brief, pp. 2–3 “Quote”" in row and "[2] text-brief “Quote”" in row
