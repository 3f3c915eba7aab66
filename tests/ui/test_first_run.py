"""The first ten minutes (issue 17) through the real surfaces: an empty data dir is explained, not answered with an
abstention (CLI text and --json, /v1/ask's 409), questions come on standard input, every command's help shows an
example, and link text glued by HTML-to-Markdown conversion gets its space back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ingest.clean import clean_text
from tests.conftest import test_settings
from ui.cli import cli


def test_asking_an_empty_library_says_so_and_shows_how_to_ingest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["ask", "What did the visit achieve?", "--data-dir", str(data),
                                      "--settings", "test"])
    assert result.exit_code != 0
    assert "no briefs" in result.output.lower() and "briefs ingest" in result.output
    assert "don't cover" not in result.output  # not an abstention
    as_json = CliRunner().invoke(cli, ["ask", "What did the visit achieve?", "--json", "--data-dir", str(data),
                                       "--settings", "test"])
    assert as_json.exit_code == 3
    state = json.loads(as_json.output)
    assert state["state"] == "no_briefs" and state["question"] == "What did the visit achieve?"


def test_the_api_answers_409_no_briefs_on_an_empty_library(tmp_path: Path, embedder: Any) -> None:
    from assistant.service import BriefsService
    from ui.http.app import create_app

    settings = test_settings(data_dir=tmp_path / "data")
    with TestClient(create_app(settings, service=BriefsService(settings, embedder=embedder), with_web=False)) as c:
        r = c.post("/v1/ask", json={"question": "What did the visit achieve?"})
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "no_briefs"
        assert "409" in c.get("/openapi.json").json()["paths"]["/v1/ask"]["post"]["responses"]


def test_a_question_can_come_on_standard_input(ingested_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["ask", "--json", "--data-dir", str(ingested_dir), "--settings", "test"],
                                input="What did the visit achieve?\n")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["question"] == "What did the visit achieve?" and answer["citations"]


@pytest.mark.parametrize("command", [[], ["ask"], ["ingest"], ["serve"], ["mcp"], ["docs", "list"], ["eval", "run"]])
def test_every_help_shows_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "briefs " in result.output.split("Example", 1)[1]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("According to the[Department](https://x.gov) of Energy, it grew.", "According to the Department of Energy"),
        ("It holds enriched uranium[stockpile](https://x.gov/s) reserves.", "uranium stockpile reserves"),
        ("See the [report](https://x.gov/r)s findings.", "reports findings"),  # a suffix stays glued
        ("[S. 4017](https://x.gov/b)would add language.", "S. 4017 would add language"),
        ("Judges [agreed](https://x.gov/a)to stay it.", "agreed to stay it"),
        ("see the Office of Personnel Management's (OPM's)[Federal Workforce Data](https://x.gov) site", "(OPM's) Federal"),
        ("- 1. **Honorable Discharge****.******Servicemembers who", "Honorable Discharge. Servicemembers who"),
        ("2. **General (Under********Honorable Conditions)", "General (Under Honorable Conditions)"),
        ("the **Ecosystems ****M****ission ****A****rea** would go", "the Ecosystems Mission Area would go"),
        ("grant program****s** and **Source****s****:** CRS", "grant programs and Sources: CRS"),
        ("as shown in (******************Figure 1******) here", "as shown in (Figure 1) here"),
    ],
)
def test_link_text_and_broken_markup_get_the_space_the_page_showed(markdown: str, expected: str) -> None:
    assert expected in clean_text(markdown, "md").text
