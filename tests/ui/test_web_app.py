"""The web chat without a browser: filter parsing, the handlers' outputs and the mounted app's page
(no assets from outside the server). The browser tests are in test_web_browser.py."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from assistant.models import Filters
from assistant.settings import Settings


@pytest.fixture(scope="module")
def web() -> Any:
    from ui.web import app as web

    return web


@pytest.mark.parametrize(
    "values,expected",
    [
        (("", None, [], "", ""), Filters()),
        (
            (" Lindqvist ", "Nordic", ["arctic-shipping"], "2024-01-01", "2024-12-31"),
            Filters(
                author="Lindqvist",
                organisation="Nordic",
                brief_id=["arctic-shipping"],
                date_from=dt.date(2024, 1, 1),
                date_to=dt.date(2024, 12, 31),
            ),
        ),
    ],
)
def test_parse_filters(web: Any, values: tuple, expected: Filters) -> None:
    assert web.parse_filters(*values) == expected


@pytest.mark.parametrize(
    "values,message",
    [
        ((None, None, None, "2024-13-01", ""), "Published from: '2024-13-01' is not a date; use YYYY-MM-DD"),
        ((None, None, None, "", "14/03/2024"), "Published until: '14/03/2024' is not a date"),
        (
            (None, None, None, "2025-01-01", "2024-01-01"),
            "Filters: date_from (2025-01-01) is after date_to (2024-01-01)",
        ),
    ],
)
def test_parse_filters_names_the_bad_field(web: Any, values: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        web.parse_filters(*values)


def test_ask_stream_answers_and_writes_the_export(
    web: Any, assistant: Any, ingested_dir: Path, tmp_path: Path
) -> None:
    outputs = list(
        web.ask_stream(assistant, tmp_path, "What did the visit achieve?", [], None, None, [], "", "")
    )
    chat, _, sources, turns, markdown, _, _ = outputs[-1]
    assert chat[0] == {"role": "user", "content": "What did the visit achieve?"}
    assert 'class="ba-cite"' in chat[1]["content"] and 'id="src-1-1"' in sources
    assert turns[0].answer.citations and markdown.startswith("# Briefs Assistant conversation")
    exported = list(tmp_path.glob("briefs-conversation-*.md"))
    assert len(exported) == 1 and exported[0].read_text(encoding="utf-8") == markdown
    assert "Searching the briefs" in outputs[0][0][1]["content"]  # the pending bubble comes first


def test_mounted_page_loads_nothing_from_outside(web: Any, settings: Settings) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from assistant.service import BriefsService

    app = web.mount_web(FastAPI(), BriefsService(settings))
    with TestClient(app) as client:
        page = client.get("/")
        config = client.get("/config").json()
        theme = client.get("/theme.css")
    assert page.status_code == 200 and "Briefs Assistant" in page.text
    assert config["analytics_enabled"] is False
    assert "fonts.googleapis" not in theme.text and "fonts.googleapis" not in page.text
    assert "system-ui" in theme.text
