"""The web chat end to end in Debian's Chromium (Playwright, sync API): a live uvicorn server on loopback
with the tiny corpus ingested, real store and embedder. Every test checks that the page logged no console
error and fetched nothing from outside 127.0.0.1. Screenshots go to tests/artifacts/web-*.png.

Run: .venv/bin/pytest -m browser tests/ui/test_web_browser.py
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ARTIFACTS, CORPUS, TINY, test_settings

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"Chromium not found at {CHROMIUM}; install it with `make install-browser`", allow_module_level=True
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'"
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
ANSWERED = "What did the visit achieve?"
ABSTAINED = "What did Blinken say about Taiwan?"
ARCTIC = "What happened to shipping routes?"
NEW_BRIEF = """---
title: "Kelp Forests and Coastal Jobs in Tasmania"
authors: ["Grace Whitfield"]
organisation: Southern Ocean Policy Lab
date: 2025-02-11
source: https://example.org/briefs/kelp-forests
---
# Kelp Forests and Coastal Jobs in Tasmania

## Findings

Tasmania has lost ninety-five percent of its giant kelp forests since the 1950s as warm currents pushed south.
Restoration trials with heat-tolerant kelp strains survived two summers at the Blackmans Bay site.

## Recommendations

The brief recommends that the state fund a kelp nursery in Hobart that can supply five hectares of seedlings a year.
"""
NEW_QUESTION = "What does the brief recommend for kelp restoration in Tasmania?"


# -- server and browser ---------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[str]:
    """The server app with the web chat mounted at "/", served by uvicorn in a thread."""
    import uvicorn

    from assistant.service import BriefsService
    from ui.http.app import create_app

    root = tmp_path_factory.mktemp("web")
    shutil.copytree(TINY, root / "briefs")
    shutil.copy(CORPUS / "blinkens-visit-to-beijing.txt", root / "briefs")
    settings = test_settings(data_dir=root / "data")
    service = BriefsService(settings, embedder=embedder)  # share the session's model
    report = service.ingest([root / "briefs"])
    assert not report.failed, report.failed
    app = create_app(settings, service)  # the real server: API routes, then the web chat at "/"
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/"
    _wait_until_up(url)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def _wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"web server at {url} did not start within {timeout} s")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class PageLog:
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        outside = [u for u in self.requests if not u.startswith(("http://127.0.0.1", "data:", "blob:"))]
        assert not outside, f"requests left the machine: {outside}"
        assert not self.errors, f"console errors: {self.errors}"


def open_page(browser: Any, url: str, viewport: dict[str, int] = DESKTOP) -> tuple[Any, PageLog]:
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
    page = context.new_page()
    log = PageLog()
    page.on("request", lambda r: log.requests.append(r.url))
    page.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.errors.append(str(e)))
    page.goto(url)
    page.locator("#ba-question textarea").wait_for(timeout=30_000)
    page.locator("#ba-summary", has_text="Searching").wait_for(timeout=30_000)  # the library has loaded
    return page, log


@pytest.fixture
def desktop(browser: Any, base_url: str) -> Iterator[tuple[Any, PageLog]]:
    page, log = open_page(browser, base_url)
    yield page, log
    page.context.close()


# -- helpers ----------------------------------------------------------------------------------------
def ask(page: Any, question: str, turn: int) -> Any:
    """Type ``question``, press Enter and wait for answer ``turn`` (cited or abstained); return its bubble."""
    box = page.locator("#ba-question textarea")
    box.fill(question)
    box.press("Enter")
    page.locator("#ba-sources details summary", has_text=f"Q{turn}:").wait_for(timeout=60_000)
    bubble = page.locator("#ba-chat [data-testid='bot']").nth(turn - 1)
    bubble.locator(".ba-answer:not(.ba-streaming), .ba-abstain, .ba-error").wait_for(timeout=60_000)
    return bubble


def shot(page: Any, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=full_page)


def open_library(page: Any) -> None:
    page.get_by_role("tab", name="Library").click()
    page.locator("#ba-upload").wait_for()


# -- tests ----------------------------------------------------------------------------------------
def test_cited_answer_and_citation_click_shows_highlighted_passage(desktop: tuple[Any, PageLog]) -> None:
    page, log = desktop
    bubble = ask(page, ANSWERED, 1)
    cites = bubble.locator("a.ba-cite")
    assert cites.count() >= 1
    assert bubble.locator(".ba-abstain").count() == 0
    shot(page, "answer-desktop")
    cites.nth(cites.count() - 1).click()
    n = cites.count()
    target = page.locator(f"#src-1-{n}")
    page.wait_for_function(f"() => document.getElementById('src-1-{n}').classList.contains('ba-active')")
    assert target.locator("mark").inner_text().strip()
    assert target.is_visible()
    brief = page.locator("#ba-sources .ba-brief").first
    assert "Blinken" in brief.locator(".ba-title").inner_text()
    assert "Saifee Islam" in brief.inner_text()
    shot(page, "citation-desktop")
    log.assert_clean()


def test_author_filter_limits_sources_to_that_brief(desktop: tuple[Any, PageLog]) -> None:
    page, log = desktop
    page.locator("#ba-filters").get_by_text("Filters").click()
    author = page.locator("#ba-author input")
    author.fill("Lindqvist")
    author.press("Enter")
    page.locator("#ba-filters", has_text="author=Lindqvist").wait_for()
    bubble = ask(page, ARCTIC, 1)
    assert bubble.locator("a.ba-cite").count() >= 1
    titles = page.locator("#ba-sources .ba-brief .ba-title").all_inner_texts()
    assert titles and all("Arctic Shipping" in t for t in titles), titles
    shot(page, "filter-desktop")
    log.assert_clean()


def test_abstention_is_shown_distinctly(desktop: tuple[Any, PageLog]) -> None:
    page, log = desktop
    bubble = ask(page, ABSTAINED, 1)
    box = bubble.locator(".ba-abstain")
    assert "don’t cover" in box.inner_text()
    assert "Blinken" in box.locator(".ba-closest").inner_text()
    assert bubble.locator("a.ba-cite").count() == 0
    assert "Nothing cited" in page.locator("#ba-sources").inner_text()
    shot(page, "abstain-desktop")
    log.assert_clean()


def test_example_button_asks_its_question(desktop: tuple[Any, PageLog]) -> None:
    page, log = desktop
    button = page.locator("button.ba-example").first  # the examples come from the library (the newest briefs)
    button.wait_for(timeout=30_000)
    question = button.inner_text().strip()
    assert question.endswith("?"), question
    button.click()
    page.locator("#ba-sources details summary", has_text=f"Q1: {question}").wait_for(timeout=60_000)
    page.locator("#ba-chat [data-testid='bot'] a.ba-cite").first.wait_for(timeout=60_000)
    log.assert_clean()


def test_bad_date_filter_is_explained_and_nothing_is_asked(desktop: tuple[Any, PageLog]) -> None:
    page, log = desktop
    page.locator("#ba-filters").get_by_text("Filters").click()
    page.locator("#ba-date-from textarea, #ba-date-from input").first.fill("14/03/2024")
    box = page.locator("#ba-question textarea")
    box.fill(ANSWERED)
    box.press("Enter")
    page.get_by_text("Published from: '14/03/2024' is not a date; use YYYY-MM-DD").wait_for(timeout=30_000)
    assert box.input_value() == ANSWERED  # kept, to ask again once the date is fixed
    assert page.locator("#ba-chat [data-testid='bot']").count() == 0
    page.wait_for_timeout(600)  # let the toast slide in
    shot(page, "bad-filter-desktop", full_page=False)  # the warning is a toast over the viewport
    log.assert_clean()


def test_upload_a_brief_then_ask_about_it(desktop: tuple[Any, PageLog], tmp_path: Path) -> None:
    page, log = desktop
    path = tmp_path / "kelp-forests.md"
    path.write_text(NEW_BRIEF, encoding="utf-8")
    open_library(page)
    page.locator("#ba-upload input[type=file]").set_input_files(str(path))
    ok = page.locator("#ba-status .ba-ok", has_text="kelp-forests.md")
    ok.wait_for(timeout=60_000)
    assert "added" in ok.inner_text()
    page.locator("#ba-library", has_text="Kelp Forests and Coastal Jobs").wait_for()
    shot(page, "upload-desktop")
    page.get_by_role("tab", name="Chat").click()
    ask(page, NEW_QUESTION, 1)
    titles = page.locator("#ba-sources .ba-brief .ba-title").all_inner_texts()
    assert any("Kelp Forests" in t for t in titles), titles
    log.assert_clean()


def test_corrupt_upload_is_reported_and_changes_nothing(desktop: tuple[Any, PageLog], tmp_path: Path) -> None:
    page, log = desktop
    bad = tmp_path / "broken-brief.pdf"
    bad.write_bytes(b"%PDF-1.7\n\x00\x13garbage that is not a PDF\xff\xfe" * 20)
    open_library(page)
    before = page.locator("#ba-library .ba-lib-summary").inner_text()
    page.locator("#ba-upload input[type=file]").set_input_files(str(bad))
    fail = page.locator("#ba-status .ba-fail", has_text="broken-brief.pdf")
    fail.wait_for(timeout=60_000)
    assert "PDF" in fail.inner_text() and "Nothing was changed" in fail.inner_text()
    assert page.locator("#ba-library .ba-lib-summary").inner_text() == before
    shot(page, "upload-error-desktop")
    log.assert_clean()


def test_export_and_copy_conversation_as_markdown(desktop: tuple[Any, PageLog]) -> None:
    page, log = desktop
    ask(page, ANSWERED, 1)
    with page.expect_download() as info:
        page.locator("#ba-download").click()
    download = info.value
    assert download.suggested_filename.endswith(".md")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert f"## 1. {ANSWERED}" in text and "[1]: Blinken" in text
    page.locator("#ba-copy").click()
    page.locator("#ba-copy", has_text="Copied").wait_for()
    assert page.evaluate("() => navigator.clipboard.readText()") == text
    log.assert_clean()


def test_keyboard_enter_submits_and_cites_open_with_enter(desktop: tuple[Any, PageLog]) -> None:
    page, log = desktop
    box = page.locator("#ba-question textarea")
    box.focus()
    page.keyboard.type(ANSWERED)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('#ba-ask') !== null")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    bubble = page.locator("#ba-chat [data-testid='bot']").first
    bubble.locator("a.ba-cite").first.wait_for(timeout=60_000)
    bubble.locator("a.ba-cite").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('src-1-1').classList.contains('ba-active')")
    log.assert_clean()


def test_phone_width_layout(browser: Any, base_url: str) -> None:
    page, log = open_page(browser, base_url, PHONE)
    try:
        bubble = ask(page, ANSWERED, 1)
        shot(page, "answer-phone")
        bubble.locator("a.ba-cite").first.click()
        page.wait_for_function("() => document.getElementById('src-1-1').classList.contains('ba-active')")
        assert page.locator("#src-1-1").is_visible()
        shot(page, "citation-phone")
        ask(page, ABSTAINED, 2)
        shot(page, "abstain-phone")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, (
            f"page is {width}px wide at {PHONE['width']}px: it scrolls sideways"
        )
        open_library(page)
        shot(page, "library-phone")
        log.assert_clean()
    finally:
        page.context.close()


def test_delete_a_brief_after_confirming(desktop: tuple[Any, PageLog], tmp_path: Path) -> None:
    page, log = desktop
    path = tmp_path / "to-delete.md"
    path.write_text(NEW_BRIEF.replace("Kelp Forests and Coastal Jobs", "Seagrass Meadows"), encoding="utf-8")
    open_library(page)
    page.locator("#ba-upload input[type=file]").set_input_files(str(path))
    page.locator("#ba-status .ba-ok", has_text="to-delete.md").wait_for(timeout=60_000)
    page.locator("#ba-delete-choice input").click()
    page.get_by_role("option", name="Seagrass Meadows", exact=False).click()
    page.once("dialog", lambda d: d.accept())
    page.locator("#ba-delete").click()
    page.locator("#ba-status .ba-ok", has_text="Deleted").wait_for(timeout=30_000)
    assert "Seagrass" not in page.locator("#ba-library").inner_text()
    log.assert_clean()


# -- answers in the form of their kind (issue 12) and the first ten minutes (issue 17) ----------------
def test_list_comparison_and_metadata_answers_have_their_own_forms(desktop: tuple[Any, PageLog]) -> None:
    page, log = desktop
    listed = ask(page, "Which briefs discuss the XM30 vehicle?", 1)
    items = listed.locator("ol.ba-list li")
    assert items.count() >= 1 and "XM30" in items.first.locator(".ba-list-title").inner_text()
    assert items.first.locator("a.ba-cite").count() == 1
    compared = ask(page, "Compare Arctic shipping routes and semiconductor export controls.", 2)
    table = compared.locator("table.ba-compare")
    assert table.locator("th[scope=row]").count() == 2 and table.locator("a.ba-cite").count() >= 2
    about = ask(page, "Who wrote the CRS In Focus on the XM30?", 3)
    assert "About the brief" in about.inner_text() and "Andrew Feickert" in about.inner_text()
    about.locator(".ba-why summary").click()
    assert "a question about a brief itself" in about.locator(".ba-why").inner_text()
    shot(page, "answer-kinds-desktop")
    log.assert_clean()


def test_example_questions_come_from_the_library(desktop: tuple[Any, PageLog]) -> None:
    page, log = desktop
    buttons = page.locator(".ba-example:visible")
    buttons.first.wait_for(timeout=30_000)
    labels = [buttons.nth(i).inner_text() for i in range(buttons.count())]
    assert labels and not any("Arctic shipping brief recommend" in x for x in labels)  # no fixture-bound text
    assert any("XM30" in x or "Water" in x or "Arctic" in x or "Chips" in x or "Blinken" in x for x in labels), labels
    buttons.first.click()
    page.locator("#ba-sources details summary", has_text="Q1:").wait_for(timeout=60_000)
    log.assert_clean()


@pytest.fixture(scope="module")
def empty_url(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[str]:
    """A server over an empty data dir, with a write key."""
    import uvicorn

    from assistant.service import BriefsService
    from ui.http.app import create_app

    settings = test_settings(data_dir=tmp_path_factory.mktemp("empty") / "data", api_keys="web-key")
    app = create_app(settings, BriefsService(settings, embedder=embedder))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/"
    _wait_until_up(url)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def test_an_empty_library_shows_the_first_step_and_uploads_need_the_key(browser: Any, empty_url: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(empty_url)
    first = page.locator("#ba-summary .ba-first-step")
    first.wait_for(timeout=30_000)
    assert "No briefs yet" in first.inner_text() and "Library" in first.inner_text()
    assert page.locator(".ba-example:visible").count() == 0  # nothing to suggest yet
    shot(page, "empty-library-desktop")
    open_library(page)
    path = tmp_path / "ports.md"
    path.write_text("# Ports\n\nThe port of Rotterdam handled 440 million tonnes of cargo in 2023, the brief says.\n")
    page.locator("#ba-upload input[type=file]").set_input_files(str(path))  # no key: Gradio's upload is refused
    page.wait_for_timeout(2000)
    assert httpx.get(f"{empty_url}v1/documents", timeout=10).json() == []
    page.locator("#ba-key input").fill("web-key")
    page.locator("#ba-upload input[type=file]").set_input_files(str(path))
    page.locator("#ba-status", has_text="ports.md").wait_for(timeout=60_000)
    assert [d["title"] for d in httpx.get(f"{empty_url}v1/documents", timeout=10).json()] == ["Ports"]
    shot(page, "upload-with-key-desktop")
    context.close()


def test_a_near_miss_cites_the_passage_saying_the_value_is_not_known(
    desktop: tuple[Any, PageLog], tmp_path: Path
) -> None:
    from tests.assistant.test_answer_precision import BRIEF

    page, log = desktop
    path = tmp_path / "flood-barriers.md"
    path.write_text(BRIEF, encoding="utf-8")
    open_library(page)
    page.locator("#ba-upload input[type=file]").set_input_files(str(path))
    page.locator("#ba-status .ba-ok", has_text="flood-barriers.md").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Chat").click()
    bubble = ask(page, "How many engineers are assigned to each flood barrier?", 1)
    box = bubble.locator(".ba-near-miss")
    assert "The briefs don’t say" in box.inner_text() and "is not known" in box.inner_text()
    assert box.locator("a.ba-cite").count() == 1
    sources = page.locator("#ba-sources")
    assert "Coastal Flood Barriers" in sources.locator(".ba-brief .ba-title").first.inner_text()
    assert "is not known" in sources.locator("mark").first.inner_text()
    shot(page, "near-miss-cited-desktop")
    log.assert_clean()
