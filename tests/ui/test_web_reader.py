"""The reader view in Debian's Chromium (Playwright): a live server on loopback over the tiny corpus plus a PDF of
the seed brief (made by fpdf2); a citation opens its whole brief scrolled to the highlighted quote, the answer's
other citations into it are marked, and the PDF link serves the kept file. Screenshot: tests/artifacts/web-reader-*.png.

Run: .venv/bin/pytest -m browser tests/ui/test_web_reader.py
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import pytest

from assistant.service import BriefsService
from tests import pdfs
from tests.conftest import TINY, test_settings
from tests.ui.test_web_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PageLog,
    _free_port,
    _wait_until_up,
    ask,
    open_page,
    shot,
)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'")

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

QUESTION = "What did the visit achieve?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[tuple[str, BriefsService]]:
    """(base URL, service) of the real app with the web chat at "/", served by uvicorn in a thread."""
    import uvicorn

    from ui.http.app import create_app

    root = tmp_path_factory.mktemp("web-reader")
    shutil.copytree(TINY, root / "briefs")
    pdfs.fpdf_pdf(pdfs.SEED, root / "briefs" / "blinken-policy-lab.pdf")
    settings = test_settings(data_dir=root / "data")
    service = BriefsService(settings, embedder=embedder)
    report = service.ingest([root / "briefs"])
    assert not report.failed, report.failed
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/"
    _wait_until_up(url)
    yield url, service
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def desktop(browser: Any, served: tuple[str, BriefsService]) -> Iterator[tuple[Any, PageLog]]:
    page, log = open_page(browser, served[0])
    yield page, log
    page.context.close()


def pdf_brief(service: BriefsService) -> str:
    return next(b.id for b in service.list_briefs() if b.path.endswith(".pdf"))


def open_reader(page: Any, brief_id: str, n: int | None = None) -> tuple[Any, list[dict[str, Any]]]:
    """Click "Read [n] in the brief" (the brief's last citation when ``n`` is None); return the dialog and the
    citations into that brief."""
    import json

    article = page.locator(f"#ba-sources .ba-brief[data-brief='{brief_id}']").last
    cites = json.loads(article.get_attribute("data-cites"))
    n = cites[-1]["n"] if n is None else n
    article.locator(f"button.ba-read[data-n='{n}']").first.click()
    dialog = page.locator("#ba-reader [role=dialog]")
    dialog.locator("mark.ba-reader-active").first.wait_for(timeout=30_000)
    return dialog, cites


def test_citation_opens_the_whole_brief_at_the_highlighted_quote(
    desktop: tuple[Any, PageLog], served: tuple[str, BriefsService]
) -> None:
    page, log = desktop
    base, service = served
    brief_id = pdf_brief(service)
    ask(page, QUESTION, 1)
    dialog, cites = open_reader(page, brief_id)
    n = cites[-1]["n"]
    quotes = {c.n: c.quote for c in service.ask(QUESTION).citations if c.brief_id == brief_id}
    highlighted = "".join(dialog.locator(f"mark.ba-reader-mark[data-n='{n}']").all_text_contents())
    assert highlighted == quotes[n]
    assert {int(x) for x in dialog.locator("mark.ba-reader-mark").evaluate_all("ms => ms.map(m => m.dataset.n)")} == {
        c["n"] for c in cites
    }
    assert dialog.locator(".ba-reader-title").inner_text() == service.get_brief(brief_id).title
    assert dialog.locator("h3.ba-reader-h").count() >= 3 and dialog.locator(".ba-page-break").count() >= 2
    box = dialog.locator(".ba-reader-body").bounding_box()
    mark = dialog.locator("mark.ba-reader-active").first.bounding_box()
    assert box["y"] <= mark["y"] <= box["y"] + box["height"], "the reader did not scroll to the quote"
    assert dialog.locator(f".ba-reader-jump[data-n='{n}']").get_attribute("aria-current") == "true"
    shot(page, "reader-desktop", full_page=False)
    page.keyboard.press("Escape")
    assert page.locator("#ba-reader").count() == 0
    log.assert_clean()


def test_pdf_links_open_the_kept_file_at_the_cited_page(
    desktop: tuple[Any, PageLog], served: tuple[str, BriefsService]
) -> None:
    page, log = desktop
    _, service = served
    brief_id = pdf_brief(service)
    ask(page, QUESTION, 1)
    dialog, cites = open_reader(page, brief_id, n=None)
    link = dialog.locator("a.ba-reader-pdf")
    href = urljoin(page.url, link.get_attribute("href"))
    assert href.endswith(f"/v1/files/{brief_id}#page={cites[-1]['page']}")
    with page.context.expect_event("response", lambda r: f"/v1/files/{brief_id}" in r.url) as opened:
        link.click()
    response = opened.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    kept, _ = service.original_file(brief_id)
    assert page.request.get(href.split("#")[0]).body() == kept.read_bytes()
    panel = page.locator(f"#ba-sources .ba-brief[data-brief='{brief_id}'] a.ba-page").first
    label = panel.inner_text()
    assert label.startswith(("p. ", "pp. ")) and f"#page={label.split()[1].split('–')[0]}" in panel.get_attribute("href")
    log.assert_clean()
